/*
 * test_smtp.c — the SMTP engine against scripted servers.
 *
 * A script is a list of steps: what the client must have sent, then what
 * the server answers. Every script runs with the server's bytes delivered
 * whole, one byte at a time, and split at every offset, and with roomy and
 * tight output buffers; every run must produce the same client bytes and
 * the same result.
 */
#include "pm_test.h"
#include "pm_smtp.h"

typedef struct {
	const char *client;     /* bytes the client sends in this step */
	const char *server;     /* then the server's answer */
} step;

typedef struct {
	const char *body;       /* the message handed to the engine */
	size_t body_len;
	size_t read_chunk;      /* largest read the source returns */
	size_t fail_after;      /* source fails after this many bytes (0: never) */
	size_t off;
} source;

static int src_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	source *s = ctx;
	size_t n = s->body_len - s->off;

	if (s->fail_after && s->off >= s->fail_after)
		return PM_ERR_READ;
	if (n > cap)
		n = cap;
	if (n > s->read_chunk)
		n = s->read_chunk;
	memcpy(buf, s->body + s->off, n);
	s->off += n;
	*got = n;
	return 0;
}

static char trace_log[8192];

static void trace_fn(void *ctx, char dir, const char *line, size_t len)
{
	size_t n = strlen(trace_log);

	(void)ctx;
	if (n + len + 4 < sizeof trace_log) {
		trace_log[n] = dir;
		trace_log[n + 1] = ' ';
		memcpy(trace_log + n + 2, line, len);
		trace_log[n + 2 + len] = '\n';
		trace_log[n + 3 + len] = '\0';
	}
}

static char sent[65536];
static size_t sent_len;

static void drain(pm_smtp *s, size_t cap)
{
	uint8_t buf[4096];
	size_t n;

	while ((n = pm_smtp_output(s, buf, cap)) > 0) {
		if (sent_len + n < sizeof sent) {
			memcpy(sent + sent_len, buf, n);
			sent_len += n;
		}
	}
}

static const char *rcpt3[] = { "bob@example.org", "carol@example.org", "dave@example.org" };

static pm_smtp_params base_params(source *src, size_t nrcpt, int auth)
{
	pm_smtp_params p;

	memset(&p, 0, sizeof p);
	p.helo = "client.example";
	p.user = auth ? "alice" : NULL;
	p.pass = auth ? "s3cret" : NULL;
	p.from = "alice@example.org";
	p.rcpt = rcpt3;
	p.nrcpt = nrcpt;
	p.read = src_read;
	p.read_ctx = src;
	p.trace = trace_fn;
	return p;
}

/*
 * Run one script with a delivery pattern: split < 0 delivers each step's
 * answer whole; split == 0 one byte at a time; split > 0 in two pieces cut
 * at that offset (from the start of the whole server stream). Returns the
 * engine for the caller's checks; the client bytes are in sent[].
 */
static void run(pm_smtp *s, const pm_smtp_params *p, const step *steps,
	size_t nsteps, long split, size_t cap)
{
	size_t k, i, len, base = 0, piece;
	source *src = p->read_ctx;

	src->off = 0;
	sent_len = 0;
	trace_log[0] = '\0';
	PM_CHECK_INT(pm_smtp_init(s, p), 0);
	for (k = 0; k < nsteps; k++) {
		drain(s, cap);
		len = strlen(steps[k].server);
		for (i = 0; i < len; i += piece) {
			if (split < 0)
				piece = len;
			else if (split == 0)
				piece = 1;
			else if ((size_t)split > base + i && (size_t)split < base + len)
				piece = (size_t)split - base - i;
			else
				piece = len - i;
			/* A done engine may leave bytes; that is its contract. */
			pm_smtp_input(s, (const uint8_t *)steps[k].server + i, piece);
			drain(s, cap);
		}
		base += len;
	}
	drain(s, cap);
}

static size_t server_bytes(const step *steps, size_t nsteps)
{
	size_t k, n = 0;

	for (k = 0; k < nsteps; k++)
		n += strlen(steps[k].server);
	return n;
}

static size_t expected(char *out, size_t cap, const step *steps, size_t nsteps)
{
	size_t k, n = 0, l;

	for (k = 0; k < nsteps; k++) {
		l = strlen(steps[k].client);
		if (n + l < cap) {
			memcpy(out + n, steps[k].client, l);
			n += l;
		}
	}
	return n;
}

/* The tight output size run_all tries. BDAT tests raise it so that their
 * message fits one chunk; test_bdat_chunks covers tight buffers there. */
static size_t tight_cap = 128;

/* Every delivery pattern and two output sizes must give the same client
 * bytes and the same error; returns the number of runs that differed. */
static void run_all(const pm_smtp_params *p, const step *steps, size_t nsteps,
	int want_err, pm_smtp *last)
{
	static char want[65536];
	size_t want_len = expected(want, sizeof want, steps, nsteps);
	size_t total = server_bytes(steps, nsteps), caps[2], c;
	long split;
	int bad = 0;

	caps[0] = 4096;
	caps[1] = tight_cap;
	for (c = 0; c < 2; c++) {
		for (split = -1; split <= (long)total; split++) {
			run(last, p, steps, nsteps, split, caps[c]);
			if (sent_len != want_len || memcmp(sent, want, want_len) != 0
				|| last->err != want_err
				|| !(pm_smtp_wants(last) & PM_SMTP_DONE)) {
				if (!bad) {
					printf("  split %ld cap %zu: err %d (want %d), sent:\n%.*s\n"
						"  wanted:\n%.*s\n", split, caps[c], last->err,
						want_err, (int)sent_len, sent, (int)want_len, want);
				}
				bad++;
			}
		}
	}
	PM_CHECK_INT(bad, 0);
}

static const char greeting_ehlo_pipe[] =
	"220 mx.example ESMTP\r\n";
static const char ehlo_reply_pipe[] =
	"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	"250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";

