/*
 * test_dns.c — the DNS message codec (src/pm_dns.c).
 *
 * Messages are assembled byte by byte here (no DNS library), each copied
 * into a heap block of exactly its length before it is parsed, so under
 * ASan a read one byte past the end is caught. Hostile shapes: names and
 * labels one byte over their limits, compression pointers that loop, point
 * forwards or out of the message, counts that promise more records than
 * there are, CNAME chains that loop or run too long. Then every prefix and
 * every one-byte change of valid answers must parse or fail cleanly.
 */
#include "pm_test.h"
#include "pm_dns.h"

/* --- building messages ------------------------------------------------------ */

static uint8_t msg[2048];
static size_t mlen;

static void b8(unsigned v) { msg[mlen++] = (uint8_t)v; }
static void b16(unsigned v) { b8(v >> 8); b8(v & 0xff); }
static void b32(unsigned long v) { b16((unsigned)(v >> 16)); b16((unsigned)(v & 0xffff)); }
static void bytes(const void *p, size_t n) { memcpy(msg + mlen, p, n); mlen += n; }

/* "a.b.c" as labels with the root (no compression). */
static void bname(const char *text)
{
	uint8_t w[PM_DNS_NAME_MAX];
	size_t n;

	if (pm_dns_name(w, &n, text, strlen(text)) != 0) {
		printf("  bad test name %s\n", text);
		pm_t_failed = 1;
		return;
	}
	bytes(w, n);
}

static void bhdr(unsigned id, unsigned flags, unsigned qd, unsigned an,
	unsigned ns, unsigned ar)
{
	mlen = 0;
	b16(id); b16(flags); b16(qd); b16(an); b16(ns); b16(ar);
}

/* An RR header with the owner as a pointer (or 0: the name text follows
 * as labels via bname by the caller before this). */
static void brr_ptr(unsigned ptr, unsigned type, unsigned rdlen)
{
	b16(0xC000 | ptr); b16(type); b16(1); b32(60); b16(rdlen);
}

static uint8_t qn[PM_DNS_NAME_MAX];
static size_t qnl;

static void setq(const char *text)
{
	PM_CHECK_INT(pm_dns_name(qn, &qnl, text, strlen(text)), 0);
}

/* A response header + question for qn/type, id 0x4242. */
static void bresp(unsigned flags, unsigned an, unsigned ns, unsigned ar,
	unsigned type)
{
	bhdr(0x4242, PM_DNS_F_QR | PM_DNS_F_RD | PM_DNS_F_RA | flags, 1, an, ns, ar);
	bytes(qn, qnl);
	b16(type); b16(1);
}

static uint8_t *heap;

/* Parse msg as the answer to (0x4242, qn, type) from an exact-size copy. */
static int parse(pm_dns_msg *m, unsigned type)
{
	free(heap);
	heap = malloc(mlen ? mlen : 1);
	memcpy(heap, msg, mlen);
	return pm_dns_response(m, heap, mlen, 0x4242, qn, (uint16_t)type);
}

/* Every record of m: how many, or the reader's error. */
static int count_rrs(pm_dns_msg *m)
{
	pm_dns_rr rr;
	int n = 0;

	while (pm_dns_next(m, &rr))
		n++;
	return m->err != 0 ? m->err : n;
}

/* --- names ------------------------------------------------------------------ */

