/*
 * pm_dane.h — TLSA records and the pin verifier (DANE semantics).
 *
 * Records are written as DNS presents them: "3 1 1 <hex>". The verifier is
 * a br_x509_class that BearSSL drives during the handshake; it hashes each
 * certificate and its SubjectPublicKeyInfo as they stream in (no copy of
 * any certificate is kept) and authenticates the server when any usable
 * record matches (RFC 6698 4.1, RFC 7671):
 *
 *   usage 3 (DANE-EE): the server certificate (selector 0) or its key
 *     (selector 1) matches. No name check, no dates (RFC 7671 5.1), so no
 *     clock is needed.
 *   usage 2 (DANE-TA): a certificate at chain position >= 1, or its key,
 *     matches, and the chain from the server certificate up to it passes
 *     br_x509_minimal: signatures, basic constraints, validity dates and
 *     the server name. Without a trustworthy clock this fails with
 *     PM_ERR_NO_CLOCK rather than skip the date check.
 *   matching type 0 exact bytes, 1 SHA-256, 2 SHA-512.
 *   Digest agility (RFC 7671 9): within one usage+selector, Full(0) records
 *   and only the strongest digest present are used.
 *   Usages 0 and 1 (need a CA store), unknown selectors or matching types,
 *   and digests of the wrong length are unusable and ignored.
 */
#ifndef PM_DANE_H
#define PM_DANE_H

#include <stddef.h>
#include <stdint.h>
#include "pm_opts.h"
#include "pm_err.h"

/* One record. `data` is kept, not copied: it must outlive every verifier
 * that uses the record. */
typedef struct {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	uint16_t len;
	const uint8_t *data;
} pm_tlsa;

/*
 * Parse the presentation form "U S M HEX" (fields separated by blanks; the
 * hex may itself contain blanks, as in DNS zone files) from text[0..len).
 * The decoded data is written to out[0..cap) and rec->data points there.
 * Returns 0, or PM_ERR_TLSA_SYNTAX with *why set to a static sentence
 * ("matching type is not a number 0-255", ...). A syntactically valid but
 * unusable record (usage 0, digest of the wrong length...) parses fine:
 * see pm_tlsa_unusable().
 */
int pm_tlsa_parse(pm_tlsa *rec, uint8_t *out, size_t cap,
	const char *text, size_t len, const char **why);

/* NULL when pinmail can use the record, else a static sentence saying why
 * it cannot ("usage 1 (PKIX-EE) needs a CA store; ignored"). */
const char *pm_tlsa_unusable(const pm_tlsa *rec);

/* The verifier. Public so the caller can place it; opaque by contract. */
typedef struct {
	const br_x509_class *vtable;

	/* configuration (kept) */
	const pm_tlsa *recs;
	size_t nrecs;
	uint32_t active;               /* bit i: record i is used (agility) */
	uint32_t days, seconds;        /* br_x509_minimal time; 0,0 = none */

	/* per-handshake state */
	br_x509_minimal_context minimal;   /* chain checks for DANE-TA */
	br_x509_decoder_context decoder;   /* server key for DANE-EE */
	br_sha256_context cert256, spki256;
	br_sha512_context cert512, spki512;
	unsigned depth;                /* certificates started so far */
	int forwarding;                /* still feeding br_x509_minimal */
	int has_ta;                    /* any active usage-2 record */
	int ta_at;                     /* chain position of the TA match, -1 */
	uint32_t exact_ok;             /* bit i: record i (mtype 0) still equal */
	uint32_t cert_off, spki_off;   /* bytes of cert / SPKI seen */
	uint32_t spki_len;             /* 0 until the SPKI element is found */
	/* streaming DER walker over the certificate (see pm_dane.c) */
	uint32_t der_pos, der_hdr_end, der_end[3];
	uint8_t der_state, der_level, der_index, der_lenlen;
	uint32_t der_len;

	/* results */
	int status;                    /* PM_OK, PM_ERR_PIN_MISMATCH, ... */
	int chain_err;                 /* BR_ERR_X509_* from br_x509_minimal */
	int matched;                   /* index into recs of the match, -1 */
	unsigned matched_depth;        /* chain position that matched */
	uint8_t presented[32];         /* SHA-256 of the server's SPKI (3 1 1) */
	int have_presented;
	const br_x509_pkey *pkey;
} pm_dane;

/*
 * Set up a verifier over recs[0..n) (kept). Applies usability and digest
 * agility. Returns 0, or PM_ERR_TLSA_UNUSABLE when no record is usable
 * (refuse to start: nothing could ever authenticate), PM_ERR_BADARG when
 * n > PM_TLSA_MAX.
 */
int pm_dane_init(pm_dane *d, const pm_tlsa *recs, size_t n);

/* Trustworthy time, as seconds since 1970-01-01 UTC. Never calling this
 * means "no trustworthy clock": DANE-EE still works, DANE-TA fails with
 * PM_ERR_NO_CLOCK. */
void pm_dane_set_time(pm_dane *d, uint64_t unix_seconds);

/* After a handshake: PM_OK when authenticated, else why not. */
static inline int pm_dane_status(const pm_dane *d) { return d->status; }

/* Index of the record that authenticated the server, or -1. */
static inline int pm_dane_matched(const pm_dane *d) { return d->matched; }

/* SHA-256 of the server certificate's key as presented (the "3 1 1" value
 * an administrator can compare), or NULL if no certificate arrived. */
static inline const uint8_t *pm_dane_presented(const pm_dane *d)
{
	return d->have_presented ? d->presented : NULL;
}

#endif /* PM_DANE_H */
