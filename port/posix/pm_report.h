/*
 * pm_report.h — turning a session's outcome into an exit code and words.
 */
#ifndef PM_REPORT_H
#define PM_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "pm_session.h"

typedef struct {
	const char *host;
	unsigned port;
	unsigned timeout;
	const char *conf_path;
	const char *const *rcpt;   /* as given to the SMTP engine */
	size_t header_lines;       /* lines before the body (pm_msg) */
	int quiet;                 /* only fill line; the caller prints */
	char *line;                /* receives the failure sentence, or NULL */
	size_t line_cap;
} pm_report_ctx;

/* Print one line on stderr for a failed session (also kept in r->line, for
 * the log) and return its <sysexits.h> code; EX_OK (silent, r->line
 * untouched) when the message was delivered. */
int pm_report(const pm_session *s, const pm_report_ctx *r);

/* A BearSSL error code in words (buf is used for codes without a name). */
const char *pm_br_error(int code, char *buf, size_t len);

/* Lowercase hex of p[0..n) into out (2n + 1 bytes). */
void pm_hex(char *out, const uint8_t *p, size_t n);

#endif /* PM_REPORT_H */
