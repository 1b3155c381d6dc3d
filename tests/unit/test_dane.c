/*
 * test_dane.c — TLSA parsing and the pin verifier, driven as BearSSL drives
 * an X.509 engine, on the certificates of certs/gen.sh.
 *
 * Usage: test_dane CERTDIR (build/certs). Expected values come from the
 * CERTDIR/tlsa/X.U.S.M files that certs/tlsa wrote with openssl, never
 * from the code under test. Every chunk handed to append() is a fresh heap
 * copy freed right after the call, so AddressSanitizer catches a verifier
 * that keeps a pointer into one.
 */
#include <stdint.h>
#include <time.h>
#include "pm_test.h"
#include "pm_dane.h"

static const char *certdir;

/* ---- fixtures ----------------------------------------------------------- */

typedef struct {
	const char *name;
	uint8_t der[8192];
	size_t len;
} cert;

static cert c_ca = { "ca", {0}, 0 }, c_int = { "int", {0}, 0 },
	c_rsa = { "rsa", {0}, 0 }, c_ec = { "ec", {0}, 0 },
	c_ec384 = { "ec384", {0}, 0 }, c_rsa4096 = { "rsa4096", {0}, 0 },
	c_rsa2 = { "rsa2", {0}, 0 }, c_expired = { "expired", {0}, 0 },
	c_wrongname = { "wrongname", {0}, 0 }, c_direct = { "direct", {0}, 0 };
static cert *all_certs[] = { &c_ca, &c_int, &c_rsa, &c_ec, &c_ec384,
	&c_rsa4096, &c_rsa2, &c_expired, &c_wrongname, &c_direct };
#define NCERTS (sizeof all_certs / sizeof all_certs[0])

static size_t read_file(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", certdir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		printf("cannot open %s (run certs/gen.sh DIR first)\n", path);
		exit(2);
	}
	n = fread(buf, 1, cap, f);
	if (n == cap) {
		printf("%s is too large for the test\n", path);
		exit(2);
	}
	fclose(f);
	return n;
}

static void load_certs(void)
{
	char name[64];
	size_t i;

	for (i = 0; i < NCERTS; i++) {
		snprintf(name, sizeof name, "%s.der", all_certs[i]->name);
		all_certs[i]->len = read_file(name, all_certs[i]->der,
			sizeof all_certs[i]->der);
	}
}

/* Record storage: recs[] is what pm_dane_init gets, data in pool[]. */
#define NREC 8
static pm_tlsa recs[NREC];
static uint8_t pool[NREC][PM_TLSA_DATA_MAX];

static int hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The data of the oracle's record CERT.U.S.M, decoded here (not by
 * pm_tlsa_parse) into out[], which has room for PM_TLSA_DATA_MAX bytes. */
static size_t read_oracle(const cert *c, int u, int s, int m, uint8_t *out)
{
	static char text[2 * PM_TLSA_DATA_MAX + 64];
	char name[64];
	unsigned fu, fs, fm;
	int off = 0;
	size_t n = 0, len;
	const char *h;

	snprintf(name, sizeof name, "tlsa/%s.%d.%d.%d", c->name, u, s, m);
	len = read_file(name, (uint8_t *)text, sizeof text - 1);
	text[len] = '\0';
	if (sscanf(text, "tlsa %u %u %u %n", &fu, &fs, &fm, &off) != 3
		|| (int)fu != u || (int)fs != s || (int)fm != m || off == 0) {
		printf("%s: not a tlsa line\n", name);
		exit(2);
	}
	for (h = text + off; hexdigit(h[0]) >= 0 && hexdigit(h[1]) >= 0; h += 2)
		out[n++] = (uint8_t)(hexdigit(h[0]) << 4 | hexdigit(h[1]));
	if (n == 0 || (*h != '\n' && *h != '\0')) {
		printf("%s: malformed hex\n", name);
		exit(2);
	}
	return n;
}

/* recs[i] := the oracle's record CERT.U.S.M. */
static pm_tlsa *oracle(size_t i, const cert *c, int u, int s, int m)
{
	recs[i].usage = (uint8_t)u;
	recs[i].selector = (uint8_t)s;
	recs[i].mtype = (uint8_t)m;
	recs[i].len = (uint16_t)read_oracle(c, u, s, m, pool[i]);
	recs[i].data = pool[i];
	return &recs[i];
}

/* The oracle's data for CERT 3 S M (e.g. the SPKI itself for 1 0). */
static const uint8_t *oracle_data(const cert *c, int s, int m, size_t *len)
{
	static uint8_t buf[PM_TLSA_DATA_MAX];

	*len = read_oracle(c, 3, s, m, buf);
	return buf;
}

static int chunk_sizes[] = { 1, 7, 256, 0 };   /* 0: whole certificate */
#define NCHUNKS (sizeof chunk_sizes / sizeof chunk_sizes[0])

/* One chain through the vtable, as ssl_hs_client does it. */
static unsigned run_chain(pm_dane *d, const char *host, const cert *const *chain,
	size_t n, size_t chunk)
{
	const br_x509_class **ctx = &d->vtable;
	size_t i, off, k;
	uint8_t *copy;

	(*ctx)->start_chain(ctx, host);
	for (i = 0; i < n; i++) {
		(*ctx)->start_cert(ctx, (uint32_t)chain[i]->len);
		for (off = 0; off < chain[i]->len; off += k) {
			k = chain[i]->len - off;
			if (chunk != 0 && k > chunk)
				k = chunk;
			copy = malloc(k);
			memcpy(copy, chain[i]->der + off, k);
			(*ctx)->append(ctx, copy, k);
			memset(copy, 0xAA, k);
			free(copy);
		}
		(*ctx)->end_cert(ctx);
	}
	return (*ctx)->end_chain(ctx);
}

