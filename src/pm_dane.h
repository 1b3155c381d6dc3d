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
 * ("matching type is not a number 0-255", ...); *rec is then unchanged and
 * out[] may hold garbage. Blanks are space, tab, CR and LF; leading and
 * trailing blanks are allowed. Hex digits may be upper or lower case.
 * `why` may be NULL. PM_ERR_BADARG if rec, out (with cap > 0) or text is
 * NULL. A syntactically valid but unusable record (usage 0, digest of the
 * wrong length...) parses fine: see pm_tlsa_unusable().
 */
int pm_tlsa_parse(pm_tlsa *rec, uint8_t *out, size_t cap,
	const char *text, size_t len, const char **why);

/* NULL when pinmail can use the record, else a static sentence saying why
 * it cannot ("usage 1 (PKIX-EE) needs a CA store; ignored"). */
const char *pm_tlsa_unusable(const pm_tlsa *rec);

/* Streaming DER walker state: finds the SubjectPublicKeyInfo element of
 * one certificate as its bytes go by (see pm_dane.c). */
typedef struct {
	uint32_t pos;                  /* bytes of the certificate seen */
	uint32_t end;                  /* end of the element being read */
	uint32_t tbs_end;              /* end of tbsCertificate */
	uint32_t len;                  /* length being decoded */
	uint32_t spki_start, spki_end; /* SPKI element; end 0 until known */
	uint8_t state, level, index, lenlen;
	uint8_t err;                   /* BR_ERR_X509_* once malformed */
} pm_der_walk;

/* The verifier. Public so the caller can place it; opaque by contract
 * except for the results below. */
typedef struct {
	const br_x509_class *vtable;

	/* configuration: recs kept; everything else set by pm_dane_init and
	 * pm_dane_set_time */
	const pm_tlsa *recs;
	size_t nrecs;
	uint32_t active;               /* bit i: record i is used (agility) */
	uint32_t days, seconds;        /* br_x509_minimal time; 0,0 = none */

	/* per-handshake state, reset by start_chain */
	br_x509_minimal_context minimal;   /* chain checks for DANE-TA */
	br_x509_decoder_context decoder;   /* server key for DANE-EE */
	br_sha256_context sha256[2];       /* [selector]: cert, SPKI */
	br_sha512_context sha512[2];
	pm_der_walk der;
	const char *server_name;       /* kept from start_chain, may be NULL */
	uint32_t cert_len;             /* announced by start_cert */
	uint32_t want;                 /* records that may match this cert */
	uint32_t exact;                /* bit i: mtype-0 record i equal so far */
	unsigned depth;                /* certificates started so far */
	unsigned ta_depth;             /* chain position of ta_match */
	int ee_match, ta_match;        /* first matching record, or -1 */
	int bad;                       /* BR_ERR_X509_* of a malformed cert */
	uint8_t hashing;               /* which hashes run for this cert */
	uint8_t forwarding;            /* certificates go to minimal */
	uint8_t decoding;              /* this certificate goes to decoder */

	/* results of the last handshake (valid after end_chain) */
	int status;                    /* PM_OK, or why not (see below) */
	int chain_err;                 /* BR_ERR_X509_* detail, or 0 */
	int matched;                   /* index into recs of the match, -1 */
	unsigned matched_depth;        /* chain position that matched */
	uint8_t presented[32];         /* SHA-256 of the server's SPKI (3 1 1) */
	int have_presented;
	const br_x509_pkey *pkey;      /* the server key, NULL unless PM_OK */
	unsigned usages;               /* BR_KEYTYPE_KEYX / _SIGN for pkey */
} pm_dane;

/*
 * Results, in `status` after a handshake reached end_chain:
 *   PM_OK                 authenticated; `matched` names the record
 *   PM_ERR_PIN_MISMATCH   no usable record matches (also: no certificate)
 *   PM_ERR_CHAIN          a DANE-TA record matched a certificate but the
 *                         chain up to it fails br_x509_minimal (expired,
 *                         wrong name, bad signature...: chain_err), or no
 *                         server name was given to check
 *   PM_ERR_NO_CLOCK       a DANE-TA record matched but pm_dane_set_time
 *                         was never called (chain_err TIME_UNKNOWN)
 *   PM_ERR_TLS            a certificate is malformed DER, or the matching
 *                         server key cannot be decoded (chain_err says
 *                         which BR_ERR_X509_* code)
 * end_chain returns 0 only with PM_OK; otherwise chain_err, or
 * BR_ERR_X509_NOT_TRUSTED for a mismatch, so BearSSL aborts the handshake.
 * Before any handshake, status is PM_ERR_PIN_MISMATCH (fail closed).
 * Malformed DER in any of the first PM_CHAIN_MAX certificates fails the
 * chain, even after a match; later certificates are ignored.
 *
 * A verifier may serve several handshakes in turn (start_chain resets it);
 * the key get_pkey returns stays valid until the next start_chain.
 */

/*
 * Set up a verifier over recs[0..n) (kept). Applies usability and digest
 * agility. Returns 0, or PM_ERR_TLSA_UNUSABLE when no record is usable
 * (refuse to start: nothing could ever authenticate), PM_ERR_BADARG when
 * n > PM_TLSA_MAX.
 */
int pm_dane_init(pm_dane *d, const pm_tlsa *recs, size_t n);

/* Trustworthy time, as seconds since 1970-01-01 UTC; call it after
 * pm_dane_init (which forgets any time). Never calling it means "no
 * trustworthy clock": DANE-EE still works, DANE-TA fails with
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
