################################################################################
#
# python-peewee
#
################################################################################

# The release pinned in requirements.lock.
PYTHON_PEEWEE_VERSION = 4.5.3
PYTHON_PEEWEE_SOURCE = peewee-$(PYTHON_PEEWEE_VERSION).tar.gz
PYTHON_PEEWEE_SITE = https://files.pythonhosted.org/packages/6f/85/8142c26b9942e2993fdcd9163089a8531ac255aecef1ca4cc1b611e8d193
PYTHON_PEEWEE_SETUP_TYPE = setuptools
PYTHON_PEEWEE_LICENSE = MIT
PYTHON_PEEWEE_LICENSE_FILES = LICENSE
# Pure Python: the optional C speed-ups need Cython on the host.
PYTHON_PEEWEE_ENV = NO_SQLITE=1

$(eval $(python-package))