/* Raw bytes as one certificate: announced length `ann`, `len` appended. */
static unsigned run_raw(pm_dane *d, const char *host, const uint8_t *raw,
	uint32_t ann, size_t len, const cert *next)
{
	const br_x509_class **ctx = &d->vtable;
	uint8_t *copy;
	size_t off, k;

	(*ctx)->start_chain(ctx, host);
	(*ctx)->start_cert(ctx, ann);
	for (off = 0; off < len; off += k) {
		k = len - off > 256 ? 256 : len - off;
		copy = malloc(k);
		memcpy(copy, raw + off, k);
		(*ctx)->append(ctx, copy, k);
		free(copy);
	}
	(*ctx)->end_cert(ctx);
	if (next != NULL) {
		(*ctx)->start_cert(ctx, (uint32_t)next->len);
		(*ctx)->append(ctx, next->der, next->len);
		(*ctx)->end_cert(ctx);
	}
	return (*ctx)->end_chain(ctx);
}

static const br_x509_pkey *pkey_of(const pm_dane *d, unsigned *usages)
{
	const br_x509_class *const *ctx = &d->vtable;

	return (*ctx)->get_pkey(ctx, usages);
}

static pm_dane dane;
static uint64_t now;

/* Set up `dane` over recs[0..n), with the clock if `clock`. */
static void setup(size_t n, int clock)
{
	int err = pm_dane_init(&dane, recs, n);

	PM_CHECK_INT(err, 0);
	if (clock)
		pm_dane_set_time(&dane, now);
}

static int key_type(const cert *c)
{
	return c == &c_rsa || c == &c_rsa4096 || c == &c_rsa2
		? BR_KEYTYPE_RSA : BR_KEYTYPE_EC;
}

