/*
 * pm_dns.h — a DNS message codec (RFC 1035), sans I/O.
 *
 * Builds queries and reads responses in caller-owned buffers; it never
 * touches a socket, a file or a clock (the port's resolver does:
 * port/posix/pm_resolv.c). Everything read from a response is bounds-checked
 * against the message length: names are at most PM_DNS_NAME_MAX bytes in
 * wire form with labels of at most 63, compression pointers must point
 * strictly backwards (so a loop cannot be written), counts never let the
 * reader past the end, and a CNAME chain is followed for at most
 * PM_DNS_HOPS_MAX links. Anything else is PM_ERR_PROTO.
 *
 * Names are passed around in uncompressed wire form ("\4mail\7example\3org\0"),
 * never longer than PM_DNS_NAME_MAX bytes; they compare ASCII
 * case-insensitively (RFC 4343).
 */
#ifndef PM_DNS_H
#define PM_DNS_H

#include <stddef.h>
#include <stdint.h>
#include "pm_err.h"

#define PM_DNS_NAME_MAX  255  /* a name in wire form, root label included */
#define PM_DNS_LABEL_MAX 63
#define PM_DNS_TEXT_MAX  253  /* a name as text, no final dot, NUL excluded */
#define PM_DNS_HOPS_MAX  8    /* CNAME links followed in one lookup */
#define PM_DNS_HDR       12
#define PM_DNS_UDP_MAX   512  /* a UDP message without EDNS (RFC 1035 4.2.1) */
/* The largest query pm_dns_query writes: header, question, OPT record. */
#define PM_DNS_QUERY_MAX (PM_DNS_HDR + PM_DNS_NAME_MAX + 4 + 11)

/* Record types and the class used here. */
enum {
	PM_DNS_T_A = 1,
	PM_DNS_T_NS = 2,
	PM_DNS_T_CNAME = 5,
	PM_DNS_T_SOA = 6,
	PM_DNS_T_AAAA = 28,
	PM_DNS_T_OPT = 41,
	PM_DNS_T_TLSA = 52
};
#define PM_DNS_C_IN 1

/* Header flags: the 16-bit word after the ID. */
#define PM_DNS_F_QR 0x8000u   /* a response */
#define PM_DNS_F_AA 0x0400u   /* authoritative answer */
#define PM_DNS_F_TC 0x0200u   /* truncated: ask again over TCP */
#define PM_DNS_F_RD 0x0100u   /* recursion desired */
#define PM_DNS_F_RA 0x0080u   /* recursion available */
#define PM_DNS_F_AD 0x0020u   /* authentic data: the resolver validated it (DNSSEC) */
#define PM_DNS_F_CD 0x0010u   /* checking disabled */
#define PM_DNS_OPCODE(f) (((unsigned)(f) >> 11) & 15u)
#define PM_DNS_RCODE(f)  ((unsigned)(f) & 15u)

/* Response codes (RFC 1035 4.1.1). */
enum {
	PM_DNS_NOERROR = 0,
	PM_DNS_FORMERR = 1,
	PM_DNS_SERVFAIL = 2,
	PM_DNS_NXDOMAIN = 3,
	PM_DNS_NOTIMP = 4,
	PM_DNS_REFUSED = 5
};

/* Sections, as pm_dns_rr.section says where a record came from. */
enum { PM_DNS_S_ANSWER = 1, PM_DNS_S_AUTHORITY = 2, PM_DNS_S_ADDITIONAL = 3 };

/*
 * A response being read. Filled by pm_dns_response; the message is kept
 * (not copied) and must outlive the struct. Public so callers can allocate
 * it; read id, flags and count[], leave the rest to the functions.
 */
typedef struct {
	const uint8_t *msg;
	size_t len;
	uint16_t id;
	uint16_t flags;        /* PM_DNS_F_*, PM_DNS_RCODE(flags) */
	uint16_t count[4];     /* question, answer, authority, additional */
	size_t first;          /* offset of the first answer record */
	size_t pos;            /* offset of the next record */
	unsigned section;      /* PM_DNS_S_* of the next record */
	unsigned left;         /* records left in that section */
	int err;               /* sticky: PM_ERR_PROTO once a record was bad */
} pm_dns_msg;

/* One resource record, as pm_dns_next hands it out. Offsets are into the
 * message; rdata points into it (valid as long as the message). */
typedef struct {
	unsigned section;      /* PM_DNS_S_* */
	size_t owner;          /* offset of the owner name (may be compressed) */
	uint16_t type;
	uint16_t cls;
	uint32_t ttl;
	size_t rdoff;          /* offset of the data in the message */
	uint16_t rdlen;
	const uint8_t *rdata;
} pm_dns_rr;

/* A TLSA record's fields (RFC 6698 2.1); data points into the message. */
typedef struct {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	const uint8_t *data;
	size_t len;
} pm_dns_tlsa;

