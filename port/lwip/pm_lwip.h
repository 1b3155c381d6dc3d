/*
 * pm_lwip.h — pinmail over lwIP's raw TCP API (NO_SYS=1 superloops).
 *
 * Provides a pm_client_port (src/pm_client.h) on one lwIP TCP connection:
 *
 *     static pm_client mail;
 *     static pm_lwip net;
 *     err = pm_client_start(&mail, &conf, &pm_lwip_port, pm_lwip_init(&net, &mail));
 *     while (pm_client_poll(&mail) != PM_CLIENT_DONE) {
 *         board_ethernet_input();         // netif->input for each frame
 *         sys_check_timeouts();           // lwIP's timers
 *     }
 *
 * lwIP's callbacks (connected, recv, sent, poll, err) pump the client
 * themselves, so a reply is answered as soon as its segment is processed;
 * the superloop's own pm_client_poll only notices timeouts sooner.
 * Received data stays in lwIP's pbufs until the TLS engine takes it, and
 * the receive window is reopened only as it does: no buffer of the port's
 * own, and no mem_malloc. Outgoing bytes are copied into lwIP's segments
 * (TCP_WRITE_FLAG_COPY) because the TLS engine reuses its buffer at once.
 *
 * Host names go through lwIP's DNS (dns_gethostbyname), IP literals do
 * not. Time is sys_now(). Randomness for TLS and for lwIP itself
 * (LWIP_RAND: DHCP and DNS ids, local ports, TCP initial sequence
 * numbers) comes from one HMAC-DRBG seeded once per boot with 32 bytes
 * from the board's pm_board_entropy().
 *
 * Not thread-safe, like lwIP's raw API: call everything from the
 * superloop (or lwIP's callbacks), never from an interrupt.
 */
#ifndef PM_LWIP_H
#define PM_LWIP_H

#include <stddef.h>
#include <stdint.h>
#include "lwip/tcp.h"
#include "lwip/ip_addr.h"
#include "pm_client.h"

/* The port's context for one connection. Opaque by contract. */
typedef struct {
	pm_client *client;         /* pumped from the callbacks */
	struct tcp_pcb *pcb;       /* NULL: none, or lwIP freed it */
	struct pbuf *rx;           /* received, not yet taken by TLS */
	ip_addr_t addr;
	uint16_t port;
	int err;                   /* sticky: PM_ERR_RESOLVE/CONNECT/NET */
	uint8_t connected;
	uint8_t eof;               /* the peer sent FIN */
	uint8_t aborted;           /* tcp_abort() ran inside a callback */
	uint8_t closed;            /* the client closed: late DNS answers
	                            * are ignored */
} pm_lwip;

/* The port's functions, for pm_client_start. */
extern const pm_client_port pm_lwip_port;

/* Prepare l for one submission by c (kept); returns l, to pass as
 * pm_client_start's port_ctx. l may serve one submission after another.
 * lwIP cannot cancel a DNS query: reusing l while a query of a session
 * that timed out is still pending (lwIP retries for some seconds) could
 * let its late answer be taken for the new one's. Only an
 * address results; the pins still decide whom pinmail talks to. */
void *pm_lwip_init(pm_lwip *l, pm_client *c);

/*
 * Supplied by the board.
 *
 * pm_board_entropy: fill buf with len secret, unpredictable bytes that no
 * earlier boot produced (a hardware RNG; an emulator may pass host
 * entropy). 0 on success. Called once per boot, for 32 bytes.
 *
 * pm_board_unix_time: trustworthy UTC seconds since 1970, or 0 when the
 * board has no clock it can vouch for (then "2 x x" records fail with
 * PM_ERR_NO_CLOCK; "3 x x" records need no clock).
 */
int pm_board_entropy(uint8_t *buf, size_t len);
uint64_t pm_board_unix_time(void);

#endif /* PM_LWIP_H */
