/*
 * pm_resolv.c — the stub resolver (see pm_resolv.h).
 *
 * Why not getaddrinfo: in a static glibc binary it needs NSS modules at run
 * time, and it allocates; pinmail allocates nothing. So the files are read
 * with open/read a line at a time into a fixed buffer, messages go through
 * the core's codec, and every buffer is on the stack with a fixed size.
 *
 * What it copies from the libc resolvers it replaces: /etc/hosts before
 * DNS; resolv.conf's nameserver (3), search/domain, options ndots, timeout
 * and attempts with glibc's defaults (1, 5 s, 2); A and AAAA sent together
 * on one socket; servers tried in turn, each attempt round again; TCP when
 * the UDP answer is truncated. What it adds: every query gets a fresh
 * random ID and a fresh socket bound to a random source port (RFC 5452),
 * answers must echo the exact question from the address we asked (a
 * connected socket), CNAME chains left unfinished by an authoritative-only
 * server are followed with new queries, and one deadline covers it all.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "pm_resolv.h"

#define SEARCH_MAX   6        /* domains in the search list (glibc) */
#define SEARCH_CHARS 256      /* their total length (glibc) */
#define LINE_BUF     1024     /* longest hosts or resolv.conf line used */
#define TRY_DEFAULT  5        /* seconds per query attempt (glibc, musl) */
#define ATTEMPTS_DEFAULT 2

struct server {
	struct sockaddr_storage sa;
	socklen_t len;
	int failed;               /* for the name being asked: said SERVFAIL,
	                           * REFUSED..., or cannot be reached */
	char text[INET6_ADDRSTRLEN + 20];
};

struct addr {
	int family;
	uint8_t a[16];
	uint32_t scope;
};

struct alist {
	struct addr v[PM_RESOLV_ADDR_MAX];
	size_t n;
};

enum { Q_IDLE, Q_PENDING, Q_DONE };

struct query {
	uint8_t name[PM_DNS_NAME_MAX];
	uint16_t type;
	uint16_t id;
	unsigned flags;           /* extra header flags (AD, CD) */
	int state;
	int asked;                /* sent on the current socket */
	unsigned hops;            /* CNAME links followed so far */
	size_t len;
	pm_dns_msg m;             /* reads resp once Q_DONE */
	uint8_t resp[PM_RESOLV_MSG_MAX];
};

struct ctx {
	const pm_resolv_opts *o;
	struct server ns[PM_RESOLV_NS_MAX];
	unsigned nns;
	char search[SEARCH_CHARS];    /* domains, each NUL-terminated */
	unsigned nsearch;
	unsigned ndots, try_s, attempts;  /* as resolv.conf says */
	long long try_ms;             /* one attempt's wait, ms */
	long long deadline;           /* CLOCK_MONOTONIC, ms */
	unsigned timeout_s;
	/* What went wrong, for the one error line. */
	char srvfail[160];            /* first server failure */
	char silent[80];              /* first server that did not answer */
	int timed_out;
	int proto;                    /* a malformed or looping answer */
	int nxdomain;                 /* some name did not exist */
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void trace(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void trace(const struct ctx *c, const char *fmt, ...)
{
	char line[400];
	va_list ap;

	if (c->o == NULL || c->o->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	c->o->trace(c->o->trace_ctx, line);
}

static int random_bytes(void *p, size_t n)
{
	ssize_t r;
	int fd;

	do
		r = getrandom(p, n, 0);
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)n)
		return 0;
	/* Kernels before 3.17 have no getrandom. */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	close(fd);
	return r == (ssize_t)n ? 0 : -1;
}

static int wait_fd(int fd, short events, long long until)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int n;

	/* Past the time, still look once: what already arrived counts. */
	do {
		left = until - now_ms();
		n = poll(&p, 1, left <= 0 ? 0 : left > 3600000 ? 3600000 : (int)left);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return PM_ERR_TIMEOUT;
	return n < 0 ? PM_ERR_NET : 0;
}

/* --- addresses ------------------------------------------------------------ */

static void sa_text(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

static socklen_t to_sa(const struct addr *a, unsigned port,
	struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof *sa);
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a->a, 16);
		s6->sin6_scope_id = a->scope;
		return sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, a->a, 4);
		return sizeof *s4;
	}
}

