/*
 * pm_printtlsa.c — the pin bootstrap (see pm_printtlsa.h).
 *
 * The chain is taken by an X.509 "engine" that only records the
 * certificates and then refuses the chain, so BearSSL aborts the handshake
 * with an alert: the server never sees a Finished, let alone SMTP. The
 * recorded DER is then read with a small bounded TLV walker: everything in
 * it came from the network, so every length is checked against what
 * encloses it, and what is printed has its control characters replaced.
 *
 * What goes to stdout can be appended to a configuration as it is: the
 * descriptions are comments, the server's "tlsa 3 1 1" is the one active
 * line, the CA pins ("2 1 1", which need a trustworthy clock) are
 * commented out. The trust-on-first-use warning goes to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include "pm_net.h"
#include "pm_printtlsa.h"
#include "pm_session.h"

#define CHAIN_MAX 10            /* certificates kept */
#define CHAIN_BYTES 32768       /* their DER, together */

/* ---- recording the chain ---- */

typedef struct {
	const br_x509_class *vtable;
	size_t n, used, cur_len, cur_cap, depth;
	size_t off[CHAIN_MAX], len[CHAIN_MAX];
	size_t pos[CHAIN_MAX];          /* each kept certificate's place (0: the
	                                 * server's), as some may be dropped */
	size_t dropped;                 /* certificates that did not fit */
	int cur_ok;
} recorder;

static uint8_t chain[CHAIN_BYTES];

static void rec_start_chain(const br_x509_class **ctx, const char *server_name)
{
	recorder *r = (recorder *)(void *)ctx;

	(void)server_name;
	r->n = r->used = r->dropped = r->depth = 0;
	r->cur_ok = 0;
}

static void rec_start_cert(const br_x509_class **ctx, uint32_t length)
{
	recorder *r = (recorder *)(void *)ctx;

	r->cur_ok = r->n < CHAIN_MAX && length <= sizeof chain - r->used;
	r->cur_len = 0;
	r->cur_cap = length;
	if (!r->cur_ok)
		r->dropped++;
}

static void rec_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	recorder *r = (recorder *)(void *)ctx;

	if (!r->cur_ok)
		return;
	if (len > r->cur_cap - r->cur_len) {
		r->cur_ok = 0;          /* more than announced: not kept */
		r->dropped++;
		return;
	}
	memcpy(chain + r->used + r->cur_len, buf, len);
	r->cur_len += len;
}

static void rec_end_cert(const br_x509_class **ctx)
{
	recorder *r = (recorder *)(void *)ctx;

	r->depth++;
	if (!r->cur_ok)
		return;
	r->pos[r->n] = r->depth - 1;
	r->off[r->n] = r->used;
	r->len[r->n] = r->cur_len;
	r->used += r->cur_len;
	r->n++;
	r->cur_ok = 0;
}

/* Seen all we came for: refuse, and the handshake ends here. */
static unsigned rec_end_chain(const br_x509_class **ctx)
{
	(void)ctx;
	return BR_ERR_X509_NOT_TRUSTED;
}

static const br_x509_pkey *rec_get_pkey(const br_x509_class *const *ctx,
	unsigned *usages)
{
	(void)ctx;
	(void)usages;
	return NULL;
}

static const br_x509_class rec_vtable = {
	sizeof(recorder), rec_start_chain, rec_start_cert, rec_append,
	rec_end_cert, rec_end_chain, rec_get_pkey
};

/* ---- a bounded DER walker ---- */

typedef struct {
	const uint8_t *p;       /* the element's value */
	size_t len;
	const uint8_t *whole;   /* tag, length and value */
	size_t whole_len;
	unsigned tag;
} tlv;

/* The element at *pos in buf[0..end); moves *pos past it. -1 if it does
 * not fit, or uses a form no certificate needs (multi-byte tags,
 * indefinite or over-long lengths). */