static void name_text_to_wire(void)
{
	uint8_t w[PM_DNS_NAME_MAX];
	char t[300];
	size_t n;

	PM_CHECK_INT(pm_dns_name(w, &n, "mail.example.org", 16), 0);
	PM_CHECK_MEM(w, n, "\4mail\7example\3org", 18);
	PM_CHECK_INT(pm_dns_name(w, &n, "mail.example.org.", 17), 0);
	PM_CHECK_INT(n, 18);
	PM_CHECK_INT(pm_dns_name(w, &n, ".", 1), 0);
	PM_CHECK_MEM(w, n, "", 1);
	PM_CHECK_INT(pm_dns_name(w, &n, "_465._tcp.x", 11), 0);
	/* Not NUL-terminated: only len bytes are read. */
	PM_CHECK_INT(pm_dns_name(w, &n, "abcXYZ", 3), 0);
	PM_CHECK_MEM(w, n, "\3abc", 5);

	PM_CHECK_INT(pm_dns_name(w, &n, "", 0), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, "..", 2), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, ".a", 2), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, "a..b", 4), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, "a b", 3), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, "a\\.b", 4), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, "a\tb", 3), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, "gr\xc3\xbc" "n", 5), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_name(w, &n, "a\0b", 3), PM_ERR_BADARG);

	/* Labels: 63 bytes fit, 64 do not. */
	memset(t, 'a', 64);
	PM_CHECK_INT(pm_dns_name(w, &n, t, 63), 0);
	PM_CHECK_INT(n, 65);
	PM_CHECK_INT(pm_dns_name(w, &n, t, 64), PM_ERR_BADARG);

	/* Names: 253 characters of text (255 in wire form) fit, 254 do not:
	 * 63+1+63+1+63+1+61 = 253. */
	memset(t, 'b', sizeof t);
	t[63] = t[127] = t[191] = '.';
	PM_CHECK_INT(pm_dns_name(w, &n, t, 253), 0);
	PM_CHECK_INT(n, 255);
	PM_CHECK_INT(pm_dns_name(w, &n, t, 254), PM_ERR_BADARG);
	t[253] = '.';
	PM_CHECK_INT(pm_dns_name(w, &n, t, 254), 0);   /* final dot is free */
	PM_CHECK_INT(pm_dns_name(w, &n, t, 255), PM_ERR_BADARG);
}

static void name_wire_to_text(void)
{
	char t[300];

	PM_CHECK_INT(pm_dns_name_text(t, sizeof t, (const uint8_t *)"\4mail\3org"), 8);
	PM_CHECK_STR(t, "mail.org");
	PM_CHECK_INT(pm_dns_name_text(t, sizeof t, (const uint8_t *)""), 1);
	PM_CHECK_STR(t, ".");
	/* A dot, a control byte and a backslash inside a label are escaped:
	 * a hostile name cannot forge structure in a log line. */
	PM_CHECK_INT(pm_dns_name_text(t, sizeof t, (const uint8_t *)"\3a.\n\1\\"), 14);
	PM_CHECK_STR(t, "a\\046\\010.\\092");
	/* Cut to fit, always terminated, the full length returned. */
	PM_CHECK_INT(pm_dns_name_text(t, 5, (const uint8_t *)"\4mail\3org"), 8);
	PM_CHECK_STR(t, "mail");
	PM_CHECK_INT(pm_dns_name_text(t, 0, (const uint8_t *)"\4mail"), 4);
	/* An invalid wire name (label over 63) is not walked. */
	PM_CHECK_INT(pm_dns_name_text(t, sizeof t, (const uint8_t *)"\100abc"), 1);
	PM_CHECK_STR(t, "?");
}

static void name_compare(void)
{
	PM_CHECK(pm_dns_name_eq((const uint8_t *)"\4MaIl\3ORG", (const uint8_t *)"\4mail\3org"));
	PM_CHECK(!pm_dns_name_eq((const uint8_t *)"\4mail\3org", (const uint8_t *)"\4mail\3orh"));
	PM_CHECK(!pm_dns_name_eq((const uint8_t *)"\4mail\3org", (const uint8_t *)"\4mail"));
	/* Case folding is ASCII only: '[' is not '{'. */
	PM_CHECK(!pm_dns_name_eq((const uint8_t *)"\1[", (const uint8_t *)"\1{"));
	PM_CHECK(pm_dns_name_eq((const uint8_t *)"", (const uint8_t *)""));
}

static void tlsa_name(void)
{
	uint8_t w[PM_DNS_NAME_MAX];
	char t[300];
	size_t n;

	PM_CHECK_INT(pm_dns_tlsa_name(w, &n, 465, "mail.example.org", 16), 0);
	pm_dns_name_text(t, sizeof t, w);
	PM_CHECK_STR(t, "_465._tcp.mail.example.org");
	PM_CHECK_INT(pm_dns_tlsa_name(w, &n, 25, "mx.", 3), 0);
	pm_dns_name_text(t, sizeof t, w);
	PM_CHECK_STR(t, "_25._tcp.mx");
	PM_CHECK_INT(pm_dns_tlsa_name(w, &n, 0, "mx", 2), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_tlsa_name(w, &n, 65536, "mx", 2), PM_ERR_BADARG);
	memset(t, 'a', sizeof t);
	t[63] = t[127] = t[191] = '.';
	/* "_65535._tcp." (12) + 242 > 253 */
	PM_CHECK_INT(pm_dns_tlsa_name(w, &n, 65535, t, 242), PM_ERR_BADARG);
	PM_CHECK_INT(pm_dns_tlsa_name(w, &n, 65535, t, 241), 0);
}