static void add_addr(struct alist *l, int family, const uint8_t *a,
	uint32_t scope)
{
	size_t i, n = family == AF_INET6 ? 16 : 4;

	for (i = 0; i < l->n; i++)
		if (l->v[i].family == family && memcmp(l->v[i].a, a, n) == 0
			&& l->v[i].scope == scope)
			return;
	if (l->n == PM_RESOLV_ADDR_MAX)
		return;
	l->v[l->n].family = family;
	memset(l->v[l->n].a, 0, sizeof l->v[l->n].a);
	memcpy(l->v[l->n].a, a, n);
	l->v[l->n].scope = scope;
	l->n++;
}

/* An IP address literal: IPv4 dotted quad, IPv6 with an optional %scope
 * (interface name or number), with or without brackets. */
static int parse_ip(const char *s, size_t len, struct addr *a)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 4];
	char *pct;
	unsigned long v;
	char *end;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, buf, a->a) == 1) {
		a->family = AF_INET;
		return 0;
	}
	pct = strchr(buf, '%');
	if (pct != NULL)
		*pct++ = '\0';
	if (inet_pton(AF_INET6, buf, a->a) != 1)
		return -1;
	a->family = AF_INET6;
	if (pct != NULL) {
		if (*pct == '\0')
			return -1;
		v = strtoul(pct, &end, 10);
		if (*end != '\0')
			v = if_nametoindex(pct);
		if (v == 0 || v > 0xffffffffUL)
			return -1;
		a->scope = (uint32_t)v;
	}
	return 0;
}

/* RFC 6724 2.1's default policy table: precedence of a destination. */
static int precedence(const struct addr *a)
{
	static const uint8_t v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
	static const uint8_t zero[12];
	static const uint8_t loop[16] = { 0,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,1 };
	const uint8_t *b = a->a;

	if (a->family == AF_INET || memcmp(b, v4mapped, 12) == 0)
		return 35;
	if (memcmp(b, loop, 16) == 0)
		return 50;
	if (b[0] == 0x20 && b[1] == 0x02)
		return 30;                      /* 6to4 */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		return 5;                       /* Teredo */
	if ((b[0] & 0xfe) == 0xfc)
		return 3;                       /* ULA */
	if (memcmp(b, zero, 12) == 0 || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		|| (b[0] == 0x3f && b[1] == 0xfe))
		return 1;                       /* compatible, site-local, 6bone */
	return 40;
}

/* RFC 6724 rule 1: a destination this host has no route to goes last.
 * connect() on a UDP socket sends nothing; it only picks a route. */
static int usable(const struct addr *a)
{
	struct sockaddr_storage sa;
	socklen_t len = to_sa(a, 9, &sa);
	int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, len) == 0;
	close(fd);
	return ok;
}

/* Order l for connecting: usable first, then by precedence (stable), then
 * IPv6 and IPv4 alternate among the usable ones, the first family first. */
static size_t order(const struct alist *l, unsigned port,
	struct sockaddr_storage *out, size_t max)
{
	int key[PM_RESOLV_ADDR_MAX], k;
	size_t idx[PM_RESOLV_ADDR_MAX], i, j, t, n = 0, nu = 0;
	int taken[PM_RESOLV_ADDR_MAX] = { 0 }, fam;

	for (i = 0; i < l->n; i++) {
		idx[i] = i;
		key[i] = (usable(&l->v[i]) ? 100 : 0) + precedence(&l->v[i]);
		if (key[i] >= 100)
			nu++;
	}
	for (i = 1; i < l->n; i++) {            /* insertion sort: stable */
		t = idx[i];
		k = key[t];
		for (j = i; j > 0 && key[idx[j - 1]] < k; j--)
			idx[j] = idx[j - 1];
		idx[j] = t;
	}
	fam = nu > 0 ? l->v[idx[0]].family : 0;
	while (n < nu && n < max) {
		/* The next usable address of the wanted family, else any. */
		for (i = 0; i < nu && (taken[i] || l->v[idx[i]].family != fam); i++)
			;
		if (i == nu)
			for (i = 0; taken[i]; i++)
				;
		taken[i] = 1;
		to_sa(&l->v[idx[i]], port, &out[n++]);
		fam = l->v[idx[i]].family == AF_INET6 ? AF_INET : AF_INET6;
	}
	for (i = nu; i < l->n && n < max; i++)
		to_sa(&l->v[idx[i]], port, &out[n++]);
	return n;
}

/* --- files, a line at a time ------------------------------------------------ */

struct reader {
	int fd;
	size_t len, pos;
	int eof, skip;
	char buf[LINE_BUF + 1];
};

/* The next line without its newline, NUL-terminated, in r->buf. A line
 * longer than LINE_BUF is skipped whole. Returns 1, or 0 at the end. */
