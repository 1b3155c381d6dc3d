################################################################################
#
# pinmail
#
# For a Buildroot external tree (BR2_EXTERNAL); written against Buildroot's
# generic-package conventions, not built by this repository's tests. An
# external tree named PINMAIL whose root is this directory needs, beside
# these two files, an external.desc ("name: PINMAIL") and an external.mk
# ("include $(BR2_EXTERNAL_PINMAIL_PATH)/pinmail.mk"), then:
#   make BR2_EXTERNAL=/path/to/pinmail/boards/buildroot menuconfig
# (External options -> pinmail). From another external tree, source this
# Config.in and include this file, and set PINMAIL_TREE.
#
# What is downloaded is BearSSL 0.6, the same Debian source tarball the
# top-level Makefile pins, checked against the same SHA-256; pinmail's own
# sources are copied from the checkout (PINMAIL_TREE) after extraction, so
# after editing them run "make pinmail-dirclean". The build is the
# top-level Makefile's, with Buildroot's toolchain and flags; with a
# static glibc or musl toolchain (BR2_STATIC_LIBS) the binary is static.
#
################################################################################

PINMAIL_VERSION = 0.1
PINMAIL_TREE ?= $(BR2_EXTERNAL_PINMAIL_PATH)/../..
PINMAIL_SOURCE = bearssl_0.6+dfsg.1.orig.tar.xz
PINMAIL_SITE = https://deb.debian.org/debian/pool/main/b/bearssl
PINMAIL_BEARSSL_SHA256 = 102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004
PINMAIL_BEARSSL_DIR = bearssl-0.6
# Keep BearSSL in its own directory: pinmail's src/ goes beside it.
PINMAIL_STRIP_COMPONENTS = 0
PINMAIL_LICENSE = MIT (BearSSL)
PINMAIL_LICENSE_FILES = $(PINMAIL_BEARSSL_DIR)/LICENSE.txt
# Installed after busybox, so the sendmail link replaces its applet.
PINMAIL_DEPENDENCIES = $(if $(BR2_PACKAGE_BUSYBOX),busybox)

# The project's rule: no third-party source without its recorded SHA-256
# (this works without a pinmail.hash file).
define PINMAIL_CHECK_BEARSSL
	echo "$(PINMAIL_BEARSSL_SHA256)  $(PINMAIL_DL_DIR)/$(PINMAIL_SOURCE)" | \
		sha256sum -c --quiet -
endef
PINMAIL_POST_DOWNLOAD_HOOKS += PINMAIL_CHECK_BEARSSL

define PINMAIL_COPY_SOURCES
	rm -rf $(@D)/src $(@D)/port
	cp -R $(PINMAIL_TREE)/src $(PINMAIL_TREE)/port $(@D)/
endef
PINMAIL_POST_EXTRACT_HOOKS += PINMAIL_COPY_SOURCES

PINMAIL_CFLAGS = $(TARGET_CFLAGS) -std=c99 -ffunction-sections -fdata-sections \
	-Isrc -Iport/posix -I$(PINMAIL_BEARSSL_DIR)/inc \
	-DPM_BUILD_EPOCH=$(SOURCE_DATE_EPOCH) \
	-DPM_BEARSSL_VERSION='"0.6+dfsg.1 (Debian source package)"'

define PINMAIL_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D)/$(PINMAIL_BEARSSL_DIR) lib \
		CC="$(TARGET_CC)" AR="$(TARGET_AR)" \
		CFLAGS="$(TARGET_CFLAGS) -DBR_USE_UNIX_TIME=0 -ffunction-sections -fdata-sections"
	cd $(@D) && $(TARGET_CC) $(PINMAIL_CFLAGS) -o pinmail src/*.c port/posix/*.c \
		$(PINMAIL_BEARSSL_DIR)/build/libbearssl.a $(TARGET_LDFLAGS) -Wl,--gc-sections
endef

ifeq ($(BR2_PACKAGE_PINMAIL_SENDMAIL),y)
define PINMAIL_INSTALL_LINKS
	mkdir -p $(TARGET_DIR)/usr/bin
	ln -sf pinmail $(TARGET_DIR)/usr/sbin/sendmail
	ln -sf ../sbin/pinmail $(TARGET_DIR)/usr/bin/mailq
	ln -sf ../sbin/pinmail $(TARGET_DIR)/usr/bin/newaliases
endef
endif

define PINMAIL_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/pinmail $(TARGET_DIR)/usr/sbin/pinmail
	$(INSTALL) -D -m 0600 $(@D)/port/posix/pinmail.conf.example \
		$(TARGET_DIR)/etc/pinmail.conf
	$(PINMAIL_INSTALL_LINKS)
endef

$(eval $(generic-package))
