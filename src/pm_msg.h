/*
 * pm_msg.h — the message as sendmail callers hand it over.
 *
 * pm_msg sits between the raw input (stdin, a firmware buffer) and the SMTP
 * engine. It reads the header section into a caller-owned buffer, which is
 * the only part of a message ever held in memory; the body streams through.
 * On the header section it:
 *   - reports every address of To, Cc and Bcc to a callback (sendmail -t);
 *   - removes Bcc fields, so blind recipients stay blind;
 *   - notes which fields are present, so the caller can add missing ones.
 * On the whole input it implements sendmail's end of message: unless dots
 * are ignored (-i, -oi), a line holding only "." ends the message.
 *
 * Line ends are left as they came (LF or CRLF); the SMTP engine makes them
 * CRLF on the wire.
 */
#ifndef PM_MSG_H
#define PM_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "pm_opts.h"
#include "pm_err.h"
#include "pm_smtp.h"
#include "pm_addr.h"

/* Fields whose presence is noted (pm_msg.seen). */
#define PM_HDR_FROM        0x01u
#define PM_HDR_DATE        0x02u
#define PM_HDR_MESSAGE_ID  0x04u
#define PM_HDR_TO          0x08u
#define PM_HDR_CC          0x10u
#define PM_HDR_BCC         0x20u
#define PM_HDR_SENDER      0x40u

typedef struct {
	/* set by the caller before pm_msg_load (all kept) */
	pm_read_fn src;            /* the raw input */
	void *src_ctx;
	uint8_t *buf;              /* holds the header section */
	size_t cap;
	int ignore_dots;           /* -i: a "." line is just a line */
	pm_addr_fn rcpt;           /* NULL: do not extract recipients */
	void *rcpt_ctx;

	/* results of pm_msg_load */
	unsigned seen;             /* PM_HDR_* present in the message */
	const char *why;           /* with an error: what is wrong */
	char field[24];            /* with an address error: which field */

	/* private */
	size_t len;                /* bytes in buf */
	size_t hdr_end;            /* where added fields go */
	size_t out;                /* bytes of buf handed out by pm_msg_read */
	uint8_t dot;               /* end-of-message filter state */
	uint8_t ended;             /* the "." line or EOF was seen */
} pm_msg;

/* Read and digest the header section. The last PM_MSG_ROOM bytes of buf
 * are kept for pm_msg_add_field. Returns 0, PM_ERR_BADARG (cap not above
 * PM_MSG_ROOM + 3), PM_ERR_HDR_TOO_BIG (the header section does not fit in
 * cap - PM_MSG_ROOM bytes), PM_ERR_LINE_TOO_LONG (a header line over 998
 * octets; why says so), PM_ERR_READ (the source failed),
 * PM_ERR_ADDR (an address field is malformed: field and why say which and
 * how), or the rcpt callback's non-zero result. */
int pm_msg_load(pm_msg *m);

/* Add a header field ("Name: value", no line end) at the end of the header
 * section. Returns 0, PM_ERR_BADARG (text holds CR or LF, or no colon), or
 * PM_ERR_HDR_TOO_BIG. */
int pm_msg_add_field(pm_msg *m, const char *text, size_t len);

/* The first field called name (case-insensitive) after pm_msg_load: its
 * body, from after the colon to before the last line end (continuation
 * lines included). Returns 1 when found, else 0. */
int pm_msg_find(const pm_msg *m, const char *name, const uint8_t **body,
	size_t *len);

/* Remove every field called name, with its continuation lines (to replace
 * one: remove it, then pm_msg_add_field). Like pm_msg_add_field, only
 * between pm_msg_load and the first pm_msg_read. */
void pm_msg_remove(pm_msg *m, const char *name);

/* Lines before the body as the message goes out: the header section,
 * with fields added and removed, and the blank line. A message line
 * number minus this is a body line number. */
size_t pm_msg_header_lines(const pm_msg *m);

/* A pm_read_fn (ctx is the pm_msg): the message, headers first. */
int pm_msg_read(void *ctx, uint8_t *dst, size_t cap, size_t *got);

#endif /* PM_MSG_H */
