/*
 * main.c — the sendmail-compatible command: arguments, configuration, the
 * message on stdin, one pinned TLS submission, an exit code.
 *
 * All memory is static and sized at build time: the header section buffer,
 * the recipient store and the session (with both TLS record buffers).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include "pm_conf.h"
#include "pm_msg.h"
#include "pm_net.h"
#include "pm_report.h"
#include "pm_session.h"

#ifndef PM_BUILD_EPOCH
#define PM_BUILD_EPOCH 0
#endif
#ifndef PM_VERSION
#define PM_VERSION "0.1"
#endif
#define PM_HDR_BUF_SIZE 65536
#define PM_RCPT_POOL (PM_RCPT_MAX * 64)

static pm_conf conf;
static pm_session sess;
static pm_msg msg;
static uint8_t hdr_buf[PM_HDR_BUF_SIZE];

/* Envelope recipients: arguments and, with -t, To/Cc/Bcc; no duplicates. */
static struct {
	const char *addr[PM_RCPT_MAX];
	size_t n;
	char pool[PM_RCPT_POOL];
	size_t used;
	int overflow;
} rcpts;

static int add_rcpt(void *ctx, const char *addr, size_t len)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < rcpts.n; i++)
		if (strlen(rcpts.addr[i]) == len && strncasecmp(rcpts.addr[i], addr, len) == 0)
			return 0;
	if (rcpts.n == PM_RCPT_MAX || len + 1 > sizeof rcpts.pool - rcpts.used) {
		rcpts.overflow = 1;
		return PM_ERR_TOO_MANY_RCPT;
	}
	memcpy(rcpts.pool + rcpts.used, addr, len);
	rcpts.pool[rcpts.used + len] = '\0';
	rcpts.addr[rcpts.n++] = rcpts.pool + rcpts.used;
	rcpts.used += len + 1;
	return 0;
}