static int contains(const uint8_t *hay, size_t hlen, const uint8_t *needle,
	size_t nlen)
{
	size_t i;

	for (i = 0; i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

/* The key handed to BearSSL is the one in the certificate's SPKI. */
static void check_key(const br_x509_pkey *pk, const cert *c)
{
	const uint8_t *spki;
	size_t slen;

	PM_CHECK(pk != NULL);
	if (pk == NULL)
		return;
	spki = oracle_data(c, 1, 0, &slen);
	PM_CHECK_INT(pk->key_type, key_type(c));
	if (pk->key_type == BR_KEYTYPE_RSA) {
		PM_CHECK_INT(pk->key.rsa.nlen, c == &c_rsa4096 ? 512 : 256);
		PM_CHECK(contains(spki, slen, pk->key.rsa.n, pk->key.rsa.nlen));
	} else {
		PM_CHECK_INT(pk->key.ec.curve, c == &c_ec384
			? BR_EC_secp384r1 : BR_EC_secp256r1);
		PM_CHECK_INT(pk->key.ec.qlen, c == &c_ec384 ? 97 : 65);
		PM_CHECK(contains(spki, slen, pk->key.ec.q, pk->key.ec.qlen));
	}
}

/* presented must be the oracle's "3 1 1" of the server certificate. */
static void check_presented(const cert *c)
{
	size_t len;
	const uint8_t *want = oracle_data(c, 1, 1, &len);

	PM_CHECK(pm_dane_presented(&dane) != NULL);
	if (pm_dane_presented(&dane) != NULL)
		PM_CHECK_MEM(pm_dane_presented(&dane), 32, want, len);
}

/* ---- parsing ------------------------------------------------------------ */

static int parse(pm_tlsa *r, uint8_t *out, size_t cap, const char *text,
	const char **why)
{
	return pm_tlsa_parse(r, out, cap, text, strlen(text), why);
}

static void test_parse_ok(void)
{
	static const uint8_t ab[] = { 0xab, 0xcd, 0xef, 0x01 };
	uint8_t out[64];
	const char *why = NULL;
	pm_tlsa r;

	PM_CHECK_INT(parse(&r, out, sizeof out,
		"3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6",
		&why), 0);
	PM_CHECK_INT(r.usage, 3);
	PM_CHECK_INT(r.selector, 1);
	PM_CHECK_INT(r.mtype, 1);
	PM_CHECK_INT(r.len, 32);
	PM_CHECK(r.data == out);
	PM_CHECK_INT(out[0], 0x0c);
	PM_CHECK_INT(out[31], 0xd6);
	PM_CHECK(pm_tlsa_unusable(&r) == NULL);

	/* blanks inside the hex, as in zone files; tabs; around the record */
	PM_CHECK_INT(parse(&r, out, sizeof out, "  2\t0  0 ab cd\tef 0 1  \r\n", &why), 0);
	PM_CHECK_INT(r.usage, 2);
	PM_CHECK_INT(r.selector, 0);
	PM_CHECK_INT(r.mtype, 0);
	PM_CHECK_MEM(r.data, r.len, ab, sizeof ab);
	/* upper case and mixed case give the same bytes */
	PM_CHECK_INT(parse(&r, out, sizeof out, "2 0 0 ABCDEF01", &why), 0);
	PM_CHECK_MEM(r.data, r.len, ab, sizeof ab);
	PM_CHECK_INT(parse(&r, out, sizeof out, "2 0 0 AbCd eF01", &why), 0);
	PM_CHECK_MEM(r.data, r.len, ab, sizeof ab);
	/* leading zeros in numbers; why may be NULL */
	PM_CHECK_INT(parse(&r, out, sizeof out, "003 001 002 00", NULL), 0);
	PM_CHECK_INT(r.usage + r.selector + r.mtype, 6);
	/* the data exactly fills the buffer */
	PM_CHECK_INT(parse(&r, out, 4, "3 1 0 abcdef01", &why), 0);
	PM_CHECK_INT(r.len, 4);
	/* only text[0..len) is read */
	PM_CHECK_INT(pm_tlsa_parse(&r, out, sizeof out, "3 1 0 abZZ", 8, &why), 0);
	PM_CHECK_INT(r.len, 1);
	/* 255 is the largest number */
	PM_CHECK_INT(parse(&r, out, sizeof out, "255 255 255 00", &why), 0);
	PM_CHECK_INT(r.usage, 255);
}

static void test_parse_errors(void)
{
	static const struct { const char *text; const char *why; } bad[] = {
		{ "", "missing" },
		{ "   ", "missing" },
		{ "3", "missing" },
		{ "3 1", "missing" },
		{ "3 1 1", "missing" },
		{ "3 1 1  \t ", "missing" },
		{ "256 1 1 ab", "usage" },
		{ "3 256 1 ab", "selector" },
		{ "3 1 256 ab", "matching type" },
		{ "3 1 99999999999999999999 ab", "matching type" },
		{ "-1 1 1 ab", "usage" },
		{ "x 1 1 ab", "usage" },
		{ "3x 1 1 ab", "usage" },
		{ "3 1x 1 ab", "selector" },
		{ "3 1 1x ab", "matching type" },
		{ "3,1,1 ab", "usage" },
		{ "3 1 1 abc", "odd" },
		{ "3 1 1 a bc", "odd" },
		{ "3 1 1 0", "odd" },
		{ "3 1 1 zz", "hex" },
		{ "3 1 1 ab:cd", "hex" },
		{ "3 1 1 0xab", "hex" },
		{ "3 1 1 ab\x01", "hex" },
		{ "3 1 1 aabbccdd ee", "longer" },
	};
	uint8_t out[4];
	const char *why;
	pm_tlsa r, before;
	size_t i;

	memset(&before, 0x5A, sizeof before);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = before;
		why = NULL;
		if (parse(&r, out, sizeof out, bad[i].text, &why) != PM_ERR_TLSA_SYNTAX
			|| why == NULL || strstr(why, bad[i].why) == NULL
			|| memcmp(&r, &before, sizeof r) != 0) {
			printf("  \"%s\": why \"%s\", expected \"%s\"\n", bad[i].text,
				why ? why : "(null)", bad[i].why);
			pm_t_failed = 1;
		}
	}
	/* an embedded NUL is not a hex digit */
	PM_CHECK_INT(pm_tlsa_parse(&r, out, sizeof out, "3 1 1 ab\0cd", 11, &why),
		PM_ERR_TLSA_SYNTAX);
	/* no room at all */
	PM_CHECK_INT(parse(&r, NULL, 0, "3 1 1 ab", &why), PM_ERR_TLSA_SYNTAX);
	PM_CHECK_INT(parse(NULL, out, sizeof out, "3 1 1 ab", &why), PM_ERR_BADARG);
	PM_CHECK_INT(pm_tlsa_parse(&r, out, sizeof out, NULL, 0, &why), PM_ERR_BADARG);
	PM_CHECK_INT(pm_tlsa_parse(&r, NULL, 4, "3 1 1 ab", 8, &why), PM_ERR_BADARG);
}

static void test_unusable(void)
{
	static uint8_t data[PM_TLSA_DATA_MAX + 1];
	static const struct { uint8_t u, s, m; uint16_t len; const char *why; } t[] = {
		{ 0, 1, 1, 32, "usage 0" },
		{ 1, 1, 1, 32, "usage 1" },
		{ 4, 1, 1, 32, "usage" },
		{ 255, 1, 1, 32, "usage" },
		{ 3, 2, 1, 32, "selector" },
		{ 2, 255, 1, 32, "selector" },
		{ 3, 1, 3, 32, "matching type" },
		{ 3, 1, 255, 32, "matching type" },
		{ 3, 1, 1, 31, "32 bytes" },
		{ 3, 1, 1, 33, "32 bytes" },
		{ 3, 1, 1, 64, "32 bytes" },
		{ 3, 1, 2, 32, "64 bytes" },
		{ 2, 0, 2, 63, "64 bytes" },
		{ 3, 0, 0, 0, "exact" },
		{ 3, 0, 0, PM_TLSA_DATA_MAX + 1, "exact" },
		{ 3, 1, 1, 0, "32 bytes" },
	};
	static const struct { uint8_t u, s, m; uint16_t len; } good[] = {
		{ 3, 1, 1, 32 }, { 3, 0, 1, 32 }, { 3, 1, 2, 64 }, { 2, 0, 2, 64 },
		{ 2, 1, 0, 1 }, { 3, 0, 0, PM_TLSA_DATA_MAX },
	};
	const char *why;
	pm_tlsa r;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		r.usage = t[i].u;
		r.selector = t[i].s;
		r.mtype = t[i].m;
		r.len = t[i].len;
		r.data = data;
		why = pm_tlsa_unusable(&r);
		if (why == NULL || strstr(why, t[i].why) == NULL) {
			printf("  %u %u %u len %u: \"%s\", expected \"%s\"\n", t[i].u,
				t[i].s, t[i].m, t[i].len, why ? why : "(usable)", t[i].why);
			pm_t_failed = 1;
		}
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		r.usage = good[i].u;
		r.selector = good[i].s;
		r.mtype = good[i].m;
		r.len = good[i].len;
		r.data = data;
		PM_CHECK(pm_tlsa_unusable(&r) == NULL);
	}
	r.data = NULL;
	PM_CHECK(pm_tlsa_unusable(&r) != NULL);
	PM_CHECK(pm_tlsa_unusable(NULL) != NULL);
}

