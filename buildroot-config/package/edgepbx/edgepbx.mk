################################################################################
#
# edgepbx
#
################################################################################

# The application is this repository itself, two levels up from the tree.
EDGEPBX_VERSION = 0.1.0
EDGEPBX_SITE = $(BR2_EXTERNAL_EDGEPBX_PATH)/..
EDGEPBX_SITE_METHOD = local
EDGEPBX_LICENSE = GPL-3.0+
EDGEPBX_SETUP_TYPE = setuptools
EDGEPBX_DEPENDENCIES = \
	kamailio rtpengine python-peewee python-pjsua2 \
	python-bottle python-gunicorn python-cryptography python-pyroute2 \
	python-serial python-jinja2 python-fpdf2 python-idna

# The rootfs/ overlay (units, first boot, /data mounts) comes with the
# application, so one package brings both.
define EDGEPBX_INSTALL_OVERLAY
	cp -a $(@D)/rootfs/. $(TARGET_DIR)/
endef
EDGEPBX_POST_INSTALL_TARGET_HOOKS += EDGEPBX_INSTALL_OVERLAY

$(eval $(python-package))