static void test_pipelined_plain(void)
{
	static const char body[] =
		"Subject: hi\n\n.leading dot\n.\nbare\rcr\r\ncrlf\nno final newline";
	source src = { body, sizeof body - 1, 7, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 1);
	const step steps[] = {
		{ "", greeting_ehlo_pipe },
		{ "EHLO client.example\r\n", ehlo_reply_pipe },
		{ "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n", "235 2.7.0 ok\r\n" },
		{ "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\nRCPT TO:<bob@example.org>\r\n"
		  "RCPT TO:<carol@example.org>\r\nDATA\r\n",
		  "250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go\r\n" },
		{ "Subject: hi\r\n\r\n..leading dot\r\n..\r\nbare\r\ncr\r\ncrlf\r\n"
		  "no final newline\r\n.\r\nQUIT\r\n",
		  "250 2.0.0 queued as X\r\n221 2.0.0 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 5, 0, &s);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK_STR(s.final_text, "250 2.0.0 queued as X");
	PM_CHECK_INT(s.accepted, 2);
	PM_CHECK(s.ext & PM_EXT_PIPELINING);
	PM_CHECK(s.ext & PM_EXT_AUTH_PLAIN);
	PM_CHECK(s.ext & PM_EXT_8BITMIME);
	PM_CHECK(s.ext & PM_EXT_SMTPUTF8);
	/* The transcript masks the secret and its base64. */
	PM_CHECK(strstr(trace_log, "C AUTH PLAIN ****\n") != NULL);
	PM_CHECK(strstr(trace_log, "AGFsaWNl") == NULL);
	PM_CHECK(strstr(trace_log, "s3cret") == NULL);
	PM_CHECK(strstr(trace_log, "S 250 2.0.0 queued as X\n") != NULL);
	/* SMTPUTF8 is offered but not asked for: not declared. */
	PM_CHECK(strstr(trace_log, "C MAIL FROM:<alice@example.org> BODY=8BITMIME\n") != NULL);
	/* The message as normalised, without the stuffed dots and the ".". */
	PM_CHECK_INT(s.body_bytes, strlen("Subject: hi\r\n\r\n.leading dot\r\n.\r\n"
		"bare\r\ncr\r\ncrlf\r\nno final newline\r\n"));
	PM_CHECK_INT(s.line_no, 0);
}

static void test_lockstep_login(void)
{
	static const char body[] = "Subject: x\r\n\r\nbody\r\n";
	source src = { body, sizeof body - 1, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 1);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 AUTH=LOGIN\r\n" },
		{ "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n" },
		{ "YWxpY2U=\r\n", "334 UGFzc3dvcmQ6\r\n" },
		{ "czNjcmV0\r\n", "235 ok\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\n", "250 ok\r\n" },
		{ "RCPT TO:<bob@example.org>\r\n", "250 ok\r\n" },
		{ "DATA\r\n", "354 go\r\n" },
		{ "Subject: x\r\n\r\nbody\r\n.\r\n", "250 ok\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 10, 0, &s);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK_INT(s.body_bytes, 20);
	PM_CHECK(strstr(trace_log, "YWxpY2U") == NULL);
	PM_CHECK(strstr(trace_log, "czNjcmV0") == NULL);
	PM_CHECK(strstr(trace_log, "C ****\n") != NULL);
}

static void test_partial_rcpt(void)
{
	static const char body[] = "x\n";
	source src = { body, 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 3, 0);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 PIPELINING\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
		  "RCPT TO:<carol@example.org>\r\nRCPT TO:<dave@example.org>\r\nDATA\r\n",
		  "250 ok\r\n250 ok\r\n550 5.1.1 <carol@example.org>: unknown\r\n"
		  "251 forwarded\r\n354 go\r\n" },
		{ "x\r\n.\r\nQUIT\r\n", "250 queued\r\n221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 4, PM_ERR_RCPT, &s);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK_INT(s.accepted, 2);
	PM_CHECK_INT(s.rcpt_code[0], 250);
	PM_CHECK_INT(s.rcpt_code[1], 550);
	PM_CHECK_INT(s.rcpt_code[2], 251);
	PM_CHECK_INT(s.reply_code, 550);
	PM_CHECK_STR(s.reply_text, "550 5.1.1 <carol@example.org>: unknown");
}

static void test_all_rcpt_refused_pipelined(void)
{
	source src = { "never sent\n", 11, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 0);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 PIPELINING\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
		  "RCPT TO:<carol@example.org>\r\nDATA\r\n",
		  "250 ok\r\n550 5.1.1 no bob\r\n550 5.1.1 no carol\r\n"
		  "554 5.5.1 no valid recipients\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 4, PM_ERR_RCPT, &s);
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK_INT(s.accepted, 0);
	PM_CHECK_STR(s.reply_text, "550 5.1.1 no bob");
	PM_CHECK_INT(src.off, 0);       /* not one message byte was read */
}

static void test_all_rcpt_refused_lockstep(void)
{
	source src = { "never sent\n", 11, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250 mx\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\n", "250 ok\r\n" },
		{ "RCPT TO:<bob@example.org>\r\n", "450 4.2.0 try later\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 5, PM_ERR_RCPT, &s);
	PM_CHECK_INT(s.rcpt_code[0], 450);
	PM_CHECK_STR(s.stage, "RCPT");
}

static void test_auth_rejected(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 1);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n" },
		{ "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n",
		  "535 5.7.8 Error: authentication failed\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 4, PM_ERR_AUTH, &s);
	PM_CHECK_INT(s.reply_code, 535);
	PM_CHECK_STR(s.reply_text, "535 5.7.8 Error: authentication failed");
}

static void test_auth_unavailable(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 1);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 AUTH CRAM-MD5 XOAUTH2\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 3, PM_ERR_AUTH_UNAVAIL, &s);
}

static void test_refusals(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	const step greet554[] = {
		{ "", "554 5.3.2 go away\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	const step mail451[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250 mx\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\n", "451 4.3.0 busy\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	const step dot552[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 PIPELINING\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n",
		  "250 ok\r\n250 ok\r\n354 go\r\n" },
		{ "x\r\n.\r\nQUIT\r\n", "552 5.3.4 too big\r\n221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, greet554, 2, PM_ERR_PERM, &s);
	PM_CHECK_STR(s.stage, "greeting");
	run_all(&p, mail451, 4, PM_ERR_TEMP, &s);
	PM_CHECK_STR(s.stage, "MAIL");
	PM_CHECK_STR(s.reply_text, "451 4.3.0 busy");
	run_all(&p, dot552, 4, PM_ERR_PERM, &s);
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK_STR(s.stage, "end of message");
}

/* A hostile or broken server: the session ends at once, nothing more is
 * sent (not even QUIT: the stream cannot be trusted). */
static void test_protocol_errors(void)
{
	static char long_line[700], many_lines[64 * 8 + 64];
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	size_t i, n = 0;
	pm_smtp s;

	memset(long_line, 'a', sizeof long_line - 3);
	memcpy(long_line, "220 ", 4);
	memcpy(long_line + sizeof long_line - 3, "\r\n", 3);
	for (i = 0; i < PM_REPLY_LINES_MAX + 1; i++) {
		memcpy(many_lines + n, "220-xx\r\n", 8);
		n += 8;
	}
	memcpy(many_lines + n, "220 x\r\n", 8);
	{
		const step s1[] = { { "", long_line } };
		const step s2[] = { { "", many_lines } };
		const step s3[] = { { "", "hello\r\n" } };
		const step s4[] = { { "", "220-a\r\n221 b\r\n" } };
		const step s6[] = { { "", "220 a\r\n" }, { "EHLO client.example\r\n", "250x\r\n" } };
		const step s7[] = { { "", "120 a\r\n" } };

		run_all(&p, s1, 1, PM_ERR_PROTO, &s);
		run_all(&p, s2, 1, PM_ERR_PROTO, &s);
		run_all(&p, s3, 1, PM_ERR_PROTO, &s);
		run_all(&p, s4, 1, PM_ERR_PROTO, &s);
		run_all(&p, s6, 2, PM_ERR_PROTO, &s);
		run_all(&p, s7, 1, PM_ERR_PROTO, &s);
	}
	/* A reply nobody asked for. Only meaningful when it arrives with the
	 * one before it: later, it would pass for the answer to EHLO. */
	{
		const char *two = "220 a\r\n220 again\r\n";
		uint8_t out[256];

		PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
		pm_smtp_input(&s, (const uint8_t *)two, strlen(two));
		PM_CHECK_INT(s.err, PM_ERR_PROTO);
		PM_CHECK_INT(pm_smtp_output(&s, out, sizeof out), 0);
	}
	/* A reply of exactly the longest allowed line is fine. */
	memset(long_line, 'b', PM_REPLY_LINE_MAX - 2);
	memcpy(long_line, "220 ", 4);
	memcpy(long_line + PM_REPLY_LINE_MAX - 2, "\r\n", 3);
	{
		const step ok[] = {
			{ "", long_line },
			{ "EHLO client.example\r\n", "250 mx\r\n" },
			{ "MAIL FROM:<alice@example.org>\r\n", "250 ok\r\n" },
			{ "RCPT TO:<bob@example.org>\r\n", "250 ok\r\n" },
			{ "DATA\r\n", "354 go\r\n" },
			{ "x\r\n.\r\n", "250 ok\r\n" },
			{ "QUIT\r\n", "221 bye\r\n" },
		};
		run_all(&p, ok, 7, 0, &s);
	}
}

/* The source fails mid-message: the final "." is never sent, so the
 * server discards the partial message. */
static void test_read_error(void)
{
	static char body[5000];
	source src = { body, sizeof body, 1000, 3000, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	pm_smtp s;
	const char *greet = "220 mx\r\n", *ehlo = "250-mx\r\n250 PIPELINING\r\n",
		*txn = "250 ok\r\n250 ok\r\n354 go\r\n";
	uint8_t out[4096];
	size_t n, total = 0;

	/* Lines of 100 octets, CRLF included: reads end on line ends, so the
	 * wire carries exactly the bytes read. */
	for (n = 0; n < sizeof body; n += 100) {
		memset(body + n, 'a', 98);
		memcpy(body + n + 98, "\r\n", 2);
	}
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	pm_smtp_input(&s, (const uint8_t *)greet, strlen(greet));
	pm_smtp_output(&s, out, sizeof out);
	pm_smtp_input(&s, (const uint8_t *)ehlo, strlen(ehlo));
	pm_smtp_output(&s, out, sizeof out);
	pm_smtp_input(&s, (const uint8_t *)txn, strlen(txn));
	while ((n = pm_smtp_output(&s, out, sizeof out)) > 0) {
		total += n;
		PM_CHECK(memchr(out, '.', n) == NULL);
	}
	PM_CHECK_INT(s.err, PM_ERR_READ);
	PM_CHECK_INT(total, 3000);
	PM_CHECK_INT(s.body_bytes, 3000);
	PM_CHECK(pm_smtp_wants(&s) & PM_SMTP_DONE);
}

static void test_closed(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	pm_smtp s;
	uint8_t out[256];

	/* Before anything: a network failure. */
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	pm_smtp_closed(&s, PM_ERR_NET);
	PM_CHECK_INT(s.err, PM_ERR_NET);
	PM_CHECK(pm_smtp_wants(&s) & PM_SMTP_DONE);

	/* After the message was accepted, no QUIT answer is needed. */
	{
		const char *r[] = { "220 mx\r\n", "250 mx\r\n", "250 ok\r\n",
			"250 ok\r\n", "354 go\r\n", "250 ok\r\n" };
		size_t i;

		PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
		for (i = 0; i < 6; i++) {
			pm_smtp_input(&s, (const uint8_t *)r[i], strlen(r[i]));
			while (pm_smtp_output(&s, out, sizeof out) > 0)
				;
		}
		PM_CHECK(pm_smtp_wants(&s) & PM_SMTP_WANT_INPUT);
		pm_smtp_closed(&s, 0);
		PM_CHECK_INT(s.err, 0);
		PM_CHECK_INT(s.delivered, 1);
	}
}

static void test_empty_message(void)
{
	source src = { "", 0, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 PIPELINING\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n",
		  "250 ok\r\n250 ok\r\n354 go\r\n" },
		{ ".\r\nQUIT\r\n", "250 ok\r\n221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 4, 0, &s);
	PM_CHECK_INT(s.body_bytes, 0);
}

static void test_init_checks(void)
{
	source src = { "", 0, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 1);
	pm_smtp s;
	static char longpw[PM_CRED_MAX + 2];
	const char *bad_rcpt[] = { "bob@example.org\r\nRCPT TO:<eve@x>" };
	const char *angle[] = { "bob@example.org>" };

	p.nrcpt = 0;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_NO_RCPT);
	p.nrcpt = PM_RCPT_MAX + 1;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_TOO_MANY_RCPT);
	p.nrcpt = 1;
	p.rcpt = bad_rcpt;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_ADDR);
	p.rcpt = angle;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_ADDR);
	p.rcpt = rcpt3;
	memset(longpw, 'p', sizeof longpw - 1);
	p.pass = longpw;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_CRED);
	p.pass = "ok";
	p.from = "a@b\nMAIL FROM:<x>";
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_BADARG);
	p.from = "";
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);   /* null sender <> is valid */
}