static int next(const uint8_t *buf, size_t end, size_t *pos, tlv *t)
{
	size_t i = *pos, len, k, n;

	if (end - i < 2)
		return -1;
	t->whole = buf + i;
	t->tag = buf[i++];
	if ((t->tag & 0x1f) == 0x1f)
		return -1;
	len = buf[i++];
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0 || n > 3 || end - i < n)
			return -1;
		for (len = 0, k = 0; k < n; k++)
			len = len << 8 | buf[i++];
	}
	if (len > end - i)
		return -1;
	t->p = buf + i;
	t->len = len;
	t->whole_len = i + len - *pos;
	*pos = i + len;
	return 0;
}

/* The element of the given tag at *pos, inside t's value. */
static int child(const tlv *t, size_t *pos, unsigned tag, tlv *out)
{
	return next(t->p, t->len, pos, out) == 0 && out->tag == tag ? 0 : -1;
}

static int oid_is(const tlv *t, const char *enc, size_t n)
{
	return t->tag == 0x06 && t->len == n && memcmp(t->p, enc, n) == 0;
}

/* An OID in dotted form. */
static void put_oid(FILE *out, const tlv *t)
{
	unsigned long v = 0;
	size_t i;
	int first = 1;

	for (i = 0; i < t->len; i++) {
		if (v > (~0UL >> 7))
			break;
		v = v << 7 | (t->p[i] & 0x7f);
		if (t->p[i] & 0x80)
			continue;
		if (first) {
			fprintf(out, "%lu.%lu", v < 80 ? v / 40 : 2, v < 80 ? v % 40 : v - 80);
			first = 0;
		} else {
			fprintf(out, ".%lu", v);
		}
		v = 0;
	}
}

/* Text from the certificate: printable ASCII as it is, every other byte
 * as \xHH (no escape sequence, C1 control or bidi override reaches the
 * terminal; UTF-8 names stay readable enough to compare). */
static void put_text(FILE *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			fputc(p[i], out);
		else
			fprintf(out, "\\x%02x", p[i]);
	}
}