static int next_line(struct reader *r, char **line)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		if (nl != NULL) {
			*nl = '\0';
			*line = r->buf + r->pos;
			r->pos = (size_t)(nl - r->buf) + 1;
			if (r->skip) {
				r->skip = 0;
				continue;
			}
			return 1;
		}
		if (r->eof) {
			if (r->pos < r->len && !r->skip) {
				r->buf[r->len] = '\0';
				*line = r->buf + r->pos;
				r->pos = r->len;
				return 1;
			}
			return 0;
		}
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
		if (r->len == LINE_BUF) {       /* no newline in a full buffer */
			r->skip = 1;
			r->len = 0;
		}
		do
			n = read(r->fd, r->buf + r->len, LINE_BUF - r->len);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			r->eof = 1;
		else
			r->len += (size_t)n;
	}
}

static int open_reader(struct reader *r, const char *path)
{
	memset(r, 0, sizeof *r);
	if (path == NULL || path[0] == '\0')
		return -1;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	return r->fd < 0 ? -1 : 0;
}

/* Split a line into blank-separated words, in place; '#' and ';' start a
 * comment. Returns how many (at most max). */
static size_t words(char *s, char **w, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\0' || *s == '#' || *s == ';' || n == max)
			return n;
		w[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

static int same_name(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x == '\0' || x != y)
			return 0;
	}
	return a[blen] == '\0' || (a[blen] == '.' && a[blen + 1] == '\0');
}

/* Every address /etc/hosts gives the name (all lines, as glibc does for
 * an unspecified family). */
static void read_hosts(const char *path, const char *name, size_t nlen,
	struct alist *l)
{
	struct reader r;
	char *line, *w[16];
	size_t n, i;
	struct addr a;

	if (open_reader(&r, path) != 0)
		return;
	while (next_line(&r, &line)) {
		n = words(line, w, 16);
		if (n < 2 || parse_ip(w[0], strlen(w[0]), &a) != 0)
			continue;
		for (i = 1; i < n; i++)
			if (same_name(w[i], name, nlen)) {
				add_addr(l, a.family, a.a, a.scope);
				break;
			}
	}
	close(r.fd);
}

static int set_server(struct server *s, const struct addr *a, unsigned port)
{
	memset(s, 0, sizeof *s);
	s->len = to_sa(a, port, &s->sa);
	sa_text(&s->sa, s->text, sizeof s->text);
	return 0;
}

static int parse_port(const char *s, size_t len, unsigned *port)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

/* One dns_server entry: "IP", "IPv4:PORT", "[IPv6]" or "[IPv6]:PORT". */
static int parse_server(const char *s, size_t len, struct server *out)
{
	const char *colon = NULL, *rb;
	unsigned port = 53, ncolon = 0;
	size_t i, alen = len;
	struct addr a;

	if (len > 0 && s[0] == '[') {
		rb = memchr(s, ']', len);
		if (rb == NULL)
			return -1;
		alen = (size_t)(rb - s) + 1;
		if (alen < len && (s[alen] != ':'
			|| parse_port(s + alen + 1, len - alen - 1, &port) != 0))
			return -1;
	} else {
		for (i = 0; i < len; i++)
			if (s[i] == ':') {
				ncolon++;
				colon = s + i;
			}
		if (ncolon == 1) {
			alen = (size_t)(colon - s);
			if (parse_port(colon + 1, len - alen - 1, &port) != 0)
				return -1;
		}
	}
	if (parse_ip(s, alen, &a) != 0)
		return -1;
	return set_server(out, &a, port);
}

static int parse_servers(const char *list, struct server *ns, unsigned *nns,
	char *errbuf, size_t errlen)
{
	const char *p = list, *e;

	*nns = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t' && *e != ','; e++)
			;
		if (*nns == PM_RESOLV_NS_MAX) {
			snprintf(errbuf, errlen, "dns_server: at most %d servers",
				PM_RESOLV_NS_MAX);
			return PM_ERR_BADARG;
		}
		if (parse_server(p, (size_t)(e - p), &ns[*nns]) != 0) {
			snprintf(errbuf, errlen, "dns_server: \"%.*s\" is not an IP"
				" address, IPv4:PORT or [IPv6]:PORT", (int)(e - p > 60 ? 60 : e - p), p);
			return PM_ERR_BADARG;
		}
		(*nns)++;
		p = e;
	}
	if (*nns == 0) {
		snprintf(errbuf, errlen, "dns_server: no server given");
		return PM_ERR_BADARG;
	}
	return 0;
}

