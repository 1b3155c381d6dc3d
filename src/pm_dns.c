/*
 * pm_dns.c — DNS message codec (see pm_dns.h).
 *
 * Every read is checked against the message length before it happens; the
 * message comes from the network and may be hostile. Compression pointers
 * must point before the start of the label run they interrupt: a pointer
 * can then only ever move backwards, so no loop can be built, and a name
 * still cannot grow past PM_DNS_NAME_MAX.
 */
#include <string.h>
#include "pm_dns.h"

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Length of a valid uncompressed wire-form name, or 0. */
static size_t wire_len(const uint8_t *name)
{
	size_t n = 0;

	while (name[n] != 0) {
		if (name[n] > PM_DNS_LABEL_MAX || n + 1 + name[n] + 1 > PM_DNS_NAME_MAX)
			return 0;
		n += 1u + name[n];
	}
	return n + 1;
}

int pm_dns_name(uint8_t out[PM_DNS_NAME_MAX], size_t *outlen,
	const char *text, size_t len)
{
	size_t i, n, lab = 0;
	uint8_t c;

	if (len == 1 && text[0] == '.') {
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	if (len > 0 && text[len - 1] == '.')
		len--;
	if (len == 0)
		return PM_ERR_BADARG;
	/* out[lab] is the length byte of the label being written. */
	out[0] = 0;
	n = 1;
	for (i = 0; i < len; i++) {
		c = (uint8_t)text[i];
		if (c == '.') {
			if (out[lab] == 0)
				return PM_ERR_BADARG;       /* empty label */
			lab = n++;
			out[lab] = 0;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return PM_ERR_BADARG;
		if (out[lab] == PM_DNS_LABEL_MAX || n + 1 >= PM_DNS_NAME_MAX)
			return PM_ERR_BADARG;
		out[n++] = c;
		out[lab]++;
	}
	if (out[lab] == 0)
		return PM_ERR_BADARG;
	out[n++] = 0;
	*outlen = n;
	return 0;
}

size_t pm_dns_name_text(char *out, size_t cap, const uint8_t *name)
{
	static const char digits[] = "0123456789";
	size_t n = 0, i, k;
	char esc[4];
	uint8_t c;
	size_t p = 0;

#define PUT(ch) do { if (n + 1 < cap) out[n] = (ch); n++; } while (0)
	if (wire_len(name) == 0) {
		PUT('?');
	} else if (name[0] == 0) {
		PUT('.');
	}
	while (wire_len(name) != 0 && name[p] != 0) {
		if (p != 0)
			PUT('.');
		for (i = 1; i <= name[p]; i++) {
			c = name[p + i];
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
				PUT((char)c);
				continue;
			}
			/* RFC 1035 5.1 style: \DDD, so a hostile label cannot
			 * forge a dot or a control character in a log line. */
			esc[0] = '\\';
			esc[1] = digits[c / 100];
			esc[2] = digits[c / 10 % 10];
			esc[3] = digits[c % 10];
			for (k = 0; k < 4; k++)
				PUT(esc[k]);
		}
		p += 1u + name[p];
	}
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
#undef PUT
	return n;
}

int pm_dns_tlsa_name(uint8_t out[PM_DNS_NAME_MAX], size_t *outlen,
	unsigned port, const char *host, size_t hostlen)
{
	char text[PM_DNS_TEXT_MAX + 2];
	char d[5];
	size_t n = 0, k = 0;

	if (port == 0 || port > 65535 || hostlen > PM_DNS_TEXT_MAX + 1)
		return PM_ERR_BADARG;
	text[n++] = '_';
	do {
		d[k++] = (char)('0' + port % 10);
		port /= 10;
	} while (port != 0);
	while (k > 0)
		text[n++] = d[--k];
	memcpy(text + n, "._tcp.", 6);
	n += 6;
	if (n + hostlen > sizeof text)
		return PM_ERR_BADARG;
	memcpy(text + n, host, hostlen);
	return pm_dns_name(out, outlen, text, n + hostlen);
}

int pm_dns_name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t n = wire_len(a), i;

	if (n == 0 || n != wire_len(b))
		return 0;
	for (i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

size_t pm_dns_query(uint8_t *buf, size_t cap, uint16_t id, unsigned flags,
	const uint8_t *qname, uint16_t qtype, uint16_t edns_size, int dnssec_ok)
{
	size_t qn = wire_len(qname);
	size_t need = PM_DNS_HDR + qn + 4 + (edns_size ? 11 : 0);
	uint8_t *p;

	if (qn == 0 || need > cap)
		return 0;
	put16(buf, id);
	put16(buf + 2, flags & (PM_DNS_F_RD | PM_DNS_F_AD | PM_DNS_F_CD));
	put16(buf + 4, 1);
	put16(buf + 6, 0);
	put16(buf + 8, 0);
	put16(buf + 10, edns_size ? 1 : 0);
	p = buf + PM_DNS_HDR;
	memcpy(p, qname, qn);
	p += qn;
	put16(p, qtype);
	put16(p + 2, PM_DNS_C_IN);
	p += 4;
	if (edns_size) {
		/* OPT (RFC 6891 6.1.2): root owner, class = payload size,
		 * TTL = extended rcode 0, version 0, flags (DO = 0x8000). */
		p[0] = 0;
		put16(p + 1, PM_DNS_T_OPT);
		put16(p + 3, edns_size < 512 ? 512 : edns_size);
		p[5] = 0;
		p[6] = 0;
		put16(p + 7, dnssec_ok ? 0x8000u : 0);
		put16(p + 9, 0);
	}
	return need;
}

int pm_dns_name_get(const uint8_t *msg, size_t len, size_t *off,
	uint8_t out[PM_DNS_NAME_MAX], size_t *outlen)
{
	size_t p = *off, start = *off, end = 0, n = 0, target;
	int jumped = 0;
	unsigned c;

	for (;;) {
		if (p >= len)
			return PM_ERR_PROTO;
		c = msg[p];
		if (c == 0)
			break;
		if ((c & 0xC0) == 0xC0) {
			if (p + 1 >= len)
				return PM_ERR_PROTO;
			target = (size_t)(c & 0x3F) << 8 | msg[p + 1];
			/* Strictly before the run we are in: always backwards. */
			if (target >= start)
				return PM_ERR_PROTO;
			if (!jumped)
				end = p + 2;
			jumped = 1;
			p = start = target;
			continue;
		}
		if (c > PM_DNS_LABEL_MAX)
			return PM_ERR_PROTO;    /* 0x40, 0x80: no such labels here */
		if (p + 1 + c > len || n + 1 + c + 1 > PM_DNS_NAME_MAX)
			return PM_ERR_PROTO;
		out[n] = (uint8_t)c;
		memcpy(out + n + 1, msg + p + 1, c);
		n += 1 + c;
		p += 1 + c;
	}
	out[n++] = 0;
	*outlen = n;
	*off = jumped ? end : p + 1;
	return 0;
}

int pm_dns_response(pm_dns_msg *m, const uint8_t *msg, size_t len,
	uint16_t id, const uint8_t *qname, uint16_t qtype)
{
	uint8_t name[PM_DNS_NAME_MAX];
	size_t nl, p = PM_DNS_HDR;
	unsigned i, rcode;

	memset(m, 0, sizeof *m);
	if (len < PM_DNS_HDR || get16(msg) != id)
		return PM_ERR_PROTO;
	m->msg = msg;
	m->len = len;
	m->id = id;
	m->flags = (uint16_t)get16(msg + 2);
	for (i = 0; i < 4; i++)
		m->count[i] = (uint16_t)get16(msg + 4 + 2 * i);
	if (!(m->flags & PM_DNS_F_QR) || PM_DNS_OPCODE(m->flags) != 0)
		return PM_ERR_PROTO;
	rcode = PM_DNS_RCODE(m->flags);
	if (m->count[0] == 0) {
		/* Only an error (or a truncation) may leave the question out. */
		if ((rcode == PM_DNS_NOERROR || rcode == PM_DNS_NXDOMAIN)
			&& !(m->flags & PM_DNS_F_TC))
			return PM_ERR_PROTO;
	} else if (m->count[0] == 1) {
		if (pm_dns_name_get(msg, len, &p, name, &nl) != 0
			|| !pm_dns_name_eq(name, qname) || p + 4 > len
			|| get16(msg + p) != qtype || get16(msg + p + 2) != PM_DNS_C_IN)
			return PM_ERR_PROTO;
		p += 4;
	} else {
		return PM_ERR_PROTO;
	}
	m->first = p;
	pm_dns_rewind(m);
	return 0;
}

void pm_dns_rewind(pm_dns_msg *m)
{
	m->err = 0;
	m->pos = m->first;
	m->section = PM_DNS_S_ANSWER;
	m->left = m->count[1];
}

int pm_dns_next(pm_dns_msg *m, pm_dns_rr *rr)
{
	uint8_t name[PM_DNS_NAME_MAX];
	size_t p, nl, q;

	if (m->err != 0)
		return 0;
	while (m->left == 0) {
		if (m->section >= PM_DNS_S_ADDITIONAL)
			return 0;
		m->section++;
		m->left = m->count[m->section];
	}
	p = m->pos;
	rr->section = m->section;
	rr->owner = p;
	if (pm_dns_name_get(m->msg, m->len, &p, name, &nl) != 0 || p + 10 > m->len)
		goto bad;
	rr->type = (uint16_t)get16(m->msg + p);
	rr->cls = (uint16_t)get16(m->msg + p + 2);
	rr->ttl = (uint32_t)get16(m->msg + p + 4) << 16 | get16(m->msg + p + 6);
	rr->rdlen = (uint16_t)get16(m->msg + p + 8);
	rr->rdoff = p + 10;
	if (rr->rdoff + rr->rdlen > m->len)
		goto bad;
	rr->rdata = m->msg + rr->rdoff;
	if (rr->type == PM_DNS_T_CNAME) {
		/* The target must be a name that fills the data exactly. */
		q = rr->rdoff;
		if (pm_dns_name_get(m->msg, m->len, &q, name, &nl) != 0
			|| q != rr->rdoff + rr->rdlen)
			goto bad;
	}
	m->pos = rr->rdoff + rr->rdlen;
	m->left--;
	return 1;
bad:
	m->err = PM_ERR_PROTO;
	return 0;
}

int pm_dns_owner_is(const pm_dns_msg *m, const pm_dns_rr *rr,
	const uint8_t *name)
{
	uint8_t own[PM_DNS_NAME_MAX];
	size_t p = rr->owner, nl;

	return pm_dns_name_get(m->msg, m->len, &p, own, &nl) == 0
		&& pm_dns_name_eq(own, name);
}

int pm_dns_chase(const pm_dns_msg *m, const uint8_t *qname,
	uint8_t out[PM_DNS_NAME_MAX], unsigned *hops)
{
	uint8_t cur[PM_DNS_NAME_MAX], next[PM_DNS_NAME_MAX];
	size_t n = wire_len(qname), q, nl;
	pm_dns_msg it;
	pm_dns_rr rr;
	unsigned h;
	int found;

	*hops = 0;
	if (n == 0)
		return PM_ERR_PROTO;
	memcpy(cur, qname, n);
	for (h = 0;; h++) {
		it = *m;
		pm_dns_rewind(&it);
		found = 0;
		while (pm_dns_next(&it, &rr) && rr.section == PM_DNS_S_ANSWER) {
			if (rr.type != PM_DNS_T_CNAME || rr.cls != PM_DNS_C_IN
				|| !pm_dns_owner_is(&it, &rr, cur))
				continue;
			if (found)
				return PM_ERR_PROTO;   /* two CNAMEs for one name */
			found = 1;
			q = rr.rdoff;
			if (pm_dns_name_get(it.msg, it.len, &q, next, &nl) != 0)
				return PM_ERR_PROTO;
		}
		if (it.err != 0)
			return PM_ERR_PROTO;
		if (!found)
			break;
		if (h == PM_DNS_HOPS_MAX)
			return PM_ERR_PROTO;       /* too long, or a loop */
		memcpy(cur, next, wire_len(next));
	}
	memcpy(out, cur, wire_len(cur));
	*hops = h;
	return 0;
}

int pm_dns_addr(const pm_dns_rr *rr, uint8_t addr[16])
{
	if (rr->cls != PM_DNS_C_IN
		|| !((rr->type == PM_DNS_T_A && rr->rdlen == 4)
			|| (rr->type == PM_DNS_T_AAAA && rr->rdlen == 16)))
		return PM_ERR_PROTO;
	memcpy(addr, rr->rdata, rr->rdlen);
	return 0;
}

int pm_dns_tlsa_get(const pm_dns_rr *rr, pm_dns_tlsa *t)
{
	if (rr->type != PM_DNS_T_TLSA || rr->cls != PM_DNS_C_IN || rr->rdlen < 4)
		return PM_ERR_PROTO;
	t->usage = rr->rdata[0];
	t->selector = rr->rdata[1];
	t->mtype = rr->rdata[2];
	t->data = rr->rdata + 3;
	t->len = rr->rdlen - 3u;
	return 0;
}