/* --- queries ---------------------------------------------------------------- */

static void query_bytes(void)
{
	uint8_t q[PM_DNS_QUERY_MAX];
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 2, 'b', 'c', 0, 0, 28, 0, 1 };
	static const uint8_t want_edns[] = {
		0xbe, 0xef, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1,
		1, 'a', 0, 0, 52, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };
	size_t n;

	setq("a.bc");
	n = pm_dns_query(q, sizeof q, 0x1234, PM_DNS_F_RD, qn, PM_DNS_T_AAAA, 0, 0);
	PM_CHECK_MEM(q, n, want, sizeof want);
	/* Only RD, AD and CD may be set by the caller. */
	n = pm_dns_query(q, sizeof q, 0x1234, 0xffff, qn, PM_DNS_T_AAAA, 0, 0);
	PM_CHECK_INT(q[2] << 8 | q[3], PM_DNS_F_RD | PM_DNS_F_AD | PM_DNS_F_CD);
	/* TLSA with AD and an OPT record: 1232 bytes, DO. */
	setq("a");
	n = pm_dns_query(q, sizeof q, 0xbeef, PM_DNS_F_RD | PM_DNS_F_AD, qn,
		PM_DNS_T_TLSA, 1232, 1);
	PM_CHECK_MEM(q, n, want_edns, sizeof want_edns);
	/* Too small a buffer: nothing. */
	setq("a.bc");
	PM_CHECK_INT(pm_dns_query(q, sizeof want - 1, 1, 0, qn, 1, 0, 0), 0);
	PM_CHECK_INT(pm_dns_query(q, sizeof want, 1, 0, qn, 1, 0, 0), sizeof want);
	/* An invalid wire name: nothing. */
	PM_CHECK_INT(pm_dns_query(q, sizeof q, 1, 0, (const uint8_t *)"\100x", 1, 0, 0), 0);
	/* The largest name fits PM_DNS_QUERY_MAX with an OPT record. */
	{
		char t[300];
		uint8_t w[PM_DNS_NAME_MAX];

		memset(t, 'b', sizeof t);
		t[63] = t[127] = t[191] = '.';
		PM_CHECK_INT(pm_dns_name(w, &n, t, 253), 0);
		PM_CHECK_INT(pm_dns_query(q, sizeof q, 1, 0, w, 1, 4096, 1), PM_DNS_QUERY_MAX);
	}
}

/* --- responses -------------------------------------------------------------- */

static void response_header_checks(void)
{
	pm_dns_msg m;

	setq("mail.example.org");
	bresp(0, 0, 0, 0, PM_DNS_T_A);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), 0);
	/* Another ID, another type, another name, not a response, opcode. */
	PM_CHECK_INT(pm_dns_response(&m, heap, mlen, 0x4243, qn, PM_DNS_T_A), PM_ERR_PROTO);
	PM_CHECK_INT(parse(&m, PM_DNS_T_AAAA), PM_ERR_PROTO);
	msg[12 + 1] = 'M';     /* the case of the question may differ (0x20) */
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	msg[12 + 2] = 'x';
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	bresp(0, 0, 0, 0, PM_DNS_T_A);
	msg[2] &= 0x7f;
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	bresp(0x0800, 0, 0, 0, PM_DNS_T_A);             /* opcode 1 */
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	bresp(0, 0, 0, 0, PM_DNS_T_A);
	msg[mlen - 1] = 3;                               /* class CH */
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	bresp(0, 0, 0, 0, PM_DNS_T_A);
	mlen--;                                          /* question cut */
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	/* Shorter than a header. */
	bresp(0, 0, 0, 0, PM_DNS_T_A);
	mlen = 11;
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	/* Two questions. */
	bresp(0, 0, 0, 0, PM_DNS_T_A);
	msg[5] = 2;
	bytes(qn, qnl); b16(1); b16(1);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	/* No question: only an error may do that (or a truncation). */
	bhdr(0x4242, PM_DNS_F_QR | PM_DNS_SERVFAIL, 0, 0, 0, 0);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(PM_DNS_RCODE(m.flags), PM_DNS_SERVFAIL);
	bhdr(0x4242, PM_DNS_F_QR, 0, 0, 0, 0);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	bhdr(0x4242, PM_DNS_F_QR | PM_DNS_NXDOMAIN, 0, 0, 0, 0);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
	bhdr(0x4242, PM_DNS_F_QR | PM_DNS_F_TC, 0, 0, 0, 0);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	/* The AD bit is reported. */
	bresp(PM_DNS_F_AD, 0, 0, 0, PM_DNS_T_A);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK(pm_dns_ad(&m));
	bresp(0, 0, 0, 0, PM_DNS_T_A);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK(!pm_dns_ad(&m));
}