/* ---- set-up ------------------------------------------------------------- */

static pm_tlsa *rec(size_t i, int u, int s, int m, size_t len, uint8_t fill)
{
	memset(pool[i], fill, len);
	recs[i].usage = (uint8_t)u;
	recs[i].selector = (uint8_t)s;
	recs[i].mtype = (uint8_t)m;
	recs[i].len = (uint16_t)len;
	recs[i].data = pool[i];
	return &recs[i];
}

static void test_init(void)
{
	static pm_tlsa many[PM_TLSA_MAX + 1];

	PM_CHECK_INT(pm_dane_init(&dane, many, PM_TLSA_MAX + 1), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dane_init(&dane, NULL, 1), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dane_init(&dane, recs, 0), PM_ERR_TLSA_UNUSABLE);

	/* nothing usable: refuse to start */
	rec(0, 1, 1, 1, 32, 1);
	rec(1, 0, 0, 1, 32, 1);
	rec(2, 3, 1, 1, 31, 1);
	rec(3, 3, 2, 1, 32, 1);
	PM_CHECK_INT(pm_dane_init(&dane, recs, 4), PM_ERR_TLSA_UNUSABLE);

	/* agility, per usage and selector */
	rec(0, 3, 1, 1, 32, 1);   /* beaten by 1 */
	rec(1, 3, 1, 2, 64, 1);
	rec(2, 3, 1, 0, 10, 1);   /* Full: always */
	rec(3, 3, 0, 1, 32, 1);   /* other selector: stays */
	rec(4, 2, 1, 1, 32, 1);   /* 5 is unusable, so this stays */
	rec(5, 2, 1, 2, 63, 1);
	rec(6, 2, 0, 1, 32, 1);   /* beaten by 7 */
	rec(7, 2, 0, 2, 64, 1);
	PM_CHECK_INT(pm_dane_init(&dane, recs, 8), 0);
	PM_CHECK_INT(dane.active, 0x9E);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
	PM_CHECK_INT(pm_dane_matched(&dane), -1);
	PM_CHECK(pm_dane_presented(&dane) == NULL);
	PM_CHECK(dane.vtable->context_size == sizeof(pm_dane));
}

/* ---- DANE-EE -------------------------------------------------------------- */

static void test_ee_every_combo(void)
{
	static cert *const leaves[] = { &c_rsa, &c_ec, &c_ec384, &c_rsa4096 };
	const cert *chain[2];
	const br_x509_pkey *pk;
	unsigned usages;
	size_t l, c;
	int s, m;

	for (l = 0; l < 4; l++)
		for (s = 0; s < 2; s++)
			for (m = 0; m < 3; m++)
				for (c = 0; c < NCHUNKS; c++) {
					chain[0] = leaves[l];
					chain[1] = &c_int;
					oracle(0, leaves[l], 3, s, m);
					setup(1, 0);
					PM_CHECK_INT(run_chain(&dane, "localhost", chain,
						1 + (c & 1), (size_t)chunk_sizes[c]), 0);
					PM_CHECK_INT(pm_dane_status(&dane), PM_OK);
					PM_CHECK_INT(pm_dane_matched(&dane), 0);
					PM_CHECK_INT(dane.matched_depth, 0);
					check_presented(leaves[l]);
					usages = 0;
					pk = pkey_of(&dane, &usages);
					check_key(pk, leaves[l]);
					PM_CHECK_INT(usages, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
					if (pm_t_failed) {
						printf("  (%s 3 %d %d, chunk %d)\n", leaves[l]->name,
							s, m, chunk_sizes[c]);
						return;
					}
				}
}

static void test_mismatch(void)
{
	const cert *chain[] = { &c_rsa, &c_int };
	int s, m;

	for (s = 0; s < 2; s++)
		for (m = 0; m < 3; m++) {
			oracle(0, &c_rsa2, 3, s, m);      /* the next key, not this */
			setup(1, 1);
			PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 7),
				BR_ERR_X509_NOT_TRUSTED);
			PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
			PM_CHECK_INT(pm_dane_matched(&dane), -1);
			PM_CHECK_INT(dane.chain_err, 0);
			check_presented(&c_rsa);
			PM_CHECK(pkey_of(&dane, NULL) == NULL);
		}
	/* a digest of the right length but wrong value; exact data one byte
	 * short and one byte long */
	oracle(0, &c_rsa, 3, 1, 1);
	pool[0][31] ^= 1;
	setup(1, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 0), BR_ERR_X509_NOT_TRUSTED);
	oracle(0, &c_rsa, 3, 1, 0);
	recs[0].len--;
	setup(1, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 0), BR_ERR_X509_NOT_TRUSTED);
	oracle(0, &c_rsa, 3, 0, 0);
	recs[0].len++;
	setup(1, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 1), BR_ERR_X509_NOT_TRUSTED);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
}

static void test_several_records(void)
{
	const cert *rsa[] = { &c_rsa, &c_int }, *rsa2[] = { &c_rsa2, &c_int },
		*ec[] = { &c_ec, &c_int };

	oracle(0, &c_rsa2, 3, 1, 1);
	oracle(1, &c_ca, 2, 0, 1);          /* root: not sent */
	oracle(2, &c_rsa, 3, 1, 1);
	oracle(3, &c_ec, 3, 0, 0);
	setup(4, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", rsa, 2, 256), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 2);
	/* rollover: current and next key both configured */
	PM_CHECK_INT(run_chain(&dane, "localhost", rsa2, 2, 256), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 1), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 3);

	/* EE and TA both match: EE decides, at depth 0 */
	oracle(0, &c_int, 2, 1, 1);
	oracle(1, &c_ec, 3, 1, 1);
	setup(2, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 0), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 1);
	PM_CHECK_INT(dane.matched_depth, 0);
}

