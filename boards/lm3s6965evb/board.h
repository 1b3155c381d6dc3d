/*
 * board.h — the lm3s6965evb as the firmware sees it: a millisecond clock,
 * a console on UART0, the ethernet interface, and QEMU's semihosting
 * (host entropy, host time, exit status).
 */
#ifndef BOARD_H
#define BOARD_H

#include <stddef.h>
#include <stdint.h>

struct netif;

/* Exit statuses besides pinmail's PM_ERR_* codes (1..79). */
#define BOARD_EXIT_NO_NETWORK 100   /* no address (DHCP) within 10 s */
#define BOARD_EXIT_FAULT      101   /* hard fault: a bug */
#define BOARD_EXIT_ASSERT     102   /* lwIP assertion: a bug */

/* Clocks (50 MHz from the PLL), SysTick at 1 kHz, UART0 at 115200 8N1. */
void board_init(void);

/* Milliseconds since boot. */
uint32_t board_ms(void);

/* Console output: printf's %s %c %d %u %x %lu %lx %%, with an optional
 * width and 0 flag. No C library stdio (it would bring malloc). */
void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void board_puts(const char *s, size_t len);

/* One turn of the superloop: every received frame into lwIP, lwIP's
 * timers, then sleep until the next interrupt (a frame or the 1 ms tick). */
void board_poll(void);

/* The ethernet interface, added to lwIP and up (link up, no address). */
struct netif *board_netif(void);

/* Deepest stack use since boot, in bytes (the stack is painted at boot),
 * and the room the stack has. */
size_t board_stack_peak(void);
size_t board_stack_size(void);

/* End the run: QEMU exits with this status (semihosting). */
void board_exit(int status) __attribute__((noreturn));

/* Semihosting (QEMU -semihosting-config enable=on): the host file named by
 * "entropy=PATH" on the semihosting command line (default /dev/urandom)
 * provides fresh bytes; 0 when all len bytes were read. */
int board_host_entropy(uint8_t *buf, size_t len);
/* The host's clock, seconds since 1970 (SYS_TIME); 0 if unavailable. */
uint64_t board_host_time(void);

/* Interrupt handlers (startup.c's vector table). */
void SysTick_Handler(void);
void Ethernet_Handler(void);

/* The Stellaris ethernet driver (enet.c). */
int8_t enet_init(struct netif *netif);   /* netif_add's init function */
void enet_poll(struct netif *netif);     /* each received frame to input */

#endif /* BOARD_H */
