/*
 * pm_tlscache.c — the TLS session file (see pm_tlscache.h).
 *
 * The file is a fixed 137-byte record, big-endian, written field by field
 * (no struct image, so padding and byte order never matter):
 *   magic "PMTLS\0\0\1" | bind[32] | matched u32 | verified u64 |
 *   version u16 | cipher suite u16 | session ID length u8 | ID[32] |
 *   master secret[48]
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pm_tlscache.h"

static const uint8_t magic[8] = { 'P', 'M', 'T', 'L', 'S', 0, 0, 1 };

#define REC_LEN (8 + 32 + 4 + 8 + 2 + 2 + 1 + 32 + 48)

static void put(uint8_t **p, uint64_t v, unsigned bytes)
{
	while (bytes-- > 0)
		*(*p)++ = (uint8_t)(v >> (8 * bytes));
}

static uint64_t get(const uint8_t **p, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes-- > 0)
		v = v << 8 | *(*p)++;
	return v;
}

static int path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int pm_tlscache_load(const char *dir, uint64_t now, pm_tls_cache *out)
{
	uint8_t rec[REC_LEN + 1];
	const uint8_t *p = rec + sizeof magic;
	char f[300];
	struct stat st;
	ssize_t n;
	int fd;

	memset(out, 0, sizeof *out);
	if (now == 0 || path(f, sizeof f, dir, PM_TLSCACHE_NAME) != 0)
		return -1;
	fd = open(f, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()
		|| (st.st_mode & 077) != 0) {
		close(fd);
		return -1;
	}
	do
		n = read(fd, rec, sizeof rec);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n != REC_LEN || memcmp(rec, magic, sizeof magic) != 0) {
		explicit_bzero(rec, sizeof rec);
		return -1;
	}
	memcpy(out->bind, p, 32);
	p += 32;
	out->matched = (int32_t)get(&p, 4);
	out->verified = get(&p, 8);
	out->params.version = (uint16_t)get(&p, 2);
	out->params.cipher_suite = (uint16_t)get(&p, 2);
	out->params.session_id_len = (unsigned char)get(&p, 1);
	memcpy(out->params.session_id, p, 32);
	p += 32;
	memcpy(out->params.master_secret, p, 48);
	explicit_bzero(rec, sizeof rec);
	/* Verified within the lifetime (up to 5 minutes of clock skew ahead
	 * are taken as now). pm_session_start checks it again. */
	if (out->params.session_id_len == 0 || out->params.session_id_len > 32
		|| out->verified == 0 || out->verified > now + 300
		|| (out->verified < now && now - out->verified > PM_TLS_CACHE_MAX_AGE)) {
		explicit_bzero(out, sizeof *out);
		return -1;
	}
	return 0;
}

void pm_tlscache_save(const char *dir, const pm_tls_cache *c)
{
	uint8_t rec[REC_LEN], *p = rec;
	char tmp[300], f[300];
	ssize_t n;
	int fd;

	if (path(tmp, sizeof tmp, dir, "tmp/" PM_TLSCACHE_NAME) != 0
		|| path(f, sizeof f, dir, PM_TLSCACHE_NAME) != 0)
		return;
	memcpy(p, magic, sizeof magic);
	p += sizeof magic;
	memcpy(p, c->bind, 32);
	p += 32;
	put(&p, (uint32_t)c->matched, 4);
	put(&p, c->verified, 8);
	put(&p, c->params.version, 2);
	put(&p, c->params.cipher_suite, 2);
	put(&p, c->params.session_id_len, 1);
	memcpy(p, c->params.session_id, 32);
	p += 32;
	memcpy(p, c->params.master_secret, 48);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	do
		n = write(fd, rec, sizeof rec);
	while (n < 0 && errno == EINTR);
	/* No fsync: losing the file to a crash costs one full handshake. */
	if (close(fd) != 0 || n != (ssize_t)sizeof rec || rename(tmp, f) != 0)
		unlink(tmp);
out:
	explicit_bzero(rec, sizeof rec);
}

void pm_tlscache_drop(const char *dir)
{
	char f[300];

	if (path(f, sizeof f, dir, PM_TLSCACHE_NAME) == 0)
		unlink(f);
}
