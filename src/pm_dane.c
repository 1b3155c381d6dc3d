/*
 * pm_dane.c — TLSA records and the pin verifier (contract in pm_dane.h).
 *
 * BearSSL hands the chain over in chunks of at most 256 bytes that vanish
 * after each call, and there is no room to keep a certificate. So every
 * certificate is judged as it streams:
 *   - the whole certificate goes to the selector-0 hashes / comparisons;
 *   - a small DER walker follows Certificate > tbsCertificate and finds
 *     the SubjectPublicKeyInfo element (tag, length and content), which
 *     goes to the selector-1 hashes / comparisons;
 *   - only the digests some record needs at that chain position are run
 *     (usage 3 looks at position 0 only, usage 2 at positions >= 1), plus
 *     SHA-256 of the server's SPKI, always, for error messages;
 *   - the server certificate also goes to a br_x509_decoder (its key is
 *     what a DANE-EE match hands to the handshake);
 *   - while a DANE-TA match is possible, every certificate also goes to a
 *     br_x509_minimal with no trust anchor at all. Once a certificate at
 *     position >= 1 matches a usage-2 record nothing more is forwarded, so
 *     minimal ends on "not trusted" exactly when the chain up to the match
 *     is sound (signatures, CA flags, path length, dates, server name);
 *     any other verdict is the reason the chain is not.
 * The verdict is made in end_chain; get_pkey only repeats it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pm_dane.h"

#if PM_TLSA_MAX > 32
#error "PM_TLSA_MAX is at most 32: record sets are 32-bit masks"
#endif
#if PM_TLSA_DATA_MAX > 65535
#error "PM_TLSA_DATA_MAX must fit pm_tlsa.len (16 bits)"
#endif

#define PM_STR_(x) #x
#define PM_STR(x) PM_STR_(x)

/* ---- presentation form ------------------------------------------------ */

static const char missing_field[] =
	"a field is missing (usage, selector, matching type, then hex data)";

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One decimal field 0..255 at *p, after blanks, ended by a blank or the
 * end of text. NULL, or why not. */
static const char *number(const char **p, const char *end, uint8_t *v,
	const char *bad)
{
	const char *s = *p;
	unsigned n = 0;

	while (s < end && is_blank(*s))
		s++;
	if (s == end)
		return missing_field;
	if (*s < '0' || *s > '9')
		return bad;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (unsigned)(*s - '0');
		if (n > 255)
			return bad;
	}
	if (s < end && !is_blank(*s))
		return bad;
	*v = (uint8_t)n;
	*p = s;
	return NULL;
}

