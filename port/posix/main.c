/*
 * main.c — the sendmail-compatible command: arguments, configuration, the
 * message on stdin, one pinned TLS submission, a log line, an exit code.
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
#include <strings.h>
#include <sys/random.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "pm_args.h"
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
#ifndef PM_BEARSSL_VERSION
#define PM_BEARSSL_VERSION "unknown"
#endif
#define PM_HDR_BUF_SIZE 65536
#define PM_RCPT_POOL (PM_RCPT_MAX * 64)

static pm_args args;
static pm_conf conf;
static pm_session sess;
static pm_msg msg;
static uint8_t hdr_buf[PM_HDR_BUF_SIZE];

/* Envelope recipients after aliases and qualification; no duplicates. */
static struct {
	const char *addr[PM_RCPT_MAX];
	size_t n;
	char pool[PM_RCPT_POOL];
	size_t used;
	int utf8;              /* some address holds a non-ASCII byte */
	int status;            /* exit status of a failure already reported */
} rcpts;

static int has_8bit(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

static int add_rcpt(const char *addr, size_t len)
{
	size_t i;

	for (i = 0; i < rcpts.n; i++)
		if (strlen(rcpts.addr[i]) == len && strncasecmp(rcpts.addr[i], addr, len) == 0)
			return 0;
	if (rcpts.n == PM_RCPT_MAX || len + 1 > sizeof rcpts.pool - rcpts.used) {
		fprintf(stderr, "pinmail: more than %d recipients (or %d bytes of"
			" addresses); split the message\n", PM_RCPT_MAX, PM_RCPT_POOL);
		rcpts.status = EX_DATAERR;
		return -1;
	}
	memcpy(rcpts.pool + rcpts.used, addr, len);
	rcpts.pool[rcpts.used + len] = '\0';
	rcpts.addr[rcpts.n++] = rcpts.pool + rcpts.used;
	rcpts.used += len + 1;
	rcpts.utf8 |= has_8bit(addr, len);
	return 0;
}

/* A recipient after alias expansion: bare local names get the domain. */
static int qualify_rcpt(void *ctx, const char *addr, size_t len)
{
	char full[PM_ADDR_MAX + 1];
	int n;

	(void)ctx;
	if (memchr(addr, '@', len) != NULL || conf.domain[0] == '\0')
		return add_rcpt(addr, len);
	n = snprintf(full, sizeof full, "%.*s@%s", (int)len, addr, conf.domain);
	if (n < 0 || (size_t)n >= sizeof full) {
		fprintf(stderr, "pinmail: %.*s@%s is longer than %d bytes\n", (int)len,
			addr, conf.domain, PM_ADDR_MAX);
		rcpts.status = EX_DATAERR;
		return -1;
	}
	return add_rcpt(full, (size_t)n);
}

/* Every recipient, from the arguments or (-t) the header: local names go
 * through the aliases first, then get qualified. */
static int envelope_rcpt(void *ctx, const char *addr, size_t len)
{
	int r;

	if (memchr(addr, '@', len) != NULL)
		return add_rcpt(addr, len);
	r = pm_conf_alias(&conf, addr, len, qualify_rcpt, ctx);
	if (r == 1)
		return 0;
	if (r != 0) {
		rcpts.status = r;
		return -1;
	}
	return qualify_rcpt(ctx, addr, len);
}

/* Octets of the message as sent, for the log. */
static size_t msg_bytes;

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

static const char usage_line[] =
	"usage: pinmail [-t] [-i] [-f sender] [-F name] [-v] [-C file]"
	" [-B type] [-N dsn] [-R ret] [-V envid] [-L tag] [--] [recipient ...]"
	" < message";

static void help(void)
{
	printf("%s\n\n"
		"Submit the message on standard input over implicit TLS (port 465)"
		" to the\nserver in the configuration, authenticated by its tlsa pins.\n\n"
		"  -t            recipients also from To, Cc, Bcc (Bcc is removed)\n"
		"  -i, -oi       a line holding only \".\" does not end the message\n"
		"  -f, -r ADDR   envelope sender (default: from in the configuration)\n"
		"  -F NAME       the name in an added From: field\n"
		"  -v            SMTP transcript on stderr (secrets masked)\n"
		"  -C FILE       configuration (default $PINMAIL_CONF, /etc/pinmail.conf)\n"
		"  -B 7BIT|8BITMIME, -N NEVER|SUCCESS,FAILURE,DELAY, -R FULL|HDRS,"
		" -V ENVID\n"
		"                BODY=, NOTIFY=, RET=, ENVID= when the server offers"
		" them\n"
		"  -L TAG        syslog tag\n"
		"  -bm           deliver (the default); -bp, mailq: list the queue;"
		" -q: flush it\n"
		"  -o..., -O ..., -h N, -G, -U, -m, -n, -e...   accepted, ignored\n"
		"  --version     version, BearSSL and build options\n"
		"  --import-msmtprc FILE [ACCOUNT]   print an equivalent configuration\n\n"
		"Exit status: 0 delivered, 64 usage, 65 bad message, 67 recipients"
		" refused,\n69 refused by the server, 75 try again later, 77"
		" authentication refused,\n78 configuration. See pinmail(8) and"
		" pinmail.conf(5).\n", usage_line);
}

static void version(void)
{
	printf("pinmail %s\n"
		"BearSSL %s; %s\n"
		"buffers: TLS input %d, output %d; header section %d; recipients %d"
		" (%d bytes); reply line %d\n"
		"trust: tlsa usages 2 (DANE-TA) and 3 (DANE-EE), selectors 0 1,"
		" matching 0 1 2, at most %d records\n",
		PM_VERSION, PM_BEARSSL_VERSION, PM_SESSION_PROFILE,
		PM_TLS_IBUF_SIZE, PM_TLS_OBUF_SIZE, PM_HDR_BUF_SIZE, PM_RCPT_MAX,
		PM_RCPT_POOL, PM_REPLY_LINE_MAX, PM_TLSA_MAX);
}

/* "local" or "Name <local>" or "local (Name)": a bare local user. */
typedef struct {
	char addr[PM_ADDR_MAX + 1];
	size_t n;
} one_addr;

static int note_addr(void *ctx, const char *addr, size_t len)
{
	one_addr *o = ctx;

	if (o->n++ == 0 && len < sizeof o->addr) {
		memcpy(o->addr, addr, len);
		o->addr[len] = '\0';
	}
	return 0;
}

/* The display name of a From: body, from a comment "(Name)" or a phrase
 * before "<", without quotes; empty when there is none. */
static void display_name(const char *b, size_t len, char *out, size_t cap)
{
	const char *open = memchr(b, '(', len), *close, *lt = memchr(b, '<', len);
	size_t n = 0, i;

	out[0] = '\0';
	if (open != NULL && (close = memchr(open, ')', len - (size_t)(open - b))) != NULL) {
		b = open + 1;
		len = (size_t)(close - b);
	} else if (lt != NULL) {
		len = (size_t)(lt - b);
	} else {
		return;
	}
	for (i = 0; i < len && n + 1 < cap; i++)
		if (b[i] != '"' && b[i] != '\r' && b[i] != '\n')
			out[n++] = b[i];
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
	for (i = 0; out[i] == ' ' || out[i] == '\t'; i++)
		;
	memmove(out, out + i, n - i + 1);
}

/* From: with an optional name as a quoted string, so nothing in the name
 * can be read as address syntax. */
static int add_from(const char *name, const char *sender)
{
	char field[PM_ADDR_MAX + 600];
	size_t n = 0, i;

	n += (size_t)snprintf(field, sizeof field, "From: ");
	if (name != NULL && name[0] != '\0') {
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

/* rewrite_local_from: "From: root (Cron Daemon)" names no one outside
 * this host; it becomes "From: "Cron Daemon" <from>". */
static int rewrite_from(void)
{
	const uint8_t *body;
	size_t len;
	one_addr o;
	char name[200];

	if (!pm_msg_find(&msg, "from", &body, &len))
		return 0;
	memset(&o, 0, sizeof o);
	if (pm_addr_list((const char *)body, len, note_addr, &o, NULL) != 0
		|| o.n != 1 || strchr(o.addr, '@') != NULL)
		return 0;
	display_name((const char *)body, len, name, sizeof name);
	pm_msg_remove(&msg, "from");
	return add_from(name[0] != '\0' ? name : NULL, conf.from);
}

static int add_date(time_t now)
{
	char field[64];
	struct tm tm;
	size_t n;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	n = strftime(field, sizeof field, "Date: %a, %d %b %Y %H:%M:%S %z", &tm);
	return n > 0 ? pm_msg_add_field(&msg, field, n) : 0;
}

static int add_message_id(time_t now, const uint8_t *rnd, size_t rlen,
	const char *domain)
{
	char field[PM_ADDR_MAX + 100], hex[2 * 16 + 1];
	int n;

	pm_hex(hex, rnd, rlen > 16 ? 16 : rlen);
	n = snprintf(field, sizeof field, "Message-ID: <%lld.%s@%s>",
		(long long)now, hex, domain);
	if (n < 0 || (size_t)n >= sizeof field)
		return PM_ERR_HDR_TOO_BIG;
	return pm_msg_add_field(&msg, field, (size_t)n);
}

/* One line per message in syslog or the logfile: who, to whom, how big,
 * which pin, and the outcome. Never a secret. */
static void log_result(int status, const char *sender, const char *what)
{
	char line[2048], when[32];
	size_t n = 0, i;
	int k = pm_dane_matched(&sess.dane), fd;
	time_t now;
	struct tm tm;

#define ADD(...) do { int w_ = snprintf(line + n, sizeof line - n, __VA_ARGS__); \
	if (w_ > 0) n += (size_t)w_ < sizeof line - n ? (size_t)w_ : sizeof line - n - 1; \
	} while (0)
	ADD("from=<%s> to=", sender);
	for (i = 0; i < rcpts.n; i++)
		ADD("%s<%s>", i ? "," : "", rcpts.addr[i]);
	ADD(" size=%zu relay=%s:%u", msg_bytes, conf.host, conf.port);
	if (k >= 0)
		ADD(" tlsa=\"%u %u %u\" (%s:%u)", conf.tlsa[k].usage,
			conf.tlsa[k].selector, conf.tlsa[k].mtype, conf.path,
			conf.tlsa_line[k]);
	ADD(" status=%s exit=%d (%s)", status == 0 ? "sent"
		: status == EX_TEMPFAIL ? "deferred" : "failed", status, what);
#undef ADD
	if (conf.logfile[0] != '\0') {
		now = time(NULL);
		if (localtime_r(&now, &tm) == NULL
			|| strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
			when[0] = '\0';
		fd = open(conf.logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "pinmail: warning: cannot write logfile %s: %s\n",
				conf.logfile, strerror(errno));
			return;
		}
		dprintf(fd, "%s pinmail[%d]: %s\n", when, (int)getpid(), line);
		close(fd);
	} else if (conf.syslog_facility >= 0) {
		openlog(args.tag != NULL ? args.tag : "pinmail", LOG_PID, conf.syslog_facility);
		syslog(status == 0 ? LOG_INFO : LOG_ERR, "%s", line);
		closelog();
	}
}

/* The domain of an address, or NULL. */
static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

static int load_message(void)
{
	int err;

	msg.src = read_stdin;
	msg.buf = hdr_buf;
	msg.cap = sizeof hdr_buf;
	msg.ignore_dots = args.ignore_dots;
	msg.rcpt = args.extract ? envelope_rcpt : NULL;
	err = pm_msg_load(&msg);
	if (err == -1)
		return rcpts.status;
	if (err == PM_ERR_ADDR) {
		fprintf(stderr, "pinmail: malformed address in the %s: field: %s;"
			" fix the message's header; nothing sent\n", msg.field, msg.why);
		return EX_DATAERR;
	}
	if (err == PM_ERR_HDR_TOO_BIG) {
		fprintf(stderr, "pinmail: the message's header section is larger than"
			" %d bytes; nothing sent\n", PM_HDR_BUF_SIZE - PM_MSG_ROOM);
		return EX_DATAERR;
	}
	if (err == PM_ERR_LINE_TOO_LONG) {
		fprintf(stderr, "pinmail: %s; wrap it or encode the message (MIME"
			" quoted-printable or base64); nothing sent\n", msg.why);
		return EX_DATAERR;
	}
	if (err != 0) {
		fprintf(stderr, "pinmail: cannot read the message from standard input:"
			" %s; nothing sent\n", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

static int send_message(void)
{
	const char *sender = args.sender, *why = NULL, *domain;
	char sender_buf[PM_ADDR_MAX + 1], helo[256], errbuf[160], line[1024];
	uint8_t seed[32], rnd[16];
	br_hmac_drbg_context drbg;
	pm_session_params sp;
	pm_report_ctx rc;
	size_t i;
	time_t now;
	int err, fd, status;

	err = pm_conf_load(&conf, args.conf_path != NULL ? args.conf_path
		: getenv("PINMAIL_CONF") != NULL ? getenv("PINMAIL_CONF")
		: "/etc/pinmail.conf");
	if (err != 0)
		return err;

	/* The envelope sender: -f, else from; a bare local name is rewritten
	 * (rewrite_local_from) or qualified (domain). */
	if (sender == NULL || sender[0] == '\0')
		sender = conf.from;
	if (sender[0] == '\0') {
		fprintf(stderr, "pinmail: no sender: add \"from you@example.com\" to %s"
			" or pass -f ADDRESS\n", conf.path);
		return EX_CONFIG;
	}
	if (strchr(sender, '@') == NULL) {
		if (conf.rewrite_local_from && conf.from[0] != '\0')
			sender = conf.from;
		else if (conf.domain[0] != '\0') {
			if ((size_t)snprintf(sender_buf, sizeof sender_buf, "%s@%s", sender,
				conf.domain) >= sizeof sender_buf) {
				fprintf(stderr, "pinmail: sender %s@%s is longer than %d"
					" bytes\n", sender, conf.domain, PM_ADDR_MAX);
				return EX_DATAERR;
			}
			sender = sender_buf;
		}
	}

	for (i = 0; i < args.nrcpt; i++) {
		err = pm_addr_list(args.rcpt[i], strlen(args.rcpt[i]), envelope_rcpt,
			NULL, &why);
		if (err == -1)
			return rcpts.status;
		if (err != 0) {
			fprintf(stderr, "pinmail: bad recipient address \"%s\": %s\n",
				args.rcpt[i], why);
			return EX_DATAERR;
		}
	}
	err = load_message();
	if (err != 0)
		return err;
	if (rcpts.n == 0) {
		fprintf(stderr, "pinmail: no recipients: give them as arguments, or use"
			" -t to take them from To, Cc and Bcc\n");
		return EX_USAGE;
	}

	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
		fprintf(stderr, "pinmail: no entropy from the kernel: %s\n", strerror(errno));
		return EX_OSERR;
	}
	/* One DRBG from the kernel's seed feeds TLS and the Message-ID. */
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof seed);
	br_hmac_drbg_generate(&drbg, seed, sizeof seed);
	br_hmac_drbg_generate(&drbg, rnd, sizeof rnd);
	memset(&drbg, 0, sizeof drbg);

	if (conf.helo[0] != '\0')
		snprintf(helo, sizeof helo, "%s", conf.helo);
	else if (gethostname(helo, sizeof helo) != 0 || helo[0] == '\0')
		snprintf(helo, sizeof helo, "localhost");
	helo[sizeof helo - 1] = '\0';

	/* Header rules. Only a clock past the build date is believed: without
	 * one, Date is left to the server rather than sent as 1970. */
	now = time(NULL);
	err = 0;
	if (conf.rewrite_local_from && conf.from[0] != '\0' && (msg.seen & PM_HDR_FROM))
		err = rewrite_from();
	if (err == 0 && !(msg.seen & PM_HDR_FROM))
		err = add_from(args.name, sender);
	if (err == 0 && !(msg.seen & PM_HDR_DATE) && now > (time_t)PM_BUILD_EPOCH)
		err = add_date(now);
	domain = domain_of(sender);
	if (domain == NULL)
		domain = conf.domain[0] != '\0' ? conf.domain : helo;
	if (err == 0 && !(msg.seen & PM_HDR_MESSAGE_ID))
		err = add_message_id(now, rnd, sizeof rnd, domain);
	if (err != 0) {
		fprintf(stderr, "pinmail: no room to add the From:, Date: and"
			" Message-ID: fields; nothing sent\n");
		return EX_DATAERR;
	}

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
	sp.smtp.trace = args.verbose ? trace : NULL;
	sp.smtp.body = args.body;
	sp.smtp.smtputf8 = rcpts.utf8 || has_8bit(sender, strlen(sender));
	sp.smtp.notify = args.notify;
	sp.smtp.ret = args.ret;
	sp.smtp.envid = args.envid;
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

	fd = pm_net_connect(conf.host, conf.port, conf.timeout, args.verbose, &err,
		errbuf, sizeof errbuf);
	if (fd < 0) {
		snprintf(line, sizeof line, "cannot connect to %s port %u: %s;"
			" mail not sent, try again later", conf.host, conf.port, errbuf);
		fprintf(stderr, "pinmail: %s\n", line);
		log_result(EX_TEMPFAIL, sender, line);
		return EX_TEMPFAIL;
	}
	pm_net_pump(&sess, fd, conf.timeout);
	close(fd);
	msg_bytes = sess.smtp.body_bytes;

	memset(&rc, 0, sizeof rc);
	rc.host = conf.host;
	rc.port = conf.port;
	rc.timeout = conf.timeout;
	rc.conf_path = conf.path;
	rc.rcpt = rcpts.addr;
	rc.header_lines = pm_msg_header_lines(&msg);
	rc.line = line;
	rc.line_cap = sizeof line;
	status = pm_report(&sess, &rc);
	if (status == 0)
		snprintf(line, sizeof line, "%s", sess.smtp.final_text);
	log_result(status, sender, line);
	return status;
}

int main(int argc, char **argv)
{
	int err = pm_args_parse(&args, argc, argv);

	if (err != 0) {
		fprintf(stderr, "pinmail: %s\n%s\n", args.why, usage_line);
		return err;
	}
	switch (args.mode) {
	case PM_MODE_HELP:
		help();
		return EX_OK;
	case PM_MODE_VERSION:
		version();
		return EX_OK;
	case PM_MODE_NEWALIASES:
		return EX_OK;       /* aliases are read as they are, each time */
	case PM_MODE_LIST:
		printf("Mail queue is empty\n");
		return EX_OK;
	case PM_MODE_FLUSH:
		printf("pinmail: the queue is empty; nothing to flush\n");
		return EX_OK;
	case PM_MODE_IMPORT:
		fprintf(stderr, "pinmail: --import-msmtprc is not in this build\n");
		return EX_USAGE;
	}
	return send_message();
}