int pm_resolv_check_servers(const char *dns_server, char *errbuf, size_t errlen)
{
	struct server ns[PM_RESOLV_NS_MAX];
	unsigned n;

	return parse_servers(dns_server, ns, &n, errbuf, errlen);
}

static unsigned option(const char *w, const char *key, unsigned cur,
	unsigned max)
{
	size_t k = strlen(key);
	unsigned long v;
	char *end;

	if (strncmp(w, key, k) != 0 || w[k] != ':')
		return cur;
	v = strtoul(w + k + 1, &end, 10);
	if (*end != '\0' || end == w + k + 1)
		return cur;
	return v > max ? max : (unsigned)v;
}

static void read_resolv_conf(struct ctx *c, const char *path, unsigned port,
	int want_servers)
{
	struct reader r;
	char *line, *w[SEARCH_MAX + 1];
	size_t n, i, len, used;
	struct addr a;

	if (open_reader(&r, path) != 0)
		return;
	while (next_line(&r, &line)) {
		n = words(line, w, SEARCH_MAX + 1);
		if (n >= 2 && strcmp(w[0], "nameserver") == 0) {
			if (want_servers && c->nns < PM_RESOLV_NS_MAX
				&& parse_ip(w[1], strlen(w[1]), &a) == 0)
				set_server(&c->ns[c->nns++], &a, port);
		} else if (n >= 2 && (strcmp(w[0], "search") == 0
			|| strcmp(w[0], "domain") == 0)) {
			/* The last search or domain line wins (glibc). */
			c->nsearch = 0;
			used = 0;
			for (i = 1; i < n && c->nsearch < SEARCH_MAX; i++) {
				len = strlen(w[i]);
				while (len > 0 && w[i][len - 1] == '.')
					len--;
				if (len == 0 || used + len + 1 > SEARCH_CHARS)
					continue;
				memcpy(c->search + used, w[i], len);
				c->search[used + len] = '\0';
				used += len + 1;
				c->nsearch++;
			}
		} else if (n >= 2 && strcmp(w[0], "options") == 0) {
			for (i = 1; i < n; i++) {
				c->ndots = option(w[i], "ndots", c->ndots, 15);
				c->try_s = option(w[i], "timeout", c->try_s, 30);
				c->attempts = option(w[i], "attempts", c->attempts, 5);
			}
		}
	}
	close(r.fd);
	if (c->try_s == 0)
		c->try_s = 1;
	if (c->attempts == 0)
		c->attempts = 1;
}

/* --- one exchange with one server ---------------------------------------- */

static uint16_t random16(void)
{
	uint16_t v = 0;

	random_bytes(&v, sizeof v);
	return v;
}

static void server_failed(struct ctx *c, unsigned si, const char *what)
{
	c->ns[si].failed = 1;
	if (c->srvfail[0] == '\0')
		snprintf(c->srvfail, sizeof c->srvfail, "%s from %s", what,
			c->ns[si].text);
	trace(c, "%s: %s", c->ns[si].text, what);
}

static const char *rcode_name(unsigned rc)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
		"NXDOMAIN", "NOTIMP", "REFUSED" };

	return rc < 6 ? names[rc] : "an unknown error code";
}

/* A response for q arrived (checked against its question): keep it, or
 * note what the server said. */
static void answered(struct ctx *c, unsigned si, struct query *q,
	const uint8_t *msg, size_t len)
{
	unsigned rc;

	if (pm_dns_response(&q->m, msg, len, q->id, q->name, q->type) != 0)
		return;
	rc = PM_DNS_RCODE(q->m.flags);
	if (rc != PM_DNS_NOERROR && rc != PM_DNS_NXDOMAIN) {
		server_failed(c, si, rcode_name(rc));
		return;
	}
	if (msg != q->resp)
		memcpy(q->resp, msg, len);
	q->len = len;
	pm_dns_response(&q->m, q->resp, q->len, q->id, q->name, q->type);
	q->state = Q_DONE;
}

