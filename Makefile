# pinmail — build, test and demo. `make` builds build/pinmail (static, musl).
# See README.md. Third-party source is fetched from Debian at build time.

B        := build
TP       := $(B)/third_party
NPROC    := $(shell nproc 2>/dev/null || echo 2)

# BearSSL from Debian's source package; the tarball must match this SHA-256.
BEARSSL_ORIG   := bearssl_0.6+dfsg.1.orig.tar.xz
BEARSSL_SHA256 := 102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004
BEARSSL_DIR    := $(TP)/bearssl-0.6
BEARSSL_VERSION := 0.6+dfsg.1 (Debian source package)
# No BearSSL-internal clock: time reaches the X.509 code only through the
# port, so "no trustworthy clock" is the same decision on every target.
BEARSSL_DEFS   := -DBR_USE_UNIX_TIME=0

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -Wformat=2 \
            $(if $(WERROR),-Werror)
INC      := -Isrc -Iport/posix -I$(BEARSSL_DIR)/inc
# A clock earlier than the last commit is not believed (see main.c).
BUILD_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
DEFS     := -DPM_BUILD_EPOCH=$(BUILD_EPOCH) -DPM_BEARSSL_VERSION='"$(BEARSSL_VERSION)"'

# Flavours: "musl" is the shipped static binary; "host" is glibc gcc with
# sanitizers for unit tests.
musl_CC      := musl-gcc
musl_CFLAGS  := -std=c99 -Oz -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
# Static and small: no page-aligned gap between code and read-only data,
# no RELRO (musl's static start-up never applies it), no .comment.
musl_LDFLAGS := -static -Wl,--gc-sections -s -Wl,-z,noseparate-code -Wl,-z,norelro \
                -Wl,-z,common-page-size=64
host_CC      := gcc
host_CFLAGS  := -std=c99 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
host_LDFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
musl_BRFLAGS := -Oz -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
host_BRFLAGS := -O2 -g

