/*
 * pm_dnstlsa.c — TLSA records from a validating resolver (see pm_dnstlsa.h).
 */
#include <stdio.h>
#include <string.h>
#include "pm_dns.h"
#include "pm_dnstlsa.h"
#include "pm_err.h"
#include "pm_resolv.h"

static uint8_t resp[PM_RESOLV_MSG_MAX];
static uint8_t pool[PM_DNSTLSA_POOL];

/* Records in a fixed order (usage, selector, type, data): DNS servers
 * shuffle them, and a resumable TLS session is bound to the pin set in
 * order. */
static int before(const pm_tlsa *a, const pm_tlsa *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (a->usage != b->usage)
		return a->usage < b->usage;
	if (a->selector != b->selector)
		return a->selector < b->selector;
	if (a->mtype != b->mtype)
		return a->mtype < b->mtype;
	c = memcmp(a->data, b->data, n);
	return c != 0 ? c < 0 : a->len < b->len;
}

static void sort(pm_tlsa *r, size_t n)
{
	pm_tlsa t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = r[i];
		for (j = i; j > 0 && before(&t, &r[j - 1]); j--)
			r[j] = r[j - 1];
		r[j] = t;
	}
}

int pm_dns_tlsa_lookup(const char *host, unsigned port, const char *dns_server,
	unsigned timeout_s, pm_tlsa *recs, size_t max, size_t *n,
	char *why, size_t cap)
{
	pm_resolv_opts o;
	pm_dns_msg m;
	pm_dns_rr rr;
	pm_dns_tlsa t;
	char name[300];
	uint8_t qname[PM_DNS_NAME_MAX], target[PM_DNS_NAME_MAX];
	size_t len, qlen, used = 0, skipped = 0;
	unsigned hops;
	int err;

	*n = 0;
	snprintf(name, sizeof name, "_%u._tcp.%s", port, host);
	if (pm_dns_name(qname, &qlen, name, strlen(name)) != 0) {
		snprintf(why, cap, "%s is not a DNS name", name);
		return PM_ERR_RESOLVE;
	}
	memset(&o, 0, sizeof o);
	/* AD in the query asks the resolver to say whether it validated
	 * (RFC 6840 5.7); no hosts file, no search list. */
	err = pm_resolv_query(&o, dns_server, name, PM_DNS_T_TLSA, PM_DNS_F_AD,
		timeout_s, resp, sizeof resp, &len, &m, why, cap);
	if (err != 0)
		return err;
	if (!pm_dns_ad(&m)) {
		snprintf(why, cap, "the answer for %s TLSA is not authenticated"
			" (no AD bit: an unsigned zone, or a resolver that does not"
			" validate)", name);
		return PM_ERR_RESOLVE;
	}
	if (PM_DNS_RCODE(m.flags) == PM_DNS_NXDOMAIN) {
		snprintf(why, cap, "%s does not exist (NXDOMAIN, authenticated)", name);
		return PM_ERR_RESOLVE;
	}
	if (pm_dns_chase(&m, qname, target, &hops) != 0) {
		snprintf(why, cap, "malformed answer for %s TLSA", name);
		return PM_ERR_PROTO;
	}
	pm_dns_rewind(&m);
	while (*n < max && pm_dns_next(&m, &rr)) {
		if (rr.section != PM_DNS_S_ANSWER || rr.type != PM_DNS_T_TLSA
			|| !pm_dns_owner_is(&m, &rr, target)
			|| pm_dns_tlsa_get(&rr, &t) != 0)
			continue;
		if (t.len > sizeof pool - used || t.len > 0xffff) {
			skipped++;
			continue;
		}
		memcpy(pool + used, t.data, t.len);
		recs[*n].usage = t.usage;
		recs[*n].selector = t.selector;
		recs[*n].mtype = t.mtype;
		recs[*n].len = (uint16_t)t.len;
		recs[*n].data = pool + used;
		if (pm_tlsa_unusable(&recs[*n]) != NULL) {
			skipped++;
			continue;
		}
		used += t.len;
		(*n)++;
	}
	if (m.err != 0) {
		*n = 0;
		snprintf(why, cap, "malformed answer for %s TLSA", name);
		return PM_ERR_PROTO;
	}
	if (*n == 0) {
		snprintf(why, cap, "no usable TLSA record at %s (%zu unusable)", name, skipped);
		return PM_ERR_RESOLVE;
	}
	sort(recs, *n);
	return 0;
}