static int send_all(int fd, const uint8_t *p, size_t len, long long until)
{
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, until) != 0)
			return -1;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t len, long long until)
{
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLIN, until) != 0)
			return -1;
		n = recv(fd, p, len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The same question over TCP (RFC 7766), after a truncated UDP answer. */
static void tcp_query(struct ctx *c, unsigned si, struct query *q)
{
	uint8_t pkt[2 + PM_DNS_QUERY_MAX], hdr[2];
	long long until = now_ms() + c->try_ms;
	struct server *s = &c->ns[si];
	size_t qlen, rlen;
	int fd, soerr = 0;
	socklen_t sl = sizeof soerr;

	if (until > c->deadline)
		until = c->deadline;
	q->id = random16();
	qlen = pm_dns_query(pkt + 2, sizeof pkt - 2, q->id, PM_DNS_F_RD | q->flags,
		q->name, q->type, 0, 0);
	pkt[0] = (uint8_t)(qlen >> 8);
	pkt[1] = (uint8_t)qlen;
	trace(c, "%s: truncated, asking again over TCP", s->text);
	fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		server_failed(c, si, "no TCP socket");
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->sa, s->len) != 0) {
		if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, until) != 0
			|| getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0
			|| soerr != 0) {
			if (now_ms() >= until)
				goto silent;
			server_failed(c, si, "TCP connection refused");
			close(fd);
			return;
		}
	}
	if (send_all(fd, pkt, qlen + 2, until) != 0 || recv_all(fd, hdr, 2, until) != 0)
		goto silent;
	rlen = (size_t)hdr[0] << 8 | hdr[1];
	if (rlen > sizeof q->resp) {
		server_failed(c, si, "an answer over TCP larger than"
			" PM_RESOLV_MSG_MAX");
		close(fd);
		return;
	}
	if (recv_all(fd, q->resp, rlen, until) != 0)
		goto silent;
	close(fd);
	if (pm_dns_response(&q->m, q->resp, rlen, q->id, q->name, q->type) != 0) {
		server_failed(c, si, "a TCP answer to another question");
		return;
	}
	answered(c, si, q, q->resp, rlen);
	return;
silent:
	close(fd);
	c->timed_out = 1;
	if (c->silent[0] == '\0')
		snprintf(c->silent, sizeof c->silent, "%s (TCP)", s->text);
	trace(c, "%s: no answer over TCP", s->text);
}

/* A UDP socket for one attempt: its own random source port (RFC 5452 9.2,
 * whatever the kernel's port policy), connected so that only the server's
 * address can answer and an ICMP refusal is seen. */
