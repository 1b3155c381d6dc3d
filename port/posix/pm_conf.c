/*
 * pm_conf.c — configuration file (see pm_conf.h).
 *
 * Read with open/read into a fixed buffer (stdio's fopen would allocate).
 * Every error names file:line and says what to fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include "pm_conf.h"

#define CONF_MAX 16384

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

static int set_key(pm_conf *c, unsigned line, const char *key, const char *val)
{
	if (strcmp(key, "host") == 0)
		return copy_value(c, line, key, c->host, sizeof c->host, val);
	if (strcmp(key, "port") == 0) {
		if (parse_number(val, 65535, &c->port) != 0)
			return fail(c, line, "port must be a number from 1 to 65535, not", val);
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
	return fail(c, line, "unknown key", key);
}

int pm_conf_load(pm_conf *c, const char *path)
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
	if (c->host[0] == '\0')
		return fail(c, 0, "no host; add a line \"host mail.example.com\"", NULL);
	if (c->ntlsa == 0)
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
