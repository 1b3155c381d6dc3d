/*
 * pm_client.h — submit one message from firmware: the API a board calls.
 *
 * A pm_client is one submission in one caller-owned struct: the pinned TLS
 * session (pm_session: BearSSL, both record buffers, the pin verifier, the
 * SMTP engine), the decoded pins and the pump state. Nothing is allocated.
 * The network, the clock and the entropy come from a port (pm_client_port,
 * below; port/lwip provides one for lwIP's raw TCP API):
 *
 *     static pm_client mail;              // ~28 KB with a 16 KB TLS input buffer
 *     pm_client_conf conf = { .host = "mail.example.org", .port = 465,
 *         .tlsa = "3 1 1 0c72ac70...", .user = "dev1", .password = "...",
 *         .from = "dev1@example.org", .rcpt = to, .nrcpt = 1,
 *         .msg = text, .msg_len = sizeof text - 1 };
 *     err = pm_client_start(&mail, &conf, &port, port_ctx);
 *     while (!err && pm_client_poll(&mail) != PM_CLIENT_DONE)
 *         run_the_network_stack();        // e.g. netif input, lwIP timers
 *     err = pm_client_result(&mail, &outcome);
 *
 * pm_client_poll never blocks: it moves every byte it can between the port
 * and the session and returns. A port may also call it from its own
 * callbacks (data arrived, data acknowledged, a periodic poll), which is
 * how port/lwip drives it; calls nested inside another are ignored.
 *
 * Security, as in the Linux binary: nothing but the TLS handshake happens
 * before a tlsa record authenticated the server; no credential or message
 * byte leaves before that. "3 x x" records need no clock; "2 x x" records
 * need the port's unix_time (a trustworthy clock), else the session fails
 * with PM_ERR_NO_CLOCK ("no trustworthy clock"). The TLS engine is seeded
 * with 32 bytes from the port's entropy hook at every start: they must be
 * secret and never repeat (a repeated seed repeats the ECDHE keys).
 */
#ifndef PM_CLIENT_H
#define PM_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "pm_opts.h"
#include "pm_err.h"
#include "pm_session.h"

/*
 * The port: a byte stream to the server, a millisecond clock, entropy and
 * (optionally) trustworthy time. ctx is the port's own context. Every
 * function returns at once; none is called re-entrantly.
 */
typedef struct {
	/* Start connecting to host (a name or an IP literal; kept until the
	 * connection closes) on port. 0, or PM_ERR_RESOLVE / PM_ERR_CONNECT
	 * when it fails at once; later failures are reported by send/recv. */
	int (*open)(void *ctx, const char *host, uint16_t port);
	/* Take up to len bytes to send; *sent = how many (0: not connected
	 * yet, or no room now). 0, or PM_ERR_RESOLVE, PM_ERR_CONNECT,
	 * PM_ERR_NET when the connection failed or broke. */
	int (*send)(void *ctx, const uint8_t *buf, size_t len, size_t *sent);
	/* Copy up to cap received bytes into buf; *got = how many (0: none
	 * yet). 0, or an error as for send; the peer closing is PM_ERR_NET. */
	int (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *got);
	/* Close: abort 0 = orderly (after the data sent so far is delivered),
	 * 1 = at once (reset). Called again until it returns 0 (closed); 1
	 * means still closing. */
	int (*close)(void *ctx, int abort);
	/* Milliseconds from any origin; wraps. */
	uint32_t (*now_ms)(void *ctx);
	/* Fill buf with len fresh secret random bytes; 0 or non-zero when
	 * there are none (the session is then refused: PM_ERR_ENTROPY). */
	int (*entropy)(void *ctx, uint8_t *buf, size_t len);
	/* Trustworthy UTC seconds since 1970, or 0: no trustworthy clock.
	 * NULL is the same as always 0. Only "2 x x" records need it. */
	uint64_t (*unix_time)(void *ctx);
} pm_client_port;

/* What to send, and to whom. Pointers are kept, not copied, and must stay
 * valid until pm_client_poll returns PM_CLIENT_DONE; tlsa is decoded into
 * the client by pm_client_start and may go after it. */
typedef struct {
	const char *host;          /* server name: SNI, the name DANE-TA
	                            * checks, and what the port connects to */
	const char *connect_to;    /* NULL, or connect here instead of host
	                            * (an address for a name the device cannot
	                            * resolve); TLS still uses host */
	uint16_t port;             /* 0: 465 (implicit TLS, RFC 8314) */
	const char *tlsa;          /* one or more records as DNS shows them,
	                            * "3 1 1 <hex>", separated by ';' or line
	                            * breaks; any usable one that matches
	                            * authenticates the server */
	const char *user;          /* NULL: no AUTH */
	const char *password;
	const char *helo;          /* EHLO name; NULL: "pinmail" */
	const char *from;          /* envelope sender */
	const char *const *rcpt;   /* envelope recipients (PM_RCPT_MAX) */
	size_t nrcpt;
	/* The message (header fields, blank line, body), sent as is apart
	 * from CRLF line ends and dot-stuffing: either a buffer... */
	const uint8_t *msg;
	size_t msg_len;
	/* ...or, when msg is NULL, a read callback (see pm_read_fn). */
	pm_read_fn read;
	void *read_ctx;
	uint32_t timeout_ms;       /* the server must answer within this of
	                            * what was last sent; 0: 30000 */
	pm_trace_fn trace;         /* NULL, or the SMTP transcript (secrets
	                            * masked, message text never shown) */
	void *trace_ctx;
	pm_tls_cache *session;     /* NULL, or a session kept in RAM across
	                            * submissions (static, one per server):
	                            * offered when it was verified with this
	                            * host, port and tlsa, replaced after each
	                            * full handshake, cleared when an offer
	                            * fails. Saves one round trip and all the
	                            * public-key work. It holds a master
	                            * secret. */
} pm_client_conf;