/* ---- extensions: BODY, SMTPUTF8, DSN ---- */

static int contains(const char *buf, size_t len, const char *str)
{
	size_t n = strlen(str), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, str, n) == 0)
			return 1;
	return 0;
}

/* A pipelined session without AUTH: txn is what the client sends for
 * MAIL, RCPT... and DATA, answers the server's replies to them. */
static void run_txn(const pm_smtp_params *p, const char *ehlo, const char *txn,
	const char *answers, pm_smtp *s)
{
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", ehlo },
		{ txn, answers },
		{ "x\r\n.\r\nQUIT\r\n", "250 ok\r\n221 bye\r\n" },
	};

	run_all(p, steps, 4, 0, s);
	PM_CHECK_INT(s->delivered, 1);
}

static const char ehlo_plain[] = "250-mx\r\n250 PIPELINING\r\n";
static const char ehlo_8bit[] = "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
static const char ehlo_utf8[] =
	"250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
static const char ehlo_dsn[] = "250-mx\r\n250-PIPELINING\r\n250 DSN\r\n";
static const char ehlo_all[] =
	"250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 DSN\r\n";
static const char ok1[] = "250 ok\r\n250 ok\r\n354 go\r\n";
static const char ok2[] = "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n";

static void test_body_param(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	pm_smtp s;
	const char *plain = "MAIL FROM:<alice@example.org>\r\n"
		"RCPT TO:<bob@example.org>\r\nDATA\r\n";

	/* AUTO: 8BITMIME whenever offered, since the body is not known yet. */
	run_txn(&p, ehlo_8bit, "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"
		"RCPT TO:<bob@example.org>\r\nDATA\r\n", ok1, &s);
	PM_CHECK(strstr(trace_log, "C MAIL FROM:<alice@example.org> BODY=8BITMIME\n") != NULL);
	run_txn(&p, ehlo_plain, plain, ok1, &s);

	p.body = PM_BODY_8BITMIME;
	run_txn(&p, ehlo_8bit, "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"
		"RCPT TO:<bob@example.org>\r\nDATA\r\n", ok1, &s);
	run_txn(&p, ehlo_plain, plain, ok1, &s);

	p.body = PM_BODY_7BIT;
	run_txn(&p, ehlo_8bit, "MAIL FROM:<alice@example.org> BODY=7BIT\r\n"
		"RCPT TO:<bob@example.org>\r\nDATA\r\n", ok1, &s);
	PM_CHECK(strstr(trace_log, "C MAIL FROM:<alice@example.org> BODY=7BIT\n") != NULL);
	run_txn(&p, ehlo_plain, plain, ok1, &s);

	p.body = PM_BODY_8BITMIME + 1;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_BADARG);
}

