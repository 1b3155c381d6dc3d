/*
 * pm_spool.c — the queue on disk (see pm_spool.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include "pm_spool.h"

#define ORPHAN_AGE 3600          /* seconds before an orphan is removed */

static char iobuf[16384];        /* message copies */
static char envtext[PM_RCPT_MAX * 80 + 2048];

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int path(char *out, size_t cap, const pm_spool *sp, const char *sub,
	const char *id, const char *ext)
{
	int n = snprintf(out, cap, "%s%s%s/%s%s", sp->dir, sub[0] ? "/" : "", sub,
		id, ext);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static void sync_dir(const pm_spool *sp, const char *sub)
{
	char p[300];
	int fd;

	snprintf(p, sizeof p, "%s%s%s", sp->dir, sub[0] ? "/" : "", sub);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int pm_env_add_rcpt(pm_env *env, const char *addr, size_t len)
{
	size_t i;

	for (i = 0; i < env->nrcpt; i++)
		if (strlen(env->rcpt[i]) == len && strncasecmp(env->rcpt[i], addr, len) == 0)
			return 0;
	if (env->nrcpt == PM_RCPT_MAX || len + 1 > sizeof env->pool - env->used)
		return -1;
	memcpy(env->pool + env->used, addr, len);
	env->pool[env->used + len] = '\0';
	env->rcpt[env->nrcpt++] = env->pool + env->used;
	env->used += len + 1;
	return 0;
}

void pm_env_set_error(pm_env *env, const char *text)
{
	size_t i;

	for (i = 0; text[i] != '\0' && i < sizeof env->error - 1; i++)
		env->error[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
	env->error[i] = '\0';
}

/* --- the envelope file ---------------------------------------------------- */

static int put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= cap - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

/* The .env text; 0 when it does not fit. */
static size_t env_format(const pm_env *env, char *buf, size_t cap)
{
	size_t n = 0, i;
	int bad;

	bad = put(buf, cap, &n, "pinmail-spool 1\nfrom %s\nsize %llu\ncreated %lld\n"
		"attempts %u\nnext %lld\nbody %u\n", env->from, env->size,
		env->created, env->attempts, env->next, env->body);
	if (env->notify[0] != '\0')
		bad |= put(buf, cap, &n, "notify %s\n", env->notify);
	if (env->ret[0] != '\0')
		bad |= put(buf, cap, &n, "ret %s\n", env->ret);
	if (env->envid[0] != '\0')
		bad |= put(buf, cap, &n, "envid %s\n", env->envid);
	if (env->error[0] != '\0')
		bad |= put(buf, cap, &n, "error %s\n", env->error);
	for (i = 0; i < env->nrcpt; i++)
		bad |= put(buf, cap, &n, "rcpt %s\n", env->rcpt[i]);
	return bad ? 0 : n;
}

static void copy_field(char *dst, size_t cap, const char *v)
{
	snprintf(dst, cap, "%s", v);
}

static int env_parse(pm_env *env, char *text)
{
	char *line, *next, *v;

	memset(env, 0, sizeof *env);
	if (strncmp(text, "pinmail-spool 1\n", 16) != 0)
		return -1;
	for (line = text + 16; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			return -1;           /* every line ends: a torn file is not read */
		*next++ = '\0';
		v = strchr(line, ' ');
		if (v == NULL)
			return -1;
		*v++ = '\0';
		if (strcmp(line, "from") == 0)
			copy_field(env->from, sizeof env->from, v);
		else if (strcmp(line, "size") == 0)
			env->size = strtoull(v, NULL, 10);
		else if (strcmp(line, "created") == 0)
			env->created = strtoll(v, NULL, 10);
		else if (strcmp(line, "attempts") == 0)
			env->attempts = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(line, "next") == 0)
			env->next = strtoll(v, NULL, 10);
		else if (strcmp(line, "body") == 0)
			env->body = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(line, "notify") == 0)
			copy_field(env->notify, sizeof env->notify, v);
		else if (strcmp(line, "ret") == 0)
			copy_field(env->ret, sizeof env->ret, v);
		else if (strcmp(line, "envid") == 0)
			copy_field(env->envid, sizeof env->envid, v);
		else if (strcmp(line, "error") == 0)
			copy_field(env->error, sizeof env->error, v);
		else if (strcmp(line, "rcpt") == 0) {
			if (pm_env_add_rcpt(env, v, strlen(v)) != 0)
				return -1;
		} else
			return -1;
	}
	return env->from[0] != '\0' || env->nrcpt > 0 ? 0 : -1;
}

/* Write data to sub/name through tmp/, fsynced, then renamed into place. */
static int put_file(const pm_spool *sp, const char *sub, const char *name,
	const char *data, size_t len)
{
	char tmp[300], dst[300];
	int fd;

	if (path(tmp, sizeof tmp, sp, "tmp", name, "") != 0
		|| path(dst, sizeof dst, sp, sub, name, "") != 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, dst) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int env_save(const pm_spool *sp, const char *sub, const char *id,
	const pm_env *env)
{
	char name[PM_SPOOL_ID_MAX + 8];
	size_t n = env_format(env, envtext, sizeof envtext);

	snprintf(name, sizeof name, "%s.env", id);
	if (n == 0 || put_file(sp, sub, name, envtext, n) != 0)
		return -1;
	sync_dir(sp, sub);
	return 0;
}

static int env_load(const pm_spool *sp, const char *sub, const char *id, pm_env *env)
{
	char p[300];
	ssize_t n;
	size_t got = 0;
	int fd;

	if (path(p, sizeof p, sp, sub, id, ".env") != 0)
		return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < sizeof envtext - 1) {
		n = read(fd, envtext + got, sizeof envtext - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	envtext[got] = '\0';
	return env_parse(env, envtext);
}

/* --- the directory ---------------------------------------------------------- */

static int make_dir(const char *p)
{
	struct stat st;

	if (mkdir(p, 0700) == 0)
		return 0;
	return errno == EEXIST && stat(p, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int pm_spool_init(pm_spool *sp, const char *dir, unsigned long long max_bytes)
{
	char p[300];
	size_t i;

	memset(sp, 0, sizeof *sp);
	if (snprintf(sp->dir, sizeof sp->dir, "%s", dir) >= (int)sizeof sp->dir) {
		fprintf(stderr, "pinmail: spool directory name too long: %s\n", dir);
		return EX_CONFIG;
	}
	sp->max_bytes = max_bytes;
	/* mkdir -p, each level 0700 when created here */
	snprintf(p, sizeof p, "%s", dir);
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		mkdir(p, 0700);
		p[i] = '/';
	}
	if (make_dir(p) != 0
		|| (snprintf(p, sizeof p, "%s/tmp", dir), make_dir(p)) != 0
		|| (snprintf(p, sizeof p, "%s/dead", dir), make_dir(p)) != 0) {
		fprintf(stderr, "pinmail: cannot create spool directory %s: %s;"
			" set \"spool DIR\" to a writable directory; nothing sent\n",
			p, strerror(errno));
		return EX_CANTCREAT;
	}
	return 0;
}

/* Visit the entries of sub (getdents64: opendir would allocate). */
typedef int (*entry_fn)(pm_spool *sp, int dfd, const char *name, void *ctx);

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int each_entry(pm_spool *sp, const char *sub, entry_fn fn, void *ctx)
{
	static char buf[8192] __attribute__((aligned(8)));
	char p[300];
	struct linux_dirent64 *d;
	long n, off;
	int dfd, r = 0;

	snprintf(p, sizeof p, "%s%s%s", sp->dir, sub[0] ? "/" : "", sub);
	dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	while (r == 0 && (n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0)
		for (off = 0; off < n && r == 0; off += d->d_reclen) {
			d = (struct linux_dirent64 *)(void *)(buf + off);
			if (d->d_name[0] != '.')
				r = fn(sp, dfd, d->d_name, ctx);
		}
	close(dfd);
	return r;
}

static int ends_with(const char *s, const char *ext)
{
	size_t n = strlen(s), e = strlen(ext);

	return n > e && strcmp(s + n - e, ext) == 0;
}

static int old_file(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, 0) == 0 && time(NULL) - st.st_mtime > ORPHAN_AGE;
}

static int sum_size(pm_spool *sp, int dfd, const char *name, void *ctx)
{
	struct stat st;

	(void)sp;
	if (fstatat(dfd, name, &st, 0) == 0 && S_ISREG(st.st_mode))
		*(unsigned long long *)ctx += (unsigned long long)st.st_size;
	return 0;
}

typedef struct {
	char (*ids)[PM_SPOOL_ID_MAX];
	size_t n, max;
} id_list;

static int collect(pm_spool *sp, int dfd, const char *name, void *ctx)
{
	id_list *l = ctx;
	char other[PM_SPOOL_ID_MAX + 8];
	size_t len = strlen(name);

	(void)sp;
	if (ends_with(name, ".env") && len - 4 < PM_SPOOL_ID_MAX) {
		/* Keep the max oldest, in order: insertion into a sorted list. */
		size_t i = l->n;
		char id[PM_SPOOL_ID_MAX];

		memcpy(id, name, len - 4);
		id[len - 4] = '\0';
		if (l->n == l->max && (l->max == 0 || strcmp(id, l->ids[l->max - 1]) >= 0))
			return 0;
		if (l->n < l->max)
			l->n++;
		for (i = l->n - 1; i > 0 && strcmp(id, l->ids[i - 1]) < 0; i--)
			memcpy(l->ids[i], l->ids[i - 1], PM_SPOOL_ID_MAX);
		memcpy(l->ids[i], id, PM_SPOOL_ID_MAX);
	} else if (ends_with(name, ".msg") && len - 4 < PM_SPOOL_ID_MAX) {
		/* A .msg without .env: a crashed add or remove. */
		snprintf(other, sizeof other, "%.*s.env", (int)(len - 4), name);
		if (faccessat(dfd, other, F_OK, 0) != 0 && old_file(dfd, name))
			unlinkat(dfd, name, 0);
	}
	return 0;
}

static int clean_tmp(pm_spool *sp, int dfd, const char *name, void *ctx)
{
	(void)sp;
	(void)ctx;
	if (old_file(dfd, name))
		unlinkat(dfd, name, 0);
	return 0;
}

int pm_spool_list(pm_spool *sp, char (*ids)[PM_SPOOL_ID_MAX], size_t max)
{
	id_list l = { ids, 0, max };

	if (each_entry(sp, "", collect, &l) != 0) {
		fprintf(stderr, "pinmail: cannot read spool directory %s: %s\n",
			sp->dir, strerror(errno));
		return -1;
	}
	each_entry(sp, "tmp", clean_tmp, NULL);
	return (int)l.n;
}

/* --- adding, taking, removing ----------------------------------------------- */

/* "20261128T154012.123456-1a2b3-c0ffee00": UTC time to the microsecond,
 * so names sort by age, then the pid and 32 random bits. */
static void new_id(char *id, size_t cap)
{
	uint8_t r[4] = { 0, 0, 0, 0 };
	struct timespec now;
	struct tm tm;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0, sizeof r);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(id, cap, "%04u%02u%02uT%02u%02u%02u.%06u-%05x-%02x%02x%02x%02x",
		(unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100,
		(unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100,
		(unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
		(unsigned)(now.tv_nsec / 1000) % 1000000, (unsigned)getpid() & 0xfffff,
		r[0], r[1], r[2], r[3]);
}

int pm_spool_add(pm_spool *sp, pm_env *env, pm_read_fn src, void *ctx,
	size_t header_lines, pm_spool_item *it)
{
	char tmp[300], dst[300];
	unsigned long long used = 0, size = 0, line = 1, col = 0;
	size_t got, i;
	int fd, err, cr = 0;
	const char *fail = NULL;
	int status = EX_CANTCREAT;

	if (sp->max_bytes != 0)
		each_entry(sp, "", sum_size, &used);
	new_id(it->id, sizeof it->id);
	if (path(tmp, sizeof tmp, sp, "tmp", it->id, ".msg") != 0
		|| path(dst, sizeof dst, sp, "", it->id, ".msg") != 0)
		return EX_CANTCREAT;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		fprintf(stderr, "pinmail: cannot write to the spool %s: %s; nothing"
			" sent\n", sp->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EX_CANTCREAT;
	}
	for (;;) {
		err = src(ctx, (uint8_t *)iobuf, sizeof iobuf, &got);
		if (err != 0) {
			fail = "read";
			status = EX_IOERR;
			break;
		}
		if (got == 0)
			break;
		/* Line lengths as the SMTP engine will count them: CR, LF and
		 * CRLF each end a line. */
		for (i = 0; i < got; i++) {
			char c = iobuf[i];

			if (c == '\n') {
				if (!cr)
					line++;
				col = 0;
				cr = 0;
			} else if (c == '\r') {
				line++;
				col = 0;
				cr = 1;
			} else {
				cr = 0;
				if (++col > 998)
					break;
			}
		}
		if (i < got) {
			fprintf(stderr, "pinmail: line %llu of the message %s is longer"
				" than 998 octets (RFC 5322 2.1.1); wrap it or encode the"
				" message (quoted-printable or base64); nothing sent\n",
				line > header_lines ? line - header_lines : line,
				line > header_lines ? "body" : "header");
			fail = "";
			status = EX_DATAERR;
			break;
		}
		size += got;
		if (sp->max_bytes != 0 && used + size > sp->max_bytes) {
			fprintf(stderr, "pinmail: the spool %s would exceed spool_max"
				" (%llu bytes) with this message; nothing queued or sent;"
				" flush the queue (pinmail -q) or raise spool_max\n",
				sp->dir, sp->max_bytes);
			fail = "";
			status = EX_CANTCREAT;
			break;
		}
		if (write_all(fd, iobuf, got) != 0) {
			fail = "write";
			break;
		}
	}
	if (fail == NULL && (fsync(fd) != 0 || rename(tmp, dst) != 0))
		fail = "write";
	if (fail != NULL) {
		if (fail[0] == 'w')
			fprintf(stderr, "pinmail: cannot write the message to the spool"
				" %s: %s; nothing sent\n", sp->dir, strerror(errno));
		else if (fail[0] == 'r')
			fprintf(stderr, "pinmail: cannot read the message from standard"
				" input: %s; nothing sent\n", strerror(errno));
		unlink(tmp);
		close(fd);
		return status;
	}
	env->size = size;
	env->created = (long long)time(NULL);
	env->attempts = 0;
	env->next = 0;
	env->error[0] = '\0';
	if (env_save(sp, "", it->id, env) != 0) {
		fprintf(stderr, "pinmail: cannot write the envelope to the spool %s:"
			" %s; nothing sent\n", sp->dir, strerror(errno));
		unlink(dst);
		close(fd);
		return EX_CANTCREAT;
	}
	lseek(fd, 0, SEEK_SET);
	it->fd = fd;
	return 0;
}

int pm_spool_peek(pm_spool *sp, const char *id, pm_env *env)
{
	return env_load(sp, "", id, env);
}

int pm_spool_take(pm_spool *sp, const char *id, pm_env *env, pm_spool_item *it)
{
	char p[300];
	struct stat st;
	int fd;

	it->fd = -1;
	snprintf(it->id, sizeof it->id, "%s", id);
	if (path(p, sizeof p, sp, "", id, ".msg") != 0)
		return 1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return 1;                /* another process is delivering it */
	}
	/* Delivered and removed while this one waited for the lock? */
	if (fstat(fd, &st) != 0 || st.st_nlink == 0 || env_load(sp, "", id, env) != 0) {
		close(fd);
		return 1;
	}
	it->fd = fd;
	return 0;
}

int pm_spool_save(pm_spool *sp, const char *id, const pm_env *env)
{
	return env_save(sp, "", id, env);
}

int pm_spool_remove(pm_spool *sp, pm_spool_item *it)
{
	char p[300];
	int r = 0;

	if (path(p, sizeof p, sp, "", it->id, ".env") == 0 && unlink(p) != 0)
		r = -1;
	if (path(p, sizeof p, sp, "", it->id, ".msg") == 0 && unlink(p) != 0)
		r = -1;
	sync_dir(sp, "");
	pm_spool_release(it);
	return r;
}

int pm_spool_bury(pm_spool *sp, pm_spool_item *it, pm_env *env, const char *reason)
{
	char from[300], to[300];
	int r = 0;

	pm_env_set_error(env, reason);
	if (path(from, sizeof from, sp, "", it->id, ".msg") != 0
		|| path(to, sizeof to, sp, "dead", it->id, ".msg") != 0)
		return -1;
	/* A link first: at no point is the message in neither place. */
	if (link(from, to) != 0 && errno != EEXIST)
		r = -1;
	if (r == 0 && env_save(sp, "dead", it->id, env) != 0)
		r = -1;
	if (r == 0)
		r = pm_spool_remove(sp, it);
	else
		pm_spool_release(it);
	return r;
}

int pm_spool_dead_letter(pm_spool_item *it, const pm_env *env, const char *file)
{
	char head[PM_ADDR_MAX + 64];
	time_t now = time(NULL);
	struct tm tm;
	size_t got, i, start, keep = 0;
	ssize_t n;
	int fd, bol = 1, e;

	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	gmtime_r(&now, &tm);
	i = (size_t)snprintf(head, sizeof head, "From %s ", env->from[0] ? env->from
		: "MAILER-DAEMON");
	i += strftime(head + i, sizeof head - i, "%a %b %e %H:%M:%S %Y\n", &tm);
	if (write_all(fd, head, i) != 0 || lseek(it->fd, 0, SEEK_SET) != 0)
		goto fail;
	/* keep: bytes at the start of iobuf carried over from the last read,
	 * a line start that might yet become "From ". */
	for (;;) {
		n = read(it->fd, iobuf + keep, sizeof iobuf - keep);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		got = keep + (size_t)n;
		for (start = 0, i = keep, keep = 0; i < got; i++) {
			if (bol && got - i < 5 && n > 0
				&& memcmp(iobuf + i, "From ", got - i) == 0) {
				keep = got - i;
				break;
			}
			if (bol && got - i >= 5 && memcmp(iobuf + i, "From ", 5) == 0) {
				if (write_all(fd, iobuf + start, i - start) != 0
					|| write_all(fd, ">", 1) != 0)
					goto fail;
				start = i;
			}
			bol = iobuf[i] == '\n';
		}
		if (write_all(fd, iobuf + start, got - start - keep) != 0)
			goto fail;
		memmove(iobuf, iobuf + got - keep, keep);
		if (n == 0)
			break;
	}
	if (write_all(fd, bol ? "\n" : "\n\n", bol ? 1 : 2) != 0 || fsync(fd) != 0)
		goto fail;
	close(fd);
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

void pm_spool_release(pm_spool_item *it)
{
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
}

long long pm_spool_backoff(unsigned attempts)
{
	long long s = 60;

	while (attempts > 1 && s < 3600) {
		s *= 2;
		attempts--;
	}
	return s > 3600 ? 3600 : s;
}