/* What pm_client_poll returns: where the submission is. */
enum {
	PM_CLIENT_CONNECTING = 1,  /* resolving, connecting */
	PM_CLIENT_HANDSHAKE,       /* TLS handshake, pins being checked */
	PM_CLIENT_SMTP,            /* server authenticated; EHLO, AUTH, ... */
	PM_CLIENT_CLOSING,         /* session over; closing the connection */
	PM_CLIENT_DONE             /* read the outcome: pm_client_result */
};

/* The client. Public so the caller can place it (static, or in its own
 * context); opaque by contract: read it through pm_client_result. */
typedef struct {
	pm_session s;
	const pm_client_port *port;
	void *port_ctx;
	pm_tlsa tlsa[PM_TLSA_MAX];
	uint8_t tlsa_data[PM_TLSA_MAX][PM_CLIENT_PIN_MAX];
	const uint8_t *msg;        /* the buffer being sent, or NULL */
	size_t msg_len, msg_off;
	uint32_t timeout_ms;
	pm_tls_cache *session;     /* conf->session */
	uint32_t t_start, t_connected, t_secure, t_end, deadline;
	uint8_t phase;
	uint8_t in_poll;
	uint8_t aborting;
	int err;                   /* a failure before or outside the session */
	const char *why;           /* with PM_ERR_TLSA_SYNTAX: what is wrong */
} pm_client;

/*
 * Check the configuration, decode the pins, seed TLS from the port's
 * entropy, take the time (if the port has a trustworthy clock) and start
 * connecting. c and port are kept. Returns 0, or (nothing started):
 *   PM_ERR_BADARG         host, from, rcpt or the message missing; more
 *                         than PM_TLSA_MAX records
 *   PM_ERR_TLSA_SYNTAX    a record is malformed (pm_client_result's why
 *                         says how), or its data is over PM_CLIENT_PIN_MAX
 *   PM_ERR_TLSA_UNUSABLE  no record is usable (e.g. only usage 0 or 1)
 *   PM_ERR_ENTROPY        the port had no entropy
 *   what pm_smtp_init refuses (addresses, credentials), or the port's
 *   open fails with.
 * After an error pm_client_poll returns PM_CLIENT_DONE and
 * pm_client_result reports it, so a caller may go straight to the loop.
 */
int pm_client_start(pm_client *c, const pm_client_conf *conf,
	const pm_client_port *port, void *port_ctx);

/* Do all the work possible now; returns PM_CLIENT_*. */
int pm_client_poll(pm_client *c);

/* The outcome, valid once pm_client_poll returned PM_CLIENT_DONE. */
typedef struct {
	int err;                   /* PM_OK: delivered to every recipient */
	const char *stage;         /* where it failed: "connection",
	                            * "greeting", "EHLO", "AUTH", "MAIL",
	                            * "RCPT", "DATA", "end of message", ...;
	                            * "" when delivered */
	int reply_code;            /* the server's refusing reply, or 250
	                            * when delivered; 0 if none */
	const char *reply_text;    /* its text ("5.7.8 Error: ...", or
	                            * "2.0.0 Ok: queued as ..."); "" if none */
	int tls_err;               /* BearSSL's error code (PM_ERR_TLS,
	                            * PM_ERR_CHAIN: the chain's) */
	int pin;                   /* index of the record that matched, -1;
	                            * with resumed, in the handshake that
	                            * created the session */
	int resumed;               /* the session in conf->session was
	                            * resumed (no certificate this time) */
	const uint8_t *presented;  /* SHA-256 of the server's key as presented
	                            * (its "3 1 1" data), NULL if none came */
	const char *why;           /* PM_ERR_TLSA_SYNTAX: what is wrong */
	size_t accepted;           /* recipients the server accepted */
	uint32_t ms_connect;       /* start to connected */
	uint32_t ms_handshake;     /* connected to server authenticated */
	uint32_t ms_total;         /* start to done */
} pm_client_outcome;

/* Returns the error (0: delivered) and, when o is not NULL, fills it.
 * Strings point into c or are static: valid while c is. */
int pm_client_result(const pm_client *c, pm_client_outcome *o);

/* A short sentence for a PM_ERR_* code ("the server's key matches no tlsa
 * record", "no trustworthy clock for a tlsa 2 record", ...). Static. */
const char *pm_client_strerror(int err);

/* The name of a PM_CLIENT_* phase ("connecting", ...). Static. */
const char *pm_client_phase_name(int phase);

#endif /* PM_CLIENT_H */