static const struct {
	const char *name;
	const char *enc;
	size_t len;
} attr_names[] = {
	{ "CN", "\x55\x04\x03", 3 }, { "C", "\x55\x04\x06", 3 },
	{ "L", "\x55\x04\x07", 3 }, { "ST", "\x55\x04\x08", 3 },
	{ "O", "\x55\x04\x0a", 3 }, { "OU", "\x55\x04\x0b", 3 },
	{ "serialNumber", "\x55\x04\x05", 3 },
	{ "emailAddress", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", 9 },
};

/* A Name (SEQUENCE OF SET OF AttributeTypeAndValue), as "CN=x, O=y". */
static void put_name(FILE *out, const tlv *name)
{
	size_t pos = 0, sp, ap, k;
	tlv set, atv, type, value;
	const char *sep = "";

	while (pos < name->len) {
		if (child(name, &pos, 0x31, &set) != 0)
			goto bad;
		for (sp = 0; sp < set.len; ) {
			ap = 0;
			if (child(&set, &sp, 0x30, &atv) != 0
				|| child(&atv, &ap, 0x06, &type) != 0
				|| next(atv.p, atv.len, &ap, &value) != 0)
				goto bad;
			fputs(sep, out);
			for (k = 0; k < sizeof attr_names / sizeof attr_names[0]; k++)
				if (oid_is(&type, attr_names[k].enc, attr_names[k].len))
					break;
			if (k < sizeof attr_names / sizeof attr_names[0])
				fputs(attr_names[k].name, out);
			else
				put_oid(out, &type);
			fputc('=', out);
			put_text(out, value.p, value.len);
			sep = ", ";
		}
	}
	if (*sep == '\0')
		fputs("(empty)", out);
	return;
bad:
	fputs("(malformed)", out);
}

static int digits(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* UTCTime or GeneralizedTime, as "YYYY-MM-DD HH:MM:SS UTC". */
static void put_time(FILE *out, const tlv *t)
{
	const uint8_t *p = t->p;
	char year[5];

	if (t->tag == 0x17 && t->len == 13 && digits(p, 12) && p[12] == 'Z') {
		/* RFC 5280 4.1.2.5.1: YY >= 50 is 19YY. */
		snprintf(year, sizeof year, "%s%c%c", p[0] >= '5' ? "19" : "20", p[0], p[1]);
		p += 2;
	} else if (t->tag == 0x18 && t->len == 15 && digits(p, 14) && p[14] == 'Z') {
		memcpy(year, p, 4);
		year[4] = '\0';
		p += 4;
	} else {
		fputs("(malformed)", out);
		return;
	}
	fprintf(out, "%s-%.2s-%.2s %.2s:%.2s:%.2s UTC", year, (const char *)p,
		(const char *)p + 2, (const char *)p + 4, (const char *)p + 6,
		(const char *)p + 8);
}

/* The key: type and size, from the SubjectPublicKeyInfo. */
static void put_key(FILE *out, const tlv *spki)
{
	static const char rsa[] = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01";
	static const char ec[] = "\x2a\x86\x48\xce\x3d\x02\x01";
	static const struct { const char *name, *enc; size_t len; } curves[] = {
		{ "P-256", "\x2a\x86\x48\xce\x3d\x03\x01\x07", 8 },
		{ "P-384", "\x2b\x81\x04\x00\x22", 5 },
		{ "P-521", "\x2b\x81\x04\x00\x23", 5 },
	};
	size_t pos = 0, ap = 0, kp = 0, k, bits;
	tlv alg, oid, param, key, seq, n;

	if (child(spki, &pos, 0x30, &alg) != 0 || child(&alg, &ap, 0x06, &oid) != 0
		|| child(spki, &pos, 0x03, &key) != 0 || key.len < 1) {
		fputs("(malformed)", out);
		return;
	}
	if (oid_is(&oid, rsa, sizeof rsa - 1)) {
		/* BIT STRING (no unused bits) holding SEQUENCE { n, e }. */
		if (key.p[0] != 0 || next(key.p + 1, key.len - 1, &kp, &seq) != 0
			|| seq.tag != 0x30 || (kp = 0, child(&seq, &kp, 0x02, &n)) != 0) {
			fputs("RSA (malformed)", out);
			return;
		}
		while (n.len > 0 && n.p[0] == 0) {
			n.p++;
			n.len--;
		}
		bits = n.len * 8;
		for (k = 0x80; n.len > 0 && k > 0 && !(n.p[0] & k); k >>= 1)
			bits--;
		fprintf(out, "RSA %zu bits", bits);
		return;
	}
	if (oid_is(&oid, ec, sizeof ec - 1)) {
		if (child(&alg, &ap, 0x06, &param) == 0)
			for (k = 0; k < sizeof curves / sizeof curves[0]; k++)
				if (oid_is(&param, curves[k].enc, curves[k].len)) {
					fprintf(out, "EC %s", curves[k].name);
					return;
				}
		fputs("EC (a curve pinmail does not support)", out);
		return;
	}
	fputs("unsupported (", out);
	put_oid(out, &oid);
	fputs(")", out);
}

static void put_hex(FILE *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
}

int pm_print_cert(FILE *out, size_t i, const uint8_t *der, size_t len,
	uint8_t pin[32])
{
	static br_x509_decoder_context dec;
	br_sha256_context h;
	size_t pos = 0, tp = 0, vp = 0;
	tlv cert, tbs, t, issuer, validity, nb, na, subject, spki;

	if (next(der, len, &pos, &cert) != 0 || cert.tag != 0x30
		|| child(&cert, &vp, 0x30, &tbs) != 0)
		return -1;
	/* [0] version, serial, signature algorithm, then the names. */
	if (next(tbs.p, tbs.len, &tp, &t) != 0)
		return -1;
	if (t.tag == 0xa0 && next(tbs.p, tbs.len, &tp, &t) != 0)
		return -1;
	if (t.tag != 0x02 || child(&tbs, &tp, 0x30, &t) != 0
		|| child(&tbs, &tp, 0x30, &issuer) != 0
		|| child(&tbs, &tp, 0x30, &validity) != 0
		|| child(&tbs, &tp, 0x30, &subject) != 0
		|| child(&tbs, &tp, 0x30, &spki) != 0)
		return -1;
	vp = 0;
	if (next(validity.p, validity.len, &vp, &nb) != 0
		|| next(validity.p, validity.len, &vp, &na) != 0)
		return -1;

	fprintf(out, "# certificate %zu%s\n#   subject  ", i + 1,
		i == 0 ? " (the server's)" : "");
	put_name(out, &subject);
	fputs("\n#   issuer   ", out);
	put_name(out, &issuer);
	fputs("\n#   valid    ", out);
	put_time(out, &nb);
	fputs(" to ", out);
	put_time(out, &na);
	fputs("\n#   key      ", out);
	put_key(out, &spki);
	/* BearSSL's decoder says whether it is a CA (basicConstraints). */
	br_x509_decoder_init(&dec, NULL, NULL);
	br_x509_decoder_push(&dec, der, len);
	if (br_x509_decoder_last_error(&dec) == 0 && br_x509_decoder_isCA(&dec))
		fputs(", CA", out);
	fputc('\n', out);

	br_sha256_init(&h);
	br_sha256_update(&h, spki.whole, spki.whole_len);
	br_sha256_out(&h, pin);
	return 0;
}

/* ---- the handshake ---- */

static br_ssl_client_context cc;
static unsigned char ibuf[BR_SSL_BUFSIZE_INPUT], obuf[BR_SSL_BUFSIZE_OUTPUT];

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Run the handshake until BearSSL closes; 0, or EX_TEMPFAIL on a timeout
 * or a broken connection (why in errbuf). */
static int handshake(int fd, unsigned timeout_s, char *errbuf, size_t cap)
{
	br_ssl_engine_context *eng = &cc.eng;
	long long deadline = now_ms() + (long long)timeout_s * 1000, left;
	struct pollfd pf;
	unsigned st;
	unsigned char *buf;
	size_t len;
	ssize_t n;
	int r;

	for (;;) {
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED)
			return 0;
		pf.fd = fd;
		pf.events = (st & BR_SSL_SENDREC) ? POLLOUT : POLLIN;
		left = deadline - now_ms();
		r = left <= 0 ? 0 : poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(errbuf, cap, "no answer within %u s", timeout_s);
			return EX_TEMPFAIL;
		}
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			n = send(fd, buf, len, MSG_NOSIGNAL);
			if (n > 0)
				br_ssl_engine_sendrec_ack(eng, (size_t)n);
		} else {
			buf = br_ssl_engine_recvrec_buf(eng, &len);
			n = recv(fd, buf, len, 0);
			if (n > 0)
				br_ssl_engine_recvrec_ack(eng, (size_t)n);
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			snprintf(errbuf, cap, "%s", n == 0 ? "the server closed the connection"
				: strerror(errno));
			return EX_TEMPFAIL;
		}
	}
}

