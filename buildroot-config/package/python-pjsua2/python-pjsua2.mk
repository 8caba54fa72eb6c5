################################################################################
#
# python-pjsua2
#
################################################################################

# pjsua2 as the venv and the x86-64 image have it (scripts/build-pjsua2): the
# pjproject tree at this commit (2.12.1 as Jami carries it) out of the same
# pinned Debian source tarball, compiled with the same config_site.h and the
# same configure options, which that script prints, so that the call limit
# (PJSUA_MAX_CALLS, CALLS_PER_WORKER of agent/media/pool.py) is one number
# everywhere. The tarball is the very file `make venv` downloads into
# build/pjsua2/download/: copied into $(BR2_DL_DIR)/python-pjsua2/, it saves
# Buildroot the download, and python-pjsua2.hash checks it either way.
#
# Buildroot's libpjsip is not used, neither its source (its pjproject release
# follows Buildroot's, not the one the tests run) nor its shared libraries
# (built with pjproject's default limits): the pj libraries are built here as
# static archives with -fPIC and linked into _pjsua2.so, so that it loads no pj
# library at run time.
PYTHON_PJSUA2_VERSION = 3b78ef1c48732d238ba284cdccb04dc6de79c54f
PYTHON_PJSUA2_SOURCE = ring_20230206.0~ds2.orig.tar.gz
PYTHON_PJSUA2_SITE = http://deb.debian.org/debian/pool/main/r/ring
PYTHON_PJSUA2_LICENSE = GPL-2.0+
PYTHON_PJSUA2_LICENSE_FILES = COPYING
PYTHON_PJSUA2_SUBDIR = pjsip-apps/src/swig/python
PYTHON_PJSUA2_SETUP_TYPE = setuptools

# What scripts/build-pjsua2 takes from Debian's -dev packages
# (debian-packages.txt), from Buildroot's packages instead: Speex and its DSP
# half, GSM, libsrtp 2, OpenSSL (TLS and SRTP's ciphers) and libuuid.
PYTHON_PJSUA2_DEPENDENCIES = host-swig speex speexdsp libgsm libsrtp openssl \
	util-linux

PYTHON_PJSUA2_BUILD_SCRIPT = $(BR2_EXTERNAL_EDGEPBX_PATH)/../scripts/build-pjsua2

# Only the pjproject tree out of Jami's source: it sits six directories down.
PYTHON_PJSUA2_TREE = jami-20230206.0/daemon/contrib/tarballs-unpacked/pjproject-$(PYTHON_PJSUA2_VERSION).tar.gz/pjproject-$(PYTHON_PJSUA2_VERSION)

define PYTHON_PJSUA2_EXTRACT_CMDS
	$(INFLATE.gz) $(PYTHON_PJSUA2_DL_DIR)/$(PYTHON_PJSUA2_SOURCE) | \
		$(TAR) --strip-components=6 -C $(@D) $(TAR_OPTIONS) - \
		$(PYTHON_PJSUA2_TREE)
endef

# setup.py takes setup() from distutils: Python 3.12 has that only through
# setuptools' import hook, and the standard library's distutils refuses the
# setuptools options Buildroot installs with. setuptools' setup() and
# Extension are otherwise the same.
define PYTHON_PJSUA2_SETUP_PY_FROM_SETUPTOOLS
	$(SED) 's/^from distutils.core import /from setuptools import /' \
		$(@D)/$(PYTHON_PJSUA2_SUBDIR)/setup.py
endef
PYTHON_PJSUA2_POST_PATCH_HOOKS += PYTHON_PJSUA2_SETUP_PY_FROM_SETUPTOOLS

# The limits, then pjproject's own configure with the venv's options and what
# a cross build needs besides: the target, static libraries only, and
# OpenSSL's place (cross-compiling, pjproject's configure leaves TLS out
# unless told where OpenSSL is). pjproject compiles its C++ with CFLAGS too,
# so -fPIC reaches every object.
define PYTHON_PJSUA2_CONFIGURE_CMDS
	$(PYTHON_PJSUA2_BUILD_SCRIPT) --config-site \
		>$(@D)/pjlib/include/pj/config_site.h
	cd $(@D) && $(TARGET_CONFIGURE_OPTS) CFLAGS="$(TARGET_CFLAGS) -fPIC" \
		./configure \
		--host=$(GNU_TARGET_NAME) --build=$(GNU_HOST_NAME) \
		--prefix=/usr --disable-shared \
		--with-ssl=$(STAGING_DIR)/usr \
		$$($(PYTHON_PJSUA2_BUILD_SCRIPT) --configure-options)
endef

# The static libraries (not pjproject's sample and test programs), then the
# SWIG wrapper with thread support as scripts/build-pjsua2 builds it (a
# player's callback comes from pjsua's clock thread); the Python build that follows (setup.py) reads the libraries'
# names and flags from the tree's build.mak. The Makefile runs `swig`, which
# Buildroot's PATH finds in $(HOST_DIR)/bin first.
define PYTHON_PJSUA2_BUILD_LIBRARIES
	$(TARGET_MAKE_ENV) $(MAKE1) -C $(@D) dep
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) lib
	$(TARGET_MAKE_ENV) $(MAKE1) -C $(@D)/$(PYTHON_PJSUA2_SUBDIR) \
		USE_THREADS="$$($(PYTHON_PJSUA2_BUILD_SCRIPT) --swig-threads)" \
		pjsua2_wrap.cpp
endef
PYTHON_PJSUA2_PRE_BUILD_HOOKS += PYTHON_PJSUA2_BUILD_LIBRARIES

$(eval $(python-package))