static const char *rcpt_utf8[] = { "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "bob@example.org" };

static void test_smtputf8_offered(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 0);
	pm_smtp s;

	p.rcpt = rcpt_utf8;
	p.from = "al\xc3\xaf" "ce@example.org";
	p.smtputf8 = 1;
	run_txn(&p, ehlo_utf8,
		"MAIL FROM:<al\xc3\xaf" "ce@example.org> BODY=8BITMIME SMTPUTF8\r\n"
		"RCPT TO:<j\xc3\xb6rg@b\xc3\xbc" "cher.example>\r\n"
		"RCPT TO:<bob@example.org>\r\nDATA\r\n", ok2, &s);
	PM_CHECK(strstr(trace_log, "C MAIL FROM:<al\xc3\xaf" "ce@example.org> BODY=8BITMIME SMTPUTF8\n")
		!= NULL);
	/* With the flag, an ASCII envelope is declared all the same. */
	p.rcpt = rcpt3;
	p.from = "alice@example.org";
	run_txn(&p, ehlo_utf8,
		"MAIL FROM:<alice@example.org> BODY=8BITMIME SMTPUTF8\r\n"
		"RCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n",
		ok2, &s);
}

/* The server lacks SMTPUTF8: QUIT right after EHLO. Neither credentials
 * nor any of MAIL go out, and not one message byte is read. */
static void test_smtputf8_not_offered(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 1);
	const step with_auth[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n",
		  "250-mx\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	const step lockstep[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 8BITMIME\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	p.rcpt = rcpt_utf8;
	p.smtputf8 = 1;
	run_all(&p, with_auth, 3, PM_ERR_NO_SMTPUTF8, &s);
	PM_CHECK_STR(s.stage, "MAIL");
	PM_CHECK_INT(src.off, 0);
	PM_CHECK(!contains(sent, sent_len, "MAIL"));
	PM_CHECK(!contains(sent, sent_len, "AUTH"));
	PM_CHECK_INT(s.delivered, 0);

	p.user = p.pass = NULL;
	run_all(&p, lockstep, 3, PM_ERR_NO_SMTPUTF8, &s);
	PM_CHECK_STR(s.stage, "MAIL");
	PM_CHECK(!contains(sent, sent_len, "MAIL"));
}

static void test_smtputf8_init(void)
{
	source src = { "", 0, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 0);
	pm_smtp s;

	/* The caller cannot forget the flag: a UTF-8 address needs it. */
	p.rcpt = rcpt_utf8;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_ADDR);
	p.rcpt = rcpt3;
	p.from = "al\xc3\xaf" "ce@example.org";
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_ADDR);
	p.from = "alice@example.org";
	p.rcpt = rcpt_utf8 + 1;
	p.nrcpt = 1;
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	p.rcpt = rcpt_utf8;
	p.nrcpt = 2;
	p.smtputf8 = 1;
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	p.from = "al\xc3\xaf" "ce@example.org";
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
}

