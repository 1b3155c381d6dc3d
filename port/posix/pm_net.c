/*
 * pm_net.c — connect and pump (see pm_net.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "pm_net.h"
#include "pm_resolv.h"

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline (CLOCK_MONOTONIC ms); 0 when
 * ready (*revents says for what, if asked), PM_ERR_TIMEOUT or PM_ERR_NET. */
static int wait_until(int fd, short events, long long deadline, short *revents)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int n;

	do {
		left = deadline - now_ms();
		n = left <= 0 ? 0 : poll(&p, 1, left > 3600000 ? 3600000 : (int)left);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return PM_ERR_TIMEOUT;
	if (revents != NULL)
		*revents = p.revents;
	return n < 0 ? PM_ERR_NET : 0;
}

static int wait_fd(int fd, short events, unsigned timeout_s)
{
	return wait_until(fd, events, now_ms() + (long long)timeout_s * 1000, NULL);
}

static int try_connect(const struct sockaddr_storage *sa, unsigned timeout_s,
	int *err, char *errbuf, size_t errlen)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	socklen_t len = sa->ss_family == AF_INET6 ? sizeof *s6 : sizeof *s4;
	int fd, one = 1, soerr = 0;
	socklen_t sl = sizeof soerr;
	char addr[INET6_ADDRSTRLEN] = "?";

	inet_ntop(sa->ss_family, sa->ss_family == AF_INET6 ? (const void *)&s6->sin6_addr
		: (const void *)&s4->sin_addr, addr, sizeof addr);
	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(errbuf, errlen, "%s: %s", addr, strerror(errno));
		*err = PM_ERR_CONNECT;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)sa, len) != 0) {
		if (errno != EINPROGRESS) {
			soerr = errno;
		} else if ((*err = wait_fd(fd, POLLOUT, timeout_s)) != 0) {
			snprintf(errbuf, errlen, "%s: no answer within %u s", addr, timeout_s);
			close(fd);
			return -1;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
			soerr = errno;
		}
		if (soerr != 0) {
			snprintf(errbuf, errlen, "%s: %s", addr, strerror(soerr));
			*err = PM_ERR_CONNECT;
			close(fd);
			return -1;
		}
	}
	/* Commands leave in whole flights; never hold one back (Nagle). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

int pm_net_connect(const char *host, unsigned port, const char *dns_server,
	unsigned timeout_s, int verbose, int *err, char *errbuf, size_t errlen)
{
	struct sockaddr_storage addrs[PM_RESOLV_ADDR_MAX];
	size_t n = 0, i;
	int fd = -1, rc;

	/* Our own resolver: getaddrinfo allocates, and in a static glibc
	 * binary it needs NSS modules at run time. */
	rc = pm_resolve(host, port, dns_server, timeout_s, addrs,
		PM_RESOLV_ADDR_MAX, &n, errbuf, errlen);
	if (rc != 0) {
		*err = rc;
		if (verbose)
			fprintf(stderr, "pinmail: %s\n", errbuf);
		return -1;
	}
	for (i = 0; i < n && fd < 0; i++) {
		fd = try_connect(&addrs[i], timeout_s, err, errbuf, errlen);
		if (verbose)
			fprintf(stderr, "pinmail: %s%s\n", fd >= 0 ? "connected to " : "",
				fd >= 0 ? host : errbuf);
	}
	return fd;
}

void pm_net_pump(pm_session *s, int fd, unsigned timeout_s)
{
	long long deadline = now_ms() + (long long)timeout_s * 1000;
	unsigned long seen = s->app_out;
	unsigned f;
	unsigned char *buf;
	size_t len;
	ssize_t n;
	short ev;
	int err;

	/* The deadline moves only when bytes go out: the server must answer
	 * within timeout_s of what pinmail last sent, so a server that drips
	 * its reply a byte at a time cannot hold pinmail forever. */
	while (!((f = pm_session_step(s)) & PM_SESSION_DONE)) {
		if (!(f & (PM_SESSION_WANT_SEND | PM_SESSION_WANT_RECV))) {
			/* Neither side can move: a bug, not a hang. */
			pm_session_net_closed(s, PM_ERR_NET);
			continue;
		}
		/* Both at once while pipelined BDAT chunks stream out and
		 * their replies come back: reading keeps the server's replies
		 * from filling its buffers and stalling it (and so us). In
		 * the handshake, what is ready to go goes first (a server
		 * talking out of turn gets the ClientHello all the same). */
		if (!s->secure && (f & PM_SESSION_WANT_SEND))
			f &= ~PM_SESSION_WANT_RECV;
		err = wait_until(fd, (f & PM_SESSION_WANT_SEND ? POLLOUT : 0)
			| (f & PM_SESSION_WANT_RECV ? POLLIN : 0), deadline, &ev);
		if (err == 0 && (f & PM_SESSION_WANT_RECV)
			&& (ev & (POLLIN | POLLHUP | POLLERR))) {
			buf = pm_session_recvbuf(s, &len);
			do
				n = recv(fd, buf, len, 0);
			while (n < 0 && errno == EINTR);
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n > 0) {
				pm_session_recvack(s, (size_t)n);
				continue;
			}
			err = n == 0 ? 0 : PM_ERR_NET;
		} else if (err == 0) {
			buf = pm_session_sendbuf(s, &len);
			do
				n = send(fd, buf, len, MSG_NOSIGNAL);
			while (n < 0 && errno == EINTR);
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n > 0) {
				pm_session_sendack(s, (size_t)n);
				/* Only SMTP moves it: a server cannot buy time
				 * with handshakes. */
				if (s->app_out != seen) {
					seen = s->app_out;
					deadline = now_ms() + (long long)timeout_s * 1000;
				}
				continue;
			}
			err = PM_ERR_NET;
		}
		pm_session_net_closed(s, err);
	}
}
