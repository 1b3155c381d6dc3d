/*
 * pm_conf.c — configuration file (see pm_conf.h).
 *
 * Read with open/read into a fixed buffer (stdio's fopen would allocate).
 * Every error names file:line and says what to fix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>
#include "pm_addr.h"
#include "pm_conf.h"
#include "pm_resolv.h"

#define CONF_MAX 16384
#define ALIAS_DEPTH 8

static const struct { const char *name; int facility; } facilities[] = {
	{ "mail", LOG_MAIL }, { "user", LOG_USER }, { "daemon", LOG_DAEMON },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int fail(const pm_conf *c, unsigned line, const char *what, const char *arg)
{
	if (line)
		fprintf(stderr, "pinmail: %s:%u: %s%s%s\n", c->path, line, what,
			arg ? " " : "", arg ? arg : "");
	else
		fprintf(stderr, "pinmail: %s: %s%s%s\n", c->path, what,
			arg ? " " : "", arg ? arg : "");
	return EX_CONFIG;
}

/* Read a whole small file into buf (NUL-terminated). */
static int slurp(const char *path, char *buf, size_t cap, size_t *len, struct stat *st)
{
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	if (fstat(fd, st) != 0) {
		n = errno;
		close(fd);
		return (int)n;
	}
	while (got < cap - 1) {
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got == cap - 1)
		return EFBIG;
	buf[got] = '\0';
	*len = got;
	return 0;
}

static int copy_value(const pm_conf *c, unsigned line, const char *key,
	char *dst, size_t cap, const char *val)
{
	size_t n = strlen(val);

	if (n == 0)
		return fail(c, line, key, "needs a value");
	if (n >= cap) {
		char what[64];

		snprintf(what, sizeof what, "%s is longer than %zu bytes", key, cap - 1);
		return fail(c, line, what, NULL);
	}
	memcpy(dst, val, n + 1);
	return 0;
}

static int read_password_file(pm_conf *c, unsigned line, const char *path)
{
	char buf[PM_CRED_MAX + 2];
	struct stat st;
	size_t len = 0;
	char *nl;
	int e = slurp(path, buf, sizeof buf, &len, &st);

	if (e == EFBIG)
		return fail(c, line, "password_file holds a password longer than 255 bytes:", path);
	if (e != 0) {
		fprintf(stderr, "pinmail: %s:%u: cannot read password_file %s: %s\n",
			c->path, line, path, strerror(e));
		return e == EACCES ? EX_NOPERM : EX_CONFIG;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH))
		fprintf(stderr, "pinmail: warning: %s is readable by other users;"
			" run: chmod 600 %s\n", path, path);
	nl = memchr(buf, '\n', len);
	if (nl != NULL)
		*nl = '\0';
	if (nl != NULL && nl > buf && nl[-1] == '\r')
		nl[-1] = '\0';
	return copy_value(c, line, "password_file", c->password, sizeof c->password, buf);
}

static int parse_number(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int add_tlsa(pm_conf *c, unsigned line, const char *val)
{
	const char *why = NULL;
	pm_tlsa *rec;
	int err;

	if (c->ntlsa == PM_TLSA_MAX) {
		char what[64];

		snprintf(what, sizeof what, "more than %d tlsa records", PM_TLSA_MAX);
		return fail(c, line, what, NULL);
	}
	rec = &c->tlsa[c->ntlsa];
	err = pm_tlsa_parse(rec, c->pool + c->pool_len, sizeof c->pool - c->pool_len,
		val, strlen(val), &why);
	if (err != 0) {
		fprintf(stderr, "pinmail: %s:%u: malformed tlsa record: %s;"
			" write it as DNS shows it, e.g. \"tlsa 3 1 1 <64 hex digits>\"\n",
			c->path, line, why);
		return EX_CONFIG;
	}
	why = pm_tlsa_unusable(rec);
	if (why != NULL) {
		fprintf(stderr, "pinmail: warning: %s:%u: tlsa record ignored: %s\n",
			c->path, line, why);
		return 0;
	}
	c->pool_len += rec->len;
	c->tlsa_line[c->ntlsa++] = line;
	return 0;
}

/* "5d", "12h", "30m", "90s", "90": seconds. 0 on error. */
static unsigned long parse_age(const char *v)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || n > 366UL * 86400)
		return 0;
	switch (*end) {
	case 'd': n *= 86400; end++; break;
	case 'h': n *= 3600; end++; break;
	case 'm': n *= 60; end++; break;
	case 's': end++; break;
	}
	return *end == '\0' && n <= 366UL * 86400 ? n : 0;
}

