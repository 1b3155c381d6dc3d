/*
 * pm_lwip.c — pinmail's port to lwIP's raw TCP API (see pm_lwip.h).
 *
 * Ownership rules of the raw API shape this file:
 *   - a pbuf handed to the recv callback is ours until freed: it is queued
 *     on l->rx and freed as the TLS engine consumes it;
 *   - after the err callback the pcb is already gone: only forget it;
 *   - tcp_abort() inside a callback requires that callback to return
 *     ERR_ABRT, so every callback reports whether the pump aborted;
 *   - callbacks are cleared before tcp_close()/tcp_abort(), so lwIP never
 *     calls back into a finished session.
 */
#include <string.h>
#include "lwip/tcp.h"
#include "lwip/dns.h"
#include "lwip/sys.h"
#include "pm_lwip.h"

/* ---- randomness: one DRBG per boot --------------------------------------- */

static br_hmac_drbg_context drbg;
static uint8_t drbg_state;        /* 0 unseeded, 1 seeded, 2 no entropy */

static int drbg_ready(void)
{
	uint8_t seed[32];
	volatile uint8_t *v = seed;
	size_t i;

	if (drbg_state == 0) {
		if (pm_board_entropy(seed, sizeof seed) == 0) {
			br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof seed);
			drbg_state = 1;
		} else {
			drbg_state = 2;
		}
		for (i = 0; i < sizeof seed; i++)
			v[i] = 0;
	}
	return drbg_state == 1;
}

uint32_t pm_lwip_rand(void)
{
	uint8_t b[4];

	/* Without entropy no TLS session starts (pm_lwip_entropy fails), so
	 * these values protect nothing secret; they only need to vary. */
	if (!drbg_ready())
		return sys_now() * 2654435761u;
	br_hmac_drbg_generate(&drbg, b, sizeof b);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16
		| (uint32_t)b[3] << 24;
}

/* ---- callbacks ------------------------------------------------------------ */

/* Pump the client; tell lwIP whether it aborted the pcb meanwhile. */
static err_t pump(pm_lwip *l)
{
	l->aborted = 0;
	pm_client_poll(l->client);
	return l->aborted ? ERR_ABRT : ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	pm_lwip *l = arg;

	(void)pcb;
	(void)err;                 /* always ERR_OK in lwIP 2.1 */
	l->connected = 1;
	return pump(l);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	pm_lwip *l = arg;

	(void)pcb;
	(void)err;
	if (p == NULL)
		l->eof = 1;
	else if (l->rx == NULL)
		l->rx = p;
	else
		pbuf_cat(l->rx, p);
	return pump(l);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	return pump(arg);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	(void)pcb;
	return pump(arg);
}

static void on_err(void *arg, err_t err)
{
	pm_lwip *l = arg;

	(void)err;
	l->pcb = NULL;             /* lwIP has freed it */
	if (l->err == 0)
		l->err = l->connected ? PM_ERR_NET : PM_ERR_CONNECT;
	pump(l);
}

static void forget_callbacks(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

static void set_callbacks(struct tcp_pcb *pcb, pm_lwip *l)
{
	tcp_arg(pcb, l);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, 2);      /* every second: timeouts */
}

static void connect_to(pm_lwip *l)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IP_GET_TYPE(&l->addr));

	if (pcb == NULL) {
		l->err = PM_ERR_CONNECT;
		return;
	}
	set_callbacks(pcb, l);
	tcp_nagle_disable(pcb);         /* commands leave in whole flights */
	if (tcp_connect(pcb, &l->addr, l->port, on_connected) != ERR_OK) {
		forget_callbacks(pcb);
		tcp_abort(pcb);
		l->err = PM_ERR_CONNECT;
		return;
	}
	l->pcb = pcb;
}

