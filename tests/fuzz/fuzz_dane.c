/*
 * fuzz_dane.c — the streaming DER walker and the pin verifier (pm_dane),
 * driven through its br_x509_class vtable as BearSSL drives it, on
 * arbitrary certificate bytes.
 *
 * Input: 4 bytes of set-up, then certificates, each as a 2-byte big-endian
 * length and its bytes (the last one may be cut short by the end of the
 * input).
 *   byte 0  bit 0: server name "localhost" (else none)   bit 1: a
 *           trustworthy clock (2027-01-15)   bit 2: certificates in random
 *           chunks (else whole)   bit 3: one certificate announced with a
 *           wrong length (byte 2 bits 4-6: -3..+3, byte 3: which)
 *           bit 4 (with bit 2): chunks of 256 bytes, as BearSSL's
 *           handshake hands them over
 *   bytes 1-2 (low 12 bits)  which records of the menu below are set up
 *   byte 3  seed of the chunking
 *
 * Records are made from the input's own certificates, so matches happen:
 * DANE-EE SHA-256/SHA-512/exact of the first certificate or its key,
 * DANE-TA of the second or last, a wrong digest, unusable ones. The
 * verdict is then predicted independently: a reference, non-streaming DER
 * parser finds each SubjectPublicKeyInfo (or the error the walker must
 * report, and at which byte), digests are computed over the whole buffers,
 * digest agility is applied from RFC 7671 9, and the expected status,
 * chain error, matched record and depth, and "presented" digest follow
 * pm_dane.h. Where br_x509_minimal decides (DANE-TA with a name), only the
 * possible outcomes are checked. Each chunk handed to append() is a fresh
 * heap copy freed right after, so keeping a pointer into one is caught;
 * the same verifier then runs the chain again with other chunks (start_chain
 * must reset it).
 */
#include "fuzz_common.h"
#include "pm_dane.h"

#define MAXCERTS 10
#define NMENU 12
#define NOW 1800000000u

typedef struct {
	const uint8_t *c;
	size_t len;                /* bytes appended */
	uint32_t announced;        /* start_cert's length */
	int ok;                    /* the walker must accept it */
	int err;                   /* else the BR_ERR_X509_* it reports */
	size_t a, b;               /* SPKI (when ok or at least found) */
	int spki_found;
} cert;

/* ---- reference DER walk ------------------------------------------------- */

static const uint8_t ref_tags[7] = { 0xA0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30 };

/* 0: the SPKI header is complete ([*a, *b) is the element); -1: more
 * bytes needed; else the error and *at the byte that shows it. */
static int ref_walk(const uint8_t *c, size_t avail, uint32_t cert_len,
	size_t *a, size_t *b, size_t *at)
{
	size_t p = 0, tagpos, k, n;
	uint32_t len, limit, tbs_end = 0;
	int level = 0, index = 0;
	unsigned want;

	for (;;) {
		tagpos = p;
		if (p >= avail)
			return -1;
		want = 0x30;
		if (level == 2) {
			if (p >= tbs_end) {
				*at = p;
				return BR_ERR_X509_TRUNCATED;
			}
			if (index == 0 && c[p] != 0xA0)
				index = 1;
			want = ref_tags[index];
		}
		if (c[p] != want) {
			*at = p;
			return BR_ERR_X509_UNEXPECTED;
		}
		p++;
		if (p >= avail)
			return -1;
		if (c[p] < 0x80) {
			len = c[p++];
		} else if (c[p] == 0x80) {
			*at = p;
			return BR_ERR_X509_INDEFINITE_LENGTH;
		} else if (c[p] > 0x84) {
			*at = p;
			return BR_ERR_X509_LIMIT_EXCEEDED;
		} else {
			n = c[p++] & 0x7f;
			for (len = 0, k = 0; k < n; k++) {
				if (p >= avail)
					return -1;
				len = len << 8 | c[p++];
			}
		}
		limit = level < 2 ? cert_len : tbs_end;
		if (p > limit || len > limit - p) {
			*at = p - 1;
			return BR_ERR_X509_INNER_TRUNC;
		}
		if (level == 0) {
			if (len != cert_len - p) {
				*at = p - 1;
				return BR_ERR_X509_EXTRA_ELEMENT;
			}
			level = 1;
		} else if (level == 1) {
			tbs_end = (uint32_t)p + len;
			level = 2;
		} else if (index == 6) {
			*a = tagpos;
			*b = p + len;
			return 0;
		} else {
			index++;
			p += len;
		}
	}
}

