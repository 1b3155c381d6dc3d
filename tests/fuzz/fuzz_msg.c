/*
 * fuzz_msg.c — the header section digest (pm_msg) and the RFC 5322
 * address list parser (pm_addr), on arbitrary input.
 *
 * Input: 4 bytes of set-up, a field name, then the message (or, in address
 * mode, a field body).
 *   byte 0  bit 0: ignore dots (-i)   bit 1: no recipient callback
 *           bit 2: the callback stops the parse at address k (bits 5-7, +1)
 *           bit 3: address mode: the rest goes to pm_addr_list directly
 *           bit 4: the source ends with an error instead of EOF
 *   byte 1  buffer size: PM_MSG_ROOM + 3 + 61 * byte (255: 64 KiB, the
 *           port's size)
 *   byte 2  seed of the chunking (source reads, pm_msg_read room)
 *   byte 3  bits 0-4: length of the field name that follows, which is
 *           removed, then added back as "name: value" (pm_msg_remove,
 *           pm_msg_add_field, pm_msg_find)
 *
 * Message mode loads the same input three times: in random chunks, whole,
 * and whole with fields removed and added. The first two must agree in
 * everything (result, fields seen, addresses handed out, the message read
 * back). The message read back must be the input up to sendmail's "."
 * line, with at most a blank line inserted where the body starts (when the
 * input has no Bcc field, which is cut). Its header section, split into
 * lines as the SMTP engine will split it, must hold only fields and their
 * continuation lines, never a Bcc field, and the fields added. Every
 * address handed out is a NUL-terminated addr-spec of 1..PM_ADDR_MAX
 * octets without line breaks, which parses again to exactly itself.
 */
#include "fuzz_common.h"
#include "pm_msg.h"

#define MAX_ADDRS 512

typedef struct {
	/* source */
	const uint8_t *in;
	size_t len, off;
	int chunked, fail_at_end, ended;
	fz_rng rng;
	/* addresses */
	int stop_at;                   /* 0: never */
	size_t naddr;
	uint64_t hash[MAX_ADDRS];
	int nested;
} run_ctx;

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static int src(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	run_ctx *r = ctx;
	size_t n = r->len - r->off;

	FZ_CHECK(!r->ended);                   /* no read after EOF */
	FZ_CHECK(cap > 0);
	if (n == 0) {
		r->ended = 1;
		*got = 0;
		return r->fail_at_end ? PM_ERR_READ : 0;
	}
	if (n > cap)
		n = cap;
	if (r->chunked)
		n = fz_rng_size(&r->rng, n < 97 ? n : 97);
	memcpy(buf, r->in + r->off, n);
	r->off += n;
	*got = n;
	return 0;
}

/* ---- addresses ----------------------------------------------------------- */

typedef struct { const char *want; size_t len, n; } again_ctx;

static int again(void *ctx, const char *addr, size_t len)
{
	again_ctx *a = ctx;

	a->n++;
	FZ_CHECK(len == a->len && memcmp(addr, a->want, len) == 0);
	return 0;
}

static int on_addr(void *ctx, const char *addr, size_t len)
{
	run_ctx *r = ctx;
	again_ctx a;
	const char *why = NULL;

	FZ_CHECK(len >= 1 && len <= PM_ADDR_MAX);
	FZ_CHECK(addr[len] == '\0' && strlen(addr) == len);
	FZ_CHECK(memchr(addr, '\r', len) == NULL && memchr(addr, '\n', len) == NULL);
	/* An addr-spec handed out is one address, itself, when parsed. */
	a.want = addr;
	a.len = len;
	a.n = 0;
	FZ_CHECK(pm_addr_list(addr, len, again, &a, &why) == 0);
	FZ_CHECK(a.n == 1);
	if (r->naddr < MAX_ADDRS)
		r->hash[r->naddr] = fnv(addr, len);
	r->naddr++;
	return r->stop_at != 0 && r->naddr == (size_t)r->stop_at ? 99 : 0;
}

static void addr_mode(const uint8_t *d, size_t n, int stop_at)
{
	run_ctx r, r2;
	const char *why = NULL;
	char *copy = malloc(n ? n : 1);    /* exact size: ASan guards the end */
	int e;
	size_t i;

	FZ_CHECK(copy != NULL);
	memcpy(copy, d, n);
	memset(&r, 0, sizeof r);
	e = pm_addr_list(copy, n, on_addr, &r, &why);
	FZ_CHECK(e == 0 || e == PM_ERR_ADDR);
	if (e == PM_ERR_ADDR)
		FZ_CHECK(why != NULL);
	/* Stopping at address k: k addresses, the same, and the callback's
	 * value returned. */
	if (r.naddr > 0) {
		memset(&r2, 0, sizeof r2);
		r2.stop_at = stop_at <= (int)r.naddr ? stop_at : (int)r.naddr;
		FZ_CHECK(pm_addr_list(copy, n, on_addr, &r2, NULL) == 99);
		FZ_CHECK(r2.naddr == (size_t)r2.stop_at);
		for (i = 0; i < r2.naddr && i < MAX_ADDRS; i++)
			FZ_CHECK(r2.hash[i] == r.hash[i]);
	}
	free(copy);
}