static void answer_records(void)
{
	pm_dns_msg m;
	pm_dns_rr rr;
	uint8_t a[16];
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	setq("mail.example.org");
	bresp(0, 2, 1, 1, PM_DNS_T_A);
	brr_ptr(12, PM_DNS_T_A, 4); b8(192); b8(0); b8(2); b8(1);
	brr_ptr(12, PM_DNS_T_A, 4); b8(192); b8(0); b8(2); b8(2);
	brr_ptr(17, PM_DNS_T_NS, 2); b16(0xC000 | 12);      /* example.org NS */
	b8(0); b16(PM_DNS_T_OPT); b16(1232); b32(0); b16(0);  /* OPT */
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(rr.section, PM_DNS_S_ANSWER);
	PM_CHECK_INT(rr.type, PM_DNS_T_A);
	PM_CHECK_INT(rr.ttl, 60);
	PM_CHECK(pm_dns_owner_is(&m, &rr, qn));
	PM_CHECK_INT(pm_dns_addr(&rr, a), 0);
	PM_CHECK_MEM(a, 4, "\300\0\2\1", 4);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(rr.section, PM_DNS_S_AUTHORITY);
	PM_CHECK(!pm_dns_owner_is(&m, &rr, qn));
	PM_CHECK(pm_dns_owner_is(&m, &rr, (const uint8_t *)"\7example\3org"));
	PM_CHECK_INT(pm_dns_addr(&rr, a), PM_ERR_PROTO);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(rr.section, PM_DNS_S_ADDITIONAL);
	PM_CHECK_INT(rr.type, PM_DNS_T_OPT);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 0);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 0);
	pm_dns_rewind(&m);
	PM_CHECK_INT(count_rrs(&m), 4);

	/* AAAA; wrong lengths for the type are refused. */
	bresp(0, 3, 0, 0, PM_DNS_T_AAAA);
	brr_ptr(12, PM_DNS_T_AAAA, 16); bytes(v6, 16);
	brr_ptr(12, PM_DNS_T_AAAA, 4); b32(1);
	brr_ptr(12, PM_DNS_T_A, 16); bytes(v6, 16);
	PM_CHECK_INT(parse(&m, PM_DNS_T_AAAA), 0);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_addr(&rr, a), 0);
	PM_CHECK_MEM(a, 16, v6, 16);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_addr(&rr, a), PM_ERR_PROTO);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_addr(&rr, a), PM_ERR_PROTO);
	/* Class CH: not an address. */
	bresp(0, 1, 0, 0, PM_DNS_T_A);
	brr_ptr(12, PM_DNS_T_A, 4); b32(1);
	msg[mlen - 4 - 2 - 4 - 2 + 1] = 3;
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(rr.cls, 3);
	PM_CHECK_INT(pm_dns_addr(&rr, a), PM_ERR_PROTO);
}

