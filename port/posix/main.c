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
#include <sys/file.h>
#include <sys/random.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "pm_args.h"
#include "pm_conf.h"
#include "pm_msg.h"
#include "pm_msmtprc.h"
#include "pm_net.h"
#include "pm_report.h"
#include "pm_session.h"
#include "pm_spool.h"
#include "pm_dnstlsa.h"
#include "pm_printtlsa.h"
#include "pm_tlscache.h"

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

/* The envelope being built: sender, recipients after aliases and
 * qualification (no duplicates), DSN and BODY options. */
static pm_env env;
static int rcpt_status;    /* exit status of a failure already reported */

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
	if (pm_env_add_rcpt(&env, addr, len) != 0) {
		fprintf(stderr, "pinmail: more than %d recipients (or %zu bytes of"
			" addresses); split the message\n", PM_RCPT_MAX, sizeof env.pool);
		rcpt_status = EX_DATAERR;
		return -1;
	}
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
		rcpt_status = EX_DATAERR;
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
		rcpt_status = r;
		return -1;
	}
	return qualify_rcpt(ctx, addr, len);
}

static int read_fd(int fd, uint8_t *buf, size_t cap, size_t *got)
{
	ssize_t n;

	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return PM_ERR_READ;
	*got = (size_t)n;
	return 0;
}

static int read_stdin(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	(void)ctx;
	return read_fd(STDIN_FILENO, buf, cap, got);
}

/* During delivery the message comes back from its spool file. */
static int read_item(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	return read_fd(((pm_spool_item *)ctx)->fd, buf, cap, got);
}

/* The pins of the current attempt: the configured ones, or (tlsa dns)
 * those DNS gave; and what DNS said when it gave none. */
static const pm_tlsa *pins;
static int pins_dns;
static char dns_note[400];

/* Where pin i came from: "at FILE:LINE", or "from DNS". */
static void pin_origin(char *out, size_t cap, int i)
{
	if (pins_dns)
		snprintf(out, cap, "from DNS (_%u._tcp.%s)", conf.port, conf.host);
	else
		snprintf(out, cap, "at %s:%u", conf.path, conf.tlsa_line[i]);
}

/* -v: the SMTP transcript, secrets already masked by the engine. The pin
 * that authenticated the server is named before the first line, which is
 * where the handshake ended. */
static int said_pin;