/* ---- message ----------------------------------------------------------------- */

typedef struct {
	int err;
	unsigned seen;
	const char *why;
	char field[24];
	uint8_t *out;
	size_t out_len;
	run_ctx r;
} result;

static int ci_has(const uint8_t *p, size_t n, const char *w)
{
	size_t i, j, k = strlen(w);

	for (i = 0; i + k <= n; i++) {
		for (j = 0; j < k; j++) {
			int c = p[i + j];
			if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != w[j])
				break;
		}
		if (j == k)
			return 1;
	}
	return 0;
}

static size_t read_all(pm_msg *m, fz_rng *rng, uint8_t *out, size_t cap, int *err)
{
	static const size_t caps[] = { 3, 4, 7, 64, 100, 1000, 65536 };
	size_t n = 0, got, c;
	uint8_t *tmp;

	*err = 0;
	for (;;) {
		c = caps[fz_rng_next(rng) % (sizeof caps / sizeof caps[0])];
		tmp = malloc(c);
		FZ_CHECK(tmp != NULL);
		got = 0;
		*err = pm_msg_read(m, tmp, c, &got);
		FZ_CHECK(got <= c);
		if (*err != 0 || got == 0) {
			free(tmp);
			return n;
		}
		FZ_CHECK(n + got <= cap);
		memcpy(out + n, tmp, got);
		n += got;
		free(tmp);
	}
}

/* sendmail's end of message, done simply: the input up to a line that
 * is only "." (LF or CRLF after it). */
static size_t ref_dot(const uint8_t *in, size_t n, int ignore_dots)
{
	size_t i;

	if (ignore_dots)
		return n;
	for (i = 0; i < n; i++) {
		if (i > 0 && in[i - 1] != '\n')
			continue;
		if (in[i] == '.' && ((i + 1 < n && in[i + 1] == '\n')
			|| (i + 2 < n && in[i + 1] == '\r' && in[i + 2] == '\n')))
			return i;
	}
	return n;
}

static int valid_name(const uint8_t *p, size_t n, size_t *name_len)
{
	size_t i;

	for (i = 0; i < n && p[i] >= 33 && p[i] <= 126 && p[i] != ':'; i++)
		;
	*name_len = i;
	return i > 0 && i < n && p[i] == ':';
}

/* The header section of out[0..n) split as the SMTP engine splits lines
 * (CR, LF or CRLF): only fields and continuations, no Bcc (unless the
 * caller added one). *count_name: how many fields are called `name`
 * (lower case; NULL: none counted). */
static void check_header(const uint8_t *o, size_t n, const char *name,
	size_t *count_name, int bcc_added)
{
	size_t i = 0, e, nl, fields = 0;
	int after_cr = 0;           /* this line follows a bare CR */

	*count_name = 0;
	while (i < n) {
		for (e = i; e < n && o[e] != '\r' && o[e] != '\n'; e++)
			;
		if (e == i)
			break;                      /* the blank line */
		if (o[i] == ' ' || o[i] == '\t') {
			FZ_CHECK(fields > 0 || (!fz_strict() && after_cr));
		} else {
			fields++;
			/* Finding 2 (README.md): a bare CR inside a header line
			 * starts a new line on the wire that pm_msg never saw. */
			if (valid_name(o + i, e - i, &nl)) {
				FZ_CHECK(bcc_added || !(nl == 3 && ci_has(o + i, 3, "bcc"))
					|| (!fz_strict() && after_cr));
				if (name != NULL && strlen(name) == nl
					&& ci_has(o + i, nl, name))
					(*count_name)++;
			} else {
				FZ_CHECK(!fz_strict() && after_cr);
			}
		}
		after_cr = e < n && o[e] == '\r' && (e + 1 >= n || o[e + 1] != '\n');
		i = e < n && o[e] == '\r' && e + 1 < n && o[e + 1] == '\n' ? e + 2 : e + 1;
	}
}