static void counts_and_lengths(void)
{
	pm_dns_msg m;
	pm_dns_rr rr;

	setq("x.org");
	/* Three answers promised, two present: the third is an error, and the
	 * reader stays stopped. */
	bresp(0, 3, 0, 0, PM_DNS_T_A);
	brr_ptr(12, PM_DNS_T_A, 4); b32(1);
	brr_ptr(12, PM_DNS_T_A, 4); b32(2);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 0);
	PM_CHECK_INT(m.err, PM_ERR_PROTO);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 0);
	PM_CHECK_INT(m.err, PM_ERR_PROTO);
	pm_dns_rewind(&m);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	/* 65535 of every count, nothing behind them. */
	bresp(0, 0xffff, 0xffff, 0xffff, PM_DNS_T_A);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), PM_ERR_PROTO);
	/* rdlength past the end, by one. */
	bresp(0, 1, 0, 0, PM_DNS_T_A);
	brr_ptr(12, PM_DNS_T_A, 5); b32(1);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), PM_ERR_PROTO);
	mlen++;
	msg[mlen - 1] = 0;
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), 1);
	/* A record header cut after the type. */
	bresp(0, 1, 0, 0, PM_DNS_T_A);
	b16(0xC00C); b16(1); b16(1);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), PM_ERR_PROTO);
	/* Extra bytes after the last record are ignored (as resolvers do). */
	bresp(0, 1, 0, 0, PM_DNS_T_A);
	brr_ptr(12, PM_DNS_T_A, 4); b32(1);
	b32(0xdeadbeef);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), 1);
	/* A CNAME whose data is not exactly one name. */
	bresp(0, 1, 0, 0, PM_DNS_T_A);
	brr_ptr(12, PM_DNS_T_CNAME, 4); b16(0xC00C); b16(0);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), PM_ERR_PROTO);
	bresp(0, 1, 0, 0, PM_DNS_T_A);
	brr_ptr(12, PM_DNS_T_CNAME, 1); b8(3);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(count_rrs(&m), PM_ERR_PROTO);
}

static void compression_pointers(void)
{
	uint8_t out[PM_DNS_NAME_MAX];
	size_t off, n, i;
	pm_dns_msg m;
	pm_dns_rr rr;

	/* A pointer to itself, forwards, past the end, to the byte after. */
	mlen = 0;
	b16(0xC000);
	off = 0;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	mlen = 0;
	b8(1); b8('a'); b16(0xC000);           /* "a" then back to itself */
	off = 0;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	mlen = 0;
	b16(0xC002); b8(0);                    /* forwards */
	off = 0;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	/* Two pointers pointing at each other, reached from a later name. */
	mlen = 0;
	b16(0xC002); b16(0xC000); b16(0xC002);
	off = 4;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	/* A pointer's second byte missing. */
	mlen = 0;
	b8(0); b8(0xC0);
	off = 1;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	/* Label types 01 and 10 (extended, EDNS0 bit labels): refused. */
	mlen = 0;
	b8(0x41); b8('a'); b8(0);
	off = 0;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	mlen = 0;
	b8(0x81); b8('a'); b8(0);
	off = 0;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	/* A label that runs past the end; a name without its root label. */
	mlen = 0;
	b8(5); b8('a'); b8('b');
	off = 0;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	mlen = 0;
	b8(1); b8('a');
	off = 0;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);

	/* A good chain of pointers: c -> b -> a, each backwards. */
	mlen = 0;
	b8(1); b8('a'); b8(0);                  /* 0: a. */
	b8(1); b8('b'); b16(0xC000);            /* 3: b.a. */
	b8(1); b8('c'); b16(0xC003);            /* 7: c.b.a. */
	off = 7;
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), 0);
	PM_CHECK_MEM(out, n, "\1c\1b\1a", 7);
	PM_CHECK_INT(off, 11);                  /* past the pointer, in place */

	/* Pointers backwards can still build a name over 255 bytes: five runs
	 * of a 63-byte label each pointing at the previous one. */
	mlen = 0;
	b8(0);                                  /* 0: root */
	for (i = 0; i < 5; i++) {
		size_t prev = i == 0 ? 0 : 1 + (i - 1) * 66;

		b8(63);
		memset(msg + mlen, 'x', 63);
		mlen += 63;
		b16(0xC000 | (unsigned)prev);
	}
	off = 1 + 3 * 66;                       /* four labels: 4*64+1 = 257 */
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), PM_ERR_PROTO);
	off = 1 + 2 * 66;                       /* three: 193 */
	PM_CHECK_INT(pm_dns_name_get(msg, mlen, &off, out, &n), 0);
	PM_CHECK_INT(n, 193);

	/* In a response: an answer whose owner loops is an error, not a hang. */
	setq("x.org");
	bresp(0, 1, 0, 0, PM_DNS_T_A);
	b8(1); b8('y'); b16(0xC000 | ((unsigned)mlen - 2)); b16(1); b16(1); b32(0); b16(4); b32(1);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 0);
	PM_CHECK_INT(m.err, PM_ERR_PROTO);
	/* ... and a question that is a pointer (nothing before it) too. */
	bhdr(0x4242, PM_DNS_F_QR, 1, 0, 0, 0);
	b16(0xC00C); b16(1); b16(1);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), PM_ERR_PROTO);
}

