/*
 * resolve.c — a test driver for port/posix/pm_resolv.c: what pm_resolve
 * returns for a name, one address per line, so the end-to-end tests can
 * check the resolver against a real DNS server (and, cross-built, under
 * qemu-user). Not installed.
 *
 *   resolve [-s DNS_SERVER] [-r RESOLV_CONF] [-H HOSTS] [-P NS_PORT]
 *           [-t TIMEOUT] [-v] [-T TYPE] NAME [PORT]
 *
 * Prints "IP PORT" per address in the order to try, exit 0; or
 * "error: TEXT" with exit 2 (PM_ERR_RESOLVE) or 3 (PM_ERR_TIMEOUT).
 * -T TYPE sends one query of that numeric type (pm_resolv_query) and prints
 * "rcode N ad N answers N", then "tlsa U S M HEX" per TLSA record.
 * -v traces each step on stderr. Files default to an empty path (none
 * read) unless given, so the host's own configuration never leaks in.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pm_resolv.h"

static void tr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "resolve: %s\n", line);
}

static int query(const pm_resolv_opts *o, const char *server, const char *name,
	unsigned type, unsigned timeout)
{
	uint8_t resp[PM_RESOLV_MSG_MAX];
	char err[256];
	size_t len, i;
	pm_dns_msg m;
	pm_dns_rr rr;
	pm_dns_tlsa t;
	int rc, answers = 0;

	rc = pm_resolv_query(o, server, name, (uint16_t)type, PM_DNS_F_AD, timeout,
		resp, sizeof resp, &len, &m, err, sizeof err);
	if (rc != 0) {
		printf("error: %s\n", err);
		return rc == PM_ERR_TIMEOUT ? 3 : 2;
	}
	while (pm_dns_next(&m, &rr))
		if (rr.section == PM_DNS_S_ANSWER && rr.type == type)
			answers++;
	printf("rcode %u ad %d answers %d\n", PM_DNS_RCODE(m.flags), pm_dns_ad(&m),
		answers);
	pm_dns_rewind(&m);
	while (pm_dns_next(&m, &rr)) {
		if (rr.section != PM_DNS_S_ANSWER || pm_dns_tlsa_get(&rr, &t) != 0)
			continue;
		printf("tlsa %u %u %u ", t.usage, t.selector, t.mtype);
		for (i = 0; i < t.len; i++)
			printf("%02x", t.data[i]);
		printf("\n");
	}
	return m.err != 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	pm_resolv_opts o = { .hosts = "", .resolv_conf = "" };
	struct sockaddr_storage out[PM_RESOLV_ADDR_MAX];
	const char *server = NULL;
	unsigned timeout = 10, port = 465, type = 0;
	char err[256], ip[INET6_ADDRSTRLEN];
	size_t n, i;
	int c, rc;

	while ((c = getopt(argc, argv, "s:r:H:P:t:T:v")) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'r': o.resolv_conf = optarg; break;
		case 'H': o.hosts = optarg; break;
		case 'P': o.ns_port = (unsigned)atoi(optarg); break;
		case 't': timeout = (unsigned)atoi(optarg); break;
		case 'T': type = (unsigned)atoi(optarg); break;
		case 'v': o.trace = tr; break;
		default:
			fprintf(stderr, "usage: resolve [-s SERVERS] [-r RESOLV_CONF]"
				" [-H HOSTS] [-P NS_PORT] [-t S] [-T TYPE] [-v] NAME [PORT]\n");
			return 64;
		}
	}
	if (optind >= argc)
		return 64;
	if (optind + 1 < argc)
		port = (unsigned)atoi(argv[optind + 1]);
	if (type != 0)
		return query(&o, server, argv[optind], type, timeout);
	rc = pm_resolve_with(&o, argv[optind], port, server, timeout, out,
		PM_RESOLV_ADDR_MAX, &n, err, sizeof err);
	if (rc != 0) {
		printf("error: %s\n", err);
		return rc == PM_ERR_TIMEOUT ? 3 : 2;
	}
	for (i = 0; i < n; i++) {
		if (out[i].ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out[i];

			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
			printf("%s %u\n", ip, ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&out[i];

			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
			printf("%s %u\n", ip, ntohs(s4->sin_port));
		}
	}
	return 0;
}
