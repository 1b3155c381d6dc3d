/*
 * pm_opts.h — every compile-time option of pinmail, in one place.
 *
 * A build may define PM_USER_OPTS as a header name ("board_opts.h"); it is
 * included first, so anything it defines wins. Each option below is then
 * given its default, with what it costs. Derived values and consistency
 * checks come last.
 */
#ifndef PM_OPTS_H
#define PM_OPTS_H

#ifdef PM_USER_OPTS
#include PM_USER_OPTS
#endif

#include <bearssl.h>

/* TLS input buffer, bytes. BR_SSL_BUFSIZE_INPUT (16709) accepts any record;
 * smaller only works with servers that honour max_fragment_length.
 * RAM: exactly this many bytes in pm_session. */
#ifndef PM_TLS_IBUF_SIZE
#define PM_TLS_IBUF_SIZE BR_SSL_BUFSIZE_INPUT
#endif

/* TLS output buffer, bytes. Full size (16469) sends bulk data in maximal
 * records; the minimum is 597 (512 bytes of payload + 85 of overhead), and a
 * small buffer makes BearSSL offer max_fragment_length, which is harmless.
 * RAM: exactly this many bytes in pm_session. */
#ifndef PM_TLS_OBUF_SIZE
#define PM_TLS_OBUF_SIZE BR_SSL_BUFSIZE_OUTPUT
#endif

/* Longest SMTP reply line kept, CRLF included (RFC 5321 4.5.3.1.5 says 512).
 * Longer lines fail the session as a protocol error. RAM: this many bytes. */
#ifndef PM_REPLY_LINE_MAX
#define PM_REPLY_LINE_MAX 512
#endif

/* Most lines accepted in one multi-line reply; a server that sends more is
 * hostile or broken. No RAM cost: lines are parsed one at a time. */
#ifndef PM_REPLY_LINES_MAX
#define PM_REPLY_LINES_MAX 64
#endif

/* Text of the last failing reply kept for the error message. RAM: bytes. */
#ifndef PM_REPLY_TEXT_MAX
#define PM_REPLY_TEXT_MAX 256
#endif

/* Longest command line pinmail formats: AUTH PLAIN with its initial
 * response, or MAIL with every parameter (PM_ADDR_MAX + 353 with a full
 * ENVID). RAM: this many bytes in pm_smtp. */
#ifndef PM_CMD_MAX
#define PM_CMD_MAX 1024
#endif

/* Longest user name or password accepted for AUTH. No RAM of its own. */
#ifndef PM_CRED_MAX
#define PM_CRED_MAX 255
#endif

/* Most envelope recipients per message. RAM: 4 bytes each in pm_smtp
 * (per-recipient reply code). */
#ifndef PM_RCPT_MAX
#define PM_RCPT_MAX 256
#endif

/* Longest address (RFC 5321 4.5.3.1.3: a path is at most 256 octets). */
#ifndef PM_ADDR_MAX
#define PM_ADDR_MAX 256
#endif

/* Longest DSN envelope identifier (sendmail -V) accepted, in octets before
 * xtext encoding; RFC 3461 4.4 allows at most 100. Encoded, it may take
 * three times this in a MAIL command. No RAM of its own. */
#ifndef PM_ENVID_MAX
#define PM_ENVID_MAX 100
#endif

/* Bytes of the header buffer that pm_msg_load never fills with read-ahead,
 * kept for the fields the caller adds afterwards (From:, Date:,
 * Message-ID:). Without it, a read that brings the header section and the
 * start of the body at once could leave no room to add anything. No RAM of
 * its own: it is part of the caller's buffer. */
#ifndef PM_MSG_ROOM
#define PM_MSG_ROOM 1024
#endif

/* Longest decoded tlsa data pm_client keeps per record: 64 holds SHA-256
 * and SHA-512 digests (matching types 1 and 2); a full key or certificate
 * (matching type 0) needs more. RAM: PM_TLSA_MAX x this, in pm_client. */
#ifndef PM_CLIENT_PIN_MAX
#define PM_CLIENT_PIN_MAX 64
#endif

/* Most tlsa records configured at once (current + next, EE + TA, ...).
 * RAM: 8 bytes per record in the verifier; record data is caller-owned. */
/* How long a TLS session may be resumed after the full handshake that
 * verified its pins (a resumed one checks no certificate, dates included).
 * Postfix's own default lifetime. */
#ifndef PM_TLS_CACHE_MAX_AGE
#define PM_TLS_CACHE_MAX_AGE 3600
#endif

#ifndef PM_TLSA_MAX
#define PM_TLSA_MAX 8
#endif

/* Longest record data accepted for matching type 0 (full certificate or
 * key, compared as it streams; no copy is made). */
#ifndef PM_TLSA_DATA_MAX
#define PM_TLSA_DATA_MAX 4096
#endif

/* Most certificates examined in a chain. */
#ifndef PM_CHAIN_MAX
#define PM_CHAIN_MAX 8
#endif

/* Elliptic-curve code for ECDHE (P-256, P-384, P-521, X25519). m31 needs
 * a constant-time 32x32->64 multiply (Cortex-M3/M4: yes; M0: use
 * br_ec_all_m15). */
#ifndef PM_EC_IMPL
#define PM_EC_IMPL br_ec_all_m31
#endif

/* 1: keep an SMTP transcript hook (pm_smtp_params.trace). Flash: ~200 B. */
#ifndef PM_TRACE
#define PM_TRACE 1
#endif

/* ---- derived values and checks ---- */

#if PM_TLS_OBUF_SIZE < 597
#error "PM_TLS_OBUF_SIZE must be at least 597 (512 + 85)"
#endif
#if PM_TLS_IBUF_SIZE < 597
#error "PM_TLS_IBUF_SIZE must be at least 597"
#endif
#if PM_REPLY_LINE_MAX < 512
#error "PM_REPLY_LINE_MAX below 512 rejects replies RFC 5321 allows"
#endif
#if PM_ENVID_MAX < 1 || PM_ENVID_MAX > 100
#error "PM_ENVID_MAX must be 1..100 (RFC 3461 4.4)"
#endif
/* The longest MAIL: "MAIL FROM:<" addr ">" " BODY=8BITMIME" " SMTPUTF8"
 * " RET=HDRS" " ENVID=" (3 per envid octet) CRLF. The longest RCPT,
 * "RCPT TO:<" addr ">" " NOTIFY=SUCCESS,FAILURE,DELAY" CRLF, and EHLO
 * (262 with a 255-octet name) are shorter; AUTH PLAIN depends on
 * PM_CRED_MAX. */
#define PM_MAIL_CMD_MAX (11 + PM_ADDR_MAX + 1 + 14 + 9 + 9 + 7 + 3 * PM_ENVID_MAX + 2)
#if PM_CMD_MAX < PM_MAIL_CMD_MAX || PM_CMD_MAX < 9 + PM_ADDR_MAX + 1 + 29 + 2 \
	|| PM_CMD_MAX < 16 + ((2 * PM_CRED_MAX + 4) / 3 + 1) * 4
#error "PM_CMD_MAX is too small for MAIL/RCPT with PM_ADDR_MAX or AUTH with PM_CRED_MAX"
#endif

#endif /* PM_OPTS_H */
