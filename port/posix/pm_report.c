/*
 * pm_report.c — outcomes as sendmail exit codes and one-line sentences.
 *
 * The core reports PM_ERR_* with details; only here do they become words
 * and <sysexits.h> codes. Every sentence names what failed and what to do.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include "pm_report.h"

static const struct { int code; const char *text; } br_errors[] = {
	{ BR_ERR_BAD_PARAM, "bad parameter" },
	{ BR_ERR_BAD_STATE, "bad state" },
	{ BR_ERR_UNSUPPORTED_VERSION, "server does not offer TLS 1.2" },
	{ BR_ERR_BAD_VERSION, "bad TLS version in a record" },
	{ BR_ERR_BAD_LENGTH, "bad record length" },
	{ BR_ERR_TOO_LARGE, "record too large" },
	{ BR_ERR_BAD_MAC, "bad record MAC" },
	{ BR_ERR_NO_RANDOM, "no entropy" },
	{ BR_ERR_UNKNOWN_TYPE, "unknown record type" },
	{ BR_ERR_UNEXPECTED, "unexpected message" },
	{ BR_ERR_BAD_CCS, "bad ChangeCipherSpec" },
	{ BR_ERR_BAD_ALERT, "bad alert" },
	{ BR_ERR_BAD_HANDSHAKE, "bad handshake message" },
	{ BR_ERR_OVERSIZED_ID, "oversized session id" },
	{ BR_ERR_BAD_CIPHER_SUITE, "server chose a cipher suite pinmail did not offer" },
	{ BR_ERR_BAD_COMPRESSION, "server chose compression" },
	{ BR_ERR_BAD_FRAGLEN, "bad max fragment length" },
	{ BR_ERR_BAD_SECRENEG, "bad secure renegotiation" },
	{ BR_ERR_EXTRA_EXTENSION, "unrequested extension" },
	{ BR_ERR_BAD_SNI, "bad SNI" },
	{ BR_ERR_BAD_HELLO_DONE, "bad ServerHelloDone" },
	{ BR_ERR_LIMIT_EXCEEDED, "a limit was exceeded" },
	{ BR_ERR_BAD_FINISHED, "bad Finished message" },
	{ BR_ERR_RESUME_MISMATCH, "session resumption mismatch" },
	{ BR_ERR_INVALID_ALGORITHM, "server used an algorithm pinmail does not support" },
	{ BR_ERR_BAD_SIGNATURE, "bad signature from the server" },
	{ BR_ERR_WRONG_KEY_USAGE, "server key not usable for this cipher suite" },
	{ BR_ERR_NO_CLIENT_AUTH, "server requires a client certificate" },
	{ BR_ERR_IO, "I/O error" },
	{ BR_ERR_X509_EXPIRED, "a certificate is expired or not yet valid" },
	{ BR_ERR_X509_BAD_SERVER_NAME, "the certificate does not name the host" },
	{ BR_ERR_X509_BAD_SIGNATURE, "a certificate signature does not verify" },
	{ BR_ERR_X509_NOT_CA, "an issuing certificate is not a CA" },
	{ BR_ERR_X509_TIME_UNKNOWN, "no trustworthy clock" },
	{ BR_ERR_X509_NOT_TRUSTED, "no pin matched" },
	{ BR_ERR_X509_WEAK_PUBLIC_KEY, "a key is too weak" },
	{ BR_ERR_X509_CRITICAL_EXTENSION, "unsupported critical extension" },
	{ BR_ERR_X509_UNSUPPORTED, "unsupported certificate feature" },
	{ BR_ERR_X509_LIMIT_EXCEEDED, "certificate chain exceeds a limit" },
};

const char *pm_br_error(int code, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof br_errors / sizeof br_errors[0]; i++)
		if (br_errors[i].code == code)
			return br_errors[i].text;
	if (code >= BR_ERR_RECV_FATAL_ALERT && code < BR_ERR_RECV_FATAL_ALERT + 256)
		snprintf(buf, len, "server sent TLS alert %d", code - BR_ERR_RECV_FATAL_ALERT);
	else if (code >= BR_ERR_SEND_FATAL_ALERT && code < BR_ERR_SEND_FATAL_ALERT + 256)
		snprintf(buf, len, "pinmail sent TLS alert %d", code - BR_ERR_SEND_FATAL_ALERT);
	else if (code >= BR_ERR_X509_OK && code < 64)
		snprintf(buf, len, "certificate error %d", code);
	else
		snprintf(buf, len, "TLS error %d", code);
	return buf;
}

void pm_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "a (550 ...), b (451 ...)": the refused recipients, bounded. */
static void refused_list(const pm_session *s, const char *const *rcpt,
	char *out, size_t len, int *any_perm)
{
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	*any_perm = 0;
	for (i = 0; i < s->smtp.p.nrcpt && used < len; i++) {
		unsigned c = s->smtp.rcpt_code[i];

		if (c == 250 || c == 251 || c == 0)
			continue;
		*any_perm |= c >= 500;
		n = snprintf(out + used, len - used, "%s%s (%u)", used ? ", " : "",
			rcpt[i], c);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The failure sentence: into r->line for the log, and on stderr. */
static void say(const pm_report_ctx *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const pm_report_ctx *r, const char *fmt, ...)
{
	char tmp[1024];
	char *line = r->line != NULL ? r->line : tmp;
	size_t cap = r->line != NULL ? r->line_cap : sizeof tmp;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, cap, fmt, ap);
	va_end(ap);
	if (!r->quiet)
		fprintf(stderr, "pinmail: %s\n", line);
}

int pm_report(const pm_session *s, const pm_report_ctx *r)
{
	const pm_smtp *m = &s->smtp;
	int err = pm_session_result(s), perm;
	char key[65], buf[64], list[512];
	const char *stage = m->stage ? m->stage : "session";

	switch (err) {
	case PM_OK:
		return EX_OK;
	case PM_ERR_PIN_MISMATCH:
		if (pm_dane_presented(&s->dane) != NULL)
			pm_hex(key, pm_dane_presented(&s->dane), 32);
		else
			strcpy(key, "(no certificate)");
		say(r, "%s presented a key that matches no tlsa record"
			" in %s; it is \"tlsa 3 1 1 %s\"; if the server's key changed"
			" legitimately, add that line, else do not trust this server",
			r->host, r->conf_path, key);
		return EX_TEMPFAIL;
	case PM_ERR_NO_CLOCK:
		say(r, "a tlsa 2 (DANE-TA) record for %s needs a"
			" trustworthy clock and this system's clock is before pinmail's"
			" build date; set the clock or pin the server key with"
			" tlsa 3 1 1", r->host);
		return EX_TEMPFAIL;
	case PM_ERR_CHAIN:
		say(r, "%s matched a tlsa 2 record but its chain is"
			" invalid: %s; fix the server's certificate or its pins",
			r->host,
			pm_br_error(s->dane.chain_err, buf, sizeof buf));
		return EX_TEMPFAIL;
	case PM_ERR_TLS:
		say(r, "TLS with %s port %u failed: %s; is it an"
			" implicit-TLS (465) port?", r->host, r->port,
			pm_br_error(s->tls_err, buf, sizeof buf));
		return EX_TEMPFAIL;
	case PM_ERR_TIMEOUT:
		say(r, "%s did not answer within %u s (%s)", r->host,
			r->timeout, stage);
		return EX_TEMPFAIL;
	case PM_ERR_NET:
		say(r, "connection to %s lost (%s)", r->host, stage);
		return EX_TEMPFAIL;
	case PM_ERR_READ:
		say(r, "cannot read the message back from the spool;"
			" nothing was delivered");
		return EX_IOERR;
	case PM_ERR_AUTH:
		say(r, "%s rejected authentication as %s: %s;"
			" check user and password in %s", r->host, m->p.user,
			m->reply_text, r->conf_path);
		return EX_NOPERM;
	case PM_ERR_AUTH_UNAVAIL:
		say(r, "%s offers no authentication pinmail"
			" supports (PLAIN, LOGIN) on port %u; check host and port in %s",
			r->host, r->port, r->conf_path);
		return EX_UNAVAILABLE;
	case PM_ERR_TEMP:
		say(r, "%s refused %s for now: %s", r->host, stage,
			m->reply_text);
		return EX_TEMPFAIL;
	case PM_ERR_PERM:
		say(r, "%s refused %s: %s", r->host, stage,
			m->reply_text);
		return EX_UNAVAILABLE;
	case PM_ERR_RCPT:
		refused_list(s, r->rcpt, list, sizeof list, &perm);
		if (m->delivered)
			say(r, "delivered to %zu of %zu recipients;"
				" refused: %s: %s", m->accepted, m->p.nrcpt, list,
				m->reply_text);
		else
			say(r, "every recipient was refused: %s: %s", list,
				m->reply_text);
		return perm ? EX_NOUSER : EX_TEMPFAIL;
	case PM_ERR_PROTO:
		say(r, "%s broke the SMTP protocol (%s): %s", r->host, stage,
			m->reply_text);
		return EX_PROTOCOL;
	case PM_ERR_LINE_TOO_LONG:
		say(r, "line %zu of the message body is longer than 998 octets"
			" (RFC 5322 2.1.1); the transaction was abandoned before its end,"
			" so nothing was delivered", m->line_no > r->header_lines
			? m->line_no - r->header_lines : m->line_no);
		return EX_DATAERR;
	case PM_ERR_STARTTLS:
		if (m->reply_code != 0)
			say(r, "%s port %u refused STARTTLS: %s; nothing was sent"
				" in the clear", r->host, r->port, m->reply_text);
		else if (strstr(stage, "injected") != NULL)
			say(r, "%s port %u sent data before TLS began (command"
				" injection); nothing was sent", r->host, r->port);
		else
			say(r, "%s port %u does not offer STARTTLS; pinmail never"
				" sends mail in the clear: nothing was sent; use its"
				" implicit-TLS port (465) or ask the provider",
				r->host, r->port);
		return EX_TEMPFAIL;
	case PM_ERR_NO_SMTPUTF8:
		say(r, "an address is not ASCII and %s does not offer SMTPUTF8;"
			" nothing was sent; use an ASCII address", r->host);
		return EX_DATAERR;
	default:
		say(r, "internal error %d (%s)", err, stage);
		return EX_SOFTWARE;
	}
}