static void on_dns(const char *name, const ip_addr_t *addr, void *arg)
{
	pm_lwip *l = arg;

	(void)name;
	/* lwIP cannot cancel a query: an answer may come after the session
	 * gave up (timeout) and closed. It is too late then. */
	if (l->closed)
		return;
	if (addr == NULL) {
		l->err = PM_ERR_RESOLVE;
	} else {
		l->addr = *addr;
		connect_to(l);
	}
	pump(l);
}

/* ---- the port's functions ------------------------------------------------- */

static int lw_open(void *ctx, const char *host, uint16_t port)
{
	pm_lwip *l = ctx;

	l->port = port;
	switch (dns_gethostbyname(host, &l->addr, on_dns, l)) {
	case ERR_OK:                    /* an IP literal, or cached */
		connect_to(l);
		return l->err;
	case ERR_INPROGRESS:
		return 0;
	default:
		return PM_ERR_RESOLVE;
	}
}

static int lw_send(void *ctx, const uint8_t *buf, size_t len, size_t *sent)
{
	pm_lwip *l = ctx;
	size_t n;
	err_t e;

	*sent = 0;
	if (l->err != 0)
		return l->err;
	if (!l->connected || l->pcb == NULL)
		return 0;
	n = tcp_sndbuf(l->pcb);
	if (n > len)
		n = len;
	if (n == 0)
		return 0;                   /* the sent callback pumps again */
	e = tcp_write(l->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY);
	if (e == ERR_MEM)
		return 0;                   /* segments full: retried on sent/poll */
	if (e != ERR_OK)
		return PM_ERR_NET;
	tcp_output(l->pcb);
	*sent = n;
	return 0;
}

static int lw_recv(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	pm_lwip *l = ctx;
	size_t n;

	*got = 0;
	if (l->rx != NULL) {
		/* Bytes that arrived before a close or an error still count. */
		n = l->rx->tot_len < cap ? l->rx->tot_len : cap;
		pbuf_copy_partial(l->rx, buf, (u16_t)n, 0);
		l->rx = pbuf_free_header(l->rx, (u16_t)n);
		if (l->pcb != NULL)
			tcp_recved(l->pcb, (u16_t)n);
		*got = n;
		return 0;
	}
	if (l->err != 0)
		return l->err;
	return l->eof ? PM_ERR_NET : 0;
}

static void drop_rx(pm_lwip *l)
{
	if (l->rx != NULL) {
		pbuf_free(l->rx);
		l->rx = NULL;
	}
}

static int lw_close(void *ctx, int abort)
{
	pm_lwip *l = ctx;

	l->closed = 1;
	if (l->pcb == NULL) {
		drop_rx(l);
		return 0;
	}
	if (!abort) {
		/* Orderly: wait until the server has acknowledged everything
		 * (QUIT, close_notify), then FIN. */
		if (tcp_sndqueuelen(l->pcb) != 0)
			return 1;
		forget_callbacks(l->pcb);
		if (tcp_close(l->pcb) != ERR_OK) {
			/* No memory for the FIN yet: try again next poll. */
			set_callbacks(l->pcb, l);
			return 1;
		}
	} else {
		forget_callbacks(l->pcb);
		tcp_abort(l->pcb);
		l->aborted = 1;
	}
	l->pcb = NULL;
	drop_rx(l);
	return 0;
}

static uint32_t lw_now(void *ctx)
{
	(void)ctx;
	return sys_now();
}

static int lw_entropy(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	if (!drbg_ready())
		return -1;
	br_hmac_drbg_generate(&drbg, buf, len);
	return 0;
}

static uint64_t lw_time(void *ctx)
{
	(void)ctx;
	return pm_board_unix_time();
}

const pm_client_port pm_lwip_port = {
	lw_open, lw_send, lw_recv, lw_close, lw_now, lw_entropy, lw_time
};

void *pm_lwip_init(pm_lwip *l, pm_client *c)
{
	memset(l, 0, sizeof *l);
	l->client = c;
	return l;
}