/*
 * Text to wire form: "mail.example.org" or "mail.example.org." (one final
 * dot, meaning the same). Labels are 1..63 printable ASCII bytes other than
 * '\' (no escapes) and space; the whole name fits PM_DNS_NAME_MAX. "." alone
 * is the root. text[0..len) need not be NUL-terminated. Writes out and
 * *outlen; returns 0 or PM_ERR_BADARG (nothing useful in out).
 */
int pm_dns_name(uint8_t out[PM_DNS_NAME_MAX], size_t *outlen,
	const char *text, size_t len);

/* Wire form (as pm_dns_name writes it, or pm_dns_name_get) to text without
 * the final dot; the root is ".". Always NUL-terminates when cap > 0; a
 * name that does not fit is cut. Returns the length the whole text needs. */
size_t pm_dns_name_text(char *out, size_t cap, const uint8_t *name);

/* The TLSA owner name for a service: "_PORT._tcp.HOST" (RFC 6698 3). */
int pm_dns_tlsa_name(uint8_t out[PM_DNS_NAME_MAX], size_t *outlen,
	unsigned port, const char *host, size_t hostlen);

/* Two wire-form names are the same name (ASCII case-insensitive). */
int pm_dns_name_eq(const uint8_t *a, const uint8_t *b);

/*
 * Encode a query for (qname, qtype, class IN) with the given id and header
 * flags (PM_DNS_F_RD; PM_DNS_F_AD asks a validating resolver to report
 * whether it validated, RFC 6840 5.7; PM_DNS_F_CD). With edns_size > 0 an
 * EDNS0 OPT record advertises that UDP payload size, with the DO bit when
 * dnssec_ok. Returns the length written, or 0 when cap is too small (cap
 * PM_DNS_QUERY_MAX is always enough) or qname is not a valid name.
 */
size_t pm_dns_query(uint8_t *buf, size_t cap, uint16_t id, unsigned flags,
	const uint8_t *qname, uint16_t qtype, uint16_t edns_size, int dnssec_ok);

/*
 * Start reading msg[0..len) as the response to the query (id, qname,
 * qtype): QR set, opcode 0 (QUERY), the same ID, and exactly the question
 * asked (a server may leave the question out of an error response:
 * accepted when the rcode is not NOERROR/NXDOMAIN). Returns 0 with *m
 * ready for pm_dns_next, or PM_ERR_PROTO (not our answer, or malformed);
 * a caller waiting on UDP simply ignores such a datagram. A truncated
 * response (PM_DNS_F_TC) is accepted: its records may end early.
 */
int pm_dns_response(pm_dns_msg *m, const uint8_t *msg, size_t len,
	uint16_t id, const uint8_t *qname, uint16_t qtype);

/*
 * The next record of the answer, authority and additional sections, in
 * message order: 1 with *rr filled, else 0 — after the last record, or
 * because the message is malformed or ends inside a record, which sets
 * m->err to PM_ERR_PROTO and stops the reader there (sticky). Owner names
 * and the rdata of CNAME records are checked names.
 */
int pm_dns_next(pm_dns_msg *m, pm_dns_rr *rr);

/* Back to the first answer record (m->err cleared). */
void pm_dns_rewind(pm_dns_msg *m);

/*
 * Read the name at msg[*off] in full, following compression pointers, into
 * out (wire form) and *outlen; *off moves past the name as it sits there
 * (a pointer is 2 bytes). Returns 0 or PM_ERR_PROTO.
 */
int pm_dns_name_get(const uint8_t *msg, size_t len, size_t *off,
	uint8_t out[PM_DNS_NAME_MAX], size_t *outlen);

/* The record's owner is the wire-form name `name`: 1 yes, 0 no (or
 * malformed). */
int pm_dns_owner_is(const pm_dns_msg *m, const pm_dns_rr *rr,
	const uint8_t *name);

/*
 * Follow the CNAME records of the answer section from qname, in whatever
 * order they come: out receives the name the answer's data belongs to
 * (qname itself without a CNAME), *hops the number of links followed
 * (0..PM_DNS_HOPS_MAX). Returns 0, or PM_ERR_PROTO for a malformed answer
 * section or a longer chain (a loop is one). Several CNAMEs for one owner
 * are malformed too (RFC 2181 10.1).
 */
int pm_dns_chase(const pm_dns_msg *m, const uint8_t *qname,
	uint8_t out[PM_DNS_NAME_MAX], unsigned *hops);

/* The address of an A (4 bytes) or AAAA (16 bytes) record of class IN:
 * 0 with addr filled (as many bytes as the type says), or PM_ERR_PROTO
 * (wrong type, class or length). */
int pm_dns_addr(const pm_dns_rr *rr, uint8_t addr[16]);

/* The fields of a TLSA record of class IN: 0, or PM_ERR_PROTO (not TLSA,
 * shorter than 4 bytes). Which parameters are usable is pm_dane's call. */
int pm_dns_tlsa_get(const pm_dns_rr *rr, pm_dns_tlsa *t);

/* Did a validating resolver mark the response as authentic (AD bit)?
 * Only meaningful over a trusted path to that resolver (RFC 6698 4.1). */
#define pm_dns_ad(m) (((m)->flags & PM_DNS_F_AD) != 0)

#endif /* PM_DNS_H */
