/*
 * pm_session.h — one submission: TLS (BearSSL, pinned) carrying SMTP.
 *
 * The session owns everything a submission needs, in one caller-placed
 * struct: BearSSL's client context with the project's cipher profile, the
 * pin verifier, both record buffers (separate arrays: see DESIGN.md on the
 * BearSSL bidi buffer bug), and the SMTP engine. It does no I/O. A port
 * pumps it:
 *
 *     pm_session_start(&s, &params);
 *     while (!((f = pm_session_step(&s)) & PM_SESSION_DONE)) {
 *         if (f & PM_SESSION_WANT_SEND)   write from pm_session_sendbuf(),
 *                                         then pm_session_sendack(n);
 *         else if (f & PM_SESSION_WANT_RECV) read into pm_session_recvbuf(),
 *                                         then pm_session_recvack(n);
 *         on EOF, error or timeout:       pm_session_net_closed(&s, err);
 *     }
 *     err = pm_session_result(&s);
 *
 * Nothing but the TLS handshake happens before the server is authenticated:
 * BearSSL accepts application data only after the handshake completed, and
 * the handshake completes only when the pin verifier said yes. With
 * STARTTLS (params.smtp.starttls) the greeting, EHLO and STARTTLS come
 * first in plaintext, and nothing else: the SMTP engine holds back every
 * other command until TLS is up, and a server that sends anything after
 * its 220 to STARTTLS (command injection) or does not offer it ends the
 * session with PM_ERR_STARTTLS.
 */
#ifndef PM_SESSION_H
#define PM_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include "pm_opts.h"
#include "pm_err.h"
#include "pm_dane.h"
#include "pm_smtp.h"

#define PM_SESSION_WANT_SEND 0x01u
#define PM_SESSION_WANT_RECV 0x02u
#define PM_SESSION_DONE      0x04u

/* The TLS profile in words (for --version); pm_session.c is the truth. */
#define PM_SESSION_PROFILE "TLS 1.2; ECDHE-ECDSA and ECDHE-RSA with" \
	" AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305; X25519, P-256," \
	" P-384, P-521; RSA and ECDSA signatures"

/*
 * A TLS session kept for resumption (session IDs, RFC 5246 7.4.1.2). A
 * resumed handshake shows no certificate, so no pin is checked: a session
 * is offered again only to the host and port, and under the exact pin set
 * (records and their order), it was verified with. bind is that binding
 * (pm_session_bind); matched and verified say which pin authenticated the
 * server in the full handshake, and when. The master secret is inside:
 * keep it as secret as the password.
 */
typedef struct {
	br_ssl_session_parameters params;
	uint8_t bind[32];
	int32_t matched;           /* index of the pin that verified it */
	uint64_t verified;         /* UTC seconds of that handshake; 0: no clock */
	uint32_t kept_ms;          /* a port's monotonic milliseconds then */
} pm_tls_cache;

/* Everything a session is told. Pointers are kept unless said otherwise. */
typedef struct {
	const char *host;          /* SNI, and the name DANE-TA checks */
	uint16_t port;             /* the server's port: part of the binding
	                            * of a resumable session */
	const pm_tls_cache *resume;/* NULL, or a session to offer: used only
	                            * when its binding is this host, port and
	                            * pin set, and it is young (copied) */
	int resume_age_checked;    /* without a wall clock (now or the cache's
	                            * verified is 0): the caller has checked
	                            * the session's age itself; else it is not
	                            * offered */
	const pm_tlsa *tlsa;       /* pins */
	size_t ntlsa;
	uint64_t now;              /* trustworthy UTC seconds; 0: no clock */
	const uint8_t *seed;       /* >= 32 fresh secret bytes (copied) */
	size_t seed_len;
	pm_smtp_params smtp;
} pm_session_params;

typedef struct {
	br_ssl_client_context cc;
	pm_dane dane;
	pm_smtp smtp;
	int tls_err;               /* result: BearSSL error that ended TLS */
	uint8_t bind[32];          /* host, port and pins (pm_session_bind) */
	uint8_t plain;             /* STARTTLS: still before TLS; the record
	                            * buffers carry the plaintext dialogue */
	size_t plain_out, plain_sent, plain_in;
	const char *host;          /* kept for the handshake after STARTTLS */
	uint8_t offered;           /* a cached session was offered */
	uint8_t offered_id[32], offered_id_len;
	uint8_t resumed;           /* result: the server resumed it */
	uint8_t secure;            /* result: the handshake completed */
	int32_t resumed_matched;   /* from the offered session */
	uint64_t resumed_verified;
	uint64_t now;
	uint8_t closing;           /* close_notify queued */
	uint8_t done;
	unsigned long app_out;     /* SMTP bytes handed to TLS so far */
	unsigned char ibuf[PM_TLS_IBUF_SIZE];
	unsigned char obuf[PM_TLS_OBUF_SIZE];
} pm_session;

/* Set up and start the handshake. Returns 0, or an error from the pins
 * (PM_ERR_TLSA_UNUSABLE...), the SMTP parameters (pm_smtp_init), or
 * PM_ERR_BADARG (seed shorter than 32 bytes, empty host). */
int pm_session_start(pm_session *s, const pm_session_params *p);

/* Move data between TLS and SMTP as far as it goes without I/O; returns
 * PM_SESSION_* flags saying what the port must do next. */
unsigned pm_session_step(pm_session *s);

unsigned char *pm_session_sendbuf(pm_session *s, size_t *len);
void pm_session_sendack(pm_session *s, size_t n);
unsigned char *pm_session_recvbuf(pm_session *s, size_t *len);
void pm_session_recvack(pm_session *s, size_t n);

/* The connection ended: err is PM_ERR_NET or PM_ERR_TIMEOUT, or 0 for an
 * orderly EOF. Harmless once SMTP is done (QUIT answered). */
void pm_session_net_closed(pm_session *s, int err);

/* Zero cc and set the project's TLS profile on it (versions, suites,
 * hashes, curves, signature and AEAD implementations): what every
 * connection pinmail makes offers. */
void pm_session_profile(br_ssl_client_context *cc);

/* SHA-256 over host, port and every pin (usage, selector, type, data) in
 * order: what a cached session is bound to. */
void pm_session_bind(uint8_t out[32], const char *host, uint16_t port,
	const pm_tlsa *tlsa, size_t ntlsa);

/* The pin that authenticated the server: in this handshake, or in the one
 * that created the session it resumed. -1: none (not authenticated). */
int pm_session_matched(const pm_session *s);

/* After the handshake completed: the session to keep for next time, with
 * its binding. 1 when *out was written; 0 when there is nothing to keep
 * (no completed handshake, or the server gave no session ID). */
int pm_session_keep(const pm_session *s, pm_tls_cache *out);

/* The outcome: 0 when the message went to every recipient, else a PM_ERR_*.
 * Details: s->smtp (reply code and text, stage, per-recipient codes),
 * s->dane (which pin matched, the key presented), s->tls_err. */
int pm_session_result(const pm_session *s);

#endif /* PM_SESSION_H */