static int udp_open(const struct server *s)
{
	struct sockaddr_storage me;
	socklen_t len;
	uint16_t r;
	int fd, i;

	fd = socket(s->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	for (i = 0; i < 8; i++) {
		memset(&me, 0, sizeof me);
		me.ss_family = s->sa.ss_family;
		r = (uint16_t)(1024 + random16() % (65536 - 1024));
		if (me.ss_family == AF_INET6) {
			((struct sockaddr_in6 *)&me)->sin6_port = htons(r);
			len = sizeof(struct sockaddr_in6);
		} else {
			((struct sockaddr_in *)&me)->sin_port = htons(r);
			len = sizeof(struct sockaddr_in);
		}
		if (bind(fd, (struct sockaddr *)&me, len) == 0 || errno != EADDRINUSE)
			break;
	}
	/* If no port was free, connect() binds an ephemeral one. */
	if (connect(fd, (const struct sockaddr *)&s->sa, s->len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Ask server si every pending query, wait for the answers until the
 * attempt's time is up. */
static void udp_try(struct ctx *c, unsigned si, struct query *q, size_t nq)
{
	uint8_t pkt[PM_DNS_QUERY_MAX], in[PM_RESOLV_MSG_MAX];
	long long until = now_ms() + c->try_ms;
	struct server *s = &c->ns[si];
	size_t i, qlen, waiting = 0;
	pm_dns_msg m;
	char name[PM_DNS_TEXT_MAX + 1];
	ssize_t n;
	int fd, cut;

	if (until > c->deadline)
		until = c->deadline;
	fd = udp_open(s);
	if (fd < 0) {
		server_failed(c, si, strerror(errno));
		return;
	}
	for (i = 0; i < nq; i++) {
		q[i].asked = 0;
		if (q[i].state != Q_PENDING)
			continue;
		q[i].id = random16();
		qlen = pm_dns_query(pkt, sizeof pkt, q[i].id, PM_DNS_F_RD | q[i].flags,
			q[i].name, q[i].type, 0, 0);
		pm_dns_name_text(name, sizeof name, q[i].name);
		trace(c, "%s: %s %s? (udp)", s->text, q[i].type == PM_DNS_T_A ? "A"
			: q[i].type == PM_DNS_T_AAAA ? "AAAA" : "type", name);
		if (send(fd, pkt, qlen, 0) != (ssize_t)qlen) {
			server_failed(c, si, strerror(errno));
			close(fd);
			return;
		}
		q[i].asked = 1;
		waiting++;
	}
	while (waiting > 0) {
		if (wait_fd(fd, POLLIN, until) != 0)
			break;
		n = recv(fd, in, sizeof in, MSG_TRUNC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {            /* ECONNREFUSED: nothing listens there */
			server_failed(c, si, strerror(errno));
			break;
		}
		cut = (size_t)n > sizeof in;
		if (cut)
			n = sizeof in;
		for (i = 0; i < nq; i++) {
			/* Another question, an old ID: ignore it, as a spoofed
			 * or late datagram must be. */
			if (!q[i].asked || pm_dns_response(&m, in, (size_t)n, q[i].id,
				q[i].name, q[i].type) != 0)
				continue;
			q[i].asked = 0;
			waiting--;
			if (cut || (m.flags & PM_DNS_F_TC))
				tcp_query(c, si, &q[i]);
			else
				answered(c, si, &q[i], in, (size_t)n);
			break;
		}
		if (s->failed)
			break;
	}
	close(fd);
	if (waiting > 0 && !s->failed) {
		c->timed_out = 1;
		if (c->silent[0] == '\0')
			snprintf(c->silent, sizeof c->silent, "%s", s->text);
		trace(c, "%s: no answer", s->text);
	}
}

/* Ask the servers, in turn and round after round, until every query is
 * answered, or one is and the others had their chance, or time is up. */
static void exchange(struct ctx *c, struct query *q, size_t nq)
{
	unsigned round, si;
	size_t i, pending, done;

	for (round = 0; round < c->attempts; round++) {
		for (si = 0; si < c->nns; si++) {
			pending = done = 0;
			for (i = 0; i < nq; i++) {
				pending += q[i].state == Q_PENDING;
				done += q[i].state == Q_DONE;
			}
			if (pending == 0 || (done > 0 && (round > 0 || si > 0)))
				return;
			if (c->ns[si].failed)
				continue;
			if (now_ms() >= c->deadline) {
				c->timed_out = 1;
				return;
			}
			udp_try(c, si, q, nq);
		}
	}
}

/* --- names ----------------------------------------------------------------- */

/* The addresses q's answer holds for its name (through its CNAMEs). Sets
 * *chase when the answer stops at an alias with nothing for it: the
 * server (authoritative only) left the rest of the chain to us. */
static void collect(struct ctx *c, struct query *q, struct alist *l,
	int *chase)
{
	uint8_t final[PM_DNS_NAME_MAX], a[16];
	char from[PM_DNS_TEXT_MAX + 1], to[PM_DNS_TEXT_MAX + 1];
	pm_dns_msg it = q->m;
	pm_dns_rr rr;
	unsigned h;
	int found = 0;

	*chase = 0;
	if (pm_dns_chase(&q->m, q->name, final, &h) != 0
		|| q->hops + h > PM_DNS_HOPS_MAX) {
		c->proto = 1;
		trace(c, "malformed answer, or a CNAME chain longer than %d",
			PM_DNS_HOPS_MAX);
		return;
	}
	if (h > 0) {
		pm_dns_name_text(from, sizeof from, q->name);
		pm_dns_name_text(to, sizeof to, final);
		trace(c, "%s is an alias of %s", from, to);
	}
	q->hops += h;
	pm_dns_rewind(&it);
	while (pm_dns_next(&it, &rr) && rr.section == PM_DNS_S_ANSWER) {
		if (rr.type != q->type || !pm_dns_owner_is(&it, &rr, final)
			|| pm_dns_addr(&rr, a) != 0)
			continue;
		add_addr(l, rr.type == PM_DNS_T_A ? AF_INET : AF_INET6, a, 0);
		found++;
	}
	if (it.err != 0)
		c->proto = 1;
	if (PM_DNS_RCODE(q->m.flags) == PM_DNS_NXDOMAIN)
		c->nxdomain = 1;
	if (found == 0 && h > 0 && PM_DNS_RCODE(q->m.flags) == PM_DNS_NOERROR) {
		memcpy(q->name, final, sizeof final);
		*chase = 1;
	}
}

enum { R_FOUND, R_NONE, R_FAILED };

/* A and AAAA for one name (text, without a final dot). */
static int lookup(struct ctx *c, const char *text, size_t tlen, struct alist *l)
{
	struct query q[2];
	size_t nl, i;
	int chase, again, answered_all;

	if (pm_dns_name(q[0].name, &nl, text, tlen) != 0)
		return R_NONE;
	/* A server that failed for another name may answer this one. */
	for (i = 0; i < c->nns; i++)
		c->ns[i].failed = 0;
	memcpy(q[1].name, q[0].name, nl);
	q[0].type = PM_DNS_T_A;
	q[1].type = PM_DNS_T_AAAA;
	for (i = 0; i < 2; i++) {
		q[i].flags = 0;
		q[i].hops = 0;
		q[i].state = Q_PENDING;
	}
	for (;;) {
		exchange(c, q, 2);
		again = 0;
		answered_all = 1;
		for (i = 0; i < 2; i++) {
			if (q[i].state == Q_PENDING)
				answered_all = 0;
			if (q[i].state != Q_DONE)
				continue;
			collect(c, &q[i], l, &chase);
			q[i].state = chase ? Q_PENDING : Q_IDLE;
			again |= chase;
		}
		if (!again || l->n > 0)
			break;
	}
	if (l->n > 0)
		return R_FOUND;
	return answered_all && !again ? R_NONE : R_FAILED;
}

static void init_ctx(struct ctx *c, const pm_resolv_opts *o, unsigned timeout_s)
{
	memset(c, 0, sizeof *c);
	c->o = o;
	c->ndots = 1;
	c->try_s = TRY_DEFAULT;
	c->attempts = ATTEMPTS_DEFAULT;
	c->timeout_s = timeout_s == 0 ? 1 : timeout_s;
	c->deadline = now_ms() + (long long)c->timeout_s * 1000;
}

/* Nameservers from dns_server, else from resolv.conf (with its search
 * list and options), else 127.0.0.1 as glibc and musl do. */
static int setup_servers(struct ctx *c, const pm_resolv_opts *o,
	const char *dns_server, int want_search, char *errbuf, size_t errlen)
{
	const char *rc = o && o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf";
	unsigned port = o && o->ns_port ? o->ns_port : 53;
	struct addr lo = { .family = AF_INET, .a = { 127, 0, 0, 1 } };
	long long per;

	if (dns_server != NULL && dns_server[0] != '\0') {
		if (parse_servers(dns_server, c->ns, &c->nns, errbuf, errlen) != 0)
			return PM_ERR_RESOLVE;
	} else {
		read_resolv_conf(c, rc, port, 1);
		if (!want_search)
			c->nsearch = 0;
	}
	if (c->nns == 0)
		set_server(&c->ns[c->nns++], &lo, port);
	/* Every server gets its turn in every round within the deadline: an
	 * attempt is shorter when the timeout is. */
	per = (long long)c->timeout_s * 1000 / (c->attempts * c->nns);
	c->try_ms = (long long)c->try_s * 1000;
	if (c->try_ms > per)
		c->try_ms = per;
	return 0;
}

/* The one line saying why nothing came back. */
static int failure(const struct ctx *c, const char *host, char *errbuf,
	size_t errlen)
{
	if (c->srvfail[0] != '\0') {
		snprintf(errbuf, errlen, "cannot resolve %s: %s%s%s", host, c->srvfail,
			c->silent[0] ? "; no answer from " : "", c->silent);
		return PM_ERR_RESOLVE;
	}
	if (c->timed_out) {
		snprintf(errbuf, errlen, "cannot resolve %s: no answer from %s"
			" within %u s", host, c->silent[0] ? c->silent : "the DNS server",
			c->timeout_s);
		return PM_ERR_TIMEOUT;
	}
	if (c->proto)
		snprintf(errbuf, errlen, "cannot resolve %s: malformed DNS answer"
			" or a CNAME chain longer than %d", host, PM_DNS_HOPS_MAX);
	else if (c->nxdomain)
		snprintf(errbuf, errlen, "%s: no such host (NXDOMAIN from %s)", host,
			c->ns[0].text);
	else
		snprintf(errbuf, errlen, "%s: no address (no A or AAAA record)", host);
	return PM_ERR_RESOLVE;
}

int pm_resolve_with(const pm_resolv_opts *o, const char *host, unsigned port,
	const char *dns_server, unsigned timeout_s, struct sockaddr_storage *out,
	size_t max, size_t *n, char *errbuf, size_t errlen)
{
	struct ctx c;
	struct alist l = { .n = 0 };
	struct addr a;
	size_t hlen = strlen(host), dots = 0, i, s;
	const char *dom;
	char cand[PM_DNS_TEXT_MAX + 2];
	uint8_t wire[PM_DNS_NAME_MAX];
	int r = R_NONE, tried_plain = 0, absolute, rc;
	static const uint8_t lo6[16] = { [15] = 1 }, lo4[4] = { 127, 0, 0, 1 };

	*n = 0;
	if (max == 0 || port == 0 || port > 65535) {
		snprintf(errbuf, errlen, "cannot resolve %s: bad arguments", host);
		return PM_ERR_RESOLVE;
	}
	init_ctx(&c, o, timeout_s);
	/* An address needs no lookup. */
	if (parse_ip(host, hlen, &a) == 0) {
		add_addr(&l, a.family, a.a, a.scope);
		*n = order(&l, port, out, max);
		return 0;
	}
	absolute = hlen > 1 && host[hlen - 1] == '.';
	if (absolute)
		hlen--;
	if (hlen == 0 || hlen > PM_DNS_TEXT_MAX || pm_dns_name(wire, &i, host, hlen) != 0) {
		snprintf(errbuf, errlen, "\"%.80s\" is not a valid host name", host);
		return PM_ERR_RESOLVE;
	}
	read_hosts(o && o->hosts ? o->hosts : "/etc/hosts", host, hlen, &l);
	if (l.n > 0) {
		trace(&c, "%.*s: from the hosts file", (int)hlen, host);
		*n = order(&l, port, out, max);
		return 0;
	}
	/* RFC 6761 6.3: localhost is the loopback, whatever DNS says. */
	if (same_name(host, "localhost", 9) || (hlen > 10
		&& same_name(host + hlen - 10, ".localhost", 10))) {
		add_addr(&l, AF_INET6, lo6, 0);
		add_addr(&l, AF_INET, lo4, 0);
		*n = order(&l, port, out, max);
		return 0;
	}
	if (setup_servers(&c, o, dns_server, 1, errbuf, errlen) != 0)
		return PM_ERR_RESOLVE;
	for (i = 0; i < hlen; i++)
		dots += host[i] == '.';
	/* As it is first when it has ndots dots (or a final one); then with
	 * each search domain; then as it is, if not tried yet. */
	if (absolute || dots >= c.ndots || c.nsearch == 0) {
		r = lookup(&c, host, hlen, &l);
		tried_plain = 1;
	}
	for (s = 0, dom = c.search; !absolute && r != R_FOUND && s < c.nsearch;
		s++, dom += strlen(dom) + 1) {
		if (c.timed_out && c.srvfail[0] == '\0')
			break;          /* the servers are not answering */
		if (hlen + 1 + strlen(dom) > PM_DNS_TEXT_MAX)
			continue;
		memcpy(cand, host, hlen);
		cand[hlen] = '.';
		strcpy(cand + hlen + 1, dom);
		r = lookup(&c, cand, strlen(cand), &l);
	}
	if (!tried_plain && r != R_FOUND && !(c.timed_out && c.srvfail[0] == '\0'))
		r = lookup(&c, host, hlen, &l);
	if (r == R_FOUND) {
		*n = order(&l, port, out, max);
		return 0;
	}
	rc = failure(&c, host, errbuf, errlen);
	return rc;
}

int pm_resolve(const char *host, unsigned port, const char *dns_server,
	unsigned timeout_s, struct sockaddr_storage *out, size_t max, size_t *n,
	char *errbuf, size_t errlen)
{
	return pm_resolve_with(NULL, host, port, dns_server, timeout_s, out, max,
		n, errbuf, errlen);
}

int pm_resolv_query(const pm_resolv_opts *o, const char *dns_server,
	const char *name, uint16_t qtype, unsigned flags, unsigned timeout_s,
	uint8_t *resp, size_t cap, size_t *len, pm_dns_msg *m,
	char *errbuf, size_t errlen)
{
	struct ctx c;
	struct query q;
	size_t nl, tl = strlen(name);

	*len = 0;
	init_ctx(&c, o, timeout_s);
	if (tl > 1 && name[tl - 1] == '.')
		tl--;
	if (pm_dns_name(q.name, &nl, name, tl) != 0) {
		snprintf(errbuf, errlen, "\"%.80s\" is not a valid DNS name", name);
		return PM_ERR_RESOLVE;
	}
	if (setup_servers(&c, o, dns_server, 0, errbuf, errlen) != 0)
		return PM_ERR_RESOLVE;
	q.type = qtype;
	q.hops = 0;
	q.flags = flags & (PM_DNS_F_AD | PM_DNS_F_CD);
	q.state = Q_PENDING;
	exchange(&c, &q, 1);
	if (q.state != Q_DONE)
		return failure(&c, name, errbuf, errlen);
	if (q.len > cap) {
		snprintf(errbuf, errlen, "%s: answer larger than the %zu bytes given",
			name, cap);
		return PM_ERR_RESOLVE;
	}
	memcpy(resp, q.resp, q.len);
	*len = q.len;
	return pm_dns_response(m, resp, q.len, q.id, q.name, q.type) == 0 ? 0
		: PM_ERR_RESOLVE;
}