/* msg: a response for qn (A) with CNAMEs given as "owner>target" pairs,
 * then one A record for `final` (NULL: none). Owners and targets are
 * written out in full (no compression) to keep the builder simple. */
static void chain(const char *const *links, size_t nlinks, const char *final)
{
	uint8_t w[PM_DNS_NAME_MAX];
	size_t i, n;
	char owner[64], target[64];
	const char *gt;

	bresp(0, (unsigned)nlinks + (final != NULL), 0, 0, PM_DNS_T_A);
	for (i = 0; i < nlinks; i++) {
		gt = strchr(links[i], '>');
		snprintf(owner, sizeof owner, "%.*s", (int)(gt - links[i]), links[i]);
		snprintf(target, sizeof target, "%s", gt + 1);
		bname(owner);
		pm_dns_name(w, &n, target, strlen(target));
		b16(PM_DNS_T_CNAME); b16(1); b32(60); b16((unsigned)n);
		bytes(w, n);
	}
	if (final != NULL) {
		bname(final);
		b16(PM_DNS_T_A); b16(1); b32(60); b16(4); b8(10); b8(0); b8(0); b8(1);
	}
}

static void cname_chains(void)
{
	uint8_t out[PM_DNS_NAME_MAX];
	char t[300];
	pm_dns_msg m;
	unsigned hops;
	static const char *const shuffled[] = { "c.t>d.t", "A.T>b.t", "b.t>C.t" };
	static const char *const partial[] = { "b.t>c.t", "a.t>b.t" };
	static const char *const loop[] = { "a.t>b.t", "b.t>a.t" };
	static const char *const self[] = { "a.t>a.t" };
	static const char *const twice[] = { "a.t>b.t", "a.t>c.t" };
	static const char *const eight[] = { "a.t>b1.t", "b1.t>b2.t", "b2.t>b3.t",
		"b3.t>b4.t", "b4.t>b5.t", "b5.t>b6.t", "b6.t>b7.t", "b7.t>b8.t",
		"b8.t>b9.t" };

	setq("a.t");
	/* No CNAME: the name itself. */
	chain(NULL, 0, "a.t");
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), 0);
	PM_CHECK_INT(hops, 0);
	PM_CHECK(pm_dns_name_eq(out, qn));
	/* In any order, any case. */
	chain(shuffled, 3, "d.t");
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), 0);
	PM_CHECK_INT(hops, 3);
	pm_dns_name_text(t, sizeof t, out);
	PM_CHECK_STR(t, "d.t");
	/* A chain that stops at an alias with no data: the target, to ask. */
	chain(partial, 2, NULL);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), 0);
	PM_CHECK_INT(hops, 2);
	pm_dns_name_text(t, sizeof t, out);
	PM_CHECK_STR(t, "c.t");
	/* Eight links are followed, nine are not. */
	chain(eight, 8, "b8.t");
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), 0);
	PM_CHECK_INT(hops, 8);
	chain(eight, 9, "b9.t");
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), PM_ERR_PROTO);
	/* Loops. */
	chain(loop, 2, NULL);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), PM_ERR_PROTO);
	chain(self, 1, NULL);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), PM_ERR_PROTO);
	/* Two CNAMEs for one owner. */
	chain(twice, 2, NULL);
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), PM_ERR_PROTO);
	/* A malformed record after the chain stops it too. */
	chain(shuffled, 3, "d.t");
	msg[7] = 5;                                     /* one answer more */
	PM_CHECK_INT(parse(&m, PM_DNS_T_A), 0);
	PM_CHECK_INT(pm_dns_chase(&m, qn, out, &hops), PM_ERR_PROTO);
}

