/*
 * pm_net.h — sockets for the Linux binary: connect with a timeout, and the
 * blocking pump that drives a pm_session over one socket.
 */
#ifndef PM_NET_H
#define PM_NET_H

#include "pm_session.h"

/* Resolve host with pm_resolve (dns_server: NULL for /etc/resolv.conf)
 * and connect to the first address (IPv6 and IPv4, in the resolver's
 * order) that accepts within timeout_s seconds each. Returns a socket, or
 * -1 with *err set to PM_ERR_RESOLVE, PM_ERR_CONNECT or PM_ERR_TIMEOUT and
 * errbuf describing the last failure. With verbose set, each attempt is
 * reported on stderr. */
int pm_net_connect(const char *host, unsigned port, const char *dns_server,
	unsigned timeout_s, int verbose, int *err, char *errbuf, size_t errlen);

/* Drive the session over fd until it is done. The server must answer
 * within timeout_s of the last bytes pinmail sent (a reply dripped slowly
 * does not extend it), and each send must progress within timeout_s.
 * Flushes pending output before reading, as BearSSL requires. */
void pm_net_pump(pm_session *s, int fd, unsigned timeout_s);

#endif /* PM_NET_H */