SRC_C    := $(wildcard src/*.c)
PORT_C   := $(wildcard port/posix/*.c)
UNIT_C   := $(wildcard tests/unit/test_*.c)

musl_OBJ := $(SRC_C:%.c=$(B)/musl/%.o) $(PORT_C:%.c=$(B)/musl/%.o)
# Unit tests link the core and the port's pure parsers.
host_CORE := $(SRC_C:%.c=$(B)/host/%.o) $(B)/host/port/posix/pm_args.o
UNIT_BIN := $(UNIT_C:tests/unit/%.c=$(B)/host/tests/%)

.PHONY: all size bench check unit e2e demo certs setup setup-test check-alloc \
        check-freestanding check-sanitize clean distclean
.DELETE_ON_ERROR:
# Objects are intermediate to the pattern rules; keep them for rebuilds.
.SECONDARY:

all: $(B)/pinmail $(B)/sendmail

setup:
	@.ci/setup build
setup-test:
	@.ci/setup test

# --- BearSSL from Debian's source package ---------------------------------
$(TP)/$(BEARSSL_ORIG):
	@.ci/setup build
	mkdir -p $(TP)
	cd $(TP) && apt-get source --download-only bearssl >/dev/null 2>apt-source.log || \
	  { cat apt-source.log >&2; exit 1; }
	@test -f $@ || { echo "no $(BEARSSL_ORIG) after apt-get source" >&2; exit 1; }

$(BEARSSL_DIR)/.unpacked: $(TP)/$(BEARSSL_ORIG)
	@echo "$(BEARSSL_SHA256)  $<" | sha256sum -c --quiet - || \
	  { echo "$<: SHA-256 differs from the value in the Makefile; refusing to build" >&2; exit 1; }
	rm -rf $(BEARSSL_DIR) && tar -C $(TP) -xJf $<
	touch $@

# One archive per flavour; the linker takes only what the profile references.
$(B)/%/libbearssl.a: $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(B)/$*/bearssl
	@echo "  BEARSSL $*"
	@cd $(BEARSSL_DIR)/src && find . -name '*.c' | sed 's|^\./||' | \
	  xargs -P $(NPROC) -I{} sh -c 'o=$(CURDIR)/$(B)/$*/bearssl/$$(echo {} | tr / _ | sed s/\\.c$$/.o/); \
	    $($*_CC) $($*_BRFLAGS) $(BEARSSL_DEFS) -w -I../inc -I. -c {} -o $$o' 
	@rm -f $@ && ar rcs $@ $(B)/$*/bearssl/*.o

# --- pinmail ---------------------------------------------------------------
$(B)/musl/%.o: %.c $(wildcard src/*.h port/posix/*.h) $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(musl_CC) $(musl_CFLAGS) $(WARN) $(DEFS) $(INC) -c $< -o $@

$(B)/host/%.o: %.c $(wildcard src/*.h port/posix/*.h tests/unit/*.h) $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(@D)
	@$(host_CC) $(host_CFLAGS) $(WARN) $(DEFS) $(INC) -Itests/unit -c $< -o $@

$(B)/pinmail: $(musl_OBJ) $(B)/musl/libbearssl.a
	@echo "  LD      $@"
	@$(musl_CC) $(musl_LDFLAGS) -o $@ $(musl_OBJ) $(B)/musl/libbearssl.a
	@objcopy -R .comment $@

$(B)/sendmail: $(B)/pinmail
	ln -sf pinmail $@

size: $(B)/pinmail
	@size $(B)/pinmail
	@printf 'build/pinmail: %s bytes on disk (static, stripped)\n' "$$(stat -c %s $(B)/pinmail)"

# pinmail against msmtp on the same private Postfix (bench/README.md): one
# table of medians, also in build/bench/table.md. Reported, never asserted.
bench: all certs $(B)/tools/peakrss
	@.ci/setup test
	bench/run

# --- tests -----------------------------------------------------------------
$(B)/host/tests/%: $(B)/host/tests/unit/%.o $(host_CORE) $(B)/host/libbearssl.a
	@mkdir -p $(@D)
	@$(host_CC) $(host_LDFLAGS) -o $@ $^

certs: $(B)/certs/.done
$(B)/certs/.done: certs/gen.sh certs/tlsa
	@.ci/setup test
	certs/gen.sh $(B)/certs
	touch $@

unit: $(UNIT_BIN) certs

# The same binary built "in 2100": its clock is never trustworthy, which
# is how the tests see what pinmail does without one (no Date: added,
# DANE-TA refused). A static binary cannot be fooled by libfaketime.
FUTURE_EPOCH := 4102444800
$(B)/future/pinmail: $(filter-out $(B)/musl/port/posix/main.o,$(musl_OBJ)) $(B)/musl/libbearssl.a port/posix/main.c
	@mkdir -p $(@D)
	@$(musl_CC) $(musl_CFLAGS) $(WARN) $(filter-out -DPM_BUILD_EPOCH=%,$(DEFS)) \
	  -DPM_BUILD_EPOCH=$(FUTURE_EPOCH) $(INC) -c port/posix/main.c -o $(B)/future/main.o
	@$(musl_CC) $(musl_LDFLAGS) -o $@ $(B)/future/main.o \
	  $(filter-out $(B)/musl/port/posix/main.o,$(musl_OBJ)) $(B)/musl/libbearssl.a

# --- the same code under ASan+UBSan and under valgrind memcheck ------------
# build/asan/pinmail: glibc gcc with sanitizers (any finding aborts it).
# build/vg/: no sanitizers, for memcheck; build/vg/pinmail runs the static
# binary under valgrind (any finding: exit 99).
vg_CC     := gcc
vg_CFLAGS := -std=c99 -O1 -g
VG_CORE   := $(SRC_C:%.c=$(B)/vg/%.o) $(B)/vg/port/posix/pm_args.o
VG_UNIT   := $(UNIT_C:tests/unit/%.c=$(B)/vg/tests/%)

$(B)/asan/pinmail: $(SRC_C:%.c=$(B)/host/%.o) $(PORT_C:%.c=$(B)/host/%.o) $(B)/host/libbearssl.a
	@mkdir -p $(@D)
	@$(host_CC) $(host_LDFLAGS) -o $@ $^

$(B)/vg/%.o: %.c $(wildcard src/*.h port/posix/*.h tests/unit/*.h) $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(@D)
	@$(vg_CC) $(vg_CFLAGS) $(WARN) $(DEFS) $(INC) -Itests/unit -c $< -o $@

$(B)/vg/tests/%: $(B)/vg/tests/unit/%.o $(VG_CORE) $(B)/host/libbearssl.a
	@$(vg_CC) -o $@ $^

$(B)/vg/pinmail: $(B)/pinmail
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 "%s" "$$@"\n' "$(CURDIR)/$(B)/pinmail" >$@
	@chmod +x $@

check-sanitize: all certs $(B)/asan/pinmail $(VG_UNIT) $(B)/vg/pinmail $(B)/future/pinmail
	@.ci/setup test
	tests/run sanitize

# Test tools, plain host builds.
$(B)/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	@$(host_CC) -std=c99 -O1 $(WARN) -o $@ $<

check: all unit certs $(B)/tools/peakrss $(B)/future/pinmail $(B)/asan/pinmail \
       $(VG_UNIT) $(B)/vg/pinmail
	@.ci/setup test
	tests/run

# No allocator in the core or the port: nothing may even reference one.
check-alloc: $(musl_OBJ)
	@bad=$$(for o in $^; do nm -u $$o | grep -qwE 'malloc|calloc|realloc|free|strdup|strndup|_sbrk' && echo $$o; done); \
	  if [ -n "$$bad" ]; then echo "allocator referenced by: $$bad" >&2; exit 1; fi; \
	  echo "check-alloc: $(words $^) objects, none references an allocator"

# The core must build freestanding for a Cortex-M.
check-freestanding: $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(B)/arm
	@for f in $(SRC_C); do \
	  arm-none-eabi-gcc -std=c99 -mcpu=cortex-m3 -mthumb -Os -ffreestanding $(WARN) -Werror \
	    -Isrc -I$(BEARSSL_DIR)/inc -c $$f -o $(B)/arm/$$(basename $$f .c).o || exit 1; done; \
	  echo "check-freestanding: $(words $(SRC_C)) files of src/ build for arm-none-eabi -ffreestanding"

demo: all certs
	@.ci/setup test
	tests/demo

clean: clean-firmware
	rm -rf $(B)/musl $(B)/host $(B)/vg $(B)/asan $(B)/future $(B)/tools $(B)/pinmail \
	  $(B)/sendmail $(B)/certs $(B)/arm
distclean:
	rm -rf $(B)

include mk/install.mk
include mk/firmware.mk
include mk/cross.mk
include mk/fuzz.mk
