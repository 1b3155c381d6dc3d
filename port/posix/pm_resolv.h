/*
 * pm_resolv.h — a stub resolver for the Linux binary that works in a static
 * binary with any libc: no getaddrinfo, no NSS, no allocation.
 *
 * A host name is looked up in /etc/hosts first, then asked of the
 * nameservers of /etc/resolv.conf (or of a dns_server setting) over UDP,
 * with random query IDs and source ports (getrandom), retries, TCP when an
 * answer is truncated, and CNAME chains followed. A and AAAA are asked
 * together. Every wait ends within the caller's timeout. The DNS messages
 * themselves are built and checked by the core's codec (src/pm_dns.h).
 *
 * Results are sockaddrs in the order to try: usable destinations first
 * (a UDP connect() tells, as RFC 6724's rule 1 wants), then by RFC 6724's
 * default precedence, IPv6 and IPv4 interleaved (RFC 8305 4), the
 * resolver's order kept otherwise. IP literals ("192.0.2.1", "2001:db8::1",
 * "[2001:db8::1]", "fe80::1%eth0") are taken as they are, without DNS.
 */
#ifndef PM_RESOLV_H
#define PM_RESOLV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "pm_dns.h"
#include "pm_err.h"

/* Nameservers used from resolv.conf or dns_server (glibc's MAXNS). */
#define PM_RESOLV_NS_MAX 3
/* Addresses kept per lookup, before the caller's own limit. */
#define PM_RESOLV_ADDR_MAX 16
/* A response read over TCP is kept up to this size; the records that fit
 * are used (a few hundred addresses' worth). Stack bytes, twice. */
#define PM_RESOLV_MSG_MAX 4096

/*
 * Resolve host and give up to `max` addresses (port set) in out[], the
 * count in *n. dns_server: NULL (or "") to use /etc/resolv.conf, else up to
 * PM_RESOLV_NS_MAX servers separated by spaces or commas, each "IP",
 * "IPv4:PORT", "[IPv6]" or "[IPv6]:PORT"; with it, names are taken as they
 * are (resolv.conf's search list is not applied). /etc/hosts is read in
 * both cases. Everything ends within timeout_s seconds.
 *
 * Returns 0 (*n >= 1), PM_ERR_RESOLVE (no such name, no address, a server
 * failure such as SERVFAIL or REFUSED, a malformed answer, a bad name or
 * dns_server) or PM_ERR_TIMEOUT (no server answered in time); errbuf then
 * holds one line saying what happened. Nothing is kept.
 */
int pm_resolve(const char *host, unsigned port, const char *dns_server,
	unsigned timeout_s, struct sockaddr_storage *out, size_t max, size_t *n,
	char *errbuf, size_t errlen);

/* Where pm_resolve_with looks, and who hears what it does. A NULL struct
 * or NULL/0 fields mean the defaults. */
typedef struct {
	const char *hosts;        /* "/etc/hosts"; "" reads none */
	const char *resolv_conf;  /* "/etc/resolv.conf"; "" reads none */
	unsigned ns_port;         /* port of resolv.conf's nameservers: 53 */
	/* One line per step (query sent, truncation, alias followed...),
	 * valid only during the call. */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
} pm_resolv_opts;

/* pm_resolve with other files, a trace, or another nameserver port. */
int pm_resolve_with(const pm_resolv_opts *o, const char *host, unsigned port,
	const char *dns_server, unsigned timeout_s, struct sockaddr_storage *out,
	size_t max, size_t *n, char *errbuf, size_t errlen);

/*
 * One query of any type (TLSA for pins looked up in DNS, later): asks the
 * servers as pm_resolve does, no hosts file, no search list. flags may
 * hold PM_DNS_F_AD (ask a validating resolver to say whether it validated)
 * and PM_DNS_F_CD. On 0, resp[0..*len) holds a NOERROR or NXDOMAIN answer
 * and *m reads it (its rcode, pm_dns_ad(m), the records). Returns as
 * pm_resolve does.
 */
int pm_resolv_query(const pm_resolv_opts *o, const char *dns_server,
	const char *name, uint16_t qtype, unsigned flags, unsigned timeout_s,
	uint8_t *resp, size_t cap, size_t *len, pm_dns_msg *m,
	char *errbuf, size_t errlen);

/* Check a dns_server value as pm_resolve will read it (for the
 * configuration parser): 0, or PM_ERR_BADARG with errbuf saying why. */
int pm_resolv_check_servers(const char *dns_server, char *errbuf, size_t errlen);

#endif /* PM_RESOLV_H */
