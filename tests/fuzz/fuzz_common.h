/*
 * fuzz_common.h — what every fuzz target shares: the failure macro, a
 * deterministic PRNG for chunk sizes (seeded from the input, so a crash
 * file replays exactly), a byte-string search and a reference base64.
 * Header-only: each target is one translation unit.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant: when it does not hold, say which and stop the process
 * (libFuzzer saves the input). */
#define FZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz invariant failed: %s:%d: %s\n", \
			__FILE__, __LINE__, #cond); \
		fflush(stderr); \
		__builtin_trap(); \
	} \
} while (0)

/* PM_FUZZ_STRICT=1 turns on the checks of findings not fixed yet (see
 * README.md); without it the fuzzers look past them for new ones. */
static inline int fz_strict(void)
{
	static int v = -1;

	if (v < 0) {
		const char *e = getenv("PM_FUZZ_STRICT");
		v = e != NULL && e[0] == '1';
	}
	return v;
}

/* xorshift32: chunk sizes and caps, reproducible from the seed bytes. */
typedef struct { uint32_t x; } fz_rng;

static inline void fz_rng_seed(fz_rng *r, uint32_t seed)
{
	r->x = seed * 2654435761u + 0x9e3779b9u;
	if (r->x == 0)
		r->x = 1;
}

static inline uint32_t fz_rng_next(fz_rng *r)
{
	uint32_t x = r->x;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return r->x = x;
}

/* 1..max */
static inline size_t fz_rng_size(fz_rng *r, size_t max)
{
	return 1 + fz_rng_next(r) % max;
}

static inline const uint8_t *fz_memmem(const uint8_t *h, size_t hn,
	const void *needle, size_t nn)
{
	const uint8_t *n = needle;
	size_t i;

	if (nn == 0)
		return h;
	for (i = 0; i + nn <= hn; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

/* Reference base64 (RFC 4648, padded), written independently of the
 * engine's streaming encoder. out needs 4 * ((n + 2) / 3) + 1 bytes. */
static inline size_t fz_b64(char *out, const uint8_t *in, size_t n)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

#endif /* FUZZ_COMMON_H */