static void test_dsn(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 0);
	pm_smtp s;
	const char *bare = "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
		"RCPT TO:<carol@example.org>\r\nDATA\r\n";

	p.notify = "success,Delay";
	p.ret = "hdrs";
	p.envid = "a+b=c d";
	run_txn(&p, ehlo_dsn,
		"MAIL FROM:<alice@example.org> RET=HDRS ENVID=a+2Bb+3Dc+20d\r\n"
		"RCPT TO:<bob@example.org> NOTIFY=SUCCESS,DELAY\r\n"
		"RCPT TO:<carol@example.org> NOTIFY=SUCCESS,DELAY\r\nDATA\r\n", ok2, &s);
	PM_CHECK(strstr(trace_log,
		"C MAIL FROM:<alice@example.org> RET=HDRS ENVID=a+2Bb+3Dc+20d\n") != NULL);
	PM_CHECK(strstr(trace_log,
		"C RCPT TO:<carol@example.org> NOTIFY=SUCCESS,DELAY\n") != NULL);
	/* DSN not offered: left out silently, as sendmail does. */
	run_txn(&p, ehlo_plain, bare, ok2, &s);
	run_txn(&p, ehlo_utf8, "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"
		"RCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n",
		ok2, &s);

	/* Canonical keywords, in a fixed order, once each. */
	p.notify = "delay,FAILURE,failure,sUcCeSs";
	p.ret = "Full";
	p.envid = NULL;
	run_txn(&p, ehlo_dsn, "MAIL FROM:<alice@example.org> RET=FULL\r\n"
		"RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE,DELAY\r\n"
		"RCPT TO:<carol@example.org> NOTIFY=SUCCESS,FAILURE,DELAY\r\nDATA\r\n",
		ok2, &s);
	/* Every octet outside "!".."~", and "+" and "=", as +XX. */
	p.notify = "never";
	p.ret = NULL;
	p.envid = "\x01 +=~!\x7f\xff";
	run_txn(&p, ehlo_dsn, "MAIL FROM:<alice@example.org> ENVID=+01+20+2B+3D~!+7F+FF\r\n"
		"RCPT TO:<bob@example.org> NOTIFY=NEVER\r\n"
		"RCPT TO:<carol@example.org> NOTIFY=NEVER\r\nDATA\r\n", ok2, &s);
	/* With BODY, and NOTIFY alone. */
	p.notify = "DELAY";
	p.envid = NULL;
	run_txn(&p, ehlo_all, "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"
		"RCPT TO:<bob@example.org> NOTIFY=DELAY\r\n"
		"RCPT TO:<carol@example.org> NOTIFY=DELAY\r\nDATA\r\n", ok2, &s);
}

/* Anything but the documented keywords fails init: nothing the caller
 * passes can reach the wire unchecked. */
static void test_dsn_invalid(void)
{
	static const char *const bad_notify[] = {
		"", "NEVER,SUCCESS", "SUCCESS,NEVER", "never,never,success", "SUCCESS,",
		",SUCCESS", "SUCCESS,,DELAY", "SUCCESS FAILURE", " SUCCESS", "SUCCESS ",
		"SUCCESS\r\nRSET", "SUCCES", "SUCCESSX", "DELAY;", "NEVER\r\n", "ALL",
		"SUCCESS;FAILURE", "S\xc3\x9c" "CCESS", ",",
	};
	static const char *const bad_ret[] = {
		"", "FUL", "FULLX", "full\r\n", "HDRS ", " HDRS", "NEVER", "FULL,HDRS",
	};
	static const char *const good_notify[] = {
		"NEVER", "never", "Success", "FAILURE", "delay,success,failure",
		"SUCCESS,SUCCESS",
	};
	static char envid[PM_ENVID_MAX + 2];
	source src = { "", 0, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	pm_smtp s;
	size_t i;

	for (i = 0; i < sizeof bad_notify / sizeof bad_notify[0]; i++) {
		p.notify = bad_notify[i];
		if (pm_smtp_init(&s, &p) != PM_ERR_BADARG) {
			printf("  notify \"%s\" accepted\n", bad_notify[i]);
			PM_CHECK(0);
		}
	}
	for (i = 0; i < sizeof good_notify / sizeof good_notify[0]; i++) {
		p.notify = good_notify[i];
		PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	}
	p.notify = NULL;
	for (i = 0; i < sizeof bad_ret / sizeof bad_ret[0]; i++) {
		p.ret = bad_ret[i];
		PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_BADARG);
	}
	p.ret = "hdrs";
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	p.ret = NULL;
	p.envid = "";
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_BADARG);
	memset(envid, 'e', PM_ENVID_MAX + 1);
	p.envid = envid;
	PM_CHECK_INT(pm_smtp_init(&s, &p), PM_ERR_BADARG);
	envid[PM_ENVID_MAX] = '\0';
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
}

/* The longest MAIL and RCPT the engine can format fit PM_CMD_MAX whole. */
static void test_longest_commands(void)
{
	static char from[PM_ADDR_MAX + 1], rcpt[PM_ADDR_MAX + 1], envid[PM_ENVID_MAX + 1];
	static char txn[4096];
	const char *rcpts[1];
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	pm_smtp s;
	size_t i, n = 0;

	memset(from, 'f', PM_ADDR_MAX);
	memcpy(from + PM_ADDR_MAX - 12, "@example.org", 12);
	memset(rcpt, 'r', PM_ADDR_MAX);
	memcpy(rcpt + PM_ADDR_MAX - 12, "@example.org", 12);
	memset(envid, '=', PM_ENVID_MAX);
	rcpts[0] = rcpt;
	p.from = from;
	p.rcpt = rcpts;
	p.smtputf8 = 1;
	p.notify = "SUCCESS,FAILURE,DELAY";
	p.ret = "HDRS";
	p.envid = envid;
	n += (size_t)sprintf(txn + n, "MAIL FROM:<%s> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=", from);
	for (i = 0; i < PM_ENVID_MAX; i++)
		n += (size_t)sprintf(txn + n, "+3D");
	n += (size_t)sprintf(txn + n, "\r\n");
	PM_CHECK_INT(n, PM_MAIL_CMD_MAX);
	PM_CHECK(n <= PM_CMD_MAX);
	sprintf(txn + n, "RCPT TO:<%s> NOTIFY=SUCCESS,FAILURE,DELAY\r\nDATA\r\n", rcpt);
	run_txn(&p, ehlo_all, txn, ok1, &s);
}

/* ---- long lines ---- */

/*
 * A message with lines, one of which may be too long. want is what goes
 * out after DATA's 354: the converted message and ".\r\nQUIT\r\n" when it
 * is fine, only the part before the first excess octet when it is not
 * (want_line: the long line's number). Every run, with both read sizes and
 * every delivery pattern, must agree, and no "\r\n.\r\n" nor QUIT may
 * follow DATA on the wire.
 */