static void test_agility(void)
{
	const cert *rsa[] = { &c_rsa, &c_int }, *ec[] = { &c_ec, &c_int };

	/* matches only 3 1 1 while a 3 1 2 is configured: not accepted */
	oracle(0, &c_rsa, 3, 1, 1);
	oracle(1, &c_rsa2, 3, 1, 2);
	setup(2, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", rsa, 2, 7), BR_ERR_X509_NOT_TRUSTED);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
	/* the same key with both: accepted by the SHA-512 one */
	oracle(1, &c_rsa, 3, 1, 2);
	setup(2, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", rsa, 2, 7), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 1);
	/* a 3 0 2 does not silence a 3 1 1: other selector */
	oracle(1, &c_rsa2, 3, 0, 2);
	setup(2, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", rsa, 2, 7), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 0);
	/* Full records always count, next to a stronger digest */
	oracle(0, &c_rsa, 3, 1, 0);
	oracle(1, &c_rsa2, 3, 1, 2);
	setup(2, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", rsa, 2, 7), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 0);
	/* the same for DANE-TA */
	oracle(0, &c_int, 2, 1, 1);
	oracle(1, &c_ca, 2, 1, 2);
	setup(2, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), BR_ERR_X509_NOT_TRUSTED);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
	/* and a 2 1 2 does not silence a 3 1 1: other usage */
	oracle(0, &c_ec, 3, 1, 1);
	setup(2, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 0);
}

static void test_ee_no_names_no_dates(void)
{
	static cert *const leaves[] = { &c_expired, &c_wrongname };
	const cert *chain[2];
	size_t l;
	int s, m, clock;

	for (l = 0; l < 2; l++)
		for (s = 0; s < 2; s++)
			for (m = 0; m < 3; m++)
				for (clock = 0; clock < 2; clock++) {
					chain[0] = leaves[l];
					chain[1] = &c_int;
					oracle(0, leaves[l], 3, s, m);
					setup(1, clock);
					PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 7), 0);
					PM_CHECK_INT(pm_dane_status(&dane), PM_OK);
					check_key(pkey_of(&dane, NULL), leaves[l]);
				}
	/* no server name at all: DANE-EE does not need one */
	chain[0] = &c_ec;
	oracle(0, &c_ec, 3, 1, 1);
	setup(1, 0);
	PM_CHECK_INT(run_chain(&dane, NULL, chain, 2, 0), 0);
	PM_CHECK_INT(run_chain(&dane, "", chain, 2, 0), 0);
}

/* ---- DANE-TA -------------------------------------------------------------- */

static void test_ta_every_combo(void)
{
	static cert *const leaves[] = { &c_rsa, &c_ec, &c_ec384, &c_rsa4096 };
	const cert *chain[2];
	const br_x509_pkey *pk;
	unsigned usages;
	size_t l, c;
	int s, m;

	for (l = 0; l < 4; l++)
		for (s = 0; s < 2; s++)
			for (m = 0; m < 3; m++)
				for (c = 0; c < NCHUNKS; c++) {
					chain[0] = leaves[l];
					chain[1] = &c_int;
					oracle(0, &c_int, 2, s, m);
					setup(1, 1);
					PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2,
						(size_t)chunk_sizes[c]), 0);
					PM_CHECK_INT(pm_dane_status(&dane), PM_OK);
					PM_CHECK_INT(pm_dane_matched(&dane), 0);
					PM_CHECK_INT(dane.matched_depth, 1);
					check_presented(leaves[l]);
					usages = 0;
					pk = pkey_of(&dane, &usages);
					check_key(pk, leaves[l]);
					/* the leaves' key usage extension, as minimal read it */
					PM_CHECK_INT(usages, key_type(leaves[l]) == BR_KEYTYPE_RSA
						? BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN : BR_KEYTYPE_SIGN);
					if (pm_t_failed) {
						printf("  (%s with int 2 %d %d, chunk %d)\n",
							leaves[l]->name, s, m, chunk_sizes[c]);
						return;
					}
				}
}

static void test_ta_expired(void)
{
	const cert *expired[] = { &c_expired, &c_int }, *ec[] = { &c_ec, &c_int };

	oracle(0, &c_int, 2, 0, 1);
	setup(1, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", expired, 2, 7), BR_ERR_X509_EXPIRED);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK_INT(dane.chain_err, BR_ERR_X509_EXPIRED);
	PM_CHECK_INT(pm_dane_matched(&dane), -1);
	PM_CHECK(pkey_of(&dane, NULL) == NULL);
	check_presented(&c_expired);
	/* a clock in 2100, and one in 2000 */
	pm_dane_set_time(&dane, 4102444800u);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), BR_ERR_X509_EXPIRED);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	pm_dane_set_time(&dane, 946684800u);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), BR_ERR_X509_EXPIRED);
	pm_dane_set_time(&dane, now);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), 0);
}