static void load(result *res, const uint8_t *in, size_t len, int chunked,
	unsigned flags, size_t cap, uint8_t seed, int mutate, const char *name,
	size_t name_len)
{
	pm_msg m;
	uint8_t *buf = malloc(cap);
	size_t k, bl, ne;
	const uint8_t *body;
	fz_rng rng;
	unsigned i;
	int e, ok_text;
	char text[64], mid[900];
	static const struct { const char *n; unsigned bit; } known[] = {
		{ "from", PM_HDR_FROM }, { "date", PM_HDR_DATE },
		{ "message-id", PM_HDR_MESSAGE_ID }, { "to", PM_HDR_TO },
		{ "cc", PM_HDR_CC }, { "sender", PM_HDR_SENDER },
	};

	FZ_CHECK(buf != NULL);
	memset(res, 0, sizeof *res);
	memset(&m, 0, sizeof m);
	res->r.in = in;
	res->r.len = len;
	res->r.chunked = chunked;
	res->r.fail_at_end = (flags & 16) != 0;
	fz_rng_seed(&res->r.rng, seed);
	fz_rng_seed(&rng, seed ^ 0x5a5a);
	if (flags & 4)
		res->r.stop_at = (int)((flags >> 5) + 1);
	m.src = src;
	m.src_ctx = &res->r;
	m.buf = buf;
	m.cap = cap;
	m.ignore_dots = flags & 1;
	m.rcpt = (flags & 2) ? NULL : on_addr;
	m.rcpt_ctx = &res->r;
	e = pm_msg_load(&m);
	res->err = e;
	res->seen = m.seen;
	res->why = m.why;
	memcpy(res->field, m.field, sizeof res->field);
	FZ_CHECK(memchr(m.field, '\0', sizeof m.field) != NULL);
	switch (e) {
	case 0:
		break;
	case 99:
		FZ_CHECK(res->r.stop_at != 0);
		break;
	case PM_ERR_ADDR:
		FZ_CHECK(m.why != NULL && m.field[0] != '\0');
		FZ_CHECK(ci_has((const uint8_t *)m.field, strlen(m.field), "to")
			|| ci_has((const uint8_t *)m.field, strlen(m.field), "cc"));
		break;
	case PM_ERR_HDR_TOO_BIG:
	case PM_ERR_LINE_TOO_LONG:
	case PM_ERR_BARE_CR:
		FZ_CHECK(m.why != NULL);
		break;
	case PM_ERR_READ:
		FZ_CHECK(res->r.fail_at_end);
		break;
	default:
		FZ_CHECK(!"unexpected pm_msg_load result");
	}
	if (e != 0) {
		free(buf);
		return;
	}
	FZ_CHECK(m.len <= m.cap && m.hdr_end <= m.len);
	/* Every field noted is found, and only those; Bcc is gone. */
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		FZ_CHECK(!!(m.seen & known[i].bit)
			== pm_msg_find(&m, known[i].n, &body, &bl));
	FZ_CHECK(!pm_msg_find(&m, "bcc", &body, &bl));

	if (mutate) {
		/* What the port adds always fits in the room kept for it. */
		pm_msg_remove(&m, "message-id");
		FZ_CHECK(!pm_msg_find(&m, "Message-ID", &body, &bl));
		FZ_CHECK(pm_msg_add_field(&m, "Date: Sat, 28 Nov 2026 16:42:12 +0000", 37) == 0);
		memcpy(mid, "Message-ID: <", 13);
		memset(mid + 13, 'x', 800);
		memcpy(mid + 813, "@example.org>", 13);
		FZ_CHECK(pm_msg_add_field(&m, mid, 826) == 0);
		FZ_CHECK(pm_msg_add_field(&m, "From: root <root@example.org>", 29) == 0);
		FZ_CHECK(pm_msg_find(&m, "message-id", &body, &bl));
		FZ_CHECK(bl == 826 - 11 && memcmp(body, mid + 11, bl) == 0);
		/* The fuzzed name: removed, then added back. */
		if (name_len > 0) {
			pm_msg_remove(&m, name);
			FZ_CHECK(!pm_msg_find(&m, name, &body, &bl));
			k = (size_t)snprintf(text, sizeof text, "%s: value", name);
			ok_text = valid_name((const uint8_t *)text, k, &ne)
				&& strpbrk(text, "\r\n") == NULL;
			e = pm_msg_add_field(&m, text, k);
			if (!ok_text)
				FZ_CHECK(e == PM_ERR_BADARG);
			else
				FZ_CHECK(e == 0 || e == PM_ERR_HDR_TOO_BIG);
			if (e == 0 && ne == name_len) {
				FZ_CHECK(pm_msg_find(&m, name, &body, &bl));
				FZ_CHECK(bl == 6 && memcmp(body, " value", 6) == 0);
			}
		}
		FZ_CHECK(m.len <= m.cap && m.hdr_end <= m.len);
	}
	(void)pm_msg_header_lines(&m);
	res->out = malloc(m.cap + len + 16);
	FZ_CHECK(res->out != NULL);
	res->out_len = read_all(&m, &rng, res->out, m.cap + len + 16, &e);
	if (e != 0)
		FZ_CHECK(e == PM_ERR_READ && res->r.fail_at_end);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	result a, b, c;
	const uint8_t *in;
	size_t len, cap, nlen, f, i, cnt;
	unsigned flags;
	char name[32];

	if (size < 4)
		return 0;
	flags = data[0];
	nlen = data[3] & 31;
	if (size < 4 + nlen)
		return 0;
	memcpy(name, data + 4, nlen);
	name[nlen] = '\0';
	nlen = strlen(name);
	in = data + 4 + (data[3] & 31);
	len = size - 4 - (data[3] & 31);
	if (flags & 8) {
		addr_mode(in, len, (int)(flags >> 5) + 1);
		return 0;
	}
	cap = data[1] == 255 ? 65536 : PM_MSG_ROOM + 3 + 61 * (size_t)data[1];

	load(&a, in, len, 1, flags, cap, data[2], 0, NULL, 0);
	load(&b, in, len, 0, flags, cap, data[2], 0, NULL, 0);
	if (getenv("PM_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "msg: chunked: err %d seen %#x why %s addrs %zu out %zu;"
			" whole: err %d seen %#x why %s addrs %zu out %zu\n",
			a.err, a.seen, a.why ? a.why : "-", a.r.naddr, a.out_len,
			b.err, b.seen, b.why ? b.why : "-", b.r.naddr, b.out_len);
	/* Chunking changes nothing. Finding 3 (README.md): a header section
	 * ending in the last bytes of its room may fit or not depending on
	 * how the source cuts its input. */
	if (!fz_strict() && a.err != b.err
		&& (a.err == PM_ERR_HDR_TOO_BIG || b.err == PM_ERR_HDR_TOO_BIG)) {
		free(a.out);
		free(b.out);
		return 0;
	}
	FZ_CHECK(a.err == b.err && a.why == b.why);
	FZ_CHECK(strcmp(a.field, b.field) == 0);
	/* What was seen before a size limit struck may differ. */
	if (a.err == 0 || a.err == PM_ERR_ADDR || a.err == 99) {
		FZ_CHECK(a.seen == b.seen);
		FZ_CHECK(a.r.naddr == b.r.naddr);
		for (i = 0; i < a.r.naddr && i < MAX_ADDRS; i++)
			FZ_CHECK(a.r.hash[i] == b.r.hash[i]);
	}
	FZ_CHECK(a.out_len == b.out_len);
	if (a.out_len > 0)
		FZ_CHECK(memcmp(a.out, b.out, a.out_len) == 0);

	if (a.err == 0 && !(flags & 16)) {
		/* Read back: the input to the "." line, maybe one blank line
		 * more; exactly so when no Bcc had to be cut. */
		f = ref_dot(in, len, flags & 1);
		check_header(a.out, a.out_len, NULL, &cnt, 0);
		if (!ci_has(in, f, "bcc")) {
			for (i = 0; i < f && i < a.out_len && a.out[i] == in[i]; i++)
				;
			if (a.out_len == f)
				FZ_CHECK(i == f);
			else {
				FZ_CHECK(a.out_len == f + 1);
				FZ_CHECK(a.out[i] == '\n' && (i == 0 || a.out[i - 1] == '\n'));
				FZ_CHECK(memcmp(a.out + i + 1, in + i, f - i) == 0);
			}
		} else {
			FZ_CHECK(a.out_len <= f + 1);
		}
	}
	free(a.out);
	free(b.out);

	load(&c, in, len, 0, flags, cap, data[2], 1, name, nlen);
	FZ_CHECK(c.err == b.err);
	if (c.err == 0 && c.out != NULL) {
		check_header(c.out, c.out_len, "message-id", &cnt,
			nlen >= 3 && ci_has((const uint8_t *)name, 3, "bcc")
			&& (nlen == 3 || name[3] == ':'));
		/* Finding 2 again: "\r\r\n" ends the header section early on
		 * the wire, so what was added lands in the body. */
		if (fz_strict())
			FZ_CHECK(cnt == 1 || (cnt == 2 && nlen >= 10
				&& ci_has((const uint8_t *)name, 10, "message-id")
				&& (nlen == 10 || name[10] == ':')));
	}
	free(c.out);
	return 0;
}