static void run_body(const char *body, size_t body_len, const char *want,
	size_t want_line, size_t want_bytes)
{
	static const size_t chunks[] = { 4096, 7 };
	source src = { body, body_len, 0, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	const char *ok = want_line ? "" : "250 ok\r\n221 bye\r\n";
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", ehlo_plain },
		{ "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n",
		  ok1 },
		{ want, ok },
	};
	size_t c, data;
	pm_smtp s;

	for (c = 0; c < 2; c++) {
		src.read_chunk = chunks[c];
		run_all(&p, steps, 4, want_line ? PM_ERR_LINE_TOO_LONG : 0, &s);
		PM_CHECK_INT(s.line_no, want_line);
		PM_CHECK_INT(s.body_bytes, want_bytes);
		PM_CHECK_INT(s.delivered, !want_line);
		/* From the CRLF that ends "DATA". */
		data = strlen(steps[0].client) + strlen(steps[1].client)
			+ strlen(steps[2].client) - 2;
		PM_CHECK(sent_len >= data);
		if (want_line) {
			PM_CHECK_STR(s.stage, "DATA");
			PM_CHECK_INT(s.reply_code, 0);
			PM_CHECK(!contains(sent + data, sent_len - data, "\r\n.\r\n"));
			PM_CHECK(!contains(sent + data, sent_len - data, "QUIT"));
		}
	}
}

/* Writes count octets ch at buf + at; returns the offset after them. */
static size_t fill(char *buf, size_t at, int ch, size_t count)
{
	memset(buf + at, ch, count);
	return at + count;
}

static void test_long_lines(void)
{
	static char body[8192], want[8192];
	size_t n;

	/* 998 octets and LF: fine. */
	n = fill(body, 0, 'a', 998);
	strcpy(body + n, "\n");
	n = fill(want, 0, 'a', 998);
	strcpy(want + n, "\r\n.\r\nQUIT\r\n");
	run_body(body, strlen(body), want, 0, 1000);

	/* 998 octets, no line end: fine, and ended by the engine. */
	body[998] = '\0';
	run_body(body, strlen(body), want, 0, 1000);

	/* 998 octets starting with ".": 999 on the wire once stuffed, fine. */
	body[0] = '.';
	strcpy(body + 998, "\r\n");
	n = fill(want, 0, '.', 2);
	n = fill(want, n, 'a', 997);
	strcpy(want + n, "\r\n.\r\nQUIT\r\n");
	run_body(body, strlen(body), want, 0, 1000);

	/* 999 octets, LF endings, line 3: stops before octet 999. */
	strcpy(body, "Subject: x\n\n");
	n = fill(body, 12, 'a', 999);
	strcpy(body + n, "\nmore\n.\n");
	strcpy(want, "Subject: x\r\n\r\n");
	n = fill(want, 14, 'a', 998);
	want[n] = '\0';
	run_body(body, strlen(body), want, 3, 14 + 998);

	/* The same with CRLF endings. */
	strcpy(body, "Subject: x\r\n\r\n");
	n = fill(body, 14, 'a', 999);
	strcpy(body + n, "\r\n.\r\n");
	run_body(body, strlen(body), want, 3, 14 + 998);

	/* The last line, with no line end. */
	strcpy(body, "a\nb\n");
	n = fill(body, 4, 'c', 999);
	body[n] = '\0';
	strcpy(want, "a\r\nb\r\n");
	n = fill(want, 6, 'c', 998);
	want[n] = '\0';
	run_body(body, strlen(body), want, 3, 6 + 998);

	/* The first line. */
	n = fill(body, 0, 'd', 999);
	strcpy(body + n, "\n.\n");
	n = fill(want, 0, 'd', 998);
	want[n] = '\0';
	run_body(body, strlen(body), want, 1, 998);

	/* The first line, starting with ".": its 998 octets (999 once
	 * stuffed) go out, the 999th does not. */
	body[0] = '.';
	n = fill(want, 0, '.', 2);
	n = fill(want, n, 'd', 997);
	want[n] = '\0';
	run_body(body, strlen(body), want, 1, 998);

	/* Line ends of every kind count once each: CR, CRLF, LF, CR, CR. */
	strcpy(body, "1\r2\r\n3\n4\r\r");
	n = fill(body, 10, 'e', 999);
	body[n] = '\0';
	strcpy(want, "1\r\n2\r\n3\r\n4\r\n\r\n");
	n = fill(want, 14, 'e', 998);
	want[n] = '\0';
	run_body(body, strlen(body), want, 6, 14 + 998);

	/* A 998-octet line, then a 999-octet one. */
	n = fill(body, 0, 'f', 998);
	body[n++] = '\n';
	n = fill(body, n, 'g', 999);
	strcpy(body + n, "\n");
	n = fill(want, 0, 'f', 998);
	memcpy(want + n, "\r\n", 2);
	n = fill(want, n + 2, 'g', 998);
	want[n] = '\0';
	run_body(body, strlen(body), want, 2, 1000 + 998);

	/* Far too long. */
	n = fill(body, 0, 'h', 5000);
	body[n] = '\0';
	n = fill(want, 0, 'h', 998);
	want[n] = '\0';
	run_body(body, strlen(body), want, 1, 998);
}


/* ---- CHUNKING (RFC 3030): the message as BDAT chunks ---- */

static const char ehlo_chunking[] =
	"250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 AUTH PLAIN\r\n";

static void test_bdat_pipelined(void)
{
	static const char body[] =
		"Subject: hi\n\n.leading dot\n.\nbare\rcr\r\ncrlf\nno final newline";
	source src = { body, sizeof body - 1, 7, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 1);
	/* One flight after AUTH: MAIL, RCPTs, the whole message, QUIT. No
	 * dot-stuffing and no final "." with BDAT. */
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", ehlo_chunking },
		{ "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n", "235 2.7.0 ok\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
		  "RCPT TO:<carol@example.org>\r\nBDAT 66 LAST\r\n"
		  "Subject: hi\r\n\r\n.leading dot\r\n.\r\nbare\r\ncr\r\ncrlf\r\n"
		  "no final newline\r\nQUIT\r\n",
		  "250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n"
		  "250 2.0.0 Ok: 66 bytes queued as X\r\n221 2.0.0 bye\r\n" },
	};
	pm_smtp s;

	tight_cap = 256;
	run_all(&p, steps, 4, 0, &s);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK_INT(s.bdat, 1);
	PM_CHECK_INT(s.chunks, 1);
	PM_CHECK_INT(s.accepted, 2);
	PM_CHECK_INT(s.body_bytes, 66);
	PM_CHECK_STR(s.final_text, "250 2.0.0 Ok: 66 bytes queued as X");
	PM_CHECK(strstr(trace_log, "C BDAT 66 LAST\nC QUIT\n") != NULL);
}

static void test_bdat_lockstep(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 0);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250 CHUNKING\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\n", "250 ok\r\n" },
		{ "RCPT TO:<bob@example.org>\r\n", "250 ok\r\n" },
		{ "RCPT TO:<carol@example.org>\r\n", "250 ok\r\n" },
		{ "BDAT 3 LAST\r\nx\r\n", "250 queued\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 7, 0, &s);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK_INT(s.bdat, 1);
}

