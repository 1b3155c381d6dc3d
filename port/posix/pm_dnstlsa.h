/*
 * pm_dnstlsa.h — "tlsa dns": the server's TLSA records from DNS (RFC 6698,
 * RFC 7672 as for SMTP), for _PORT._tcp.HOST.
 *
 * The answer counts only if the resolver marked it authentic (the AD bit):
 * the resolver must be a DNSSEC-validating one the host trusts, reached
 * over a trusted path (a local one, as Postfix requires too). No records,
 * an insecure or bogus answer, SERVFAIL or a timeout: no pins, and the
 * caller fails closed (or uses the configured tlsa lines, and says so).
 */
#ifndef PM_DNSTLSA_H
#define PM_DNSTLSA_H

#include <stddef.h>
#include "pm_dane.h"

#define PM_DNSTLSA_POOL 8192    /* the records' data, together */

/* Look the records up. 0 with *n >= 1 usable records in recs, sorted
 * (usage, selector, type, data: the same set is the same list, whatever
 * order DNS gave), their data in a static pool valid until the next call;
 * else an error (the why names what DNS said) and *n = 0. */
int pm_dns_tlsa_lookup(const char *host, unsigned port, const char *dns_server,
	unsigned timeout_s, pm_tlsa *recs, size_t max, size_t *n,
	char *why, size_t cap);

#endif /* PM_DNSTLSA_H */
