/*
 * pm_smtp.h — the SMTP submission engine, sans I/O.
 *
 * The engine never touches a socket. Like BearSSL's engine it is driven by
 * its caller: pm_smtp_output() asks it for bytes to send, pm_smtp_input()
 * hands it bytes received, pm_smtp_wants() says which of the two it needs.
 * It speaks to an already authenticated channel (TLS is below it).
 *
 * One submission, in order: greeting 220; EHLO; AUTH PLAIN (initial
 * response) or LOGIN when credentials are set, chosen from the EHLO reply;
 * MAIL, every RCPT and DATA in one flight when PIPELINING is offered, one
 * by one otherwise; the message, with bare CR or LF turned into CRLF,
 * dot-stuffing (RFC 5321 4.5.2) and a final CRLF if the message lacked one;
 * the final "."; QUIT (in the same flight as the "." when pipelining).
 * When the server offers CHUNKING (RFC 3030) the message goes instead as
 * BDAT chunks, as is (no dot-stuffing, no "."), and with PIPELINING the
 * MAIL, every RCPT, the chunks and QUIT leave without waiting: a message
 * that fits one chunk costs one round trip after AUTH.
 * Recipients refused while others are accepted do not stop the message;
 * they are reported in rcpt_code[] and as PM_ERR_RCPT.
 *
 * MAIL and RCPT carry the parameters of the extensions the server offers
 * and the caller asked for: BODY= (RFC 6152), SMTPUTF8 (RFC 6531), RET=,
 * ENVID= and NOTIFY= (DSN, RFC 3461). A message line longer than
 * PM_SMTP_LINE_MAX octets is never sent whole: the session stops without
 * the final "." (PM_ERR_LINE_TOO_LONG, line_no says which line).
 *
 * Reply lines are bounded (PM_REPLY_LINE_MAX) and so is the number of lines
 * in one reply (PM_REPLY_LINES_MAX): a hostile server cannot overflow or
 * stall the parser. The first error is kept (sticky) with the server's code
 * and text.
 */
#ifndef PM_SMTP_H
#define PM_SMTP_H

#include <stddef.h>
#include <stdint.h>
#include "pm_opts.h"
#include "pm_err.h"

/* Reads message bytes for the DATA phase. Writes up to cap bytes to buf and
 * sets *got; *got == 0 means end of message. Returns 0 or an error
 * (PM_ERR_READ), which fails the session without sending the final "." so a
 * truncated message is never delivered. */
typedef int (*pm_read_fn)(void *ctx, uint8_t *buf, size_t cap, size_t *got);

/* Receives each line of the transcript, without CRLF: dir is 'C' for what
 * was sent, 'S' for what was received. Secrets never reach it: AUTH
 * arguments arrive masked. Message content is not traced. */
typedef void (*pm_trace_fn)(void *ctx, char dir, const char *line, size_t len);

/* Everything the engine is told. All pointers are kept, not copied: they
 * must stay valid until the engine is done. */
typedef struct {
	const char *helo;              /* EHLO argument */
	const char *user;              /* NULL: no AUTH */
	const char *pass;
	const char *from;              /* envelope sender ("" for <>) */
	const char *const *rcpt;       /* envelope recipients */
	size_t nrcpt;
	pm_read_fn read;
	void *read_ctx;
	pm_trace_fn trace;             /* NULL: no transcript */
	void *trace_ctx;

	/* Extensions (sendmail -B, -N, -R, -V). Zero/NULL: none asked for. */
	unsigned body;                 /* PM_BODY_*: the BODY= parameter */
	int smtputf8;                  /* non-zero: the envelope holds UTF-8
	                                * addresses; the server must offer
	                                * SMTPUTF8 (else PM_ERR_NO_SMTPUTF8) */
	const char *notify;            /* DSN NOTIFY: "NEVER" or a comma list
	                                * of SUCCESS, FAILURE, DELAY (any case) */
	const char *ret;               /* DSN RET: "FULL" or "HDRS" (any case) */
	const char *envid;             /* DSN ENVID, raw: the engine xtext-encodes
	                                * it; 1..PM_ENVID_MAX octets */
	int starttls;                  /* non-zero: the connection starts in
	                                * plaintext: greeting, EHLO, STARTTLS,
	                                * then the engine waits for TLS
	                                * (PM_SMTP_WANT_TLS) and goes on with
	                                * EHLO once pm_smtp_tls_up says it is
	                                * up. Nothing else is ever sent before:
	                                * STARTTLS not offered or refused is
	                                * PM_ERR_STARTTLS. */
} pm_smtp_params;

