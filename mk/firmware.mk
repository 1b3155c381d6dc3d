# mk/firmware.mk — pinmail firmware for a microcontroller board: the same
# src/ core, driven by port/lwip/ over lwIP, with a board from boards/.
# Included by the Makefile after its own variables (B, TP, BEARSSL_DIR,
# BEARSSL_DEFS, WARN); until then: make -f Makefile -f mk/firmware.mk ...
#
#   make firmware BOARD=lm3s6965evb PINMAIL_HOST=mail.example.org \
#        PINMAIL_TLSA='3 1 1 HEX' PINMAIL_USER=... PINMAIL_PASSWORD=... \
#        PINMAIL_FROM=dev@example.org PINMAIL_TO=ops@example.org
#        -> build/lm3s6965evb/pinmail.elf  (boards/fwconfig.sh lists every
#           PINMAIL_* variable; without PINMAIL_HOST the last configuration
#           is kept)
#   make run-firmware BOARD=lm3s6965evb PINMAIL_FWD=127.0.0.1:PORT
#        runs it in QEMU; succeeds when the message was delivered (QEMU's
#        exit status, the firmware's, is also left in $(FW)/run.status)
#   make size-firmware BOARD=lm3s6965evb   (make size BOARD=... too)
#        flash, static RAM and where the RAM goes
#   make port-sizes (port-size-riscv32, port-size-xtensa-lx106)
#        the portable part (src/, port/lwip, BearSSL) for other cores
#   tests/e2e/test_firmware.sh does all of it against the real Postfix
#
# lwIP and BearSSL come from Debian's source packages, checksum-checked,
# unpacked under build/third_party and never committed.

FW_BOARD_GIVEN := $(filter command line environment,$(origin BOARD))
BOARD    ?= lm3s6965evb
# FW: the configured build (objects, configuration, ELF); FW_LIB: lwIP and
# BearSSL for the board, which no configuration changes. Tests build their
# configurations in FW directories of their own, sharing FW_LIB.
FW       ?= $(B)/$(BOARD)
FW_LIB   := $(B)/$(BOARD)

LWIP_ORIG    := lwip_2.1.3+dfsg1.orig.tar.xz
LWIP_SHA256  := 0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24
LWIP_DIR     := $(TP)/lwip-2.1.3
# The raw-API core, IPv4, DHCP, DNS, ARP and the ethernet layer; the
# linker keeps only what is used.
LWIP_FILES   := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c \
  core/mem.c core/memp.c core/netif.c core/pbuf.c core/stats.c core/sys.c \
  core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
  core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
  core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c netif/ethernet.c

include boards/$(BOARD)/board.mk

FW_CC    := $(FW_CROSS)gcc
FW_AR    := $(FW_CROSS)ar
FW_SIZE  := $(FW_CROSS)size
FW_NM    := $(FW_CROSS)nm
FW_OPT   := -Os -g -ffunction-sections -fdata-sections -fno-common
FW_INC   := -Isrc -Iport/lwip -Iboards/$(BOARD) -I$(LWIP_DIR)/src/include \
            -I$(BEARSSL_DIR)/inc -I$(FW)/gen
FW_DEFS  := -DPM_USER_OPTS='"pm_board_opts.h"' \
            $(if $(PINMAIL_TLS_IBUF),-DPM_TLS_IBUF_SIZE=$(PINMAIL_TLS_IBUF))
FW_CFLAGS = $(FW_ARCH) -std=c99 $(FW_OPT) -ffreestanding $(FW_DEFS) $(FW_INC)
# BearSSL freestanding: no OS entropy or clock source at all; the port
# injects entropy and the core passes time.
FW_BRFLAGS = $(FW_ARCH) $(FW_OPT) $(BEARSSL_DEFS) -DBR_USE_URANDOM=0 \
            -DBR_USE_GETENTROPY=0 -DBR_RDRAND=0 -DBR_USE_WIN32_RAND=0 \
            -DBR_USE_WIN32_TIME=0 $(FW_BRDEFS)