/* "100000", "512K", "10M", "1G": bytes. 0 on error. */
static unsigned long long parse_bytes(const char *v)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	if (*v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (errno != 0 || *end != '\0' || n > (~0ULL >> shift))
		return 0;
	return n << shift;
}

static int on_off(const char *val)
{
	if (strcmp(val, "on") == 0 || strcmp(val, "yes") == 0 || strcmp(val, "1") == 0)
		return 1;
	if (strcmp(val, "off") == 0 || strcmp(val, "no") == 0 || strcmp(val, "0") == 0)
		return 0;
	return -1;
}

static int check_addr(void *ctx, const char *addr, size_t len)
{
	(void)ctx;
	(void)addr;
	(void)len;
	return 0;
}

/* "alias LOCAL ADDR[,ADDR...]": both parts point into the file's text. */
static int add_alias(pm_conf *c, unsigned line, char *val)
{
	const char *why = NULL;
	char *p = val;

	if (c->nalias == PM_CONF_ALIAS_MAX) {
		char what[64];

		snprintf(what, sizeof what, "more than %d alias lines", PM_CONF_ALIAS_MAX);
		return fail(c, line, what, "; use an aliases file");
	}
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ':')
		p++;
	if (p == val || (strchr(val, '@') != NULL && strchr(val, '@') < p))
		return fail(c, line, "alias needs a local name without @, then addresses:"
			" \"alias root admin@example.com\"", NULL);
	if (*p != '\0')
		*p++ = '\0';
	while (*p == ' ' || *p == '\t' || *p == ':')
		p++;
	if (*p == '\0')
		return fail(c, line, "alias needs addresses after the name", val);
	if (pm_addr_list(p, strlen(p), check_addr, NULL, &why) != 0)
		return fail(c, line, "malformed alias address:", why);
	c->alias_name[c->nalias] = val;
	c->alias_value[c->nalias++] = p;
	return 0;
}

