/*
 * pm_msmtprc.c — --import-msmtprc (see pm_msmtprc.h).
 *
 * msmtp's own parser is the reference: a line is a command word and an
 * argument (blanks trimmed, one pair of enclosing double quotes removed);
 * an account is a copy of the defaults in force where it starts, then of
 * every setting its parents made (themselves or through their parents), then
 * its own lines. Settings are kept as offsets into the file's text, with
 * the line they came from, so every warning can name that line. msmtp
 * refuses a file with an unknown command or a bad argument, and so does
 * this: a configuration msmtp never used is no basis for one pinmail uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include "pm_msmtprc.h"

#define RC_MAX PM_MSMTPRC_MAX
#define RC_ACCOUNTS PM_MSMTPRC_ACCOUNTS

/* Offsets and line numbers fit 16 bits. */
#if RC_MAX > 65535 || RC_ACCOUNTS < 1
#error "PM_MSMTPRC_MAX must be at most 65535, PM_MSMTPRC_ACCOUNTS at least 1"
#endif

/* What an account holds: one slot per msmtp setting. Compatibility
 * commands share the slot of the command they stand for. */
enum {
	S_HOST, S_PORT, S_TIMEOUT, S_PROTOCOL, S_DOMAIN, S_AUTH, S_USER,
	S_PASSWORD, S_PASSWORDEVAL, S_NTLMDOMAIN, S_TLS, S_STARTTLS,
	S_TRUST_FILE, S_CRL_FILE, S_FINGERPRINT, S_KEY_FILE, S_CERT_FILE,
	S_CERTCHECK, S_PRIORITIES, S_HOST_OVERRIDE, S_MIN_DH, S_SSLV3, S_FROM,
	S_ALLOW_FROM_OVERRIDE, S_DSN_NOTIFY, S_DSN_RETURN, S_SET_FROM,
	S_SET_DATE, S_SET_MSGID, S_REMOVE_BCC, S_UNDISCLOSED, S_LOGFILE,
	S_LOGFILE_TIME, S_SYSLOG, S_ALIASES, S_AUTO_FROM, S_MAILDOMAIN,
	S_PROXY_HOST, S_PROXY_PORT, S_SOCKET, S_SOURCE_IP, S_COUNT
};

/* How msmtp checks an argument. */
enum {
	A_ANY,          /* anything, empty too */
	A_NEEDED,       /* not empty */
	A_ONOFF,        /* empty (= on), on, off */
	A_FLAG,         /* no argument */
	A_PORT,         /* 1-65535 */
	A_PORT_OPT,     /* empty or 1-65535 */
	A_TIMEOUT,      /* off or seconds */
	A_PROTOCOL,     /* smtp, lmtp */
	A_AUTH,         /* empty, on, off, or a method */
	A_FPR,          /* empty, or a SHA-256, SHA-1 or MD5 fingerprint */
	A_SYSLOG,       /* empty, on, off, LOG_USER, LOG_MAIL, LOG_LOCAL0-7 */
	A_SETFROM,      /* empty (= auto), auto, on, off */
	A_AUTOOFF,      /* empty (= auto), auto, off */
	A_NOTIFY,       /* off, never, or failure,delay,success */
	A_RETURN        /* off, headers, full */
};