static void tlsa_records(void)
{
	pm_dns_msg m;
	pm_dns_rr rr;
	pm_dns_tlsa t;
	size_t i;

	PM_CHECK_INT(pm_dns_tlsa_name(qn, &qnl, 465, "mail.example.org", 16), 0);
	bresp(PM_DNS_F_AD, 2, 0, 0, PM_DNS_T_TLSA);
	brr_ptr(12, PM_DNS_T_TLSA, 3 + 32); b8(3); b8(1); b8(1);
	for (i = 0; i < 32; i++)
		b8((unsigned)i);
	brr_ptr(12, PM_DNS_T_TLSA, 3); b8(3); b8(1); b8(1);     /* no data */
	PM_CHECK_INT(parse(&m, PM_DNS_T_TLSA), 0);
	PM_CHECK(pm_dns_ad(&m));
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_tlsa_get(&rr, &t), 0);
	PM_CHECK_INT(t.usage, 3);
	PM_CHECK_INT(t.selector, 1);
	PM_CHECK_INT(t.mtype, 1);
	PM_CHECK_INT(t.len, 32);
	PM_CHECK_INT(t.data[31], 31);
	PM_CHECK_INT(pm_dns_next(&m, &rr), 1);
	PM_CHECK_INT(pm_dns_tlsa_get(&rr, &t), PM_ERR_PROTO);
	rr.type = PM_DNS_T_A;
	PM_CHECK_INT(pm_dns_tlsa_get(&rr, &t), PM_ERR_PROTO);
}

/* Everything a reader can do with a message, for the robustness loops:
 * must terminate and stay in bounds (ASan watches). */
static void read_all(const uint8_t *p, size_t len, unsigned type)
{
	uint8_t out[PM_DNS_NAME_MAX], a[16];
	pm_dns_msg m;
	pm_dns_rr rr;
	pm_dns_tlsa t;
	unsigned hops = 99;
	int r, guard = 0;

	if (pm_dns_response(&m, p, len, 0x4242, qn, (uint16_t)type) != 0)
		return;
	r = pm_dns_chase(&m, qn, out, &hops);
	if ((r != 0 && r != PM_ERR_PROTO) || (r == 0 && hops > PM_DNS_HOPS_MAX))
		pm_t_failed = 1;
	while (pm_dns_next(&m, &rr) && guard++ < 70000) {
		if (rr.rdoff + rr.rdlen > len || rr.rdata != p + rr.rdoff)
			pm_t_failed = 1;
		pm_dns_owner_is(&m, &rr, qn);
		pm_dns_addr(&rr, a);
		pm_dns_tlsa_get(&rr, &t);
	}
	if (m.err != 0 && m.err != PM_ERR_PROTO)
		pm_t_failed = 1;
}

static void every_prefix_and_byte(void)
{
	static const char *const links[] = { "a.example.org>b.example.org",
		"b.example.org>c.example.org" };
	uint8_t *copy;
	size_t len, i;
	unsigned v;

	setq("a.example.org");
	chain(links, 2, "c.example.org");
	/* compressed records too */
	msg[7] += 1;
	brr_ptr(12, PM_DNS_T_A, 4); b32(0x7f000001);
	len = mlen;
	for (i = 0; i <= len; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, msg, i);
		read_all(copy, i, PM_DNS_T_A);
		free(copy);
	}
	copy = malloc(len);
	for (i = 0; i < len; i++)
		for (v = 0; v < 256; v++) {
			memcpy(copy, msg, len);
			copy[i] = (uint8_t)v;
			read_all(copy, len, PM_DNS_T_A);
		}
	free(copy);
}

int main(void)
{
	PM_RUN(name_text_to_wire);
	PM_RUN(name_wire_to_text);
	PM_RUN(name_compare);
	PM_RUN(tlsa_name);
	PM_RUN(query_bytes);
	PM_RUN(response_header_checks);
	PM_RUN(answer_records);
	PM_RUN(counts_and_lengths);
	PM_RUN(compression_pointers);
	PM_RUN(cname_chains);
	PM_RUN(tlsa_records);
	PM_RUN(every_prefix_and_byte);
	free(heap);
	PM_TEST_MAIN();
}
