################################################################################
#
# kamailio
#
################################################################################

# The series Debian 12 ships, which the tests run against.
KAMAILIO_VERSION = 5.6.3
KAMAILIO_SOURCE = kamailio-$(KAMAILIO_VERSION)_src.tar.gz
KAMAILIO_SITE = https://www.kamailio.org/pub/kamailio/$(KAMAILIO_VERSION)/src
KAMAILIO_LICENSE = GPL-2.0+
KAMAILIO_LICENSE_FILES = COPYING
KAMAILIO_DEPENDENCIES = host-bison host-flex openssl sqlite libxml2 pcre2 \
	libcurl python3

KAMAILIO_MODULES = app_python3 db_sqlite auth auth_db usrloc registrar \
	presence presence_xml presence_mwi presence_dialoginfo pua \
	pua_dialoginfo tls jsonrpcs ctl pike htable rtpengine nathelper acc \
	dialog uac secfilter permissions tm tmx sl rr pv maxfwd textops \
	siputils xlog sanity kex corex ctl topos dispatcher

KAMAILIO_MAKE_ENV = \
	$(TARGET_CONFIGURE_OPTS) \
	PYTHON3=$(HOST_DIR)/bin/python3 \
	CROSS_COMPILE=$(TARGET_CROSS)

KAMAILIO_MAKE_OPTS = \
	prefix=/usr \
	cfg_prefix=/ \
	ARCH=$(BR2_ARCH) \
	OS=linux \
	include_modules="$(KAMAILIO_MODULES)" \
	skip_modules="" \
	quiet=verbose

define KAMAILIO_CONFIGURE_CMDS
	$(KAMAILIO_MAKE_ENV) $(MAKE) -C $(@D) $(KAMAILIO_MAKE_OPTS) cfg
endef

define KAMAILIO_BUILD_CMDS
	$(KAMAILIO_MAKE_ENV) $(MAKE) -C $(@D) $(KAMAILIO_MAKE_OPTS) all
endef

define KAMAILIO_INSTALL_TARGET_CMDS
	$(KAMAILIO_MAKE_ENV) $(MAKE) -C $(@D) $(KAMAILIO_MAKE_OPTS) \
		basedir=$(TARGET_DIR) install
endef

$(eval $(generic-package))
