/*
 * fuzz_conf.c — the configuration file parser (port/posix/pm_conf.c) and
 * alias expansion.
 *
 * Input: the configuration text, optionally followed by "\n@@@\n" and the
 * content of the password file, optionally followed by "\n@@@\n" and names
 * to expand (one per line).
 *
 * pm_conf_load reads a path, so the text goes to a memfd opened as
 * /proc/self/fd/N. Every other file pm_conf.c opens is sandboxed: the
 * target is linked with -Wl,--wrap=open, and while pm_conf runs any other
 * path opens the password memfd (during pm_conf_load) or a fixed aliases
 * memfd (during pm_conf_alias); a path containing "missing" or "denied"
 * fails with ENOENT or EACCES. Nothing of the host is read. pm_conf.c
 * caches the aliases file in a static buffer for the life of the process
 * (fine for pinmail, which reads one configuration), so the aliases file
 * is the fixed text below, loaded once at start: its parser is exercised
 * by the names looked up, not by fuzzed file contents.
 *
 * Checks: the result is 0, EX_CONFIG or EX_NOPERM; a failure prints
 * exactly one line (besides warnings), every line starting "pinmail: ";
 * an accepted configuration is complete and consistent (a host, 1..8
 * usable records that pm_dane_init accepts, record data inside the pool,
 * values in range and NUL-terminated, spool_max and max_queue_age equal to
 * what was written); alias expansion hands out only NUL-terminated
 * addresses of 1..PM_ADDR_MAX octets, returns 0 without calling back, 1,
 * EX_CONFIG with one line printed, or the callback's own status; every
 * file pm_conf.c opens is closed again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>
#include "fuzz_common.h"
#include "pm_conf.h"
#include "pm_addr.h"

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);

static int conf_fd = -1, secret_fd = -1, aliases_fd = -1;
static char conf_path[64], secret_path[64], aliases_path[64];
static int sandbox;                 /* 1: in pm_conf_load, 2: in pm_conf_alias */
static int opened[64];              /* descriptors opened in the sandbox */
static size_t nopened;

static const char aliases_text[] =
	"# /etc/aliases as Debian ships it, and then some\n"
	"mailer-daemon: postmaster\n"
	"postmaster: root\n"
	"nobody: root\n"
	"root: admin@example.org, ops\n"
	"ops: \"Ops Team\" <ops@example.net>,\n"
	"  oncall, (comment) pager@example.com\n"
	"oncall: |/usr/bin/pager, /var/log/oncall, :include:/etc/oncall.list,\n"
	"\tduty@example.org\n"
	"loop: loop\n"
	"ping: pong\n"
	"pong: ping\n"
	"a1: a2\na2: a3\na3: a4\na4: a5\na5: a6\na6: a7\na7: a8\na8: a9\n"
	"a9: a10\na10: end@example.org\n"
	"bad: <unterminated@example.org\n"
	"group: team: x@example.org, y@example.org;\n"
	"empty:\n";

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode = 0, fd;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (sandbox == 0)
		return __real_open(path, flags, mode);
	if (strcmp(path, conf_path) != 0) {
		if (strstr(path, "missing") != NULL) {
			errno = ENOENT;
			return -1;
		}
		if (strstr(path, "denied") != NULL) {
			errno = EACCES;
			return -1;
		}
		path = sandbox == 1 ? secret_path : aliases_path;
	}
	fd = __real_open(path, flags, mode);
	if (fd >= 0 && nopened < sizeof opened / sizeof opened[0])
		opened[nopened++] = fd;
	return fd;
}

/* Every descriptor pm_conf.c opened is closed again. */
static void no_leak(void)
{
	size_t i;

	for (i = 0; i < nopened; i++)
		FZ_CHECK(fcntl(opened[i], F_GETFD) == -1 && errno == EBADF);
	nopened = 0;
}