/* HOST, HOST:PORT or [V6]:PORT into host and *port. */
static int split_target(const char *target, char *host, size_t cap, unsigned *port)
{
	const char *colon = strrchr(target, ':'), *end;
	char *stop;
	unsigned long p;
	size_t n;

	if (target[0] == '[') {
		end = strchr(target, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		target++;
		n = (size_t)(end - target);
	} else if (colon != NULL && strchr(target, ':') != colon) {
		colon = NULL;           /* an IPv6 literal without a port */
		n = strlen(target);
	} else {
		n = colon != NULL ? (size_t)(colon - target) : strlen(target);
	}
	if (n == 0 || n >= cap)
		return -1;
	memcpy(host, target, n);
	host[n] = '\0';
	if (colon != NULL) {
		errno = 0;
		p = strtoul(colon + 1, &stop, 10);
		if (colon[1] == '\0' || *stop != '\0' || errno != 0 || p == 0 || p > 65535)
			return -1;
		*port = (unsigned)p;
	}
	return 0;
}

int pm_print_tlsa(const char *target, unsigned default_port, unsigned timeout_s,
	const char *dns_server, FILE *out)
{
	static recorder rec;
	char host[256], errbuf[200];
	uint8_t seed[32], pins[CHAIN_MAX][32];
	unsigned port = default_port;
	size_t i;
	int fd, err, rc, valid[CHAIN_MAX];

	if (split_target(target, host, sizeof host, &port) != 0) {
		fprintf(stderr, "pinmail: --print-tlsa takes HOST or HOST:PORT, not \"%s\"\n",
			target);
		return EX_USAGE;
	}
	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
		fprintf(stderr, "pinmail: no entropy from the kernel: %s\n", strerror(errno));
		return EX_OSERR;
	}
	fd = pm_net_connect(host, port, dns_server, timeout_s, 0, &err, errbuf, sizeof errbuf);
	if (fd < 0) {
		fprintf(stderr, "pinmail: cannot connect to %s port %u: %s\n", host, port, errbuf);
		return EX_TEMPFAIL;
	}
	pm_session_profile(&cc);
	rec.vtable = &rec_vtable;
	br_ssl_engine_set_x509(&cc.eng, &rec.vtable);
	br_ssl_engine_set_buffers_bidi(&cc.eng, ibuf, sizeof ibuf, obuf, sizeof obuf);
	br_ssl_engine_inject_entropy(&cc.eng, seed, sizeof seed);
	explicit_bzero(seed, sizeof seed);
	if (!br_ssl_client_reset(&cc, host, 0)) {
		close(fd);
		fprintf(stderr, "pinmail: TLS set-up failed (BearSSL error %d)\n",
			br_ssl_engine_last_error(&cc.eng));
		return EX_SOFTWARE;
	}
	rc = handshake(fd, timeout_s, errbuf, sizeof errbuf);
	close(fd);
	if (rec.n == 0) {
		if (rc != 0)
			fprintf(stderr, "pinmail: %s port %u: %s before sending a certificate\n",
				host, port, errbuf);
		else
			fprintf(stderr, "pinmail: %s port %u sent no certificate (TLS error %d:"
				" is it implicit TLS, as on port 465?)\n", host, port,
				br_ssl_engine_last_error(&cc.eng));
		return rc != 0 ? rc : EX_PROTOCOL;
	}

	fprintf(out, "# %s port %u sent %zu certificate%s (the handshake was stopped"
		" there: nothing else was sent)\n", host, port, rec.n + rec.dropped,
		rec.n + rec.dropped == 1 ? "" : "s");
	for (i = 0; i < rec.n; i++) {
		valid[i] = pm_print_cert(out, rec.pos[i], chain + rec.off[i], rec.len[i],
			pins[i]) == 0;
		if (!valid[i])
			fprintf(out, "# certificate %zu: malformed, skipped\n", rec.pos[i] + 1);
	}
	if (rec.dropped > 0)
		fprintf(out, "# %zu more certificate%s not shown (chain over %d"
			" certificates or %d bytes)\n", rec.dropped,
			rec.dropped == 1 ? "" : "s", CHAIN_MAX, CHAIN_BYTES);
	/* The server's own certificate must be the one kept first. */
	if (rec.pos[0] != 0 || !valid[0]) {
		fprintf(stderr, "pinmail: %s port %u: the server's certificate is %s;"
			" no pin printed\n", host, port,
			rec.pos[0] != 0 ? "larger than pinmail keeps" : "malformed");
		return EX_PROTOCOL;
	}
	fputs("# The server's key (needs no clock, survives renewals that keep the key):\n"
		"tlsa 3 1 1 ", out);
	put_hex(out, pins[0], 32);
	fputc('\n', out);
	for (i = 1; i < rec.n; i++) {
		if (!valid[i])
			continue;
		fprintf(out, "# or certificate %zu's key, a CA (needs a trustworthy clock;"
			" checks the chain, dates and name):\n#tlsa 2 1 1 ", rec.pos[i] + 1);
		put_hex(out, pins[i], 32);
		fputc('\n', out);
	}
	fprintf(stderr, "pinmail: warning: this is what %s port %u showed this time"
		" (trust on first use). Compare it with the records your provider"
		" publishes, or with DNS: dig +dnssec TLSA _%u._tcp.%s\n",
		host, port, port, host);
	return EX_OK;
}
