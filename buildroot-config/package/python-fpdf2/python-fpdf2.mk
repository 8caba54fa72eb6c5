################################################################################
#
# python-fpdf2
#
################################################################################

# The release pinned in requirements.lock.
PYTHON_FPDF2_VERSION = 2.8.9
PYTHON_FPDF2_SOURCE = fpdf2-$(PYTHON_FPDF2_VERSION).tar.gz
PYTHON_FPDF2_SITE = https://files.pythonhosted.org/packages/12/23/84dbe637708c2690972eff5df233a7c9f8d4bde809f714839dc1b08f5e5e
PYTHON_FPDF2_SETUP_TYPE = setuptools
PYTHON_FPDF2_LICENSE = LGPL-3.0
PYTHON_FPDF2_LICENSE_FILES = LICENSE

$(eval $(python-package))