static void test_ta_names(void)
{
	const cert *wrong[] = { &c_wrongname, &c_int }, *ec[] = { &c_ec, &c_int };

	oracle(0, &c_int, 2, 1, 1);
	setup(1, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", wrong, 2, 256),
		BR_ERR_X509_BAD_SERVER_NAME);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK_INT(dane.chain_err, BR_ERR_X509_BAD_SERVER_NAME);
	PM_CHECK_INT(run_chain(&dane, "other.example", ec, 2, 256),
		BR_ERR_X509_BAD_SERVER_NAME);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK_INT(run_chain(&dane, "wrong.example", wrong, 2, 256), 0);
	PM_CHECK_INT(run_chain(&dane, "LocalHost", ec, 2, 256), 0);
	/* no server name: minimal would skip its name check, so fail */
	PM_CHECK_INT(run_chain(&dane, NULL, ec, 2, 256), BR_ERR_X509_BAD_SERVER_NAME);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK(pkey_of(&dane, NULL) == NULL);
	PM_CHECK_INT(run_chain(&dane, "", ec, 2, 256), BR_ERR_X509_BAD_SERVER_NAME);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 256), 0);
}

static void test_ta_no_clock(void)
{
	const cert *ec[] = { &c_ec, &c_int };

	oracle(0, &c_int, 2, 0, 1);
	setup(1, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), BR_ERR_X509_TIME_UNKNOWN);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_NO_CLOCK);
	PM_CHECK_INT(dane.chain_err, BR_ERR_X509_TIME_UNKNOWN);
	PM_CHECK(pkey_of(&dane, NULL) == NULL);
	/* a DANE-EE record next to it still works without a clock */
	oracle(1, &c_ec, 3, 1, 1);
	setup(2, 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 1);
	/* pm_dane_init forgets the clock */
	setup(1, 1);
	PM_CHECK_INT(pm_dane_init(&dane, recs, 1), 0);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), BR_ERR_X509_TIME_UNKNOWN);
}

static void test_ta_root(void)
{
	const cert *two[] = { &c_ec, &c_int }, *three[] = { &c_ec, &c_int, &c_ca },
		*direct[] = { &c_direct, &c_ca }, *extra[] = { &c_ec, &c_int, &c_rsa2 };
	int s, m;

	for (s = 0; s < 2; s++)
		for (m = 0; m < 3; m++) {
			/* the root is not sent: nothing to match, even for 2 0 0 */
			oracle(0, &c_ca, 2, s, m);
			setup(1, 1);
			PM_CHECK_INT(run_chain(&dane, "localhost", two, 2, 256),
				BR_ERR_X509_NOT_TRUSTED);
			PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
			/* sent: matches at depth 2 */
			PM_CHECK_INT(run_chain(&dane, "localhost", three, 3, 256), 0);
			PM_CHECK_INT(dane.matched_depth, 2);
			check_key(pkey_of(&dane, NULL), &c_ec);
			/* leaf signed by the root itself */
			PM_CHECK_INT(run_chain(&dane, "localhost", direct, 2, 7), 0);
			PM_CHECK_INT(pm_dane_status(&dane), PM_OK);
			PM_CHECK_INT(dane.matched_depth, 1);
			check_key(pkey_of(&dane, NULL), &c_direct);
		}
	/* the intermediate matches first: the root after it is not looked at */
	oracle(0, &c_ca, 2, 0, 1);
	oracle(1, &c_int, 2, 0, 1);
	setup(2, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", three, 3, 256), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 1);
	PM_CHECK_INT(dane.matched_depth, 1);
	/* nor is anything after the trust anchor, even what signed nothing */
	PM_CHECK_INT(run_chain(&dane, "localhost", extra, 3, 256), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 1);
}

static void test_positions(void)
{
	const cert *ec[] = { &c_ec, &c_int }, *int_only[] = { &c_int },
		*wrong_issuer[] = { &c_direct, &c_int };
	int s;

	for (s = 0; s < 2; s++) {
		/* usage 3 only for the server certificate */
		oracle(0, &c_int, 3, s, 1);
		setup(1, 1);
		PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), BR_ERR_X509_NOT_TRUSTED);
		PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
		/* usage 2 never for the server certificate */
		oracle(0, &c_ec, 2, s, 1);
		setup(1, 1);
		PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), BR_ERR_X509_NOT_TRUSTED);
		PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
		/* not even when the CA is sent alone */
		oracle(0, &c_int, 2, s, 1);
		setup(1, 1);
		PM_CHECK_INT(run_chain(&dane, "localhost", int_only, 1, 7),
			BR_ERR_X509_NOT_TRUSTED);
	}
	/* a chain that does not link: the leaf was signed by the root */
	oracle(0, &c_int, 2, 1, 1);
	setup(1, 1);
	PM_CHECK(run_chain(&dane, "localhost", wrong_issuer, 2, 7) != 0);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK(dane.chain_err != 0);
}

static void test_bad_signature(void)
{
	static cert forged;
	const cert *chain[] = { &forged, &c_int };

	forged = c_ec;
	forged.der[forged.len - 1] ^= 0x01;     /* last byte of the signature */
	oracle(0, &c_int, 2, 0, 1);
	setup(1, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 7), BR_ERR_X509_BAD_SIGNATURE);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK_INT(dane.chain_err, BR_ERR_X509_BAD_SIGNATURE);
	/* DANE-EE does not look at the signature: the key is what is pinned */
	oracle(0, &c_ec, 3, 1, 1);
	setup(1, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 7), 0);
}

/* ---- hostile input -------------------------------------------------------- */

