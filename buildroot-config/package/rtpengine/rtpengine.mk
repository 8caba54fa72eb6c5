################################################################################
#
# rtpengine
#
################################################################################

# The series Debian 12 ships (rtpengine-daemon 10.5).
RTPENGINE_VERSION = mr10.5.3.5
RTPENGINE_SITE = $(call github,sipwise,rtpengine,$(RTPENGINE_VERSION))
RTPENGINE_LICENSE = GPL-3.0
RTPENGINE_LICENSE_FILES = LICENSE
RTPENGINE_DEPENDENCIES = host-pkgconf host-gperf libglib2 openssl libevent \
	pcre2 json-glib libcurl libpcap hiredis libwebsockets spandsp opus

# Only the daemon: no kernel module (userspace forwarding), no recording
# daemon, and no ffmpeg-based transcoding.
RTPENGINE_MAKE_ENV = \
	$(TARGET_CONFIGURE_OPTS) \
	PKG_CONFIG=$(PKG_CONFIG_HOST_BINARY) \
	with_transcoding=no \
	with_iptables_option=no \
	RTPENGINE_VERSION=$(RTPENGINE_VERSION)

define RTPENGINE_BUILD_CMDS
	$(RTPENGINE_MAKE_ENV) $(MAKE) -C $(@D)/daemon
endef

define RTPENGINE_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/daemon/rtpengine $(TARGET_DIR)/usr/bin/rtpengine
endef

$(eval $(generic-package))