/* pm_smtp_params.body. The body is streamed, so whether it holds 8-bit
 * bytes is unknown when MAIL is sent; RFC 6152 lets a client declare
 * 8BITMIME for 7-bit content, so AUTO declares it whenever it can.
 *   AUTO, 8BITMIME: " BODY=8BITMIME" when the server offers 8BITMIME.
 *   7BIT:           " BODY=7BIT" when the server offers 8BITMIME.
 * Nothing is added when 8BITMIME is not offered (the message is sent as it
 * is; converting 8-bit content to 7 bits is the caller's business). */
#define PM_BODY_AUTO      0u
#define PM_BODY_7BIT      1u
#define PM_BODY_8BITMIME  2u

/* DSN parameters (RFC 3461) are sent only when the server offers DSN and
 * silently left out otherwise, as sendmail does. NOTIFY and RET go out in
 * canonical form (upper case, NOTIFY in the order SUCCESS,FAILURE,DELAY,
 * duplicates dropped), so only validated keywords ever reach the wire. */

/* Longest message line, in octets without its CRLF (RFC 5321 4.5.3.1.6),
 * counted after line-end normalisation and before dot-stuffing. */
#define PM_SMTP_LINE_MAX  998

/* EHLO extensions pinmail uses (pm_smtp.ext). */
#define PM_EXT_PIPELINING  0x01u
#define PM_EXT_AUTH_PLAIN  0x02u
#define PM_EXT_AUTH_LOGIN  0x04u
#define PM_EXT_8BITMIME    0x08u
#define PM_EXT_SMTPUTF8    0x10u
#define PM_EXT_CHUNKING    0x20u
#define PM_EXT_DSN         0x40u
#define PM_EXT_STARTTLS    0x80u

/* What the engine needs next (pm_smtp_wants). */
#define PM_SMTP_WANT_OUTPUT 0x01u      /* call pm_smtp_output */
#define PM_SMTP_WANT_INPUT  0x02u      /* waiting for a server reply */
#define PM_SMTP_DONE        0x04u      /* finished: see err */
#define PM_SMTP_WANT_TLS    0x08u      /* STARTTLS accepted: start TLS, then
	                                * call pm_smtp_tls_up */

/* The engine context. Public so the caller can place it; opaque by
 * contract: read results through the fields documented "result". */
