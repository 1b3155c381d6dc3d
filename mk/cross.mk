# mk/cross.mk — router builds: the Linux binary as a static executable for
# MIPS, ARM and AArch64 with Debian's cross compilers, BearSSL built per
# target from the same checksum-checked source package.
# Included by the Makefile after its own variables (B, SRC_C, PORT_C, WARN,
# DEFS, INC, musl_CFLAGS, musl_BRFLAGS, BEARSSL_DIR, the $(B)/%/libbearssl.a
# rule); until then: make -f Makefile -f mk/cross.mk ...
#
#   make TARGET=mipsel-linux     -> build/mipsel-linux/pinmail
#        (mips-linux, armhf-linux, aarch64-linux, x86_64-linux likewise)
#   make cross                   every target
#   make sizes                   the table of stripped sizes per target
#   tests/e2e/test_cross.sh      runs each under qemu-user against Postfix
#
# The cross targets link glibc statically. That is only sound because
# pinmail resolves names itself (port/posix/pm_resolv.c): nothing calls
# getaddrinfo, getpwnam or anything else that needs NSS modules at run time.
# x86_64-linux is the shipped musl build. Debian's cross toolchains target
# MIPS32r2 (o32, hard float: router kernels emulate the FPU; pinmail does
# no floating point), ARMv7-A hard float (Cortex-A routers; not ARMv5/v6)
# and ARMv8-A.

CROSS_TARGETS := mipsel-linux mips-linux armhf-linux aarch64-linux x86_64-linux

mipsel-linux_CC    := mipsel-linux-gnu-gcc
mipsel-linux_QEMU  := qemu-mipsel-static
mips-linux_CC      := mips-linux-gnu-gcc
mips-linux_QEMU    := qemu-mips-static
armhf-linux_CC     := arm-linux-gnueabihf-gcc
armhf-linux_QEMU   := qemu-arm-static
aarch64-linux_CC   := aarch64-linux-gnu-gcc
aarch64-linux_QEMU := qemu-aarch64-static
x86_64-linux_CC    := musl-gcc
x86_64-linux_QEMU  :=
$(foreach t,$(CROSS_TARGETS),$(eval $(t)_BRFLAGS := $$(musl_BRFLAGS)))

CROSS_CFLAGS  := $(musl_CFLAGS)
CROSS_LDFLAGS := -static -Wl,--gc-sections -s
CROSS_BINS    := $(CROSS_TARGETS:%=$(B)/%/pinmail)
CROSS_RESOLVE := $(CROSS_TARGETS:%=$(B)/%/resolve)

.PHONY: cross sizes clean-cross

ifneq ($(TARGET),)
ifeq ($(filter $(TARGET),$(CROSS_TARGETS)),)
$(error TARGET=$(TARGET) is not one of: $(CROSS_TARGETS))
endif
.DEFAULT_GOAL := $(B)/$(TARGET)/pinmail
endif

cross: $(CROSS_BINS)

# The toolchains are Debian packages that .ci/setup test installs; it runs
# only when one is missing, and a compiler still missing after it stops the
# build with one clear line rather than a "command not found" per file.
CROSS_CCS := $(foreach t,$(CROSS_TARGETS),$($(t)_CC))
$(B)/.cross-tools:
	@for cc in $(CROSS_CCS); do command -v $$cc >/dev/null || { .ci/setup test; break; }; done
	@for cc in $(CROSS_CCS); do \
	  command -v $$cc >/dev/null || { echo "cross: $$cc not found (.ci/setup test installs it)" >&2; exit 1; }; done
	@mkdir -p $(@D) && touch $@

define CROSS_TARGET_RULES
$(1)_OBJ := $$(SRC_C:%.c=$$(B)/$(1)/%.o) $$(PORT_C:%.c=$$(B)/$(1)/%.o)

$$(B)/$(1)/%.o: %.c $$(wildcard src/*.h port/posix/*.h) $$(BEARSSL_DIR)/.unpacked | $$(B)/.cross-tools
	@mkdir -p $$(@D)
	@echo "  CC      [$(1)] $$<"
	@$$($(1)_CC) $$(CROSS_CFLAGS) $$(WARN) $$(DEFS) $$(INC) -c $$< -o $$@

$$(B)/$(1)/libbearssl.a: | $$(B)/.cross-tools

$$(B)/$(1)/pinmail: $$($(1)_OBJ) $$(B)/$(1)/libbearssl.a
	@echo "  LD      $$@"
	@$$($(1)_CC) $$(CROSS_LDFLAGS) -o $$@ $$($(1)_OBJ) $$(B)/$(1)/libbearssl.a

# The resolver test driver, for the same target (tests/e2e/test_cross.sh).
$$(B)/$(1)/resolve: $$(B)/$(1)/tests/tools/resolve.o $$(B)/$(1)/port/posix/pm_resolv.o \
    $$(B)/$(1)/src/pm_dns.o
	@$$($(1)_CC) $$(CROSS_LDFLAGS) -o $$@ $$^
endef
$(foreach t,$(CROSS_TARGETS),$(eval $(call CROSS_TARGET_RULES,$(t))))

# The driver on the host, with ASan and UBSan (tests/e2e/test_resolver.sh).
$(B)/tools/resolve: $(B)/host/tests/tools/resolve.o $(B)/host/port/posix/pm_resolv.o \
    $(B)/host/src/pm_dns.o
	@mkdir -p $(@D)
	@$(host_CC) $(host_LDFLAGS) -o $@ $^

# file: bytes on disk (static, stripped); text/data/bss as size(1) says.
sizes: $(CROSS_BINS)
	@printf '%-14s %-12s %9s %9s %6s %7s\n' target libc file text data bss
	@for tc in $(foreach t,$(CROSS_TARGETS),$(t):$($(t)_CC)); do \
	  t=$${tc%%:*}; cc=$${tc#*:}; \
	  case $$cc in \
	  musl-gcc) sz=size; libc="musl $$(dpkg-query -W -f='$${Version}' musl-dev 2>/dev/null | sed 's/-.*//')" ;; \
	  *) sz=$${cc%gcc}size; \
	     libc="glibc $$(echo '#include <features.h>' | $$cc -dM -E - | \
	       awk '/define __GLIBC__ /{a=$$3} /define __GLIBC_MINOR__ /{b=$$3} END{print a"."b}')" ;; \
	  esac; \
	  set -- $$($$sz $(B)/$$t/pinmail | tail -n 1); \
	  printf '%-14s %-12s %9s %9s %6s %7s\n' $$t "$$libc" \
	    "$$(stat -c %s $(B)/$$t/pinmail)" $$1 $$2 $$3; \
	done

check: $(CROSS_BINS) $(CROSS_RESOLVE) $(B)/tools/resolve

clean: clean-cross
clean-cross:
	rm -rf $(CROSS_TARGETS:%=$(B)/%) $(B)/tools/resolve $(B)/.cross-tools