/* What the walker must conclude for a certificate appended in chunks
 * (chunk_end[i]: offset after chunk i). */
static void ref_cert(cert *ct, const size_t *chunk_end, size_t nchunks)
{
	size_t at = 0, cross = SIZE_MAX, base = 0, i;
	int r;

	for (i = 0; i < nchunks; i++) {
		if (chunk_end[i] > ct->announced) {
			cross = base;               /* the chunk starting here */
			break;
		}
		base = chunk_end[i];
	}
	r = ref_walk(ct->c, ct->len, ct->announced, &ct->a, &ct->b, &at);
	ct->spki_found = r == 0;
	ct->ok = 0;
	if (r > 0 && at < cross)
		ct->err = r;
	else if (cross != SIZE_MAX)
		ct->err = BR_ERR_X509_EXTRA_ELEMENT;
	else if (r != 0 || ct->len != ct->announced)
		ct->err = r > 0 ? r : BR_ERR_X509_TRUNCATED;
	else
		ct->ok = 1;
}

/* ---- records ------------------------------------------------------------- */

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	br_sha256_context h;

	br_sha256_init(&h);
	br_sha256_update(&h, p, n);
	br_sha256_out(&h, out);
}

static void sha512(const uint8_t *p, size_t n, uint8_t out[64])
{
	br_sha512_context h;

	br_sha512_init(&h);
	br_sha512_update(&h, p, n);
	br_sha512_out(&h, out);
}

/* RFC 7671 9 and pm_dane.h, from the records alone. */
static int usable(const pm_tlsa *r)
{
	if ((r->usage != 2 && r->usage != 3) || r->selector > 1)
		return 0;
	return r->mtype == 0 ? r->len >= 1 && r->len <= PM_TLSA_DATA_MAX
		: r->mtype == 1 ? r->len == 32 : r->mtype == 2 ? r->len == 64 : 0;
}

static int active(const pm_tlsa *recs, size_t n, size_t i)
{
	size_t j;

	if (!usable(&recs[i]))
		return 0;
	if (recs[i].mtype == 0)
		return 1;
	for (j = 0; j < n; j++)
		if (usable(&recs[j]) && recs[j].usage == recs[i].usage
			&& recs[j].selector == recs[i].selector
			&& recs[j].mtype > recs[i].mtype)
			return 0;
	return 1;
}

static int matches(const pm_tlsa *r, const cert *ct)
{
	const uint8_t *p = r->selector ? ct->c + ct->a : ct->c;
	size_t n = r->selector ? ct->b - ct->a : ct->len;
	uint8_t h[64];

	if (!ct->ok)
		return 0;
	if (r->mtype == 0)
		return r->len == n && memcmp(r->data, p, n) == 0;
	if (r->mtype == 1) {
		sha256(p, n, h);
		return memcmp(r->data, h, 32) == 0;
	}
	sha512(p, n, h);
	return memcmp(r->data, h, 64) == 0;
}

/* ---- one handshake's worth ------------------------------------------------- */

typedef struct {
	unsigned status, ret;
	int chain_err, matched;
	unsigned depth;
	int have_presented;
	uint8_t presented[32];
} outcome;