static void trace(void *ctx, char dir, const char *line, size_t len)
{
	int i = pm_session_matched(&sess);
	const pm_tlsa *t;

	(void)ctx;
	if (!said_pin && i >= 0) {
		char where[400];

		t = &pins[i];
		pin_origin(where, sizeof where, i);
		fprintf(stderr, "pinmail: %s authenticated by tlsa %u %u %u %s%s\n",
			conf.host, t->usage, t->selector, t->mtype, where,
			sess.resumed ? " (TLS session resumed)" : "");
		said_pin = 1;
	}
	/* Server text reaches a terminal: printable ASCII only (no escape
	 * sequences, C1 controls or bidi overrides; with STARTTLS it comes
	 * before the server is authenticated). */
	fputs(dir == 'C' ? "--> " : "<-- ", stderr);
	for (; len > 0; len--, line++)
		fputc(*line >= 0x20 && *line < 0x7f ? *line : '?', stderr);
	fputc('\n', stderr);
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
		"  --import-msmtprc FILE [ACCOUNT]   print an equivalent configuration\n"
		"  --print-tlsa HOST[:PORT]   show the server's chain and its tlsa"
		" lines\n                (TLS only, nothing sent; -C for port and"
		" timeout)\n\n"
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
static void log_result(const char *id, const pm_env *e, int matched,
	int resumed, const char *status, int code, const char *what)
{
	char line[2048], when[32];
	size_t n = 0, i;
	int fd;
	time_t now;
	struct tm tm;

#define ADD(...) do { int w_ = snprintf(line + n, sizeof line - n, __VA_ARGS__); \
	if (w_ > 0) n += (size_t)w_ < sizeof line - n ? (size_t)w_ : sizeof line - n - 1; \
	} while (0)
	ADD("%s: from=<%s> to=", id, e->from);
	for (i = 0; i < e->nrcpt; i++)
		ADD("%s<%s>", i ? "," : "", e->rcpt[i]);
	ADD(" size=%llu relay=%s:%u", e->size, conf.host, conf.port);
	if (matched >= 0 && pins_dns)
		ADD(" tlsa=\"%u %u %u\" (DNS)", pins[matched].usage,
			pins[matched].selector, pins[matched].mtype);
	else if (matched >= 0)
		ADD(" tlsa=\"%u %u %u\" (%s:%u)", conf.tlsa[matched].usage,
			conf.tlsa[matched].selector, conf.tlsa[matched].mtype, conf.path,
			conf.tlsa_line[matched]);
	if (dns_note[0] != '\0')
		ADD(" dns=\"%s\"", dns_note);
	if (resumed)
		ADD(" tls=resumed");
	ADD(" status=%s exit=%d (%s)", status, code, what);
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
		syslog(strcmp(status, "sent") == 0 ? LOG_INFO : LOG_ERR, "%s", line);
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
		return rcpt_status;
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
	if (err == PM_ERR_LINE_TOO_LONG || err == PM_ERR_BARE_CR) {
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

static const char *conf_file(void)
{
	if (args.conf_path != NULL)
		return args.conf_path;
	return getenv("PINMAIL_CONF") != NULL ? getenv("PINMAIL_CONF")
		: "/etc/pinmail.conf";
}

/* The spool: the configured one, else /var/spool/pinmail for root and
 * ~/.pinmail/spool for everyone else. */
static int open_spool(pm_spool *sp)
{
	const char *home = getenv("HOME");

	if (conf.spool[0] == '\0') {
		if (geteuid() == 0 || home == NULL || home[0] == '\0')
			snprintf(conf.spool, sizeof conf.spool, "/var/spool/pinmail");
		else if ((size_t)snprintf(conf.spool, sizeof conf.spool,
			"%s/.pinmail/spool", home) >= sizeof conf.spool) {
			fprintf(stderr, "pinmail: $HOME is too long for the spool path;"
				" set \"spool DIR\" in %s\n", conf.path);
			return EX_CONFIG;
		}
	}
	return pm_spool_init(sp, conf.spool, conf.spool_max);
}

/* What became of one delivery attempt. */
enum { OUT_SENT, OUT_DEFER, OUT_BURY, OUT_PARTIAL };

typedef struct {
	int kind;
	int code;                  /* the exit status of the attempt */
	int matched;               /* tlsa record that authenticated, or -1 */
	int resumed;               /* by resuming a session it verified */
	int security;              /* a security failure: loud, exit 75 */
	char line[1024];           /* what happened, one sentence */
} outcome;

/* One attempt to deliver a spooled message: TLS, pin, SMTP. */
static void attempt(const pm_spool *spool, pm_spool_item *it, pm_env *e,
	const uint8_t seed[32], outcome *o)
{
	static pm_tls_cache cache;
	pm_session_params sp;
	pm_report_ctx rc;
	char helo[256], errbuf[160];
	time_t now = time(NULL);
	size_t i;
	int err, fd, utf8 = has_8bit(e->from, strlen(e->from));

	o->matched = -1;
	o->resumed = 0;
	o->security = 0;
	if (conf.helo[0] != '\0')
		snprintf(helo, sizeof helo, "%s", conf.helo);
	else if (gethostname(helo, sizeof helo) != 0 || helo[0] == '\0')
		snprintf(helo, sizeof helo, "localhost");
	helo[sizeof helo - 1] = '\0';
	for (i = 0; i < e->nrcpt; i++)
		utf8 |= has_8bit(e->rcpt[i], strlen(e->rcpt[i]));

	memset(&sp, 0, sizeof sp);
	sp.host = conf.host;
	sp.port = (uint16_t)conf.port;
	/* tlsa dns: the pins from DNS, authenticated by DNSSEC; without
	 * them, the configured lines if any (said in the log), else nothing
	 * is sent. */
	pins = conf.tlsa;
	pins_dns = 0;
	dns_note[0] = '\0';
	if (conf.tlsa_dns) {
		static pm_tlsa dns_recs[PM_TLSA_MAX];
		char why[256];
		size_t nd;

		if (pm_dns_tlsa_lookup(conf.host, conf.port,
			conf.dns_server[0] != '\0' ? conf.dns_server : NULL, conf.timeout,
			dns_recs, PM_TLSA_MAX, &nd, why, sizeof why) == 0) {
			pins = dns_recs;
			pins_dns = 1;
			sp.ntlsa = nd;
		} else if (conf.ntlsa > 0) {
			snprintf(dns_note, sizeof dns_note, "no TLSA from DNS: %s;"
				" the configured tlsa lines were used", why);
			if (args.verbose)
				fprintf(stderr, "pinmail: %s\n", dns_note);
		} else {
			o->kind = OUT_DEFER;
			o->code = EX_TEMPFAIL;
			o->security = 1;
			snprintf(o->line, sizeof o->line, "no pins for %s port %u: %s;"
				" nothing was sent (tlsa dns fails closed)", conf.host,
				conf.port, why);
			return;
		}
	}
	sp.tlsa = pins;
	if (!pins_dns)
		sp.ntlsa = conf.ntlsa;
	/* Only a clock past the build date is believed; DANE-TA needs one. */
	sp.now = now > (time_t)PM_BUILD_EPOCH ? (uint64_t)now : 0;
	sp.seed = seed;
	sp.seed_len = 32;
	sp.smtp.helo = helo;
	sp.smtp.user = conf.user[0] != '\0' ? conf.user : NULL;
	sp.smtp.pass = conf.password;
	sp.smtp.from = e->from;
	sp.smtp.rcpt = e->rcpt;
	sp.smtp.nrcpt = e->nrcpt;
	sp.smtp.read = read_item;
	sp.smtp.read_ctx = it;
	sp.smtp.trace = args.verbose ? trace : NULL;
	sp.smtp.body = e->body;
	sp.smtp.smtputf8 = utf8;
	sp.smtp.notify = e->notify[0] != '\0' ? e->notify : NULL;
	sp.smtp.ret = e->ret[0] != '\0' ? e->ret : NULL;
	sp.smtp.envid = e->envid[0] != '\0' ? e->envid : NULL;
	sp.smtp.starttls = conf.starttls;
	/* The session of an earlier run, if it is young enough; whether it
	 * belongs to this host, port and pin set is pm_session_start's call. */
	if (conf.tls_resume && pm_tlscache_load(spool->dir, sp.now, &cache) == 0)
		sp.resume = &cache;
	else if (!conf.tls_resume)
		pm_tlscache_drop(spool->dir);   /* no master secret left behind */
	said_pin = 0;
	err = pm_session_start(&sess, &sp);
	explicit_bzero(&cache, sizeof cache);
	if (err != 0) {
		o->kind = OUT_BURY;
		o->code = err == PM_ERR_ADDR || err == PM_ERR_BADARG ? EX_DATAERR : EX_SOFTWARE;
		snprintf(o->line, sizeof o->line, "an address or option in the"
			" envelope is malformed (error %d)", err);
		return;
	}
	fd = pm_net_connect(conf.host, conf.port,
		conf.dns_server[0] != '\0' ? conf.dns_server : NULL, conf.timeout,
		args.verbose, &err,
		errbuf, sizeof errbuf);
	if (fd < 0) {
		o->kind = OUT_DEFER;
		o->code = EX_TEMPFAIL;
		snprintf(o->line, sizeof o->line, "cannot connect to %s port %u: %s",
			conf.host, conf.port, errbuf);
		return;
	}
	pm_net_pump(&sess, fd, conf.timeout);
	close(fd);
	o->matched = pm_session_matched(&sess);
	o->resumed = sess.resumed;
	/* Keep a new session for the next run; forget one the server would
	 * not take back cleanly. */
	if (conf.tls_resume && sess.secure && !sess.resumed
		&& pm_session_keep(&sess, &cache)) {
		pm_tlscache_save(spool->dir, &cache);
		explicit_bzero(&cache, sizeof cache);
	} else if (sess.offered && !sess.secure) {
		pm_tlscache_drop(spool->dir);
	}

	memset(&rc, 0, sizeof rc);
	rc.host = conf.host;
	rc.port = conf.port;
	rc.timeout = conf.timeout;
	rc.conf_path = conf.path;
	rc.rcpt = e->rcpt;
	rc.header_lines = 0;
	rc.quiet = 1;
	rc.line = o->line;
	rc.line_cap = sizeof o->line;
	o->code = pm_report(&sess, &rc);
	/* A key matching no pin, or STARTTLS stripped or refused, is a
	 * security failure: loud, exit 75. */
	o->security = o->code == EX_TEMPFAIL && (pm_session_result(&sess) == PM_ERR_PIN_MISMATCH
		|| pm_session_result(&sess) == PM_ERR_CHAIN
		|| pm_session_result(&sess) == PM_ERR_NO_CLOCK
		|| pm_session_result(&sess) == PM_ERR_STARTTLS);
	switch (pm_session_result(&sess)) {
	case PM_OK:
		o->kind = OUT_SENT;
		snprintf(o->line, sizeof o->line, "%s", sess.smtp.final_text);
		return;
	case PM_ERR_RCPT:
		o->kind = OUT_PARTIAL;
		return;
	case PM_ERR_PERM:
	case PM_ERR_AUTH:
	case PM_ERR_AUTH_UNAVAIL:
	case PM_ERR_NO_SMTPUTF8:
	case PM_ERR_LINE_TOO_LONG:
		o->kind = OUT_BURY;
		return;
	default:
		o->kind = OUT_DEFER;  /* network, TLS, pins, 4xx, a broken server */
		return;
	}
}

/* Recipients refused in the attempt: those refused for now stay in the
 * envelope for the next attempt; *perm says whether any were refused for
 * good. Returns how many stay. */
static size_t keep_deferred(pm_env *e, int *perm)
{
	const char *keep[PM_RCPT_MAX];
	char pool[sizeof e->pool];
	size_t i, n = 0, used = 0, len;
	unsigned c;

	*perm = 0;
	for (i = 0; i < e->nrcpt; i++) {
		c = sess.smtp.rcpt_code[i];
		if (c >= 400 && c < 500) {
			len = strlen(e->rcpt[i]) + 1;
			memcpy(pool + used, e->rcpt[i], len);
			keep[n++] = pool + used;
			used += len;
		} else if (c >= 500) {
			*perm = 1;
		}
	}
	e->nrcpt = 0;
	e->used = 0;
	for (i = 0; i < n; i++)
		pm_env_add_rcpt(e, keep[i], strlen(keep[i]));
	return n;
}

/* The message is given up: dead/ (queue on) or dead.letter (queue off). */
static void give_up(pm_spool *sp, pm_spool_item *it, pm_env *e, const char *why,
	char *where, size_t cap)
{
	char dl[300], *slash;
	const char *home = getenv("HOME");

	if (conf.queue) {
		snprintf(where, cap, "%s/dead/%s.msg", sp->dir, it->id);
		if (pm_spool_bury(sp, it, e, why) != 0)
			snprintf(where, cap, "%s/%s.msg (could not move it to dead/: %s)",
				sp->dir, it->id, strerror(errno));
		return;
	}
	/* dead.letter beside the spool directory, else in $HOME. */
	snprintf(dl, sizeof dl, "%s", sp->dir);
	slash = strrchr(dl, '/');
	if (slash != NULL && slash != dl)
		snprintf(slash, sizeof dl - (size_t)(slash - dl), "/dead.letter");
	else if (home != NULL)
		snprintf(dl, sizeof dl, "%s/dead.letter", home);
	if (pm_spool_dead_letter(it, e, dl) == 0) {
		snprintf(where, cap, "%s", dl);
		pm_spool_remove(sp, it);
	} else {
		snprintf(where, cap, "%s/%s.msg (could not append to %s: %s)", sp->dir,
			it->id, dl, strerror(errno));
		pm_spool_release(it);
	}
}

/* Deliver one spooled message and settle it: removed, deferred, or given
 * up. Says what happened (stderr unless delivered) and logs it. Returns
 * the exit status for a direct submission. */
static int deliver(pm_spool *sp, pm_spool_item *it, pm_env *e, const uint8_t seed[32])
{
	static outcome o;
	char where[1024];
	size_t left;
	int perm;

	if (args.verbose)
		fprintf(stderr, "pinmail: delivering %s (attempt %u)\n", it->id,
			e->attempts + 1);
	attempt(sp, it, e, seed, &o);
	e->attempts++;
	if (o.kind == OUT_SENT) {
		/* First off the queue: the window in which a crash means a
		 * second delivery ends here. */
		pm_spool_remove(sp, it);
		log_result(it->id, e, o.matched, o.resumed, "sent", 0, o.line);
		return EX_OK;
	}
	if (o.kind == OUT_PARTIAL) {
		left = keep_deferred(e, &perm);
		if (left == 0 && (sess.smtp.delivered || perm)) {
			/* Everyone got it who ever will. */
			fprintf(stderr, "pinmail: %s\n", o.line);
			log_result(it->id, e, o.matched, o.resumed, sess.smtp.delivered ? "partly sent"
				: "failed", o.code, o.line);
			if (sess.smtp.delivered)
				pm_spool_remove(sp, it);
			else {
				give_up(sp, it, e, o.line, where, sizeof where);
				fprintf(stderr, "pinmail: the message is kept in %s\n", where);
			}
			return o.code;
		}
		o.kind = OUT_DEFER;   /* some recipients may yet accept it */
	}
	if (o.kind == OUT_BURY || !conf.queue) {
		log_result(it->id, e, o.matched, o.resumed, "failed", o.code, o.line);
		give_up(sp, it, e, o.line, where, sizeof where);
		fprintf(stderr, "pinmail: %s; the message is kept in %s\n", o.line, where);
		return o.code;
	}
	/* Temporary: stays queued with a later next attempt. */
	pm_env_set_error(e, o.line);
	e->next = (long long)time(NULL) + pm_spool_backoff(e->attempts);
	if (pm_spool_save(sp, it->id, e) != 0)
		fprintf(stderr, "pinmail: warning: cannot update %s/%s.env: %s\n",
			sp->dir, it->id, strerror(errno));
	pm_spool_release(it);
	log_result(it->id, e, o.matched, o.resumed, "deferred", o.code, o.line);
	fprintf(stderr, "pinmail: %s; queued as %s, next attempt in %lld s"
		" (pinmail -q)\n", o.line, it->id, pm_spool_backoff(e->attempts));
	return o.security ? EX_TEMPFAIL : EX_OK;
}

/* Fresh secret bytes: the kernel's seed through one DRBG, for TLS and the
 * Message-ID. */
static int entropy(uint8_t seed[32], uint8_t *rnd, size_t rlen)
{
	static br_hmac_drbg_context drbg;
	uint8_t k[32];

	if (getrandom(k, sizeof k, 0) != (ssize_t)sizeof k) {
		fprintf(stderr, "pinmail: no entropy from the kernel: %s\n", strerror(errno));
		return EX_OSERR;
	}
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, k, sizeof k);
	br_hmac_drbg_generate(&drbg, seed, 32);
	if (rnd != NULL)
		br_hmac_drbg_generate(&drbg, rnd, rlen);
	memset(&drbg, 0, sizeof drbg);
	memset(k, 0, sizeof k);
	return 0;
}

static int send_message(void)
{
	const char *sender = args.sender, *why = NULL, *domain;
	char helo[256];
	uint8_t seed[32], rnd[16];
	pm_spool sp;
	pm_spool_item it;
	size_t i;
	time_t now;
	int err;

	err = pm_conf_load(&conf, conf_file());
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
	if (strchr(sender, '@') == NULL && conf.rewrite_local_from && conf.from[0] != '\0')
		sender = conf.from;
	if (strchr(sender, '@') == NULL && conf.domain[0] != '\0') {
		if ((size_t)snprintf(env.from, sizeof env.from, "%s@%s", sender,
			conf.domain) >= sizeof env.from) {
			fprintf(stderr, "pinmail: sender %s@%s is longer than %d bytes\n",
				sender, conf.domain, PM_ADDR_MAX);
			return EX_DATAERR;
		}
	} else if ((size_t)snprintf(env.from, sizeof env.from, "%s", sender)
		>= sizeof env.from) {
		fprintf(stderr, "pinmail: sender %s is longer than %d bytes\n", sender,
			PM_ADDR_MAX);
		return EX_DATAERR;
	}
	env.body = args.body;
	snprintf(env.notify, sizeof env.notify, "%s", args.notify ? args.notify : "");
	snprintf(env.ret, sizeof env.ret, "%s", args.ret ? args.ret : "");
	snprintf(env.envid, sizeof env.envid, "%s", args.envid ? args.envid : "");

	for (i = 0; i < args.nrcpt; i++) {
		err = pm_addr_list(args.rcpt[i], strlen(args.rcpt[i]), envelope_rcpt,
			NULL, &why);
		if (err == -1)
			return rcpt_status;
		if (err != 0) {
			fprintf(stderr, "pinmail: bad recipient address \"%s\": %s\n",
				args.rcpt[i], why);
			return EX_DATAERR;
		}
	}
	err = load_message();
	if (err != 0)
		return err;
	if (env.nrcpt == 0) {
		fprintf(stderr, "pinmail: no recipients: give them as arguments, or use"
			" -t to take them from To, Cc and Bcc\n");
		return EX_USAGE;
	}
	err = entropy(seed, rnd, sizeof rnd);
	if (err != 0)
		return err;

	/* Header rules. Only a clock past the build date is believed: without
	 * one, Date is left to the server rather than sent as 1970. */
	now = time(NULL);
	if (conf.helo[0] != '\0' || gethostname(helo, sizeof helo) != 0)
		snprintf(helo, sizeof helo, "%s", conf.helo[0] ? conf.helo : "localhost");
	helo[sizeof helo - 1] = '\0';
	if (conf.rewrite_local_from && conf.from[0] != '\0' && (msg.seen & PM_HDR_FROM))
		err = rewrite_from();
	if (err == 0 && !(msg.seen & PM_HDR_FROM))
		err = add_from(args.name, env.from);
	if (err == 0 && !(msg.seen & PM_HDR_DATE) && now > (time_t)PM_BUILD_EPOCH)
		err = add_date(now);
	domain = domain_of(env.from);
	if (domain == NULL)
		domain = conf.domain[0] != '\0' ? conf.domain : helo;
	if (err == 0 && !(msg.seen & PM_HDR_MESSAGE_ID))
		err = add_message_id(now, rnd, sizeof rnd, domain);
	if (err != 0) {
		fprintf(stderr, "pinmail: no room to add the From:, Date: and"
			" Message-ID: fields; nothing sent\n");
		return EX_DATAERR;
	}

	/* On disk before anything goes on the wire. */
	err = open_spool(&sp);
	if (err == 0)
		err = pm_spool_add(&sp, &env, pm_msg_read, &msg,
			pm_msg_header_lines(&msg), &it);
	if (err != 0)
		return err;
	err = deliver(&sp, &it, &env, seed);
	memset(seed, 0, sizeof seed);
	return err;
}

/* pinmail -q: every queued message whose time has come, oldest first. */
/* Queue ids for -q and -bp: the oldest PM_QUEUE_BATCH at a time. */
#define PM_QUEUE_BATCH 512
static char ids[PM_QUEUE_BATCH][PM_SPOOL_ID_MAX];

static int flush_queue(void)
{
	uint8_t seed[32];
	pm_spool sp;
	pm_spool_item it;
	char lock[300], where[1024];
	int n, i, err, fd, status = EX_OK;
	long long now;

	err = pm_conf_load(&conf, conf_file());
	if (err == 0)
		err = open_spool(&sp);
	if (err != 0)
		return err;
	snprintf(lock, sizeof lock, "%s/.flush.lock", sp.dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (args.verbose || fd < 0)
			fprintf(stderr, "pinmail: %s\n", fd < 0 ? strerror(errno)
				: "another pinmail -q is flushing this spool");
		return fd < 0 ? EX_CANTCREAT : EX_OK;
	}
	n = pm_spool_list(&sp, ids, sizeof ids / sizeof ids[0]);
	if (n < 0)
		return EX_IOERR;
	for (i = 0; i < n; i++) {
		if (pm_spool_take(&sp, ids[i], &env, &it) != 0)
			continue;       /* being delivered, or gone */
		now = (long long)time(NULL);
		if (now - env.created > (long long)conf.max_queue_age) {
			snprintf(where, sizeof where, "queued longer than max_queue_age"
				" (%lu s); last error: %s", conf.max_queue_age,
				env.error[0] ? env.error : "none");
			log_result(it.id, &env, -1, 0, "expired", EX_UNAVAILABLE, where);
			fprintf(stderr, "pinmail: %s: %s; moved to %s/dead/\n", it.id,
				where, sp.dir);
			pm_spool_bury(&sp, &it, &env, where);
			continue;
		}
		if (env.next > now && !args.force) {
			pm_spool_release(&it);
			continue;
		}
		err = entropy(seed, NULL, 0);
		if (err != 0) {
			pm_spool_release(&it);
			return err;
		}
		err = deliver(&sp, &it, &env, seed);
		if (err == EX_TEMPFAIL)
			status = EX_TEMPFAIL;
	}
	memset(seed, 0, sizeof seed);
	close(fd);
	return status;
}

static void age(char *out, size_t cap, long long s)
{
	if (s < 120)
		snprintf(out, cap, "%llds", s);
	else if (s < 7200)
		snprintf(out, cap, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(out, cap, "%lldh", s / 3600);
	else
		snprintf(out, cap, "%lldd", s / 86400);
}

/* pinmail -bp, mailq. */
static int list_queue(void)
{
	pm_spool sp;
	char a[24], nx[24];
	int n, i, err;
	size_t j;
	long long now = (long long)time(NULL);
	unsigned long long total = 0;

	err = pm_conf_load(&conf, conf_file());
	if (err == 0)
		err = open_spool(&sp);
	if (err != 0)
		return err;
	n = pm_spool_list(&sp, ids, sizeof ids / sizeof ids[0]);
	if (n < 0)
		return EX_IOERR;
	if (n == 0) {
		printf("Mail queue is empty\n");
		return EX_OK;
	}
	printf("%-38s %10s %5s  %s\n", "-Queue ID-", "-Size-", "-Age-", "-Sender/Recipient-");
	for (i = 0; i < n; i++) {
		if (pm_spool_peek(&sp, ids[i], &env) != 0)
			continue;
		age(a, sizeof a, now - env.created);
		printf("%-38s %10llu %5s  %s\n", ids[i], env.size, a, env.from);
		if (env.error[0] != '\0') {
			age(nx, sizeof nx, env.next > now ? env.next - now : 0);
			printf("    (%s; %u attempt%s, next in %s)\n", env.error,
				env.attempts, env.attempts == 1 ? "" : "s", nx);
		}
		for (j = 0; j < env.nrcpt; j++)
			printf("%57s%s\n", "", env.rcpt[j]);
		total += env.size;
	}
	printf("-- %llu bytes in %d message%s\n", total, n, n == 1 ? "" : "s");
	return EX_OK;
}

/* --print-tlsa: the configuration (-C only) gives port, timeout and
 * dns_server; it need not have a host or pins yet. */
static int print_tlsa(void)
{
	unsigned port = 465, timeout = 30;
	const char *dns = NULL;
	int err;

	if (args.conf_path != NULL) {
		err = pm_conf_load_opts(&conf, args.conf_path, 0);
		if (err != 0)
			return err;
		port = conf.port;
		timeout = conf.timeout;
		dns = conf.dns_server[0] != '\0' ? conf.dns_server : NULL;
	}
	return pm_print_tlsa(args.tlsa_target, port, timeout, dns, stdout);
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
		return list_queue();
	case PM_MODE_FLUSH:
		return flush_queue();
	case PM_MODE_IMPORT:
		return pm_import_msmtprc(args.import_file, args.import_account, stdout);
	case PM_MODE_PRINT_TLSA:
		return print_tlsa();
	}
	return send_message();
}
