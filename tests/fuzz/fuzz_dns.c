/*
 * fuzz_dns.c — the DNS codec (src/pm_dns.c) against arbitrary messages.
 *
 * Input: 1 byte of set-up, then a DNS message as a server would send it.
 *   byte 0  bits 0-1: the question the message is read against: its own
 *           (so the fuzzer gets past the question check and into the
 *           records), or A / AAAA / TLSA for "mail.example.org"
 *           bits 2-7: a cut (0: none; else the message is cut that many
 *           bytes short, as a truncated UDP read would be)
 * Checks: every function returns only its documented results; every
 * record lies inside the message; no name read from it is longer than
 * PM_DNS_NAME_MAX or holds a label over 63; CNAME chases end within
 * PM_DNS_HOPS_MAX; a name read back encodes to the same query the codec
 * would send; text names made from it parse back to the same name when
 * nothing in them needed escaping; reading never loops (libFuzzer's timeout).
 */
#include "fuzz_common.h"
#include "pm_dns.h"

/* A wire name as the codec hands them out: labels 1..63, root last, at
 * most PM_DNS_NAME_MAX bytes. */
static size_t valid_wire(const uint8_t *n, size_t len)
{
	size_t p = 0;

	while (p < len && n[p] != 0) {
		if (n[p] > PM_DNS_LABEL_MAX)
			return 0;
		p += 1u + n[p];
	}
	return p < len && p + 1 == len && len <= PM_DNS_NAME_MAX ? len : 0;
}

/* Text made from a name parses back to it, when every byte is one the
 * text form keeps as it is. */
static void text_round_trip(const uint8_t *name, size_t len)
{
	char text[4 * PM_DNS_NAME_MAX + 2];
	uint8_t back[PM_DNS_NAME_MAX];
	size_t tl, bl;

	tl = pm_dns_name_text(text, sizeof text, name);
	FZ_CHECK(tl < sizeof text && strlen(text) == tl);
	/* Escaped bytes (\DDD) are for reading only; pm_dns_name takes none. */
	if (memchr(text, '\\', tl) != NULL)
		return;
	FZ_CHECK(pm_dns_name(back, &bl, text, tl) == 0);
	FZ_CHECK(bl == len && pm_dns_name_eq(back, name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char host[] = "mail.example.org";
	static const uint16_t types[4] = { 0, PM_DNS_T_A, PM_DNS_T_AAAA, PM_DNS_T_TLSA };
	uint8_t qname[PM_DNS_NAME_MAX], name[PM_DNS_NAME_MAX], out[PM_DNS_NAME_MAX];
	uint8_t q[PM_DNS_QUERY_MAX], a[16], *msg;
	size_t len, qnl, nl, off, ql, records = 0;
	uint16_t id, qtype;
	unsigned hops, cut;
	pm_dns_msg m, m2;
	pm_dns_rr rr;
	pm_dns_tlsa t;
	int r;

	if (size < 1 || size > 65536 + 1)
		return 0;
	cut = data[0] >> 2;
	len = size - 1;
	len = cut < len ? len - cut : 0;
	/* An exact-size copy, so ASan sees a read one past the end. */
	msg = malloc(len ? len : 1);
	memcpy(msg, data + 1, len);
	id = len >= 2 ? (uint16_t)(msg[0] << 8 | msg[1]) : 0;

	if (types[data[0] & 3] == 0) {
		off = 12;
		if (len < 16 || pm_dns_name_get(msg, len, &off, qname, &qnl) != 0
			|| off + 4 > len) {
			free(msg);
			return 0;
		}
		qtype = (uint16_t)(msg[off] << 8 | msg[off + 1]);
	} else {
		FZ_CHECK(pm_dns_name(qname, &qnl, host, sizeof host - 1) == 0);
		qtype = types[data[0] & 3];
	}
	FZ_CHECK(valid_wire(qname, qnl) == qnl);
	text_round_trip(qname, qnl);

	r = pm_dns_response(&m, msg, len, id, qname, qtype);
	FZ_CHECK(r == 0 || r == PM_ERR_PROTO);
	if (r == 0) {
		FZ_CHECK(m.first <= len && m.first >= PM_DNS_HDR);
		/* The query the codec would send for this question, read as
		 * its own answer once QR is set, is accepted. */
		ql = pm_dns_query(q, sizeof q, id, PM_DNS_F_RD, qname, qtype, 0, 0);
		FZ_CHECK(ql > 0 && ql <= PM_DNS_QUERY_MAX);
		q[2] |= 0x80;
		FZ_CHECK(pm_dns_response(&m2, q, ql, id, qname, qtype) == 0);

		r = pm_dns_chase(&m, qname, out, &hops);
		FZ_CHECK(r == 0 || r == PM_ERR_PROTO);
		if (r == 0) {
			FZ_CHECK(hops <= PM_DNS_HOPS_MAX);
			FZ_CHECK(pm_dns_name_eq(out, out));   /* a valid name */
		}
		while (pm_dns_next(&m, &rr)) {
			records++;
			FZ_CHECK(rr.section >= PM_DNS_S_ANSWER
				&& rr.section <= PM_DNS_S_ADDITIONAL);
			FZ_CHECK(rr.rdoff + rr.rdlen <= len && rr.rdata == msg + rr.rdoff);
			FZ_CHECK(rr.owner >= m.first && rr.owner < rr.rdoff);
			off = rr.owner;
			FZ_CHECK(pm_dns_name_get(msg, len, &off, name, &nl) == 0);
			FZ_CHECK(valid_wire(name, nl) == nl && off + 10 == rr.rdoff);
			text_round_trip(name, nl);
			FZ_CHECK(pm_dns_owner_is(&m, &rr, name));
			if (pm_dns_addr(&rr, a) == 0)
				FZ_CHECK(rr.rdlen == (rr.type == PM_DNS_T_A ? 4 : 16));
			if (pm_dns_tlsa_get(&rr, &t) == 0)
				FZ_CHECK(t.len + 3 == rr.rdlen && t.data == rr.rdata + 3);
			if (rr.type == PM_DNS_T_CNAME) {
				off = rr.rdoff;
				FZ_CHECK(pm_dns_name_get(msg, len, &off, name, &nl) == 0);
				FZ_CHECK(off == rr.rdoff + rr.rdlen);
				FZ_CHECK(valid_wire(name, nl) == nl);
			}
		}
		FZ_CHECK(m.err == 0 || m.err == PM_ERR_PROTO);
		/* Every record has a header of 10 bytes and an owner of one. */
		FZ_CHECK(records * 11 <= len);
		FZ_CHECK(records <= (size_t)m.count[1] + m.count[2] + m.count[3]);
	}
	/* Names anywhere in the message: within bounds, never too long. */
	for (off = 0; off < len && off < 64; off++) {
		size_t o = off;

		if (pm_dns_name_get(msg, len, &o, name, &nl) == 0) {
			FZ_CHECK(valid_wire(name, nl) == nl && o > off && o <= len);
			text_round_trip(name, nl);
		}
	}
	free(msg);
	return 0;
}