static void test_malformed(void)
{
	static uint8_t buf[8192];
	const cert *ec[] = { &c_ec, &c_int };
	const uint8_t *spki;
	size_t slen, spki_at, i;
	uint32_t k;
	unsigned seed = 12345;

	oracle(0, &c_ec, 3, 1, 1);
	oracle(1, &c_int, 2, 0, 1);
	oracle(2, &c_ec, 3, 0, 0);
	setup(3, 1);

	/* garbage */
	for (i = 0; i < 300; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	PM_CHECK(run_raw(&dane, "localhost", buf, 300, 300, &c_int) != 0);
	PM_CHECK(pm_dane_status(&dane) != PM_OK);
	PM_CHECK(pkey_of(&dane, NULL) == NULL);

	/* every truncation of the server certificate, announced as such */
	for (k = 0; k < c_ec.len; k++) {
		if (run_raw(&dane, "localhost", c_ec.der, k, k, &c_int) == 0
			|| pm_dane_status(&dane) == PM_OK) {
			printf("  truncated to %u bytes: accepted\n", (unsigned)k);
			pm_t_failed = 1;
			break;
		}
	}
	/* announced whole, sent short */
	PM_CHECK(run_raw(&dane, "localhost", c_ec.der, (uint32_t)c_ec.len,
		c_ec.len - 1, NULL) != 0);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_TLS);
	/* one byte more than the DER says, announced and sent */
	memcpy(buf, c_ec.der, c_ec.len);
	buf[c_ec.len] = 0;
	PM_CHECK(run_raw(&dane, "localhost", buf, (uint32_t)c_ec.len + 1,
		c_ec.len + 1, NULL) != 0);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_TLS);
	/* more bytes than announced */
	PM_CHECK(run_raw(&dane, "localhost", c_ec.der, (uint32_t)c_ec.len - 1,
		c_ec.len, NULL) != 0);
	PM_CHECK(pm_dane_status(&dane) != PM_OK);
	/* an empty certificate, and an empty chain */
	PM_CHECK(run_raw(&dane, "localhost", buf, 0, 0, NULL) != 0);
	PM_CHECK(pm_dane_status(&dane) != PM_OK);
	PM_CHECK(run_chain(&dane, "localhost", ec, 0, 0) != 0);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
	PM_CHECK(pm_dane_presented(&dane) == NULL);
	/* garbage after a good match still fails the chain */
	memset(buf, 0x30, 64);
	{
		static cert junk;
		const cert *chain[] = { &c_ec, &junk };

		memcpy(junk.der, buf, 64);
		junk.len = 64;
		PM_CHECK(run_chain(&dane, "localhost", chain, 2, 7) != 0);
		PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_TLS);
	}

	/* every single-byte change of the server certificate: no crash, and
	 * never accepted when the change is inside the pinned SPKI */
	spki = oracle_data(&c_ec, 1, 0, &slen);
	for (spki_at = 0; spki_at + slen <= c_ec.len; spki_at++)
		if (memcmp(c_ec.der + spki_at, spki, slen) == 0)
			break;
	PM_CHECK(spki_at + slen <= c_ec.len);
	oracle(0, &c_ec, 3, 1, 1);
	setup(1, 0);
	for (i = 0; i < c_ec.len; i++) {
		memcpy(buf, c_ec.der, c_ec.len);
		buf[i] ^= 0x41;
		run_raw(&dane, "localhost", buf, (uint32_t)c_ec.len, c_ec.len, &c_int);
		if (i >= spki_at && i < spki_at + slen
			&& pm_dane_status(&dane) == PM_OK) {
			printf("  byte %zu of the SPKI changed: accepted\n", i - spki_at);
			pm_t_failed = 1;
			break;
		}
	}
	/* the same with a TA record: every change fails minimal or the pin */
	oracle(0, &c_int, 2, 1, 1);
	setup(1, 1);
	for (i = 0; i < c_ec.len; i++) {
		memcpy(buf, c_ec.der, c_ec.len);
		buf[i] ^= 0x41;
		if (run_raw(&dane, "localhost", buf, (uint32_t)c_ec.len, c_ec.len,
			&c_int) == 0) {
			printf("  byte %zu changed: chain still accepted\n", i);
			pm_t_failed = 1;
			break;
		}
	}
}

/* Two chunks, split at every offset: the same verdict each time. */
static void test_split_every_offset(void)
{
	const br_x509_class **ctx = &dane.vtable;
	const cert *chain[] = { &c_ec, &c_int };
	size_t w, cut, r;
	static const int sm[][3] = { { 3, 1, 1 }, { 3, 1, 0 }, { 3, 0, 0 },
		{ 3, 0, 2 }, { 2, 1, 0 }, { 2, 1, 2 }, { 2, 0, 0 } };

	for (r = 0; r < sizeof sm / sizeof sm[0]; r++) {
		oracle(0, sm[r][0] == 3 ? &c_ec : &c_int, sm[r][0], sm[r][1], sm[r][2]);
		setup(1, 1);
		w = sm[r][0] == 3 ? 0 : 1;       /* the certificate to split */
		for (cut = 1; cut < chain[w]->len; cut++) {
			size_t i;
			uint8_t *a, *b;

			(*ctx)->start_chain(ctx, "localhost");
			for (i = 0; i < 2; i++) {
				(*ctx)->start_cert(ctx, (uint32_t)chain[i]->len);
				if (i != w) {
					(*ctx)->append(ctx, chain[i]->der, chain[i]->len);
				} else {
					a = malloc(cut);
					b = malloc(chain[i]->len - cut);
					memcpy(a, chain[i]->der, cut);
					memcpy(b, chain[i]->der + cut, chain[i]->len - cut);
					(*ctx)->append(ctx, a, cut);
					free(a);
					(*ctx)->append(ctx, b, chain[i]->len - cut);
					free(b);
				}
				(*ctx)->end_cert(ctx);
			}
			if ((*ctx)->end_chain(ctx) != 0 || pm_dane_status(&dane) != PM_OK) {
				printf("  %d %d %d: split at %zu fails\n", sm[r][0],
					sm[r][1], sm[r][2], cut);
				pm_t_failed = 1;
				break;
			}
		}
	}
}