static void test_bdat_empty_message(void)
{
	source src = { "", 0, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	const step steps[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n" },
		{ "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
		  "BDAT 0 LAST\r\nQUIT\r\n", "250 ok\r\n250 ok\r\n250 ok\r\n221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, steps, 3, 0, &s);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK_INT(s.body_bytes, 0);
}

static void test_bdat_refusals(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 2, 0);
	static const char flight[] = "MAIL FROM:<alice@example.org>\r\n"
		"RCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\n"
		"BDAT 3 LAST\r\nx\r\nQUIT\r\n";
	static const char ehlo[] = "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
	/* Every RCPT refused: the chunk was already sent, and refused. */
	const step all_refused[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", ehlo },
		{ flight, "250 ok\r\n550 5.1.1 no bob\r\n550 5.1.1 no carol\r\n"
		  "554 5.5.1 Error: no valid recipients\r\n221 bye\r\n" },
	};
	const step mail_refused[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", ehlo },
		{ flight, "451 4.3.0 busy\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n"
		  "503 5.5.1 need MAIL\r\n221 bye\r\n" },
	};
	const step last_refused[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", ehlo },
		{ flight, "250 ok\r\n250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n221 bye\r\n" },
	};
	const step one_refused[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", ehlo },
		{ flight, "250 ok\r\n250 ok\r\n550 5.1.1 no carol\r\n250 queued\r\n221 bye\r\n" },
	};
	pm_smtp s;

	run_all(&p, all_refused, 3, PM_ERR_RCPT, &s);
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK_STR(s.reply_text, "550 5.1.1 no bob");
	run_all(&p, mail_refused, 3, PM_ERR_TEMP, &s);
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK_STR(s.stage, "MAIL");
	run_all(&p, last_refused, 3, PM_ERR_PERM, &s);
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK_STR(s.stage, "end of message");
	PM_CHECK_STR(s.reply_text, "552 5.3.4 too big");
	run_all(&p, one_refused, 3, PM_ERR_RCPT, &s);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK_INT(s.rcpt_code[1], 550);
}

/*
 * A server that speaks BDAT: answers whatever the client sent so far,
 * every complete command or chunk with 250 (the chunk named refuse_chunk
 * with 552), and keeps the chunks' payload in got[]. It answers only
 * after each whole flight, as a pipelining server may.
 */
static char got[65536];
static size_t got_len, got_chunks, got_last;   /* got_last: which chunk
                                                * said LAST (0: none) */

static void bdat_server(pm_smtp *s, size_t cap, unsigned refuse_chunk)
{
	static const char *ehlo = "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
	size_t pos = 0, n, rounds;
	static char reply[65536];
	char *eol, *end;
	const char *r;

	got_len = got_chunks = got_last = 0;
	pm_smtp_input(s, (const uint8_t *)"220 mx\r\n", 8);
	for (rounds = 0; rounds < 10000 && !(pm_smtp_wants(s) & PM_SMTP_DONE); rounds++) {
		drain(s, cap);
		reply[0] = '\0';
		while (pos < sent_len && (eol = memchr(sent + pos, '\n', sent_len - pos)) != NULL) {
			r = "250 ok\r\n";
			if (strncmp(sent + pos, "EHLO", 4) == 0) {
				r = ehlo;
			} else if (strncmp(sent + pos, "QUIT", 4) == 0) {
				r = "221 bye\r\n";
			} else if (strncmp(sent + pos, "BDAT ", 5) == 0) {
				n = strtoul(sent + pos + 5, &end, 10);
				if ((size_t)(eol + 1 - sent) + n > sent_len)
					break;          /* the chunk is not all here yet */
				got_chunks++;
				if (strncmp(end, " LAST\r\n", 7) == 0 && got_last == 0)
					got_last = got_chunks;
				memcpy(got + got_len, eol + 1, n);
				got_len += n;
				if (got_chunks == refuse_chunk)
					r = "552 5.3.4 too much\r\n";
				eol += n;
			}
			PM_CHECK(strlen(reply) + strlen(r) < sizeof reply);
			if (strlen(reply) + strlen(r) >= sizeof reply)
				return;
			strcat(reply, r);
			pos = (size_t)(eol + 1 - sent);
		}
		if (reply[0] != '\0')
			pm_smtp_input(s, (const uint8_t *)reply, strlen(reply));
		else if (!(pm_smtp_wants(s) & PM_SMTP_WANT_OUTPUT))
			break;                  /* nobody can move */
	}
}

static void test_bdat_chunks(void)
{
	static char body[40000];
	static const size_t caps[] = { 4096, 1000, 200, 100 };
	source src = { body, 0, 777, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	size_t i, c, last;
	pm_smtp s;

	/* 79-byte lines with LF: 80 octets each on the wire. */
	for (i = 0; i + 80 <= sizeof body - 80; i += 80) {
		memset(body + i, 'a' + (int)(i / 80 % 26), 79);
		body[i + 79] = '\n';
	}
	body[i] = '.';                  /* ends without a newline */
	src.body_len = i + 1;
	for (c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		src.off = 0;
		sent_len = 0;
		trace_log[0] = '\0';
		PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
		bdat_server(&s, caps[c], 0);
		PM_CHECK_INT(s.err, 0);
		PM_CHECK_INT(s.delivered, 1);
		PM_CHECK(s.chunks > src.body_len / caps[c]);
		/* The payload is the message with CRLF line ends, as is. */
		PM_CHECK_INT(got_len, src.body_len + src.body_len / 80 + 2);
		for (i = 0, last = 0; i + 81 <= got_len && last == 0; i += 81)
			if (memcmp(got + i, body + i / 81 * 80, 79) != 0
				|| memcmp(got + i + 79, "\r\n", 2) != 0)
				last = i + 1;
		PM_CHECK_INT(last, 0);
		PM_CHECK(got_len >= 3 && memcmp(got + got_len - 3, ".\r\n", 3) == 0);
		PM_CHECK_INT(s.body_bytes, got_len);
		/* Only the last chunk says LAST. */
		PM_CHECK_INT(got_chunks, s.chunks);
		PM_CHECK_INT(got_last, got_chunks);
	}
	/* A chunk refused mid-way: the session stops, nothing is delivered. */
	src.off = 0;
	sent_len = 0;
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	bdat_server(&s, 1000, 3);
	PM_CHECK_INT(s.err, PM_ERR_PERM);
	PM_CHECK_STR(s.stage, "BDAT");
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK(pm_smtp_wants(&s) & PM_SMTP_DONE);
}

/* A message that cannot be sent whole never gets a LAST chunk. */
static void test_bdat_never_last(void)
{
	static char body[3000];
	source src = { body, sizeof body, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 0);
	pm_smtp s;
	size_t i;

	memset(body, 'b', sizeof body);         /* one 3000-octet line */
	sent_len = 0;
	trace_log[0] = '\0';
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	bdat_server(&s, 4096, 0);
	PM_CHECK_INT(s.err, PM_ERR_LINE_TOO_LONG);
	PM_CHECK_INT(s.line_no, 1);
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK(strstr(trace_log, "LAST") == NULL);
	PM_CHECK(strstr(trace_log, "BDAT") == NULL);    /* that chunk never left */

	src.body_len = 2000;
	memset(body, 'c', 2000);
	for (i = 50; i < 2000; i += 51)
		body[i] = '\n';
	src.fail_after = 1500;
	src.read_chunk = 500;
	sent_len = 0;
	trace_log[0] = '\0';
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	bdat_server(&s, 1000, 0);
	PM_CHECK_INT(s.err, PM_ERR_READ);
	PM_CHECK_INT(s.delivered, 0);
	PM_CHECK(strstr(trace_log, "LAST") == NULL);
}

/* ---- STARTTLS (RFC 3207), mandatory ---- */

/* Feed s a server string; returns how many bytes it took. */
static size_t feed(pm_smtp *s, const char *str)
{
	return pm_smtp_input(s, (const uint8_t *)str, strlen(str));
}

static void take_output(pm_smtp *s)
{
	sent_len = 0;
	drain(s, 4096);
	sent[sent_len] = '\0';
}

static void test_starttls(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 1);
	static const char injected[] = "250 injected\r\n";
	pm_smtp s;

	p.starttls = 1;
	trace_log[0] = '\0';
	PM_CHECK_INT(pm_smtp_init(&s, &p), 0);
	feed(&s, "220 mx\r\n");
	take_output(&s);
	PM_CHECK_STR(sent, "EHLO client.example\r\n");
	/* Before TLS the server offers AUTH and PIPELINING: neither is used. */
	feed(&s, "250-mx\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n");
	take_output(&s);
	PM_CHECK_STR(sent, "STARTTLS\r\n");
	/* The 220 is taken, what the server sent with it is not. */
	{
		char both[64];

		snprintf(both, sizeof both, "220 2.0.0 go ahead\r\n%s", injected);
		PM_CHECK_INT(feed(&s, both), strlen(both) - strlen(injected));
	}
	PM_CHECK_INT(pm_smtp_wants(&s), PM_SMTP_WANT_TLS);
	take_output(&s);
	PM_CHECK_INT(sent_len, 0);
	/* TLS up: EHLO again; the earlier extensions are forgotten. */
	pm_smtp_tls_up(&s);
	PM_CHECK_INT(s.ext, 0);
	take_output(&s);
	PM_CHECK_STR(sent, "EHLO client.example\r\n");
	feed(&s, "250-mx\r\n250 AUTH PLAIN\r\n");
	take_output(&s);
	PM_CHECK_STR(sent, "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n");
	feed(&s, "235 ok\r\n");
	take_output(&s);
	PM_CHECK_STR(sent, "MAIL FROM:<alice@example.org>\r\n");   /* lock-step now */
	feed(&s, "250 ok\r\n");
	take_output(&s);
	feed(&s, "250 ok\r\n");
	take_output(&s);
	PM_CHECK_STR(sent, "DATA\r\n");
	feed(&s, "354 go\r\n");
	take_output(&s);
	PM_CHECK_STR(sent, "x\r\n.\r\n");
	feed(&s, "250 queued\r\n");
	take_output(&s);
	feed(&s, "221 bye\r\n");
	PM_CHECK_INT(s.err, 0);
	PM_CHECK_INT(s.delivered, 1);
	PM_CHECK(strstr(trace_log, "C STARTTLS\n") != NULL);
}

static void test_starttls_refused(void)
{
	source src = { "x\n", 2, 4096, 0, 0 };
	pm_smtp_params p = base_params(&src, 1, 1);
	/* Not offered (stripped): EHLO and QUIT only, nothing else ever. */
	const step stripped[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	const step refused[] = {
		{ "", "220 mx\r\n" },
		{ "EHLO client.example\r\n", "250-mx\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n" },
		{ "STARTTLS\r\n", "454 4.7.0 TLS not available due to local problem\r\n" },
		{ "QUIT\r\n", "221 bye\r\n" },
	};
	pm_smtp s;

	p.starttls = 1;
	run_all(&p, stripped, 3, PM_ERR_STARTTLS, &s);
	PM_CHECK_STR(s.stage, "STARTTLS");
	PM_CHECK_INT(src.off, 0);
	run_all(&p, refused, 4, PM_ERR_STARTTLS, &s);
	PM_CHECK_INT(s.reply_code, 454);
	PM_CHECK_STR(s.reply_text, "454 4.7.0 TLS not available due to local problem");
	PM_CHECK_INT(src.off, 0);
}

int main(void)
{
	PM_RUN(test_pipelined_plain);
	PM_RUN(test_lockstep_login);
	PM_RUN(test_partial_rcpt);
	PM_RUN(test_all_rcpt_refused_pipelined);
	PM_RUN(test_all_rcpt_refused_lockstep);
	PM_RUN(test_auth_rejected);
	PM_RUN(test_auth_unavailable);
	PM_RUN(test_refusals);
	PM_RUN(test_protocol_errors);
	PM_RUN(test_read_error);
	PM_RUN(test_closed);
	PM_RUN(test_empty_message);
	PM_RUN(test_init_checks);
	PM_RUN(test_body_param);
	PM_RUN(test_smtputf8_offered);
	PM_RUN(test_smtputf8_not_offered);
	PM_RUN(test_smtputf8_init);
	PM_RUN(test_dsn);
	PM_RUN(test_dsn_invalid);
	PM_RUN(test_longest_commands);
	PM_RUN(test_long_lines);
	PM_RUN(test_bdat_pipelined);
	PM_RUN(test_bdat_lockstep);
	PM_RUN(test_bdat_empty_message);
	PM_RUN(test_bdat_refusals);
	PM_RUN(test_bdat_chunks);
	PM_RUN(test_bdat_never_last);
	PM_RUN(test_starttls);
	PM_RUN(test_starttls_refused);
	PM_TEST_MAIN();
}