static int set_syslog(pm_conf *c, unsigned line, const char *val)
{
	size_t i;

	switch (on_off(val)) {
	case 1: c->syslog_facility = LOG_MAIL; return 0;
	case 0: c->syslog_facility = -1; return 0;
	}
	for (i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
		if (strcmp(val, facilities[i].name) == 0) {
			c->syslog_facility = facilities[i].facility;
			return 0;
		}
	return fail(c, line, "syslog must be on, off, or a facility (mail, user,"
		" daemon, local0..local7), not", val);
}

static int set_key(pm_conf *c, unsigned line, const char *key, char *val)
{
	if (strcmp(key, "host") == 0)
		return copy_value(c, line, key, c->host, sizeof c->host, val);
	if (strcmp(key, "port") == 0) {
		if (parse_number(val, 65535, &c->port) != 0)
			return fail(c, line, "port must be a number from 1 to 65535, not", val);
		c->port_set = 1;
		return 0;
	}
	if (strcmp(key, "tlsa") == 0 && strcmp(val, "dns") == 0) {
		c->tlsa_dns = 1;
		return 0;
	}
	if (strcmp(key, "tlsa") == 0)
		return add_tlsa(c, line, val);
	if (strcmp(key, "user") == 0)
		return copy_value(c, line, key, c->user, sizeof c->user, val);
	if (strcmp(key, "password") == 0)
		return copy_value(c, line, key, c->password, sizeof c->password, val);
	if (strcmp(key, "password_file") == 0)
		return read_password_file(c, line, val);
	if (strcmp(key, "from") == 0)
		return copy_value(c, line, key, c->from, sizeof c->from, val);
	if (strcmp(key, "helo") == 0)
		return copy_value(c, line, key, c->helo, sizeof c->helo, val);
	if (strcmp(key, "timeout") == 0) {
		if (parse_number(val, 3600, &c->timeout) != 0)
			return fail(c, line, "timeout must be seconds from 1 to 3600, not", val);
		return 0;
	}
	if (strcmp(key, "dns_server") == 0) {
		char why[128];

		if (pm_resolv_check_servers(val, why, sizeof why) != 0)
			return fail(c, line, why, NULL);
		return copy_value(c, line, key, c->dns_server, sizeof c->dns_server, val);
	}
	if (strcmp(key, "domain") == 0)
		return copy_value(c, line, key, c->domain, sizeof c->domain, val);
	if (strcmp(key, "rewrite_local_from") == 0) {
		c->rewrite_local_from = on_off(val);
		if (c->rewrite_local_from < 0)
			return fail(c, line, "rewrite_local_from must be on or off, not", val);
		return 0;
	}
	if (strcmp(key, "alias") == 0)
		return add_alias(c, line, val);
	if (strcmp(key, "aliases") == 0)
		return copy_value(c, line, key, c->aliases, sizeof c->aliases, val);
	if (strcmp(key, "syslog") == 0)
		return set_syslog(c, line, val);
	if (strcmp(key, "logfile") == 0)
		return copy_value(c, line, key, c->logfile, sizeof c->logfile, val);
	if (strcmp(key, "spool") == 0)
		return copy_value(c, line, key, c->spool, sizeof c->spool, val);
	if (strcmp(key, "spool_max") == 0) {
		c->spool_max = parse_bytes(val);
		if (c->spool_max == 0)
			return fail(c, line, "spool_max must be a size in bytes (K, M, G"
				" allowed), not", val);
		return 0;
	}
	if (strcmp(key, "queue") == 0) {
		c->queue = on_off(val);
		if (c->queue < 0)
			return fail(c, line, "queue must be on or off, not", val);
		return 0;
	}
	if (strcmp(key, "tls") == 0) {
		if (strcmp(val, "implicit") == 0)
			c->starttls = 0;
		else if (strcmp(val, "starttls") == 0)
			c->starttls = 1;
		else
			return fail(c, line, "tls must be implicit (port 465) or"
				" starttls (port 587), not", val);
		return 0;
	}
	if (strcmp(key, "tls_resume") == 0) {
		c->tls_resume = on_off(val);
		if (c->tls_resume < 0)
			return fail(c, line, "tls_resume must be on or off, not", val);
		return 0;
	}
	if (strcmp(key, "max_queue_age") == 0) {
		c->max_queue_age = parse_age(val);
		if (c->max_queue_age == 0)
			return fail(c, line, "max_queue_age must be a time like 5d, 12h,"
				" 30m or seconds, not", val);
		return 0;
	}
	return fail(c, line, "unknown key", key);
}

int pm_conf_load(pm_conf *c, const char *path)
{
	return pm_conf_load_opts(c, path, 1);
}

int pm_conf_load_opts(pm_conf *c, const char *path, int need_server)
{
	static char text[CONF_MAX];
	char *p, *eol, *key, *val, *end;
	struct stat st;
	size_t len = 0;
	unsigned line = 0;
	int e, has_password = 0;

	memset(c, 0, sizeof *c);
	c->path = path;
	c->port = 465;
	c->timeout = 30;
	c->syslog_facility = LOG_MAIL;
	c->queue = 1;
	c->tls_resume = 1;
	c->max_queue_age = 5UL * 86400;
	e = slurp(path, text, sizeof text, &len, &st);
	if (e != 0) {
		fprintf(stderr, "pinmail: cannot read configuration %s: %s;"
			" give one with -C FILE or PINMAIL_CONF\n", path,
			e == EFBIG ? "larger than 16 KB" : strerror(e));
		return e == EACCES ? EX_NOPERM : EX_CONFIG;
	}
	if (memchr(text, '\0', len) != NULL)
		return fail(c, 0, "holds a NUL byte; is it a text file?", NULL);
	for (p = text; *p != '\0'; p = eol) {
		line++;
		eol = strchr(p, '\n');
		if (eol != NULL)
			*eol++ = '\0';
		else
			eol = p + strlen(p);
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		key = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		val = p;
		if (*val == '\0')
			return fail(c, line, key, "needs a value (\"key value\")");
		e = set_key(c, line, key, val);
		if (e != 0)
			return e;
		has_password |= strcmp(key, "password") == 0;
	}
	if (c->starttls && !c->port_set)
		c->port = 587;
	if (!need_server)
		return 0;
	if (c->host[0] == '\0')
		return fail(c, 0, "no host; add a line \"host mail.example.com\"", NULL);
	if (c->ntlsa == 0 && !c->tlsa_dns)
		return fail(c, 0, "no usable tlsa record; pinmail talks only to a server"
			" it can authenticate: add \"tlsa 3 1 1 <sha256 of the server key>\""
			" (see \"Getting the pin\" in the README)", NULL);
	if (c->user[0] != '\0' && c->password[0] == '\0')
		return fail(c, 0, "user is set but no password or password_file", NULL);
	if (has_password && (st.st_mode & (S_IRGRP | S_IROTH)))
		fprintf(stderr, "pinmail: warning: %s holds a password and is readable"
			" by other users; run: chmod 600 %s\n", path, path);
	return 0;
}

/* --- aliases -------------------------------------------------------------- */

typedef struct {
	const pm_conf *c;
	int (*fn)(void *ctx, const char *addr, size_t len);
	void *ctx;
	const char *self;          /* the name being expanded */
	size_t self_len;
	int depth;
	int err;
} expansion;

static int expand(expansion *x, const char *name, size_t len);

static int expand_one(void *ctx, const char *addr, size_t len)
{
	expansion *x = ctx, inner;
	int r;

	if (memchr(addr, '@', len) != NULL
		|| (len == x->self_len && strncmp(addr, x->self, len) == 0))
		r = 0;
	else {
		inner = *x;
		inner.depth++;
		r = expand(&inner, addr, len);
	}
	if (r == 0) {       /* an address, or a local name that is no alias */
		r = x->fn(x->ctx, addr, len);
		if (r != 0)
			x->err = r;
		return r;
	}
	if (r != 1) {
		x->err = r;
		return -1;
	}
	return 0;
}

/* The value of an aliases-file entry: comma-separated; pipes, files and
 * :include: cannot be delivered by a submission client and are skipped. */
static int expand_value(expansion *x, const char *file, unsigned line,
	const char *v, size_t len)
{
	const char *why = NULL, *item, *end = v + len, *comma;
	size_t n;

	for (item = v; item < end; item = comma + 1) {
		comma = memchr(item, ',', (size_t)(end - item));
		if (comma == NULL)
			comma = end;
		while (item < comma && (*item == ' ' || *item == '\t' || *item == '\n'
			|| *item == '\r'))
			item++;
		n = (size_t)(comma - item);
		while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'
			|| item[n - 1] == '\n' || item[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		if (*item == '|' || *item == '/' || strncmp(item, ":include:", 9) == 0) {
			fprintf(stderr, "pinmail: warning: %s:%u: alias to a program, file"
				" or :include: skipped: pinmail only submits mail\n", file, line);
			continue;
		}
		if (pm_addr_list(item, n, expand_one, x, &why) != 0) {
			if (x->err == 0) {
				fprintf(stderr, "pinmail: %s:%u: malformed alias address: %s\n",
					file, line, why != NULL ? why : "bad address");
				x->err = EX_CONFIG;
			}
			return x->err;
		}
	}
	return 0;
}

static int expand_file(expansion *x, const char *name, size_t len)
{
	static char text[CONF_MAX];
	static int loaded;
	const char *p, *eol, *colon, *v;
	struct stat st;
	size_t tlen = 0;
	unsigned line = 0, first;
	int e;

	if (!loaded) {
		e = slurp(x->c->aliases, text, sizeof text, &tlen, &st);
		if (e != 0) {
			fprintf(stderr, "pinmail: cannot read aliases file %s (from %s): %s\n",
				x->c->aliases, x->c->path,
				e == EFBIG ? "larger than 16 KB" : strerror(e));
			return EX_CONFIG;
		}
		loaded = 1;
	}
	for (p = text; *p != '\0'; p = eol) {
		line++;
		eol = strchr(p, '\n');
		eol = eol != NULL ? eol + 1 : p + strlen(p);
		if (*p == '#' || *p == ' ' || *p == '\t' || *p == '\n')
			continue;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || (size_t)(colon - p) != len || strncasecmp(p, name, len) != 0)
			continue;
		/* The value runs on over continuation lines (leading blank). */
		v = colon + 1;
		first = line;
		while (*eol == ' ' || *eol == '\t') {
			const char *n2 = strchr(eol, '\n');

			eol = n2 != NULL ? n2 + 1 : eol + strlen(eol);
			line++;
		}
		return expand_value(x, x->c->aliases, first, v, (size_t)(eol - v)) == 0 ? 1
			: x->err;
	}
	return 0;
}

static int expand(expansion *x, const char *name, size_t len)
{
	size_t i;

	if (x->depth > ALIAS_DEPTH) {
		fprintf(stderr, "pinmail: aliases nest deeper than %d at \"%.*s\"; is"
			" there a loop? fix the alias lines in %s\n", ALIAS_DEPTH, (int)len,
			name, x->c->path);
		return EX_CONFIG;
	}
	x->self = name;
	x->self_len = len;
	for (i = 0; i < x->c->nalias; i++)
		if (strlen(x->c->alias_name[i]) == len
			&& strncasecmp(x->c->alias_name[i], name, len) == 0)
			return expand_value(x, x->c->path, 0, x->c->alias_value[i],
				strlen(x->c->alias_value[i])) == 0 ? 1 : x->err;
	if (x->c->aliases[0] != '\0')
		return expand_file(x, name, len);
	return 0;
}

int pm_conf_alias(const pm_conf *c, const char *name, size_t len,
	int (*fn)(void *ctx, const char *addr, size_t len), void *ctx)
{
	expansion x;

	memset(&x, 0, sizeof x);
	x.c = c;
	x.fn = fn;
	x.ctx = ctx;
	return expand(&x, name, len);
}