static const struct {
	const char *name;
	uint8_t slot;
	uint8_t arg;
	uint8_t inverted;   /* on means the slot's off (tls_nostarttls...) */
} cmds[] = {
	{ "host", S_HOST, A_NEEDED, 0 },
	{ "port", S_PORT, A_PORT, 0 },
	{ "timeout", S_TIMEOUT, A_TIMEOUT, 0 },
	{ "connect_timeout", S_TIMEOUT, A_TIMEOUT, 0 },
	{ "protocol", S_PROTOCOL, A_PROTOCOL, 0 },
	{ "domain", S_DOMAIN, A_ANY, 0 },
	{ "auth", S_AUTH, A_AUTH, 0 },
	{ "user", S_USER, A_ANY, 0 },
	{ "password", S_PASSWORD, A_ANY, 0 },
	{ "passwordeval", S_PASSWORDEVAL, A_ANY, 0 },
	{ "ntlmdomain", S_NTLMDOMAIN, A_ANY, 0 },
	{ "tls", S_TLS, A_ONOFF, 0 },
	{ "tls_starttls", S_STARTTLS, A_ONOFF, 0 },
	{ "tls_nostarttls", S_STARTTLS, A_FLAG, 1 },
	{ "tls_trust_file", S_TRUST_FILE, A_ANY, 0 },
	{ "tls_crl_file", S_CRL_FILE, A_ANY, 0 },
	{ "tls_fingerprint", S_FINGERPRINT, A_FPR, 0 },
	{ "tls_key_file", S_KEY_FILE, A_ANY, 0 },
	{ "tls_cert_file", S_CERT_FILE, A_ANY, 0 },
	{ "tls_certcheck", S_CERTCHECK, A_ONOFF, 0 },
	{ "tls_nocertcheck", S_CERTCHECK, A_FLAG, 1 },
	{ "tls_priorities", S_PRIORITIES, A_ANY, 0 },
	{ "tls_host_override", S_HOST_OVERRIDE, A_ANY, 0 },
	{ "tls_min_dh_prime_bits", S_MIN_DH, A_ANY, 0 },
	{ "tls_force_sslv3", S_SSLV3, A_ONOFF, 0 },
	{ "from", S_FROM, A_ANY, 0 },
	{ "allow_from_override", S_ALLOW_FROM_OVERRIDE, A_ONOFF, 0 },
	{ "dsn_notify", S_DSN_NOTIFY, A_NOTIFY, 0 },
	{ "dsn_return", S_DSN_RETURN, A_RETURN, 0 },
	{ "set_from_header", S_SET_FROM, A_SETFROM, 0 },
	{ "add_missing_from_header", S_SET_FROM, A_ONOFF, 0 },
	{ "set_date_header", S_SET_DATE, A_AUTOOFF, 0 },
	{ "add_missing_date_header", S_SET_DATE, A_ONOFF, 0 },
	{ "set_msgid_header", S_SET_MSGID, A_AUTOOFF, 0 },
	{ "remove_bcc_headers", S_REMOVE_BCC, A_ONOFF, 0 },
	{ "keepbcc", S_REMOVE_BCC, A_ONOFF, 1 },
	{ "undisclosed_recipients", S_UNDISCLOSED, A_ONOFF, 0 },
	{ "logfile", S_LOGFILE, A_ANY, 0 },
	{ "logfile_time_format", S_LOGFILE_TIME, A_ANY, 0 },
	{ "syslog", S_SYSLOG, A_SYSLOG, 0 },
	{ "aliases", S_ALIASES, A_ANY, 0 },
	{ "auto_from", S_AUTO_FROM, A_ONOFF, 0 },
	{ "maildomain", S_MAILDOMAIN, A_ANY, 0 },
	{ "proxy_host", S_PROXY_HOST, A_ANY, 0 },
	{ "proxy_port", S_PROXY_PORT, A_PORT_OPT, 0 },
	{ "socket", S_SOCKET, A_ANY, 0 },
	{ "source_ip", S_SOURCE_IP, A_ANY, 0 },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

typedef struct {
	uint16_t off;       /* the argument: text + off */
	uint16_t line;      /* 0: never set */
	uint8_t cmd;        /* index into cmds[] */
} setting;

typedef struct {
	const char *name;
	unsigned line;      /* of the account command */
	uint64_t mask;      /* slots set here or by a parent (what a child takes) */
	setting s[S_COUNT];
} rc_account;

static char text[RC_MAX];
static rc_account accounts[RC_ACCOUNTS];
static rc_account defaults;
static size_t naccounts;
static const char *file;    /* for messages */

/* A path or name printed into the configuration or a message: a control
 * character could start a new line, so it becomes '?'. */
static void put_safe(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		putc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void say(const char *kind, unsigned line, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void say(const char *kind, unsigned line, const char *fmt, va_list ap)
{
	fprintf(stderr, "pinmail: %s", kind);
	put_safe(stderr, file);
	if (line)
		fprintf(stderr, ":%u", line);
	fputs(": ", stderr);
	vfprintf(stderr, fmt, ap);
	putc('\n', stderr);
}

static void warn(unsigned line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning: ", line, fmt, ap);
	va_end(ap);
}

static int fail(unsigned line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", line, fmt, ap);
	va_end(ap);
	return EX_CONFIG;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* msmtp's trim_string, in place: blanks off both ends, then one pair of
 * enclosing double quotes. */
static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	s[n] = '\0';
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

static int one_of(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(v, *words) == 0)
			return 1;
	return 0;
}

/* A positive number as msmtp reads it (strtol base 0), or -1. */
static long number(const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 0);
	if (end == v || *end != '\0' || errno != 0 || n <= 0)
		return -1;
	return n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "AA:BB:..." (or blanks between the bytes): the bytes in out[0..32), or
 * 0 when it is not a fingerprint of 32, 20 or 16 bytes. */
static size_t fingerprint(const char *v, uint8_t out[32])
{
	size_t len = strlen(v), n, i;

	if (len == 3 * 32 - 1)
		n = 32;
	else if (len == 3 * 20 - 1)
		n = 20;
	else if (len == 3 * 16 - 1)
		n = 16;
	else
		return 0;
	for (i = 0; i < n; i++) {
		int hi = hexval(v[3 * i]), lo = hexval(v[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		if (i + 1 < n && v[3 * i + 2] != ':' && v[3 * i + 2] != ' ')
			return 0;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

/* failure,delay,success in any order, each at most once; or never. */
static int dsn_notify_ok(const char *v)
{
	static const char *const words[] = { "failure", "delay", "success" };
	unsigned seen = 0, i;
	size_t n;

	if (strcmp(v, "never") == 0 || strcmp(v, "off") == 0)
		return 1;
	for (;;) {
		n = strcspn(v, ",");
		for (i = 0; i < 3; i++)
			if (strlen(words[i]) == n && strncmp(v, words[i], n) == 0)
				break;
		if (i == 3 || (seen & (1u << i)))
			return 0;
		seen |= 1u << i;
		if (v[n] == '\0')
			return 1;
		v += n + 1;
	}
}

static int arg_ok(int kind, const char *v)
{
	static const char *const onoff[] = { "", "on", "off", NULL };
	static const char *const auth[] = { "", "on", "off", "plain", "login",
		"scram-sha-1", "scram-sha-256", "cram-md5", "digest-md5", "ntlm",
		"gssapi", "external", "oauthbearer", "xoauth2", NULL };
	static const char *const syslog[] = { "", "on", "off", "LOG_USER",
		"LOG_MAIL", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2", "LOG_LOCAL3",
		"LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7", NULL };
	static const char *const setfrom[] = { "", "auto", "on", "off", NULL };
	static const char *const autooff[] = { "", "auto", "off", NULL };
	static const char *const ret[] = { "off", "headers", "full", NULL };
	static const char *const proto[] = { "smtp", "lmtp", NULL };
	uint8_t fp[32];
	long n;

	switch (kind) {
	case A_ONOFF: return one_of(v, onoff);
	case A_PORT_OPT:
		if (*v == '\0')
			return 1;
		n = number(v);
		return n >= 1 && n <= 65535;
	case A_PORT: n = number(v); return n >= 1 && n <= 65535;
	case A_TIMEOUT: return strcmp(v, "off") == 0 || number(v) > 0;
	case A_PROTOCOL: return one_of(v, proto);
	case A_AUTH: return one_of(v, auth);
	case A_FPR: return *v == '\0' || fingerprint(v, fp) != 0;
	case A_SYSLOG: return one_of(v, syslog);
	case A_SETFROM: return one_of(v, setfrom);
	case A_AUTOOFF: return one_of(v, autooff);
	case A_NOTIFY: return dsn_notify_ok(v);
	case A_RETURN: return one_of(v, ret);
	}
	return 1;
}

static rc_account *find(const char *name)
{
	size_t i;

	for (i = 0; i < naccounts; i++)
		if (strcmp(accounts[i].name, name) == 0)
			return &accounts[i];
	return NULL;
}

/* The slot after the last account, filled from the defaults; it counts as
 * an account once the caller increments naccounts. NULL when all are used. */
static rc_account *next_account(unsigned line)
{
	rc_account *a;

	if (naccounts == RC_ACCOUNTS)
		return NULL;
	a = &accounts[naccounts];
	*a = defaults;
	a->name = "default";
	a->line = line;
	a->mask = 0;
	return a;
}

static int too_many(unsigned line)
{
	fail(line, "more than %d accounts; convert a copy that holds only the one"
		" you need", RC_ACCOUNTS);
	return EX_DATAERR;
}

/* "account NAME [: PARENT[,PARENT...]]": the defaults, then what each
 * parent set (itself or through its own parents), in order. */
static int start_account(char *arg, unsigned line, rc_account **cur)
{
	char *colon = strchr(arg, ':'), *list, *comma, *name = arg;
	const rc_account *parent;
	rc_account *a = next_account(line);
	int k;

	if (a == NULL)
		return too_many(line);
	if (colon != NULL) {
		*colon = '\0';
		for (list = colon + 1; list != NULL; list = comma) {
			comma = strchr(list, ',');
			if (comma != NULL)
				*comma++ = '\0';
			list = trim(list);
			if (*list == '\0')
				return fail(line, "missing account name after ':'");
			parent = find(list);
			if (parent == NULL)
				return fail(line, "account %s is not (yet) defined", list);
			for (k = 0; k < S_COUNT; k++)
				if (parent->mask & (UINT64_C(1) << k))
					a->s[k] = parent->s[k];
			a->mask |= parent->mask;
		}
		name = trim(arg);
	}
	if (*name == '\0')
		return fail(line, "missing account name");
	if (strpbrk(name, ":,") != NULL)
		return fail(line, "an account name must not contain colons or commas");
	if (find(name) != NULL)
		return fail(line, "account %s is already defined", name);
	a->name = name;
	naccounts++;
	*cur = a;
	return 0;
}

static int parse(size_t len)
{
	char *p = text, *eol, *cmd, *arg;
	rc_account *cur = NULL;
	unsigned line = 0;
	size_t i, n;
	int e;

	while (p < text + len) {
		line++;
		eol = strchr(p, '\n');
		if (eol != NULL) {
			*eol = '\0';
			if (eol > p && eol[-1] == '\r')
				eol[-1] = '\0';
		}
		while (is_blank(*p))
			p++;
		cmd = p;
		p = eol != NULL ? eol + 1 : text + len;
		if (*cmd == '#' || *cmd == '\0')
			continue;
		for (n = 0; cmd[n] != '\0' && !is_blank(cmd[n]); n++)
			;
		arg = cmd + n;
		if (*arg != '\0')
			*arg++ = '\0';
		arg = trim(arg);

		if (strcmp(cmd, "defaults") == 0) {
			if (*arg != '\0')
				return fail(line, "command defaults does not take an argument");
			cur = &defaults;
			continue;
		}
		if (strcmp(cmd, "account") == 0) {
			e = start_account(arg, line, &cur);
			if (e != 0)
				return e;
			continue;
		}
		if (strcmp(cmd, "eval") == 0) {
			/* msmtp runs every eval line as it reads the file. */
			warn(line, "eval cannot be converted: pinmail runs no commands;"
				" the line is skipped (write its result instead)");
			continue;
		}
		for (i = 0; i < NCMDS; i++)
			if (strcmp(cmd, cmds[i].name) == 0)
				break;
		if (i == NCMDS)
			return fail(line, "unknown command %s", cmd);
		if (cmds[i].arg == A_FLAG && *arg != '\0')
			return fail(line, "command %s does not take an argument", cmd);
		if ((cmds[i].arg == A_NEEDED || cmds[i].arg == A_PORT
			|| cmds[i].arg == A_TIMEOUT || cmds[i].arg == A_PROTOCOL
			|| cmds[i].arg == A_NOTIFY || cmds[i].arg == A_RETURN)
			&& *arg == '\0')
			return fail(line, "command %s needs an argument", cmd);
		if (!arg_ok(cmds[i].arg, arg))
			return fail(line, "invalid argument %s for command %s", arg, cmd);
		/* Commands before any account make the account "default". */
		if (cur == NULL) {
			cur = next_account(line);
			if (cur == NULL)
				return too_many(line);
			naccounts++;
		}
		cur->s[cmds[i].slot].off = (uint16_t)(arg - text);
		cur->s[cmds[i].slot].line = (uint16_t)line;
		cur->s[cmds[i].slot].cmd = (uint8_t)i;
		cur->mask |= UINT64_C(1) << cmds[i].slot;
	}
	return 0;
}

/* --- the account, as pinmail configuration ------------------------------- */

static const rc_account *acc;

static const char *val(int k)
{
	return acc->s[k].line != 0 ? text + acc->s[k].off : NULL;
}

/* A value that is set and not empty. */
static const char *given(int k)
{
	const char *v = val(k);

	return v != NULL && *v != '\0' ? v : NULL;
}

static unsigned at(int k)
{
	return acc->s[k].line != 0 ? acc->s[k].line : acc->line;
}

static const char *cmd_of(int k)
{
	return cmds[acc->s[k].cmd].name;
}

/* An on/off setting (an empty argument is on), or dflt when unset. */
static int flag(int k, int dflt)
{
	const char *v = val(k);
	int on;

	if (v == NULL)
		return dflt;
	on = strcmp(v, "off") != 0;
	return cmds[acc->s[k].cmd].inverted ? !on : on;
}

/* set_*_header: 'a' auto, 'o' on, 'f' off. */
static char header_mode(int k)
{
	const char *v = val(k);

	if (v == NULL)
		return 'a';
	if (cmds[acc->s[k].cmd].arg == A_ONOFF)      /* add_missing_*_header */
		return flag(k, 1) ? 'a' : 'f';
	return strcmp(v, "on") == 0 ? 'o' : strcmp(v, "off") == 0 ? 'f' : 'a';
}

/* msmtp replaces a leading ~ of a file name by $HOME. */
static const char *path(int k, char *buf, size_t cap)
{
	const char *v = val(k), *home = getenv("HOME");

	if (v[0] != '~')
		return v;
	if (home == NULL || home[0] == '\0') {
		warn(at(k), "%s %s: $HOME is not set, so ~ is left as it is;"
			" write the full path", cmd_of(k), v);
		return v;
	}
	if ((size_t)snprintf(buf, cap, "%s%s", home, v + 1) >= cap) {
		warn(at(k), "%s %s: too long with $HOME; write the full path",
			cmd_of(k), v);
		return v;
	}
	return buf;
}

static void key(FILE *out, const char *k, const char *v)
{
	fprintf(out, "%-9s %s\n", k, v);
}

static void no_pin(FILE *out, const char *host, long port)
{
	fputs("# No pin was converted, and pinmail talks only to a server it can\n"
		"# authenticate. Get the SHA-256 of the server's key:\n"
		"#   openssl s_client -connect ", out);
	put_safe(out, host);
	fprintf(out, ":%ld </dev/null 2>/dev/null |\n"
		"#     openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |\n"
		"#     sha256sum | awk '{print \"tlsa 3 1 1 \" $1}'\n"
		"# compare it with what your provider publishes, and add that line.\n",
		port);
}

static const char add_pin[] = "add the tlsa line that the comment in the"
	" output shows how to get (pinmail refuses a configuration without one)";

static void convert_server(FILE *out, const char *host)
{
	uint8_t fp[32];
	size_t n = 0, i;
	const char *v;
	int tls = flag(S_TLS, 0), starttls = flag(S_STARTTLS, 1);
	long port;

	key(out, "host", host);
	if (given(S_SOCKET) != NULL)
		warn(at(S_SOCKET), "socket %s: pinmail connects to host over TCP,"
			" never to a local socket", val(S_SOCKET));
	if (given(S_PROXY_HOST) != NULL)
		warn(at(S_PROXY_HOST), "proxy_host %s: pinmail does not use a SOCKS"
			" proxy; it connects to host directly", val(S_PROXY_HOST));
	if (given(S_SOURCE_IP) != NULL)
		warn(at(S_SOURCE_IP), "source_ip %s: no equivalent; the system picks"
			" the source address", val(S_SOURCE_IP));
	v = val(S_PROTOCOL);
	if (v != NULL && strcmp(v, "lmtp") == 0)
		warn(at(S_PROTOCOL), "protocol lmtp: pinmail speaks SMTP submission"
			" only");

	/* msmtp: port 25, or 465 when TLS starts at once (tls_starttls off). */
	port = val(S_PORT) != NULL ? number(val(S_PORT)) : tls && !starttls ? 465 : 25;
	if (!tls) {
		warn(at(S_TLS), "tls off%s: pinmail never sends mail without TLS;"
			" writing port 465 (implicit TLS): check that the server offers it",
			val(S_TLS) == NULL ? " (msmtp's default)" : "");
		port = 465;
	} else if (starttls) {
		warn(val(S_STARTTLS) != NULL ? at(S_STARTTLS) : at(S_TLS),
			"tls_starttls on%s: pinmail speaks implicit TLS (port 465,"
			" RFC 8314) and does not do STARTTLS yet; writing port 465:"
			" check that the server offers it",
			val(S_STARTTLS) == NULL ? " (msmtp's default)" : "");
		port = 465;
	}
	fprintf(out, "%-9s %ld\n", "port", port);

	v = given(S_FINGERPRINT);
	if (v != NULL)
		n = fingerprint(v, fp);
	if (n == 32) {
		fprintf(out, "# tls_fingerprint, line %u: the SHA-256 of the whole"
			" certificate. It changes\n# with every new certificate; a pin of"
			" the key (tlsa 3 1 1) survives\n# renewals that keep the key:"
			" see pinmail.conf(5).\n%-9s 3 0 1 ", at(S_FINGERPRINT), "tlsa");
		for (i = 0; i < n; i++)
			fprintf(out, "%02x", fp[i]);
		putc('\n', out);
	}
	if (!flag(S_CERTCHECK, 1))
		warn(at(S_CERTCHECK), "%s: pinmail always authenticates the server,"
			" by its pins", cmd_of(S_CERTCHECK));
	if (n != 32) {
		/* One warning says why there is no pin and what to do. */
		v = val(S_TRUST_FILE);
		if (n != 0)
			warn(at(S_FINGERPRINT), "tls_fingerprint is a %s fingerprint,"
				" which pinmail cannot use (it pins SHA-256 or SHA-512): %s",
				n == 20 ? "SHA-1" : "MD5", add_pin);
		else if (tls && flag(S_CERTCHECK, 1) && (v == NULL || *v != '\0'))
			warn(at(S_TRUST_FILE), "tls_trust_file %s: pinmail trusts no CA,"
				" only a pin of the server's key: %s", v != NULL ? v
				: "system (msmtp's default)", add_pin);
		else
			warn(acc->line, "account %s: msmtp did not authenticate the"
				" server: %s", acc->name, add_pin);
		no_pin(out, host, port);
	}
	if (given(S_KEY_FILE) != NULL || given(S_CERT_FILE) != NULL)
		warn(at(given(S_CERT_FILE) != NULL ? S_CERT_FILE : S_KEY_FILE),
			"tls_cert_file/tls_key_file: pinmail sends no client certificate;"
			" authenticate with user and password");
	if (given(S_HOST_OVERRIDE) != NULL)
		warn(at(S_HOST_OVERRIDE), "tls_host_override %s: pinmail sends host"
			" as the TLS server name; tlsa 3 pins check no name, tlsa 2 pins"
			" check host", val(S_HOST_OVERRIDE));
	if (given(S_CRL_FILE) != NULL)
		warn(at(S_CRL_FILE), "tls_crl_file: no equivalent; pinmail uses no CA");
	if (given(S_PRIORITIES) != NULL)
		warn(at(S_PRIORITIES), "tls_priorities: no equivalent; pinmail's TLS"
			" profile is fixed (TLS 1.2, ECDHE, AES-GCM or ChaCha20-Poly1305)");
	if (given(S_MIN_DH) != NULL)
		warn(at(S_MIN_DH), "tls_min_dh_prime_bits: no equivalent; pinmail"
			" uses only ECDHE");
	if (flag(S_SSLV3, 0))
		warn(at(S_SSLV3), "tls_force_sslv3: pinmail speaks TLS 1.2 only");
}

static void convert_auth(FILE *out)
{
	static const char *const by_password[] = { "", "on", "plain", "login",
		"scram-sha-1", "scram-sha-256", "cram-md5", "digest-md5", "ntlm", NULL };
	const char *auth = val(S_AUTH), *user = given(S_USER);
	const char *pass = given(S_PASSWORD), *eval = given(S_PASSWORDEVAL);
	size_t n;

	if (auth == NULL || strcmp(auth, "off") == 0) {
		if (user != NULL)
			warn(at(S_USER), "user %s without \"auth on\": msmtp does not"
				" authenticate, so this configuration does not either"
				" (pinmail authenticates whenever user is set)", user);
		return;
	}
	if (!one_of(auth, by_password)) {
		warn(at(S_AUTH), "auth %s cannot be converted: pinmail authenticates"
			" with user and password (PLAIN or LOGIN)", auth);
		return;
	}
	if (*auth != '\0' && strcmp(auth, "on") != 0 && strcmp(auth, "plain") != 0
		&& strcmp(auth, "login") != 0)
		warn(at(S_AUTH), "auth %s: pinmail uses PLAIN or LOGIN, inside the TLS"
			" session it has authenticated by the pin; the server must offer"
			" one of them", auth);
	if (user == NULL) {
		warn(at(S_AUTH), "auth on without user: add user and password (or"
			" password_file)");
		return;
	}
	key(out, "user", user);
	if (given(S_NTLMDOMAIN) != NULL)
		warn(at(S_NTLMDOMAIN), "ntlmdomain: no equivalent");
	if (pass != NULL) {
		n = strlen(pass);
		if (is_blank(pass[0]) || is_blank(pass[n - 1])) {
			warn(at(S_PASSWORD), "the password begins or ends with a blank,"
				" which a pinmail configuration line cannot hold: put it in a"
				" file (chmod 600) and name it with password_file");
			fputs("# password_file /etc/pinmail.secret\n", out);
		} else {
			key(out, "password", pass);
		}
		return;
	}
	if (eval != NULL) {
		warn(at(S_PASSWORDEVAL), "passwordeval cannot be converted: pinmail"
			" runs no commands; write the password to a file only its user can"
			" read (chmod 600) and name it with password_file");
		fputs("# passwordeval ", out);
		put_safe(out, eval);
		fputs("\n# cannot be converted: put the password in a file (chmod 600)"
			" and name it:\n# password_file /etc/pinmail.secret\n", out);
		return;
	}
	warn(at(S_USER), "no password for user %s: msmtp would ask a key ring,"
		" ~/.netrc or the terminal; add password or password_file", user);
}

static void convert_message(FILE *out)
{
	const char *v;

	v = given(S_FROM);
	if (v == NULL) {
		warn(at(S_FROM), "no from: pinmail needs an envelope sender; add"
			" \"from ADDRESS\" or pass -f");
	} else if (strpbrk(v, "*?[") != NULL) {
		warn(at(S_FROM), "from %s is a pattern msmtp chooses accounts by;"
			" pinmail needs the address itself", v);
		fprintf(out, "# from %s\n", v);
	} else if (strchr(v, '%') != NULL) {
		warn(at(S_FROM), "from %s: pinmail does not expand msmtp's %%U, %%H,"
			" %%C or %%M; write the address", v);
		fprintf(out, "# from %s\n", v);
	} else {
		key(out, "from", v);
	}
	if (!flag(S_ALLOW_FROM_OVERRIDE, 1))
		warn(at(S_ALLOW_FROM_OVERRIDE), "allow_from_override off: no"
			" equivalent; pinmail's -f and -r always set the envelope sender");
	if (flag(S_AUTO_FROM, 0))
		warn(at(S_AUTO_FROM), "auto_from: no equivalent; set from (domain"
			" qualifies bare local names such as root)");
	if (given(S_MAILDOMAIN) != NULL)
		warn(at(S_MAILDOMAIN), "maildomain %s: no equivalent; pinmail's"
			" \"domain %s\" qualifies bare local names such as root",
			val(S_MAILDOMAIN), val(S_MAILDOMAIN));

	/* msmtp's domain is the EHLO argument; %H is pinmail's default. */
	v = given(S_DOMAIN);
	if (v != NULL && strcmp(v, "%H") != 0) {
		if (strchr(v, '%') != NULL)
			warn(at(S_DOMAIN), "domain %s: pinmail does not expand msmtp's"
				" %%C or %%M; helo is left to its default, this host's name", v);
		else
			key(out, "helo", v);
	}

	v = val(S_TIMEOUT);
	if (v != NULL && strcmp(v, "off") != 0) {
		long t = number(v);

		if (t > 3600) {
			warn(at(S_TIMEOUT), "timeout %s: pinmail waits at most 3600"
				" seconds", v);
			t = 3600;
		}
		fprintf(out, "%-9s %ld\n", "timeout", t);
	}

	v = val(S_DSN_NOTIFY);
	if (v != NULL && strcmp(v, "off") != 0)
		warn(at(S_DSN_NOTIFY), "dsn_notify %s: no configuration key; pass"
			" -N %s to pinmail", v, v);
	v = val(S_DSN_RETURN);
	if (v != NULL && strcmp(v, "off") != 0)
		warn(at(S_DSN_RETURN), "dsn_return %s: no configuration key; pass"
			" -R %s to pinmail", v, strcmp(v, "full") == 0 ? "FULL" : "HDRS");
	switch (header_mode(S_SET_FROM)) {
	case 'o':
		warn(at(S_SET_FROM), "set_from_header on: pinmail adds From: only"
			" when the message has none; \"rewrite_local_from on\" replaces a"
			" From: naming a local user such as cron's root");
		break;
	case 'f':
		warn(at(S_SET_FROM), "%s off: pinmail adds From: when the message"
			" has none", cmd_of(S_SET_FROM));
		break;
	}
	if (header_mode(S_SET_DATE) == 'f')
		warn(at(S_SET_DATE), "%s off: pinmail adds Date: when the message has"
			" none", cmd_of(S_SET_DATE));
	if (header_mode(S_SET_MSGID) == 'f')
		warn(at(S_SET_MSGID), "set_msgid_header off: pinmail adds Message-ID:"
			" when the message has none");
	if (!flag(S_REMOVE_BCC, 1))
		warn(at(S_REMOVE_BCC), "%s: pinmail always removes Bcc:",
			cmd_of(S_REMOVE_BCC));
	if (flag(S_UNDISCLOSED, 0))
		warn(at(S_UNDISCLOSED), "undisclosed_recipients: no equivalent; To:"
			" and Cc: are sent as they are");
}

static void convert_logging(FILE *out)
{
	static char buf[512];
	const char *v = given(S_LOGFILE), *s = val(S_SYSLOG);
	int logfile = 0;
	size_t i;

	if (v != NULL && strcmp(v, "-") == 0) {
		warn(at(S_LOGFILE), "logfile - (standard output): pinmail logs to"
			" syslog or to a file");
	} else if (v != NULL) {
		key(out, "logfile", path(S_LOGFILE, buf, sizeof buf));
		logfile = 1;
	}
	if (given(S_LOGFILE_TIME) != NULL)
		warn(at(S_LOGFILE_TIME), "logfile_time_format: no equivalent; the"
			" logfile's lines start with an ISO 8601 time");
	if (s != NULL) {
		if (strcmp(s, "off") == 0) {
			key(out, "syslog", "off");
		} else {
			/* msmtp's facility defaults to LOG_USER. */
			if (*s == '\0' || strcmp(s, "on") == 0)
				s = "LOG_USER";
			fprintf(out, "%-9s ", "syslog");
			for (i = 4; s[i] != '\0'; i++)
				putc(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i], out);
			putc('\n', out);
			if (logfile)
				warn(at(S_SYSLOG), "syslog and logfile: pinmail writes its line"
					" to the logfile only");
		}
	}
	v = given(S_ALIASES);
	if (v != NULL) {
		key(out, "aliases", path(S_ALIASES, buf, sizeof buf));
		warn(at(S_ALIASES), "aliases: pinmail reads the file in /etc/aliases"
			" format; msmtp's catch-all \"default:\" entry and a comment after"
			" an entry are not understood");
	}
}

/* Read the whole file into text[]; 0 or an exit status. */
static int load(const char *p, size_t *len)
{
	ssize_t n;
	size_t got = 0;
	int fd = open(p, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0) {
		e = errno;
		fprintf(stderr, "pinmail: cannot open ");
		put_safe(stderr, p);
		fprintf(stderr, ": %s\n", strerror(e));
		return e == EACCES ? EX_NOPERM : EX_NOINPUT;
	}
	for (;;) {
		n = read(fd, text + got, sizeof text - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof text - 1) {
			char c;

			if (read(fd, &c, 1) == 1) {
				close(fd);
				fail(0, "larger than %d bytes; convert a copy that holds only"
					" the account you need", RC_MAX - 1);
				return EX_DATAERR;
			}
			break;
		}
	}
	e = errno;
	close(fd);
	if (n < 0) {
		fail(0, "cannot read: %s", strerror(e));
		return e == EACCES ? EX_NOPERM : EX_NOINPUT;
	}
	text[got] = '\0';
	if (memchr(text, '\0', got) != NULL) {
		fail(0, "holds a NUL byte; is it an msmtp configuration?");
		return EX_DATAERR;
	}
	*len = got;
	return 0;
}

int pm_import_msmtprc(const char *p, const char *account, FILE *out)
{
	const char *host;
	size_t len = 0, i;
	int e;

	file = p;
	naccounts = 0;
	memset(&defaults, 0, sizeof defaults);
	defaults.name = "defaults";
	e = load(p, &len);
	if (e == 0)
		e = parse(len);
	if (e != 0)
		return e;

	if (account != NULL)
		acc = find(account);
	else if ((acc = find("default")) == NULL && naccounts > 0) {
		acc = &accounts[0];
		warn(0, "no account default; converting the first, %s (name another"
			" after the file)", acc->name);
	}
	if (acc == NULL) {
		if (naccounts == 0)
			return fail(0, "defines no account");
		fprintf(stderr, "pinmail: ");
		put_safe(stderr, p);
		fprintf(stderr, ": no account ");
		put_safe(stderr, account);
		fprintf(stderr, "; its accounts:");
		for (i = 0; i < naccounts; i++)
			fprintf(stderr, " %s", accounts[i].name);
		fputc('\n', stderr);
		return EX_CONFIG;
	}
	host = given(S_HOST);
	if (host == NULL)
		return fail(acc->line, "account %s has no host", acc->name);

	fputs("# pinmail configuration from ", out);
	put_safe(out, p);
	fprintf(out, ", account %s\n# (pinmail --import-msmtprc; see"
		" pinmail.conf(5))\n", acc->name);
	convert_server(out, host);
	convert_auth(out);
	convert_message(out);
	convert_logging(out);
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "pinmail: cannot write the configuration: %s\n",
			strerror(errno));
		return EX_IOERR;
	}
	return 0;
}