static void run_chain(pm_dane *d, cert *certs, size_t ncerts, const char *name,
	int chunked, fz_rng *rng, outcome *o)
{
	int decoded0 = 0;
	const br_x509_class **vt = &d->vtable;
	size_t i, off, k, nch, ends[4096];
	uint8_t *copy;

	(*vt)->start_chain(vt, name);
	for (i = 0; i < d->nrecs; i++)
		decoded0 |= (d->active >> i & 1) && d->recs[i].usage == 3;
	for (i = 0; i < ncerts; i++) {
		/* the chunks first, so the reference knows them */
		for (nch = 0, off = 0; off < certs[i].len && nch < 4096; nch++) {
			k = certs[i].len - off;
			/* Finding 5 (README.md): pm_dane keeps pushing chunks
			 * into br_x509_decoder after it failed, which runs its
			 * VM from a bad state. Until fixed, the first
			 * certificate goes whole when it is decoded. */
			if (chunked == 2 && (i > 0 || !decoded0 || fz_strict()))
				k = k < 256 ? k : 256;
			else if (chunked && k > 1 && (i > 0 || !decoded0 || fz_strict()))
				k = fz_rng_size(rng, k < 300 ? k : 300);
			off += k;
			ends[nch] = off;
		}
		if (off < certs[i].len)
			ends[nch - 1] = certs[i].len;
		ref_cert(&certs[i], ends, nch);
		(*vt)->start_cert(vt, certs[i].announced);
		for (off = 0, k = 0; k < nch; k++) {
			copy = malloc(ends[k] - off);
			FZ_CHECK(copy != NULL);
			memcpy(copy, certs[i].c + off, ends[k] - off);
			(*vt)->append(vt, copy, ends[k] - off);
			memset(copy, 0xee, ends[k] - off);   /* gone after the call */
			free(copy);
			off = ends[k];
		}
		(*vt)->end_cert(vt);
	}
	o->ret = (*vt)->end_chain(vt);
	o->status = (unsigned)pm_dane_status(d);
	o->chain_err = d->chain_err;
	o->matched = pm_dane_matched(d);
	o->depth = d->matched_depth;
	o->have_presented = pm_dane_presented(d) != NULL;
	if (o->have_presented)
		memcpy(o->presented, pm_dane_presented(d), 32);
}