static int memfd(const char *name, char *path, size_t cap)
{
	int fd = memfd_create(name, 0);

	FZ_CHECK(fd >= 0);
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

static void put(int fd, const void *p, size_t n)
{
	FZ_CHECK(ftruncate(fd, 0) == 0);
	FZ_CHECK(n == 0 || pwrite(fd, p, n, 0) == (ssize_t)n);
}

/* ---- what pm_conf prints ---------------------------------------------- */

static char said[1 << 16];
static FILE *said_f, *real_stderr;

static void capture(void)
{
	memset(said, 0, sizeof said);
	said_f = fmemopen(said, sizeof said - 1, "w");
	FZ_CHECK(said_f != NULL);
	real_stderr = stderr;
	stderr = said_f;
}

/* Lines printed: all start "pinmail: "; returns how many are not
 * warnings. */
static size_t release(void)
{
	char *p, *nl;
	size_t errors = 0;

	fflush(said_f);
	stderr = real_stderr;
	fclose(said_f);
	for (p = said; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		FZ_CHECK(nl != NULL);               /* every message is a line */
		FZ_CHECK(strncmp(p, "pinmail: ", 9) == 0);
		errors += strncmp(p, "pinmail: warning: ", 18) != 0;
	}
	return errors;
}

/* ---- reference values -------------------------------------------------- */

/* The value of the last line with this key, as pm_conf.c splits lines. */
static int last_value(const char *text, size_t n, const char *key, char *out, size_t cap)
{
	size_t i = 0, e, k, v, end, klen = strlen(key);
	int found = 0;

	while (i < n) {
		for (e = i; e < n && text[e] != '\n'; e++)
			;
		end = e;
		while (end > i && (text[end - 1] == ' ' || text[end - 1] == '\t'
			|| text[end - 1] == '\r'))
			end--;
		for (k = i; k < end && (text[k] == ' ' || text[k] == '\t'); k++)
			;
		if (end - k > klen && memcmp(text + k, key, klen) == 0
			&& (text[k + klen] == ' ' || text[k + klen] == '\t')) {
			for (v = k + klen; v < end && (text[v] == ' ' || text[v] == '\t'); v++)
				;
			if (end - v < cap) {
				memcpy(out, text + v, end - v);
				out[end - v] = '\0';
				found = 1;
			}
		}
		i = e + 1;
	}
	return found;
}

/* Digits, then an optional unit; 0 when the product overflows. */
static unsigned long long exact(const char *v, const char *units,
	const unsigned long long *mult)
{
	unsigned long long n = 0, m = 1;
	const char *u;

	for (; *v >= '0' && *v <= '9'; v++)
		if (__builtin_mul_overflow(n, 10ull, &n)
			|| __builtin_add_overflow(n, (unsigned long long)(*v - '0'), &n))
			return 0;
	if (*v != '\0' && (u = strchr(units, *v)) != NULL)
		m = mult[u - units];
	return __builtin_mul_overflow(n, m, &n) ? 0 : n;
}

/* ---- aliases ------------------------------------------------------------------ */

typedef struct { size_t calls, stop_at; } alias_ctx;

static int on_alias(void *ctx, const char *addr, size_t len)
{
	alias_ctx *a = ctx;

	FZ_CHECK(len >= 1 && len <= PM_ADDR_MAX);
	FZ_CHECK(addr[len] == '\0' && strlen(addr) == len);
	FZ_CHECK(++a->calls < 100000);
	return a->calls == a->stop_at ? 75 : 0;
}

static void expand(const pm_conf *c, const char *name, size_t len, size_t stop_at)
{
	alias_ctx a = { 0, stop_at };
	size_t errors;
	int r;

	capture();
	sandbox = 2;
	r = pm_conf_alias(c, name, len, on_alias, &a);
	sandbox = 0;
	no_leak();
	errors = release();
	FZ_CHECK(r == 0 || r == 1 || r == EX_CONFIG || r == 75);
	if (r == 0)
		FZ_CHECK(a.calls == 0);
	if (r == 75)
		FZ_CHECK(stop_at != 0 && a.calls == stop_at);
	if (stop_at != 0 && a.calls >= stop_at)
		FZ_CHECK(r == 75 && a.calls == stop_at);
	FZ_CHECK(errors == (r == EX_CONFIG ? 1u : 0u));
}

/* ---- the target ------------------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static pm_conf c;

	(void)argc;
	(void)argv;
	conf_fd = memfd("pinmail.conf", conf_path, sizeof conf_path);
	secret_fd = memfd("pinmail.secret", secret_path, sizeof secret_path);
	aliases_fd = memfd("aliases", aliases_path, sizeof aliases_path);
	put(aliases_fd, aliases_text, sizeof aliases_text - 1);
	/* Load the aliases file now: pm_conf.c keeps it for good. */
	memset(&c, 0, sizeof c);
	c.path = "init";
	strcpy(c.aliases, "/etc/aliases");
	sandbox = 2;
	FZ_CHECK(pm_conf_alias(&c, "nobody-at-all", 13, on_alias, NULL) == 0);
	sandbox = 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n@@@\n";
	static const char *const names[] = { "root", "postmaster", "ops", "loop",
		"ping", "a1", "bad", "group", "empty", "nobody", "ROOT", "nosuch" };
	static pm_conf c;
	static const unsigned long long age_mult[] = { 86400, 3600, 60, 1 },
		byte_mult[] = { 1ull << 10, 1ull << 10, 1ull << 20, 1ull << 20,
			1ull << 30, 1ull << 30 };
	const uint8_t *conf = data, *secret = NULL, *list = NULL, *p;
	size_t conf_len = size, secret_len = 0, list_len = 0, i, n, errors, stop_at;
	char v[64];
	int r;

	if (size > 16384)
		return 0;
	p = fz_memmem(data, size, sep, 5);
	if (p != NULL) {
		conf_len = (size_t)(p - data);
		secret = p + 5;
		secret_len = size - conf_len - 5;
		p = fz_memmem(secret, secret_len, sep, 5);
		if (p != NULL) {
			list = p + 5;
			list_len = secret_len - (size_t)(list - secret);
			secret_len = (size_t)(p - secret);
		}
	}
	put(conf_fd, conf, conf_len);
	put(secret_fd, secret, secret_len);
	stop_at = size % 5;

	capture();
	sandbox = 1;
	r = pm_conf_load(&c, conf_path);
	sandbox = 0;
	no_leak();
	errors = release();
	FZ_CHECK(r == 0 || r == EX_CONFIG || r == EX_NOPERM);
	FZ_CHECK(errors == (r != 0 ? 1u : 0u));    /* one line says why */
	FZ_CHECK(c.path == conf_path);

	if (r == 0) {
		FZ_CHECK(c.host[0] != '\0' && strlen(c.host) < sizeof c.host);
		FZ_CHECK(c.port >= 1 && c.port <= 65535);
		FZ_CHECK(c.timeout >= 1 && c.timeout <= 3600);
		/* Pins configured, or "tlsa dns" (then lines are optional). */
		FZ_CHECK((c.ntlsa >= 1 || c.tlsa_dns) && c.ntlsa <= PM_TLSA_MAX);
		FZ_CHECK(c.port == 465 || c.port == 587 || c.port_set);
		FZ_CHECK(c.starttls == 0 || c.starttls == 1);
		FZ_CHECK(c.pool_len <= sizeof c.pool);
		for (i = 0; i < c.ntlsa; i++) {
			FZ_CHECK(pm_tlsa_unusable(&c.tlsa[i]) == NULL);
			FZ_CHECK(c.tlsa[i].data >= c.pool
				&& c.tlsa[i].data + c.tlsa[i].len <= c.pool + c.pool_len);
			FZ_CHECK(c.tlsa_line[i] >= 1 && (i == 0
				|| c.tlsa_line[i] > c.tlsa_line[i - 1]));
		}
		if (c.ntlsa > 0) {
			pm_dane d;
			FZ_CHECK(pm_dane_init(&d, c.tlsa, c.ntlsa) == 0);
		}
		FZ_CHECK(strlen(c.user) < sizeof c.user);
		FZ_CHECK(strlen(c.password) < sizeof c.password);
		FZ_CHECK(c.user[0] == '\0' || c.password[0] != '\0');
		FZ_CHECK(strlen(c.from) < sizeof c.from && strlen(c.helo) < sizeof c.helo);
		FZ_CHECK(strlen(c.domain) < sizeof c.domain);
		FZ_CHECK(strlen(c.aliases) < sizeof c.aliases);
		FZ_CHECK(strlen(c.logfile) < sizeof c.logfile);
		FZ_CHECK(strlen(c.spool) < sizeof c.spool);
		FZ_CHECK(c.queue == 0 || c.queue == 1);
		FZ_CHECK(c.rewrite_local_from == 0 || c.rewrite_local_from == 1);
		FZ_CHECK(c.syslog_facility == -1 || (c.syslog_facility & ~LOG_FACMASK) == 0);
		FZ_CHECK(c.max_queue_age >= 1 && c.max_queue_age <= 366UL * 86400);
		FZ_CHECK(c.nalias <= PM_CONF_ALIAS_MAX);
		for (i = 0; i < c.nalias; i++) {
			FZ_CHECK(c.alias_name[i][0] != '\0');
			FZ_CHECK(strchr(c.alias_name[i], '@') == NULL);
			FZ_CHECK(c.alias_value[i][0] != '\0');
		}
		/* Finding 4 (README.md): a size or age that overflows is
		 * accepted as whatever it wrapped to. */
		if (last_value((const char *)conf, conf_len, "spool_max", v, sizeof v)
			&& (fz_strict() || exact(v, "kKmMgG", byte_mult) != 0))
			FZ_CHECK(c.spool_max == exact(v, "kKmMgG", byte_mult));
		if (last_value((const char *)conf, conf_len, "max_queue_age", v, sizeof v)
			&& (fz_strict() || exact(v, "dhms", age_mult) != 0))
			FZ_CHECK(c.max_queue_age == exact(v, "dhms", age_mult));

		/* Aliases: the configured names, the file's, fuzzed ones. */
		for (i = 0; i < c.nalias && i < 8; i++)
			expand(&c, c.alias_name[i], strlen(c.alias_name[i]), stop_at);
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			expand(&c, names[i], strlen(names[i]), stop_at);
		for (p = list; p != NULL && p < list + list_len; p += n + 1) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(list + list_len - p));

			n = (size_t)((nl != NULL ? nl : list + list_len) - p);
			expand(&c, (const char *)p, n, stop_at);
		}
	}
	return 0;
}