FW_SRCS  := $(wildcard src/*.c) $(wildcard port/lwip/*.c) \
            $(FW_BOARD_C:%=boards/$(BOARD)/%)
FW_OBJS  := $(FW_SRCS:%.c=$(FW)/obj/%.o)
FW_CONFIG_OBJS := $(FW_CONFIG_C:%.c=$(FW)/obj/boards/$(BOARD)/%.o)
FW_ELF   := $(FW)/pinmail.elf

PINMAIL_ENTROPY ?= /dev/urandom
# The configuration variables (boards/fwconfig.sh says what each means).
FW_VARS  := PINMAIL_HOST PINMAIL_ADDR PINMAIL_PORT PINMAIL_TLSA PINMAIL_USER \
            PINMAIL_PASSWORD PINMAIL_FROM PINMAIL_TO PINMAIL_HELO \
            PINMAIL_SUBJECT PINMAIL_BODY PINMAIL_IP PINMAIL_NETMASK PINMAIL_GW \
            PINMAIL_CLOCK PINMAIL_TIMEOUT PINMAIL_TRACE PINMAIL_SENDS

.PHONY: firmware run-firmware size-firmware port-sizes clean-firmware fw-tools FORCE
FORCE:

# The cross compiler and QEMU come from Debian's packages (.ci/setup).
fw-tools:
	@command -v $(FW_CC) >/dev/null && command -v qemu-system-arm >/dev/null || .ci/setup test

firmware: $(FW_ELF)
	@$(FW_SIZE) $(FW_ELF)

# --- lwIP from Debian's source package ------------------------------------
$(TP)/$(LWIP_ORIG):
	@.ci/setup test
	mkdir -p $(TP)
	cd $(TP) && apt-get source --download-only lwip >/dev/null 2>apt-source-lwip.log || \
	  { cat apt-source-lwip.log >&2; exit 1; }
	@test -f $@ || { echo "no $(LWIP_ORIG) after apt-get source" >&2; exit 1; }

$(LWIP_DIR)/.unpacked: $(TP)/$(LWIP_ORIG)
	@echo "$(LWIP_SHA256)  $<" | sha256sum -c --quiet - || \
	  { echo "$<: SHA-256 differs from the value in mk/firmware.mk; refusing to build" >&2; exit 1; }
	rm -rf $(LWIP_DIR) && tar -C $(TP) -xJf $<
	touch $@

# --- build flags: what was built with them rebuilds when they change ------
$(FW)/gen/flags: FORCE
	@mkdir -p $(@D)
	@echo '$(FW_CFLAGS) $(WARN)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(FW_LIB)/libflags: FORCE
	@mkdir -p $(@D)
	@echo '$(FW_BRFLAGS)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

# The configuration (PINMAIL_*), rewritten only when it changes. Without
# PINMAIL_HOST an existing one is kept, so run-firmware runs what was built.
# Each value reaches boards/fwconfig.sh as a file written by make itself
# ($(value ...): no expansion, no shell quoting), so passwords may hold
# quotes, backslashes or dollars. The files are removed once read.
$(FW)/gen/pinmail_config.h: FORCE boards/fwconfig.sh
	@: $(shell mkdir -p $(FW)/gen && mkdir -p -m 700 $(FW)/gen/vars) \
	  $(foreach v,$(FW_VARS),$(file >$(FW)/gen/vars/$(v),$(value $(v))))
	@if [ -z "$$(cat $(FW)/gen/vars/PINMAIL_HOST)" ] && [ -f $@ ]; then rm -rf $(FW)/gen/vars; \
	  else BOARD=$(BOARD) boards/fwconfig.sh $@ $(FW)/gen/vars; fi

# --- third-party libraries for the board ----------------------------------
$(FW_LIB)/liblwip.a: $(LWIP_DIR)/.unpacked $(FW_LIB)/libflags boards/$(BOARD)/lwipopts.h \
                 $(wildcard port/lwip/arch/*.h) | fw-tools
	@mkdir -p $(FW_LIB)/lwip
	@echo "  LWIP    $(BOARD)"
	@rm -f $(FW_LIB)/lwip/*.o
	@cd $(LWIP_DIR)/src && echo $(LWIP_FILES) | tr ' ' '\n' | \
	  xargs -P $(NPROC) -I{} sh -c 'o=$(CURDIR)/$(FW_LIB)/lwip/$$(echo {} | tr / _ | sed s/\\.c$$/.o/); \
	    $(FW_CC) $(FW_ARCH) -std=gnu99 $(FW_OPT) -w -I$(CURDIR)/boards/$(BOARD) \
	      -I$(CURDIR)/port/lwip -Iinclude -c {} -o $$o' || exit 1
	@rm -f $@ && $(FW_AR) rcs $@ $(FW_LIB)/lwip/*.o

$(FW_LIB)/libbearssl.a: $(BEARSSL_DIR)/.unpacked $(FW_LIB)/libflags | fw-tools
	@mkdir -p $(FW_LIB)/bearssl
	@echo "  BEARSSL $(BOARD)"
	@rm -f $(FW_LIB)/bearssl/*.o
	@cd $(BEARSSL_DIR)/src && find . -name '*.c' | sed 's|^\./||' | \
	  xargs -P $(NPROC) -I{} sh -c 'o=$(CURDIR)/$(FW_LIB)/bearssl/$$(echo {} | tr / _ | sed s/\\.c$$/.o/); \
	    $(FW_CC) $(FW_BRFLAGS) -w -I../inc -I. -c {} -o $$o' || exit 1
	@rm -f $@ && $(FW_AR) rcs $@ $(FW_LIB)/bearssl/*.o

# --- pinmail: core, port, board ------------------------------------------
$(FW)/obj/%.o: %.c $(FW)/gen/flags | $(LWIP_DIR)/.unpacked $(BEARSSL_DIR)/.unpacked fw-tools
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(FW_CC) $(FW_CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(FW_CONFIG_OBJS): $(FW)/gen/pinmail_config.h

-include $(FW_OBJS:%.o=%.d)

$(FW_ELF): $(FW_OBJS) $(FW_LIB)/liblwip.a $(FW_LIB)/libbearssl.a boards/$(BOARD)/board.mk
	@echo "  LD      $@"
	@$(FW_CC) $(FW_ARCH) $(FW_LDFLAGS) -Wl,--gc-sections -Wl,-Map=$(FW)/pinmail.map \
	  -o $@ $(FW_OBJS) $(FW_LIB)/liblwip.a $(FW_LIB)/libbearssl.a

# --- run in QEMU ----------------------------------------------------------
# PINMAIL_FWD=none forwards nothing: the guest then reaches no one at all.
run-firmware: $(FW_ELF)
	@[ -n "$(PINMAIL_FWD)" ] || { echo "run-firmware: set PINMAIL_FWD=127.0.0.1:PORT (the server as the host reaches it), or none" >&2; exit 64; }
	@. $(FW)/gen/run.env; nic=user,restrict=on; \
	  if [ "$(PINMAIL_FWD)" = none ]; then :; \
	  elif [ -z "$$addr" ]; then echo "run-firmware: PINMAIL_HOST is a name and PINMAIL_ADDR is not set: nothing to forward (and QEMU offers no DNS with restrict=on); set PINMAIL_ADDR=10.0.2.100" >&2; \
	  else nic="$$nic,guestfwd=tcp:$$addr:$$port-cmd:socat - TCP:$(PINMAIL_FWD)"; fi; \
	  $(FW_QEMU) $(QEMU_EXTRA) -nic "$$nic"; \
	  st=$$?; echo $$st >$(FW)/run.status; exit $$st

# --- the portable part on other cores --------------------------------------
# src/, port/lwip and BearSSL built for RISC-V (rv32imac) and the ESP8266's
# Xtensa lx106 with Debian's cross compilers and picolibc's headers, then
# linked from the firmware API's entry points (unresolved lwIP and libc
# symbols ignored) to print the code a firmware on that core would carry.
# The board's options (pm_board_opts.h, lwipopts.h) are reused.
FW_XTARGETS := riscv32 xtensa-lx106
riscv32_XCROSS      := riscv64-unknown-elf-
riscv32_XARCH       := -march=rv32imac -mabi=ilp32
riscv32_XSPECS      := --specs=picolibc.specs
riscv32_XBR         :=
xtensa-lx106_XCROSS := xtensa-lx106-elf-
xtensa-lx106_XARCH  := -mlongcalls
xtensa-lx106_XSPECS := --specs=$(firstword $(wildcard /usr/lib/xtensa-lx106-elf/picolibc.specs) picolibc.specs)
# lx106 has no 32x32->64 multiply instruction.
xtensa-lx106_XBR    := -DBR_LOMUL=1
FW_XROOTS := pm_client_start pm_client_poll pm_client_result pm_client_strerror \
             pm_client_phase_name pm_lwip_port pm_lwip_init pm_lwip_rand
FW_XSRCS  := $(wildcard src/*.c) $(wildcard port/lwip/*.c)

$(B)/port-%/libbearssl.a: $(BEARSSL_DIR)/.unpacked
	@mkdir -p $(@D)/bearssl
	@echo "  BEARSSL $*"
	@rm -f $(@D)/bearssl/*.o
	@cd $(BEARSSL_DIR)/src && find . -name '*.c' | sed 's|^\./||' | \
	  xargs -P $(NPROC) -I{} sh -c 'o=$(CURDIR)/$(@D)/bearssl/$$(echo {} | tr / _ | sed s/\\.c$$/.o/); \
	    $($*_XCROSS)gcc $($*_XARCH) $($*_XSPECS) $(FW_OPT) $(BEARSSL_DEFS) -DBR_USE_URANDOM=0 \
	      -DBR_USE_GETENTROPY=0 -DBR_RDRAND=0 $($*_XBR) -w -I../inc -I. -c {} -o $$o' || exit 1
	@rm -f $@ && $($*_XCROSS)ar rcs $@ $(@D)/bearssl/*.o

$(B)/port-%/core.elf: $(FW_XSRCS) $(B)/port-%/libbearssl.a \
                      $(wildcard src/*.h port/lwip/*.h port/lwip/arch/*.h boards/$(BOARD)/*.h) \
                      | $(LWIP_DIR)/.unpacked
	@mkdir -p $(@D)/obj
	@for f in $(FW_XSRCS); do \
	  $($*_XCROSS)gcc $($*_XARCH) $($*_XSPECS) -std=c99 $(FW_OPT) -ffreestanding $(WARN) \
	    -DPM_USER_OPTS='"pm_board_opts.h"' -Isrc -Iport/lwip -Iboards/$(BOARD) \
	    -I$(LWIP_DIR)/src/include -I$(BEARSSL_DIR)/inc \
	    -c $$f -o $(@D)/obj/$$(basename $$f .c).o || exit 1; done
	@$($*_XCROSS)gcc $($*_XARCH) -nostdlib -nostartfiles -Wl,--gc-sections \
	  -Wl,-e,pm_client_start $(FW_XROOTS:%=-Wl,-u,%) -Wl,--unresolved-symbols=ignore-all \
	  -Wl,--no-warn-rwx-segments \
	  -o $@ $(@D)/obj/*.o $(B)/port-$*/libbearssl.a

# port-size-riscv32, port-size-xtensa-lx106 (port-sizes: both): build,
# then print the size.
port-sizes: $(FW_XTARGETS:%=port-size-%)
port-size-%: $(B)/port-%/core.elf
	@$($*_XCROSS)size $< | awk -v t=$* 'NR == 2 { print t ": src/ + port/lwip + BearSSL as linked: text " $$1 " data " $$2 " bss " $$3 }'

# Flash, static RAM and where it goes; PEAK_STACK=N (from the UART's
# "stack: peak N") completes the RAM budget.
size-firmware: $(FW_ELF) $(FW)/obj/boards/ramsizes.o
	@boards/fwsize.sh $(FW_CROSS) $(FW_ELF) $(FW)/pinmail.map $(FW)/obj/boards/ramsizes.o \
	  $(FW_FLASH_KB) $(FW_RAM_KB) $(PEAK_STACK)

ifneq ($(FW_BOARD_GIVEN),)
size: size-firmware
endif

clean-firmware:
	rm -rf $(FW) $(FW_LIB) $(FW_XTARGETS:%=$(B)/port-%)