static void test_get_pkey(void)
{
	static cert *const leaves[] = { &c_rsa, &c_ec, &c_ec384, &c_rsa4096, &c_rsa2 };
	const cert *chain[2];
	const br_x509_pkey *a, *b;
	unsigned ua, ub;
	size_t l;

	for (l = 0; l < 5; l++) {
		chain[0] = leaves[l];
		chain[1] = &c_int;
		oracle(0, leaves[l], 3, 1, 1);
		setup(1, 0);
		PM_CHECK_INT(run_chain(&dane, "localhost", chain, 2, 256), 0);
		ua = ub = 0;
		a = pkey_of(&dane, &ua);
		b = pkey_of(&dane, &ub);     /* BearSSL asks again for the SKE */
		PM_CHECK(a != NULL && a == b);
		PM_CHECK_INT(ua, ub);
		PM_CHECK(pkey_of(&dane, NULL) == a);
		check_key(a, leaves[l]);
	}
}

/* One verifier, one handshake after another. */
static void test_reuse(void)
{
	const cert *ec[] = { &c_ec, &c_int }, *rsa[] = { &c_rsa, &c_int },
		*expired[] = { &c_expired, &c_int }, *ca[] = { &c_ca };
	static const uint8_t junk[40] = { 0x30, 0x26, 0x30, 0x24, 0x02 };

	oracle(0, &c_ec, 3, 1, 1);
	oracle(1, &c_int, 2, 1, 1);
	setup(2, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 7), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 0);
	check_key(pkey_of(&dane, NULL), &c_ec);
	PM_CHECK_INT(run_chain(&dane, "localhost", rsa, 2, 7), 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 1);
	PM_CHECK_INT(dane.matched_depth, 1);
	check_key(pkey_of(&dane, NULL), &c_rsa);
	check_presented(&c_rsa);
	PM_CHECK_INT(run_chain(&dane, "localhost", expired, 2, 7), BR_ERR_X509_EXPIRED);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	PM_CHECK_INT(run_raw(&dane, "localhost", junk, sizeof junk, sizeof junk, NULL) != 0, 1);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_TLS);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 0), 0);
	PM_CHECK_INT(pm_dane_status(&dane), PM_OK);
	PM_CHECK_INT(dane.chain_err, 0);
	PM_CHECK_INT(pm_dane_matched(&dane), 0);
	PM_CHECK_INT(dane.matched_depth, 0);
	check_presented(&c_ec);
	PM_CHECK_INT(run_chain(&dane, "localhost", ca, 1, 0), BR_ERR_X509_NOT_TRUSTED);
	PM_CHECK_INT(pm_dane_matched(&dane), -1);
	check_presented(&c_ca);
	PM_CHECK(run_chain(&dane, "localhost", ec, 0, 0) != 0);
	PM_CHECK(pm_dane_presented(&dane) == NULL);
	PM_CHECK_INT(run_chain(&dane, "localhost", ec, 2, 1), 0);
	check_key(pkey_of(&dane, NULL), &c_ec);
}

/* More certificates than PM_CHAIN_MAX: those past it cannot match. */
static void test_long_chain(void)
{
	const cert *chain[PM_CHAIN_MAX + 2];
	size_t i;

	chain[0] = &c_ec;
	for (i = 1; i < PM_CHAIN_MAX + 2; i++)
		chain[i] = &c_rsa2;
	oracle(0, &c_ec, 3, 1, 1);
	setup(1, 1);
	PM_CHECK_INT(run_chain(&dane, "localhost", chain, PM_CHAIN_MAX + 2, 256), 0);
	oracle(0, &c_rsa2, 2, 1, 1);
	setup(1, 1);
	/* rsa2 at depth 1 matches but signed nothing: a chain error */
	PM_CHECK(run_chain(&dane, "localhost", chain, PM_CHAIN_MAX + 2, 256) != 0);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_CHAIN);
	oracle(0, &c_int, 2, 1, 1);
	setup(1, 1);
	chain[PM_CHAIN_MAX - 1] = &c_rsa2;
	chain[PM_CHAIN_MAX] = &c_int;      /* out of reach */
	PM_CHECK_INT(run_chain(&dane, "localhost", chain, PM_CHAIN_MAX + 2, 256),
		BR_ERR_X509_NOT_TRUSTED);
	PM_CHECK_INT(pm_dane_status(&dane), PM_ERR_PIN_MISMATCH);
}

int main(int argc, char **argv)
{
	certdir = argc > 1 ? argv[1] : getenv("PM_CERTS");
	if (certdir == NULL) {
		printf("usage: test_dane CERTDIR\n");
		return 2;
	}
	now = (uint64_t)time(NULL);
	load_certs();

	PM_RUN(test_parse_ok);
	PM_RUN(test_parse_errors);
	PM_RUN(test_unusable);
	PM_RUN(test_init);
	PM_RUN(test_ee_every_combo);
	PM_RUN(test_mismatch);
	PM_RUN(test_several_records);
	PM_RUN(test_agility);
	PM_RUN(test_ee_no_names_no_dates);
	PM_RUN(test_ta_every_combo);
	PM_RUN(test_ta_expired);
	PM_RUN(test_ta_names);
	PM_RUN(test_ta_no_clock);
	PM_RUN(test_ta_root);
	PM_RUN(test_positions);
	PM_RUN(test_bad_signature);
	PM_RUN(test_malformed);
	PM_RUN(test_split_every_offset);
	PM_RUN(test_get_pkey);
	PM_RUN(test_reuse);
	PM_RUN(test_long_chain);
	PM_TEST_MAIN();
}