typedef struct {
	pm_smtp_params p;
	uint8_t state;
	uint8_t sent;                  /* this state's command is formatted */
	uint8_t quit_early;            /* QUIT went with the final "." */
	uint8_t tls_up;                /* STARTTLS: TLS is up */
	uint8_t skip_lf, eof;          /* message transform state */
	uint8_t delivered;             /* result: the final "." or the last
	                                * chunk got 250 */
	uint8_t bdat;                  /* result: the message went as BDAT
	                                * chunks (the server offers CHUNKING) */
	uint8_t notify;                /* NOTIFY keywords (bits), from p.notify */
	uint8_t ret;                   /* RET: 0 none, 1 FULL, 2 HDRS */
	unsigned ext;                  /* result: PM_EXT_* offered by the server */
	size_t next;                   /* transaction commands formatted so far */
	size_t answered;               /* transaction replies received so far */
	size_t awaiting;               /* replies owed by the server */
	size_t chunks;                 /* BDAT chunks sent */
	size_t chunk_replies;          /* replies to them received */
	size_t accepted;               /* result: recipients accepted */
	uint16_t rcpt_code[PM_RCPT_MAX];   /* result: reply code per recipient */
	size_t body_bytes;             /* result: message octets handed out, as
	                                * normalised (CRLF line ends, a final CRLF
	                                * added if missing), without dot-stuffing
	                                * and without the final "." */
	size_t line_no;                /* result: with PM_ERR_LINE_TOO_LONG, the
	                                * 1-based number of the long line; else 0 */
	size_t lines;                  /* message line ends seen so far */
	size_t col;                    /* octets in the current message line
	                                * (0: at the start of a line) */

	/* output: one formatted command at a time */
	char cmd[PM_CMD_MAX];
	size_t cmd_len, cmd_off;
	unsigned cmd_replies;          /* replies the command in cmd will get */

	/* input: the reply being assembled */
	char line[PM_REPLY_LINE_MAX];
	size_t line_len;
	unsigned nlines;               /* lines so far in the current reply */
	int code;                      /* code of the current reply */
	char cur_text[PM_REPLY_TEXT_MAX];
	size_t cur_len;

	/* result: the first error, and the reply that caused it */
	int err;
	int reply_code;
	const char *stage;             /* "greeting", "EHLO", "AUTH", "MAIL", ... */
	char reply_text[PM_REPLY_TEXT_MAX];
	/* result: when delivered, the reply to the final "." ("2.0.0 Ok:
	 * queued as ..."), for the log */
	char final_text[PM_REPLY_TEXT_MAX];
} pm_smtp;

/* Start an engine for one submission. Returns 0, PM_ERR_NO_RCPT,
 * PM_ERR_TOO_MANY_RCPT, PM_ERR_CRED (credential longer than PM_CRED_MAX),
 * PM_ERR_ADDR (a recipient empty, longer than PM_ADDR_MAX or holding a
 * control character, '<' or '>'; or the sender or a recipient holding a
 * non-ASCII byte while smtputf8 is not set), PM_ERR_BADARG (helo or read
 * missing; helo or sender malformed like a recipient; body not a PM_BODY_*;
 * notify, ret or envid not as documented in pm_smtp_params).
 *
 * Errors found while running, besides the server's (err, stage):
 *   PM_ERR_NO_SMTPUTF8, "MAIL": smtputf8 is set and the server does not
 *     offer SMTPUTF8. Found right after EHLO, so neither AUTH nor MAIL is
 *     sent; QUIT is, and the session ends cleanly.
 *   PM_ERR_LINE_TOO_LONG, "DATA": line line_no of the message is longer
 *     than PM_SMTP_LINE_MAX. The bytes before it have been handed out, the
 *     final "." and QUIT never are: the engine is done at once and the
 *     caller must close the connection, so the server discards the
 *     unfinished message (RFC 5321 3.8).
 *   PM_ERR_READ, "message": the read function failed; as above. */
int pm_smtp_init(pm_smtp *s, const pm_smtp_params *p);

/* PM_SMTP_WANT_* flags. */
unsigned pm_smtp_wants(const pm_smtp *s);

/* Write up to cap bytes to send into dst; returns how many. 0 when the
 * engine has nothing to send now (it is waiting for a reply or done), or
 * when streaming the message and cap is too small to be worth a read
 * (under 64 bytes for DATA, 98 for a BDAT chunk): then send what is
 * pending and call again with room. A BDAT chunk is as large as cap
 * allows: pass a whole TLS record's room. */
size_t pm_smtp_output(pm_smtp *s, uint8_t *dst, size_t cap);

/* Hand over received bytes; returns how many were consumed. All of them,
 * unless the engine is done or waiting for TLS (PM_SMTP_WANT_TLS): then
 * the rest is left, and with STARTTLS any rest is an injection attempt. */
size_t pm_smtp_input(pm_smtp *s, const uint8_t *src, size_t len);

/* STARTTLS: the TLS handshake completed (the server is authenticated);
 * the session goes on with EHLO, as RFC 3207 4.2 requires. */
void pm_smtp_tls_up(pm_smtp *s);

/* Tell the engine the connection ended (EOF or network error) with err.
 * After QUIT was sent this is not an error. */
void pm_smtp_closed(pm_smtp *s, int err);

#endif /* PM_SMTP_H */