int pm_tlsa_parse(pm_tlsa *rec, uint8_t *out, size_t cap,
	const char *text, size_t len, const char **why)
{
	const char *sink, *p = text, *end, *w;
	size_t n = 0, max = cap < 65535 ? cap : 65535;
	uint8_t u, s, m;
	int hi = -1, v;

	if (why == NULL)
		why = &sink;
	if (rec == NULL || text == NULL || (out == NULL && cap > 0)) {
		*why = "no record, buffer or text";
		return PM_ERR_BADARG;
	}
	end = text + len;
	if ((w = number(&p, end, &u, "usage is not a number 0-255")) != NULL
		|| (w = number(&p, end, &s,
			"selector is not a number 0-255")) != NULL
		|| (w = number(&p, end, &m,
			"matching type is not a number 0-255")) != NULL) {
		*why = w;
		return PM_ERR_TLSA_SYNTAX;
	}
	for (; p < end; p++) {
		if (is_blank(*p))
			continue;
		if ((v = hex_value(*p)) < 0) {
			*why = "the data has a character that is not a hex digit";
			return PM_ERR_TLSA_SYNTAX;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == max) {
			*why = "the data is longer than the space for it";
			return PM_ERR_TLSA_SYNTAX;
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		*why = "the data has an odd number of hex digits";
		return PM_ERR_TLSA_SYNTAX;
	}
	if (n == 0) {
		*why = missing_field;
		return PM_ERR_TLSA_SYNTAX;
	}
	rec->usage = u;
	rec->selector = s;
	rec->mtype = m;
	rec->len = (uint16_t)n;
	rec->data = out;
	return 0;
}

const char *pm_tlsa_unusable(const pm_tlsa *r)
{
	if (r == NULL)
		return "no record";
	switch (r->usage) {
	case 0:
		return "usage 0 (PKIX-TA) needs a CA store; ignored";
	case 1:
		return "usage 1 (PKIX-EE) needs a CA store; ignored";
	case 2:
	case 3:
		break;
	default:
		return "usage is not 2 (DANE-TA) or 3 (DANE-EE); ignored";
	}
	if (r->selector > 1)
		return "selector is not 0 (certificate) or 1 (public key); ignored";
	if (r->data == NULL && r->len > 0)
		return "the record has no data; ignored";
	switch (r->mtype) {
	case 0:
		if (r->len == 0 || r->len > PM_TLSA_DATA_MAX)
			return "matching type 0 (exact) needs 1 to "
				PM_STR(PM_TLSA_DATA_MAX) " bytes of data; ignored";
		return NULL;
	case 1:
		if (r->len != 32)
			return "matching type 1 (SHA-256) needs 32 bytes"
				" (64 hex digits); ignored";
		return NULL;
	case 2:
		if (r->len != 64)
			return "matching type 2 (SHA-512) needs 64 bytes"
				" (128 hex digits); ignored";
		return NULL;
	default:
		return "matching type is not 0 (exact), 1 (SHA-256) or"
			" 2 (SHA-512); ignored";
	}
}

/* ---- streaming DER walker ----------------------------------------------
 *
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
 *   serialNumber INTEGER, signature SEQUENCE, issuer SEQUENCE, validity
 *   SEQUENCE, subject SEQUENCE, subjectPublicKeyInfo SEQUENCE, ... } ... }
 * Only headers are read, byte by byte; contents before the SPKI are skipped
 * whole. Every length is checked against its container and the outer one
 * must be the certificate length exactly, so the SPKI found is the one
 * br_x509_decoder and br_x509_minimal read. After the SPKI header nothing
 * more is parsed (both decoders check the rest).
 */
enum { W_TAG, W_LEN, W_LENX, W_SKIP, W_DONE, W_IGNORE, W_ERR };

/* tbsCertificate element tags by index; index 0 is the optional version. */
static const uint8_t tbs_tags[7] = { 0xA0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30 };
#define TBS_SPKI 6

static void der_fail(pm_der_walk *w, int err)
{
	w->state = W_ERR;
	w->err = (uint8_t)err;
}

/* A header has been read; w->pos is just past it. */
static void der_header(pm_der_walk *w, uint32_t cert_len)
{
	uint32_t limit = w->level < 2 ? cert_len : w->tbs_end;

	if (w->pos > limit || w->len > limit - w->pos) {
		der_fail(w, BR_ERR_X509_INNER_TRUNC);
		return;
	}
	w->state = W_TAG;
	if (w->level == 0) {
		if (w->len != cert_len - w->pos)
			der_fail(w, BR_ERR_X509_EXTRA_ELEMENT);
		w->level = 1;
	} else if (w->level == 1) {
		w->tbs_end = w->pos + w->len;
		w->level = 2;
	} else if (w->index == TBS_SPKI) {
		w->spki_end = w->pos + w->len;
		w->state = W_DONE;
	} else {
		w->index++;
		w->end = w->pos + w->len;
		if (w->len > 0)
			w->state = W_SKIP;
	}
}

static void der_walk(pm_der_walk *w, uint32_t cert_len,
	const unsigned char *p, size_t n)
{
	uint32_t k;
	unsigned c, want;

	while (n > 0) {
		switch (w->state) {
		case W_SKIP:
			k = w->end - w->pos;
			if (k > n)
				k = (uint32_t)n;
			w->pos += k;
			p += k;
			n -= k;
			if (w->pos == w->end)
				w->state = W_TAG;
			continue;
		case W_DONE:
			w->pos += (uint32_t)n;
			return;
		case W_IGNORE:
		case W_ERR:
			return;
		}
		c = *p++;
		n--;
		switch (w->state) {
		case W_TAG:
			want = 0x30;
			if (w->level == 2) {
				if (w->pos >= w->tbs_end) {
					der_fail(w, BR_ERR_X509_TRUNCATED);
					return;
				}
				if (w->index == 0 && c != 0xA0)
					w->index = 1;     /* no version */
				if (w->index == TBS_SPKI)
					w->spki_start = w->pos;
				want = tbs_tags[w->index];
			}
			if (c != want) {
				der_fail(w, BR_ERR_X509_UNEXPECTED);
				return;
			}
			w->state = W_LEN;
			break;
		case W_LEN:
			w->pos++;
			if (c < 0x80) {
				w->len = c;
				der_header(w, cert_len);
			} else if (c == 0x80) {
				der_fail(w, BR_ERR_X509_INDEFINITE_LENGTH);
			} else if (c > 0x84) {
				der_fail(w, BR_ERR_X509_LIMIT_EXCEEDED);
			} else {
				w->lenlen = (uint8_t)(c & 0x7F);
				w->len = 0;
				w->state = W_LENX;
			}
			continue;
		case W_LENX:
			w->pos++;
			w->len = w->len << 8 | c;
			if (--w->lenlen == 0)
				der_header(w, cert_len);
			continue;
		}
		w->pos++;
	}
}

/* ---- the verifier --------------------------------------------------------- */

#define DANE(ctx) ((pm_dane *)(void *)(ctx))
#define BIT(i) ((uint32_t)1 << (i))

/* Which digests run for the current certificate. */
#define H256_CERT 1
#define H256_SPKI 2
#define H512_CERT 4
#define H512_SPKI 8

static const br_x509_class pm_dane_vtable;

/* Active records of one usage. */
static uint32_t with_usage(const pm_dane *d, unsigned usage)
{
	uint32_t m = 0;
	size_t i;

	for (i = 0; i < d->nrecs; i++)
		if ((d->active & BIT(i)) && d->recs[i].usage == usage)
			m |= BIT(i);
	return m;
}

int pm_dane_init(pm_dane *d, const pm_tlsa *recs, size_t n)
{
	uint32_t usable = 0;
	size_t i, j;

	if (d == NULL || (recs == NULL && n > 0) || n > PM_TLSA_MAX)
		return PM_ERR_BADARG;
	memset(d, 0, sizeof *d);
	d->vtable = &pm_dane_vtable;
	d->recs = recs;
	d->nrecs = n;
	d->status = PM_ERR_PIN_MISMATCH;
	d->matched = d->ee_match = d->ta_match = -1;
	for (i = 0; i < n; i++)
		if (pm_tlsa_unusable(&recs[i]) == NULL)
			usable |= BIT(i);
	/* Digest agility (RFC 7671 9): within a usage+selector, a digest
	 * record counts only if no usable record there has a stronger
	 * digest (2 SHA-512 beats 1 SHA-256). Full (0) records always count:
	 * an attacker who can break SHA-256 still cannot forge those. */
	d->active = usable;
	for (i = 0; i < n; i++) {
		if (!(usable & BIT(i)) || recs[i].mtype == 0)
			continue;
		for (j = 0; j < n; j++)
			if ((usable & BIT(j))
				&& recs[j].usage == recs[i].usage
				&& recs[j].selector == recs[i].selector
				&& recs[j].mtype > recs[i].mtype)
				d->active &= ~BIT(i);
	}
	return d->active != 0 ? 0 : PM_ERR_TLSA_UNUSABLE;
}

void pm_dane_set_time(pm_dane *d, uint64_t t)
{
	uint64_t days = t / 86400 + 719528;   /* 1970-01-01 in days from 0 AD */

	d->days = days > UINT32_MAX ? UINT32_MAX : (uint32_t)days;
	d->seconds = (uint32_t)(t % 86400);
}

static void dane_start_chain(const br_x509_class **ctx, const char *server_name)
{
	pm_dane *d = DANE(ctx);
	br_x509_minimal_context *m = &d->minimal;

	d->vtable = &pm_dane_vtable;
	d->server_name = server_name != NULL && server_name[0] != '\0'
		? server_name : NULL;
	d->depth = d->ta_depth = 0;
	d->ee_match = d->ta_match = -1;
	d->bad = 0;
	d->want = d->exact = 0;
	d->hashing = d->decoding = d->forwarding = 0;
	d->status = PM_ERR_PIN_MISMATCH;
	d->chain_err = 0;
	d->matched = -1;
	d->matched_depth = 0;
	d->have_presented = 0;
	memset(d->presented, 0, sizeof d->presented);
	d->pkey = NULL;
	d->usages = 0;
	memset(&d->der, 0, sizeof d->der);

	/* br_x509_minimal only when a DANE-TA match can be checked: with no
	 * server name it would skip the name check, so it is not run at all
	 * and a TA match fails in end_chain. */
	if (d->server_name == NULL || with_usage(d, 2) == 0)
		return;
	br_x509_minimal_init(m, &br_sha256_vtable, NULL, 0);
	br_x509_minimal_set_hash(m, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(m, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(m, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(m, br_rsa_pkcs1_vrfy_get_default());
	/* The same curve code as the TLS engine (pm_session.c), so the
	 * firmware carries one copy. */
	br_x509_minimal_set_ecdsa(m, &PM_EC_IMPL,
		br_ecdsa_vrfy_asn1_get_default());
	if (d->days != 0 || d->seconds != 0)
		br_x509_minimal_set_time(m, d->days, d->seconds);
	br_x509_minimal_vtable.start_chain(&m->vtable, d->server_name);
	d->forwarding = 1;
}

static void dane_start_cert(const br_x509_class **ctx, uint32_t length)
{
	pm_dane *d = DANE(ctx);
	unsigned pos = d->depth++;
	const pm_tlsa *r;
	size_t i;

	d->cert_len = length;
	d->want = d->exact = 0;
	d->hashing = d->decoding = 0;
	memset(&d->der, 0, sizeof d->der);
	if (pos >= PM_CHAIN_MAX) {
		/* Too deep to matter: nothing matched within reach. */
		d->der.state = W_IGNORE;
		d->forwarding = 0;
		return;
	}
	if (d->forwarding)
		br_x509_minimal_vtable.start_cert(&d->minimal.vtable, length);
	d->want = with_usage(d, pos == 0 ? 3 : 2);
	if (pos == 0) {
		d->hashing = H256_SPKI;                 /* presented */
		if (d->want != 0) {
			br_x509_decoder_init(&d->decoder, 0, 0);
			d->decoding = 1;
		}
	}
	for (i = 0; i < d->nrecs; i++) {
		if (!(d->want & BIT(i)))
			continue;
		r = &d->recs[i];
		if (r->mtype == 0)
			d->exact |= BIT(i);
		else if (r->mtype == 1)
			d->hashing |= r->selector ? H256_SPKI : H256_CERT;
		else
			d->hashing |= r->selector ? H512_SPKI : H512_CERT;
	}
	if (d->hashing & H256_CERT)
		br_sha256_init(&d->sha256[0]);
	if (d->hashing & H256_SPKI)
		br_sha256_init(&d->sha256[1]);
	if (d->hashing & H512_CERT)
		br_sha512_init(&d->sha512[0]);
	if (d->hashing & H512_SPKI)
		br_sha512_init(&d->sha512[1]);
}

/* Bytes p[0..n) sit at offset `off` of the selected part (certificate or
 * SPKI): drop every exact record of that selector they differ from. */
static void compare(pm_dane *d, unsigned sel, uint32_t off,
	const unsigned char *p, size_t n)
{
	const pm_tlsa *r;
	size_t i;

	for (i = 0; i < d->nrecs; i++) {
		r = &d->recs[i];
		if (!(d->exact & BIT(i)) || r->selector != sel)
			continue;
		if (off > r->len || n > (size_t)(r->len - off)
			|| memcmp(r->data + off, p, n) != 0)
			d->exact &= ~BIT(i);
	}
}

/* Feed one part's bytes to the digests and comparisons that want them. */
static void feed(pm_dane *d, unsigned sel, uint32_t off,
	const unsigned char *p, size_t n)
{
	if (d->hashing & (sel ? H256_SPKI : H256_CERT))
		br_sha256_update(&d->sha256[sel], p, n);
	if (d->hashing & (sel ? H512_SPKI : H512_CERT))
		br_sha512_update(&d->sha512[sel], p, n);
	if (d->exact != 0)
		compare(d, sel, off, p, n);
}

static void dane_append(const br_x509_class **ctx,
	const unsigned char *buf, size_t len)
{
	pm_dane *d = DANE(ctx);
	pm_der_walk *w = &d->der;
	uint32_t base = w->pos, a, b;

	if (d->forwarding)
		br_x509_minimal_vtable.append(&d->minimal.vtable, buf, len);
	/* Never feed a decoder that has failed: BearSSL's decoder does not
	 * stop itself, and resuming it corrupts memory. */
	if (d->decoding && d->decoder.err == 0)
		br_x509_decoder_push(&d->decoder, buf, len);
	if (w->state == W_IGNORE || w->state == W_ERR)
		return;
	if (len > d->cert_len - base) {
		der_fail(w, BR_ERR_X509_EXTRA_ELEMENT);   /* more than announced */
		return;
	}
	der_walk(w, d->cert_len, buf, len);
	if (w->state == W_ERR)
		return;
	feed(d, 0, base, buf, len);
	if (w->spki_start == 0)
		return;                 /* never at 0: the outer header is first */
	/* The part of this chunk inside the SPKI. Until its length is read,
	 * every byte from its tag on belongs to it. */
	a = base > w->spki_start ? base : w->spki_start;
	b = base + (uint32_t)len;
	if (w->spki_end != 0 && b > w->spki_end)
		b = w->spki_end;
	if (a < b)
		feed(d, 1, a - w->spki_start, buf + (a - base), b - a);
}

static void dane_end_cert(const br_x509_class **ctx)
{
	pm_dane *d = DANE(ctx);
	pm_der_walk *w = &d->der;
	uint8_t h256[2][32], h512[2][64];
	const pm_tlsa *r;
	unsigned pos, sel;
	uint32_t part;
	size_t i;
	int ok;

	if (d->depth == 0)
		return;                 /* end_cert without start_cert */
	pos = d->depth - 1;
	if (d->forwarding)
		br_x509_minimal_vtable.end_cert(&d->minimal.vtable);
	if (w->state == W_IGNORE)
		return;
	if (w->state != W_DONE || w->pos != d->cert_len) {
		if (d->bad == 0)
			d->bad = w->state == W_ERR ? w->err : BR_ERR_X509_TRUNCATED;
		return;
	}
	for (sel = 0; sel < 2; sel++) {
		if (d->hashing & (sel ? H256_SPKI : H256_CERT))
			br_sha256_out(&d->sha256[sel], h256[sel]);
		if (d->hashing & (sel ? H512_SPKI : H512_CERT))
			br_sha512_out(&d->sha512[sel], h512[sel]);
	}
	if (pos == 0) {
		memcpy(d->presented, h256[1], sizeof d->presented);
		d->have_presented = 1;
	}
	for (i = 0; i < d->nrecs; i++) {
		if (!(d->want & BIT(i)))
			continue;
		r = &d->recs[i];
		sel = r->selector;
		part = sel ? w->spki_end - w->spki_start : d->cert_len;
		if (r->mtype == 0)
			ok = (d->exact & BIT(i)) && r->len == part;
		else if (r->mtype == 1)
			ok = memcmp(r->data, h256[sel], 32) == 0;
		else
			ok = memcmp(r->data, h512[sel], 64) == 0;
		if (ok)
			break;
	}
	if (i == d->nrecs)
		return;
	if (pos == 0) {
		d->ee_match = (int)i;
		/* Authenticated whatever follows (short of malformed DER): the
		 * chain checks have nothing left to decide. */
		if (br_x509_decoder_get_pkey(&d->decoder) != NULL)
			d->forwarding = 0;
	} else if (d->ta_match < 0) {
		d->ta_match = (int)i;
		d->ta_depth = pos;
		d->forwarding = 0;      /* the chain ends at the trust anchor */
	}
}

/* Record a verdict; BearSSL gets 0 or the code that aborts the handshake. */
static unsigned verdict(pm_dane *d, int status, int err)
{
	d->status = status;
	d->chain_err = err;
	return err != 0 ? (unsigned)err : BR_ERR_X509_NOT_TRUSTED;
}

static unsigned accept(pm_dane *d, int rec, unsigned depth,
	const br_x509_pkey *pk, unsigned usages)
{
	d->status = PM_OK;
	d->chain_err = 0;
	d->matched = rec;
	d->matched_depth = depth;
	d->pkey = pk;
	d->usages = usages;
	return 0;
}

static unsigned dane_end_chain(const br_x509_class **ctx)
{
	pm_dane *d = DANE(ctx);
	const br_x509_pkey *pk;
	unsigned r, usages = 0;
	int err;

	if (d->depth == 0)
		return verdict(d, PM_ERR_PIN_MISMATCH, BR_ERR_X509_EMPTY_CHAIN);
	if (d->bad != 0)
		return verdict(d, PM_ERR_TLS, d->bad);
	if (d->ee_match >= 0) {
		/* DANE-EE: the key is the server's, as pinned. No names, no
		 * dates (RFC 7671 5.1), and any usage the suite needs. */
		pk = br_x509_decoder_get_pkey(&d->decoder);
		if (pk != NULL)
			return accept(d, d->ee_match, 0, pk,
				BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	}
	if (d->ta_match >= 0) {
		if (d->server_name == NULL)
			return verdict(d, PM_ERR_CHAIN,
				BR_ERR_X509_BAD_SERVER_NAME);
		r = br_x509_minimal_vtable.end_chain(&d->minimal.vtable);
		if (r == 0 || r == BR_ERR_X509_NOT_TRUSTED) {
			pk = br_x509_minimal_vtable.get_pkey(
				&d->minimal.vtable, &usages);
			if (pk != NULL)
				return accept(d, d->ta_match, d->ta_depth, pk,
					usages);
			r = BR_ERR_X509_UNSUPPORTED;
		}
		return verdict(d, r == BR_ERR_X509_TIME_UNKNOWN
			? PM_ERR_NO_CLOCK : PM_ERR_CHAIN, (int)r);
	}
	if (d->ee_match >= 0) {
		/* The pin matched but the key is of a kind BearSSL cannot use. */
		err = br_x509_decoder_last_error(&d->decoder);
		return verdict(d, PM_ERR_TLS,
			err != 0 ? err : BR_ERR_X509_UNSUPPORTED);
	}
	return verdict(d, PM_ERR_PIN_MISMATCH, 0);
}

static const br_x509_pkey *dane_get_pkey(const br_x509_class *const *ctx,
	unsigned *usages)
{
	const pm_dane *d = (const pm_dane *)(const void *)ctx;

	if (d->status != PM_OK)
		return NULL;
	if (usages != NULL)
		*usages = d->usages;
	return d->pkey;
}

static const br_x509_class pm_dane_vtable = {
	sizeof(pm_dane),
	dane_start_chain,
	dane_start_cert,
	dane_append,
	dane_end_cert,
	dane_end_chain,
	dane_get_pkey
};