static void expect(const pm_dane *d, const pm_tlsa *recs, size_t nrecs,
	const cert *certs, size_t ncerts, const char *name, int have_time,
	const outcome *o)
{
	const br_x509_class *const *vt = &d->vtable;
	br_x509_decoder_context dc;
	unsigned usages = 0;
	uint8_t h[32];
	size_t i, pos, lim = ncerts < PM_CHAIN_MAX ? ncerts : PM_CHAIN_MAX;
	int ee = -1, ta = -1, bad = 0, ee_key;
	unsigned ta_pos = 0;
	const br_x509_pkey *pk;

	/* end_chain's value, get_pkey and the status agree. */
	pk = (*vt)->get_pkey(vt, &usages);
	FZ_CHECK((o->status == PM_OK) == (o->ret == 0));
	FZ_CHECK((o->status == PM_OK) == (pk != NULL));
	FZ_CHECK(o->ret == 0 || o->ret == (unsigned)(o->chain_err != 0
		? o->chain_err : BR_ERR_X509_NOT_TRUSTED));
	FZ_CHECK(o->status == PM_OK ? o->matched >= 0 : o->matched == -1);

	/* presented: SHA-256 of the first certificate's key, if sound */
	FZ_CHECK(o->have_presented == (ncerts > 0 && certs[0].ok));
	if (o->have_presented) {
		sha256(certs[0].c + certs[0].a, certs[0].b - certs[0].a, h);
		FZ_CHECK(memcmp(o->presented, h, 32) == 0);
	}
	if (ncerts == 0) {
		FZ_CHECK(o->status == PM_ERR_PIN_MISMATCH
			&& o->chain_err == BR_ERR_X509_EMPTY_CHAIN);
		return;
	}
	for (pos = 0; pos < lim; pos++)
		if (!certs[pos].ok) {
			bad = certs[pos].err;
			break;
		}
	if (bad != 0) {
		FZ_CHECK(o->status == PM_ERR_TLS && o->chain_err == bad);
		return;
	}
	for (i = 0; i < nrecs && ee < 0; i++)
		if (active(recs, nrecs, i) && recs[i].usage == 3
			&& matches(&recs[i], &certs[0]))
			ee = (int)i;
	for (pos = 1; pos < lim && ta < 0; pos++)
		for (i = 0; i < nrecs && ta < 0; i++)
			if (active(recs, nrecs, i) && recs[i].usage == 2
				&& matches(&recs[i], &certs[pos])) {
				ta = (int)i;
				ta_pos = (unsigned)pos;
			}
	ee_key = 0;
	if (ee >= 0) {
		br_x509_decoder_init(&dc, 0, 0);
		br_x509_decoder_push(&dc, certs[0].c, certs[0].len);
		ee_key = br_x509_decoder_get_pkey(&dc) != NULL;
	}
	if (ee >= 0 && ee_key) {
		FZ_CHECK(o->status == PM_OK && o->matched == ee && o->depth == 0);
		FZ_CHECK(usages == (BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN));
		return;
	}
	if (ta >= 0) {
		if (name == NULL) {
			FZ_CHECK(o->status == PM_ERR_CHAIN
				&& o->chain_err == BR_ERR_X509_BAD_SERVER_NAME);
			return;
		}
		FZ_CHECK(o->status == PM_OK || o->status == PM_ERR_CHAIN
			|| o->status == PM_ERR_NO_CLOCK);
		if (o->status == PM_OK)
			FZ_CHECK(o->matched == ta && o->depth == ta_pos);
		if (o->status == PM_ERR_NO_CLOCK)
			FZ_CHECK(!have_time
				&& o->chain_err == BR_ERR_X509_TIME_UNKNOWN);
		if (o->status != PM_OK)
			FZ_CHECK(o->chain_err != 0);
		return;
	}
	if (ee >= 0) {
		FZ_CHECK(o->status == PM_ERR_TLS && o->chain_err != 0);
		return;
	}
	FZ_CHECK(o->status == PM_ERR_PIN_MISMATCH && o->chain_err == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pm_dane d;
	static cert certs[MAXCERTS];
	static pm_tlsa menu[NMENU], recs[PM_TLSA_MAX];
	static uint8_t store[NMENU][PM_TLSA_DATA_MAX];
	const uint8_t *p = data + 4, *end = data + size;
	const char *name;
	size_t ncerts = 0, nrecs = 0, i, n, sl;
	unsigned flags, mask;
	int r;
	fz_rng rng;
	outcome o1, o2;
	cert *c0, *c1, *cl;

	if (size < 4)
		return 0;
	flags = data[0];
	mask = data[1] | (unsigned)(data[2] & 0x0f) << 8;
	name = (flags & 1) ? "localhost" : NULL;
	memset(certs, 0, sizeof certs);
	while (p + 2 <= end && ncerts < MAXCERTS) {
		n = (size_t)p[0] << 8 | p[1];
		p += 2;
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		certs[ncerts].c = p;
		certs[ncerts].len = n;
		certs[ncerts].announced = (uint32_t)n;
		ncerts++;
		p += n;
	}
	if ((flags & 8) && ncerts > 0) {
		cert *ct = &certs[data[3] % ncerts];
		int delta = (int)((data[2] >> 4) & 7) - 3;

		if (delta < 0 && (size_t)-delta > ct->len)
			delta = 0;
		ct->announced = (uint32_t)((long)ct->len + delta);
	}
	/* SPKIs for the menu, as the reference finds them in whole buffers. */
	for (i = 0; i < ncerts; i++) {
		size_t whole = certs[i].len;

		ref_cert(&certs[i], &whole, 1);
	}

	/* The menu of records. */
	c0 = &certs[0];
	c1 = &certs[ncerts > 1 ? 1 : 0];
	cl = &certs[ncerts > 0 ? ncerts - 1 : 0];
#define SPKI(ct) ((ct)->spki_found ? (ct)->c + (ct)->a : (ct)->c), \
	((ct)->spki_found ? (ct)->b - (ct)->a : 0)
#define SET(k, u, s, m, l) (menu[k].usage = (u), menu[k].selector = (s), \
	menu[k].mtype = (m), menu[k].len = (uint16_t)(l), menu[k].data = store[k])
	SET(0, 3, 1, 1, 32); sha256(SPKI(c0), store[0]);
	SET(1, 3, 0, 1, 32); sha256(c0->c, c0->len, store[1]);
	SET(2, 3, 0, 2, 64); sha512(c0->c, c0->len, store[2]);
	sl = c0->spki_found ? c0->b - c0->a : 0;
	if (sl >= 1 && sl <= PM_TLSA_DATA_MAX) {
		SET(3, 3, 1, 0, sl);
		memcpy(store[3], c0->c + c0->a, sl);
	} else {
		SET(3, 3, 1, 0, 1);
		store[3][0] = 0;
	}
	SET(4, 2, 1, 1, 32); sha256(SPKI(c1), store[4]);
	n = cl->len < PM_TLSA_DATA_MAX ? cl->len : PM_TLSA_DATA_MAX;
	SET(5, 2, 0, 0, n ? n : 1);
	memcpy(store[5], cl->c != NULL ? cl->c : (const uint8_t *)"", n);
	SET(6, 3, 1, 1, 32); memset(store[6], 0x5a, 32);
	SET(7, 2, 1, 2, 64); sha512(SPKI(cl), store[7]);
	SET(8, 1, 1, 1, 32); sha256(SPKI(c0), store[8]);
	SET(9, 3, 1, 1, 31); sha256(SPKI(c0), store[9]);
	n = c0->len > 1 && c0->len - 1 <= PM_TLSA_DATA_MAX ? c0->len - 1 : 1;
	SET(10, 3, 0, 0, n);
	memcpy(store[10], c0->c != NULL ? c0->c : (const uint8_t *)"", c0->len > 1 ? n : 0);
	SET(11, 2, 0, 1, 32); sha256(c1->c, c1->len, store[11]);
	for (i = 0; i < NMENU && nrecs < PM_TLSA_MAX; i++)
		if (mask & (1u << i))
			recs[nrecs++] = menu[i];

	r = pm_dane_init(&d, recs, nrecs);
	for (i = 0, n = 0; i < nrecs; i++)
		n += active(recs, nrecs, i);
	FZ_CHECK(r == (n > 0 ? 0 : PM_ERR_TLSA_UNUSABLE));
	FZ_CHECK(pm_dane_status(&d) == PM_ERR_PIN_MISMATCH);   /* fail closed */
	if (r != 0)
		return 0;
	for (i = 0; i < nrecs; i++)
		FZ_CHECK(!!(d.active & (1u << i)) == active(recs, nrecs, i));
	if (flags & 2)
		pm_dane_set_time(&d, NOW);

	fz_rng_seed(&rng, data[3]);
	run_chain(&d, certs, ncerts, name, (flags & 4) ? ((flags & 16) ? 2 : 1) : 0,
		&rng, &o1);
	if (getenv("PM_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "dane: %zu certs, %zu records, status %u chain_err %d"
			" matched %d depth %u presented %d\n", ncerts, nrecs, o1.status,
			o1.chain_err, o1.matched, o1.depth, o1.have_presented);
	expect(&d, recs, nrecs, certs, ncerts, name, flags & 2, &o1);
	/* Again on the same verifier, other chunks: start_chain resets. */
	run_chain(&d, certs, ncerts, name, 1, &rng, &o2);
	expect(&d, recs, nrecs, certs, ncerts, name, flags & 2, &o2);
	FZ_CHECK(o1.matched == o2.matched && o1.have_presented == o2.have_presented);
	return 0;
}