static int read_stdin(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	ssize_t n;

	(void)ctx;
	do
		n = read(STDIN_FILENO, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return PM_ERR_READ;
	*got = (size_t)n;
	return 0;
}

/* -v: the SMTP transcript, secrets already masked by the engine. The pin
 * that authenticated the server is named before the first line, which is
 * where the handshake ended. */
static void trace(void *ctx, char dir, const char *line, size_t len)
{
	static int said_pin;
	int i = pm_dane_matched(&sess.dane);
	const pm_tlsa *t;

	(void)ctx;
	if (!said_pin && i >= 0) {
		t = &conf.tlsa[i];
		fprintf(stderr, "pinmail: %s authenticated by tlsa %u %u %u at %s:%u\n",
			conf.host, t->usage, t->selector, t->mtype, conf.path,
			conf.tlsa_line[i]);
		said_pin = 1;
	}
	fprintf(stderr, "%s %.*s\n", dir == 'C' ? "-->" : "<--", (int)len, line);
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	fputs("pinmail: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; usage: pinmail [-t] [-i] [-f sender] [-F name] [-v] [-C file]"
		" [recipient ...] < message\n", stderr);
	return EX_USAGE;
}

static int has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* The From: field pinmail adds when the message has none. */
static int add_from(const char *name, const char *sender)
{
	char field[PM_ADDR_MAX + 600];
	size_t n = 0, i;

	n += (size_t)snprintf(field, sizeof field, "From: ");
	if (name != NULL && name[0] != '\0') {
		/* The name as a quoted string, so no character in it can be
		 * read as address syntax. */
		field[n++] = '"';
		for (i = 0; name[i] != '\0' && n < sizeof field - PM_ADDR_MAX - 8; i++) {
			if (name[i] == '"' || name[i] == '\\')
				field[n++] = '\\';
			field[n++] = name[i];
		}
		n += (size_t)snprintf(field + n, sizeof field - n, "\" <%s>", sender);
	} else {
		n += (size_t)snprintf(field + n, sizeof field - n, "%s", sender);
	}
	return pm_msg_add_field(&msg, field, n);
}

static int option_value(int argc, char **argv, int *i, const char **out)
{
	const char *a = argv[*i];

	if (a[2] != '\0') {
		*out = a + 2;
		return 0;
	}
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf_path = getenv("PINMAIL_CONF");
	const char *sender = NULL, *name = NULL, *why = NULL, *a;
	int extract = 0, ignore_dots = 0, verbose = 0, dashdash = 0, i, err, fd;
	pm_session_params sp;
	pm_report_ctx rc;
	uint8_t seed[32];
	char helo[256], errbuf[160];
	time_t now;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (has_line_break(a))
				return usage("%s", "a line break in a recipient is not allowed");
			err = pm_addr_list(a, strlen(a), add_rcpt, NULL, &why);
			if (err == PM_ERR_ADDR) {
				fprintf(stderr, "pinmail: bad recipient address \"%s\": %s\n",
					a, why);
				return EX_DATAERR;
			}
			if (err != 0) {
				fprintf(stderr, "pinmail: more than %d recipients\n", PM_RCPT_MAX);
				return EX_DATAERR;
			}
			continue;
		}
		if (strcmp(a, "--") == 0)
			dashdash = 1;
		else if (strcmp(a, "-oi") == 0)
			ignore_dots = 1;
		else if (a[1] == 'f' || a[1] == 'r') {
			if (option_value(argc, argv, &i, &sender) != 0)
				return usage("%s needs an address", a);
		} else if (a[1] == 'F') {
			if (option_value(argc, argv, &i, &name) != 0)
				return usage("%s needs a name", a);
		} else if (a[1] == 'C') {
			if (option_value(argc, argv, &i, &conf_path) != 0)
				return usage("%s needs a file", a);
		} else if (strspn(a + 1, "tiv") == strlen(a + 1)) {
			extract |= strchr(a, 't') != NULL;
			ignore_dots |= strchr(a, 'i') != NULL;
			verbose |= strchr(a, 'v') != NULL;
		} else {
			return usage("unknown option %s (this version knows -t -i -oi"
				" -f -r -F -v -C)", a);
		}
	}
	if ((sender != NULL && has_line_break(sender)) || (name != NULL && has_line_break(name)))
		return usage("%s", "a line break in -f, -r or -F is not allowed");

	err = pm_conf_load(&conf, conf_path != NULL ? conf_path : "/etc/pinmail.conf");
	if (err != 0)
		return err;
	if (sender == NULL)
		sender = conf.from;
	if (sender[0] == '\0') {
		fprintf(stderr, "pinmail: no sender: add \"from you@example.com\" to %s"
			" or pass -f ADDRESS\n", conf.path);
		return EX_CONFIG;
	}

	msg.src = read_stdin;
	msg.buf = hdr_buf;
	msg.cap = sizeof hdr_buf;
	msg.ignore_dots = ignore_dots;
	msg.rcpt = extract ? add_rcpt : NULL;
	err = pm_msg_load(&msg);
	if (err == PM_ERR_ADDR) {
		fprintf(stderr, "pinmail: malformed address in the %s: field: %s;"
			" fix the message's header\n", msg.field, msg.why);
		return EX_DATAERR;
	}
	if (err == PM_ERR_HDR_TOO_BIG) {
		fprintf(stderr, "pinmail: the message's header section is larger than"
			" %d bytes; nothing sent\n", PM_HDR_BUF_SIZE);
		return EX_DATAERR;
	}
	if (err == PM_ERR_TOO_MANY_RCPT) {
		fprintf(stderr, "pinmail: more than %d recipients; split the message\n",
			PM_RCPT_MAX);
		return EX_DATAERR;
	}
	if (err != 0) {
		fprintf(stderr, "pinmail: cannot read the message from standard input:"
			" %s\n", strerror(errno));
		return EX_IOERR;
	}
	if (rcpts.n == 0) {
		fprintf(stderr, "pinmail: no recipients: give them as arguments, or use"
			" -t to take them from To, Cc and Bcc\n");
		return EX_USAGE;
	}
	if (!(msg.seen & PM_HDR_FROM) && add_from(name, sender) != 0) {
		fprintf(stderr, "pinmail: no room to add a From: field; nothing sent\n");
		return EX_DATAERR;
	}

	if (conf.helo[0] != '\0')
		snprintf(helo, sizeof helo, "%s", conf.helo);
	else if (gethostname(helo, sizeof helo) != 0 || helo[0] == '\0')
		snprintf(helo, sizeof helo, "localhost");
	helo[sizeof helo - 1] = '\0';
	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
		fprintf(stderr, "pinmail: no entropy from the kernel: %s\n", strerror(errno));
		return EX_OSERR;
	}
	/* Only a clock past the build date is believed; DANE-TA needs one. */
	now = time(NULL);

	memset(&sp, 0, sizeof sp);
	sp.host = conf.host;
	sp.tlsa = conf.tlsa;
	sp.ntlsa = conf.ntlsa;
	sp.now = now > (time_t)PM_BUILD_EPOCH ? (uint64_t)now : 0;
	sp.seed = seed;
	sp.seed_len = sizeof seed;
	sp.smtp.helo = helo;
	sp.smtp.user = conf.user[0] != '\0' ? conf.user : NULL;
	sp.smtp.pass = conf.password;
	sp.smtp.from = sender;
	sp.smtp.rcpt = rcpts.addr;
	sp.smtp.nrcpt = rcpts.n;
	sp.smtp.read = pm_msg_read;
	sp.smtp.read_ctx = &msg;
	sp.smtp.trace = verbose ? trace : NULL;
	err = pm_session_start(&sess, &sp);
	memset(seed, 0, sizeof seed);
	if (err == PM_ERR_ADDR) {
		fprintf(stderr, "pinmail: an address is too long or holds a control"
			" character or <>; nothing sent\n");
		return EX_DATAERR;
	}
	if (err != 0) {
		fprintf(stderr, "pinmail: cannot start a session (error %d)\n", err);
		return EX_SOFTWARE;
	}

	fd = pm_net_connect(conf.host, conf.port, conf.timeout, verbose, &err,
		errbuf, sizeof errbuf);
	if (fd < 0) {
		fprintf(stderr, "pinmail: cannot connect to %s port %u: %s;"
			" mail not sent, try again later\n", conf.host, conf.port, errbuf);
		return EX_TEMPFAIL;
	}
	pm_net_pump(&sess, fd, conf.timeout);
	close(fd);

	rc.host = conf.host;
	rc.port = conf.port;
	rc.timeout = conf.timeout;
	rc.conf_path = conf.path;
	rc.rcpt = rcpts.addr;
	return pm_report(&sess, &rc);
}
