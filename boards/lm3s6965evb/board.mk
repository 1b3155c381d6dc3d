# boards/lm3s6965evb/board.mk — what mk/firmware.mk needs to know about
# this board: the toolchain, the CPU, its sources and how QEMU runs it.

FW_CROSS    := arm-none-eabi-
FW_ARCH     := -mcpu=cortex-m3 -mthumb
# Cortex-M3 long multiplies are not constant-time: BearSSL's BR_LOMUL picks
# the 32x32->32 code for GHASH, Poly1305 and RSA (pm_board_opts.h picks the
# EC code).
FW_BRDEFS   := -DBR_LOMUL=1
# newlib-nano only for memcpy/memset/strlen and friends: no stdio, no
# malloc; -nostartfiles because startup.c is the C runtime.
FW_LDFLAGS  := --specs=nano.specs -nostartfiles -T boards/lm3s6965evb/lm3s6965.ld
FW_BOARD_C  := startup.c board.c semihost.c enet.c main.c alert.c
# Sources that include the build configuration (pinmail_config.h).
FW_CONFIG_C := main.c alert.c
FW_FLASH_KB := 256
FW_RAM_KB   := 64

# QEMU, without its -nic (mk/firmware.mk adds user-mode networking that
# reaches nothing but a guestfwd of the configured server address and port
# to PINMAIL_FWD). Semihosting supplies host entropy (and time, with
# PINMAIL_CLOCK=host) and the exit status.
FW_QEMU     = qemu-system-arm -M lm3s6965evb -kernel $(FW)/pinmail.elf \
	-display none -monitor none -serial stdio \
	-semihosting-config enable=on,target=native,arg=pinmail,arg=entropy=$(PINMAIL_ENTROPY)
