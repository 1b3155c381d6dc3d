/*
 * test_msg.c — header digest, Bcc removal, added fields and sendmail's
 * end of message. Every case is run with the input arriving whole, one
 * byte at a time and in chunks of every size up to its length; all must
 * give the same message and the same recipients.
 */
#include "pm_test.h"
#include "pm_msg.h"

typedef struct {
	const char *p;
	size_t len, off, chunk;
} input;

static int in_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	input *in = ctx;
	size_t n = in->len - in->off;

	if (n > cap)
		n = cap;
	if (n > in->chunk)
		n = in->chunk;
	memcpy(buf, in->p + in->off, n);
	in->off += n;
	*got = n;
	return 0;
}

static char rcpts[2048];

static int collect(void *ctx, const char *addr, size_t len)
{
	size_t n = strlen(rcpts);

	(void)ctx;
	if (n + len + 2 < sizeof rcpts) {
		memcpy(rcpts + n, addr, len);
		rcpts[n + len] = '|';
		rcpts[n + len + 1] = '\0';
	}
	return 0;
}

static uint8_t hdr[4096];
static char out[16384];
static size_t out_len;

/* Load and read the whole message; returns pm_msg_load's result. */
static int pass(pm_msg *m, const char *text, size_t chunk, int ignore_dots,
	const char *add)
{
	static input in;
	size_t got;
	int err;

	in.p = text;
	in.len = strlen(text);
	in.off = 0;
	in.chunk = chunk;
	memset(m, 0, sizeof *m);
	m->src = in_read;
	m->src_ctx = &in;
	m->buf = hdr;
	m->cap = sizeof hdr;
	m->ignore_dots = ignore_dots;
	m->rcpt = collect;
	rcpts[0] = '\0';
	out_len = 0;
	err = pm_msg_load(m);
	if (err != 0)
		return err;
	if (add != NULL)
		PM_CHECK_INT(pm_msg_add_field(m, add, strlen(add)), 0);
	for (;;) {
		PM_CHECK_INT(pm_msg_read(m, (uint8_t *)out + out_len,
			sizeof out - out_len < 700 ? sizeof out - out_len : 700, &got), 0);
		if (got == 0)
			break;
		out_len += got;
	}
	out[out_len] = '\0';
	return 0;
}

/* Same outcome for every chunk size. */
static void expect(const char *text, int ignore_dots, const char *add,
	const char *want, const char *want_rcpts, unsigned want_seen)
{
	size_t len = strlen(text), chunk;
	pm_msg m;
	int bad = 0;

	for (chunk = 1; chunk <= len + 1; chunk++) {
		if (pass(&m, text, chunk, ignore_dots, add) != 0
			|| strcmp(out, want) != 0 || strcmp(rcpts, want_rcpts) != 0
			|| m.seen != want_seen) {
			if (!bad)
				printf("  chunk %zu: got \"%s\" rcpts \"%s\" seen %x\n",
					chunk, out, rcpts, m.seen);
			bad++;
		}
	}
	PM_CHECK_INT(bad, 0);
}

static void test_bcc_removed(void)
{
	expect("From: a@x\nTo: b@x, \"Carl, Jr\" <c@x>\nBcc: secret@x,\n"
		" other@x\nSubject: s\n\nbody\nBcc: stays in body\n",
		1, NULL,
		"From: a@x\nTo: b@x, \"Carl, Jr\" <c@x>\nSubject: s\n\nbody\n"
		"Bcc: stays in body\n",
		"b@x|c@x|secret@x|other@x|",
		PM_HDR_FROM | PM_HDR_TO | PM_HDR_BCC);
	/* CRLF input, Bcc first and last, case-insensitive names. */
	expect("BCC: x@y\r\nTo: t@y\r\ncc: (comment) c@y\r\nbcc: z@y\r\n\r\nhi\r\n",
		1, NULL, "To: t@y\r\ncc: (comment) c@y\r\n\r\nhi\r\n",
		"x@y|t@y|c@y|z@y|", PM_HDR_TO | PM_HDR_CC | PM_HDR_BCC);
}

static void test_groups_and_folding(void)
{
	expect("To: undisclosed-recipients:;\nCc: team: a@x,\n\tb@x;, d@x\n\nb\n",
		1, NULL, "To: undisclosed-recipients:;\nCc: team: a@x,\n\tb@x;, d@x\n\nb\n",
		"a@x|b@x|d@x|", PM_HDR_TO | PM_HDR_CC);
}

static void test_dot_ends_message(void)
{
	/* Without -i a line holding only "." ends the message, LF or CRLF. */
	expect("To: a@x\n\none\n.\nafter\n", 0, NULL, "To: a@x\n\none\n", "a@x|",
		PM_HDR_TO);
	expect("To: a@x\r\n\r\none\r\n.\r\nafter\r\n", 0, NULL,
		"To: a@x\r\n\r\none\r\n", "a@x|", PM_HDR_TO);
	/* Dots that do not end it stay. */
	expect("To: a@x\n\n.. two\n.x\n.\r\rx\n.", 0, NULL,
		"To: a@x\n\n.. two\n.x\n.\r\rx\n.", "a@x|", PM_HDR_TO);
	/* With -i the "." line is text. */
	expect("To: a@x\n\none\n.\nafter\n", 1, NULL,
		"To: a@x\n\none\n.\nafter\n", "a@x|", PM_HDR_TO);
	/* Even in the header section. */
	expect("To: a@x\n.\nSubject: no\n", 0, NULL, "To: a@x\n", "a@x|", PM_HDR_TO);
}

static void test_added_field(void)
{
	expect("To: a@x\n\nbody\n", 1, "From: me@x",
		"To: a@x\nFrom: me@x\n\nbody\n", "a@x|", PM_HDR_TO);
	/* Input that ends inside the header section, without a line end. */
	expect("To: a@x", 1, "From: me@x", "To: a@x\nFrom: me@x\n", "a@x|", PM_HDR_TO);
	/* A message with no header at all gets a blank line before its body. */
	expect("just text\nmore\n", 1, "From: me@x",
		"From: me@x\n\njust text\nmore\n", "", 0);
	/* Empty input. */
	expect("", 1, "From: me@x", "From: me@x\n", "", 0);
}

/* The whole input arrives in one read, body and all, larger than the
 * buffer: the added field must still fit, and every byte come out. */
static void test_added_field_after_readahead(void)
{
	static char text[3 * sizeof hdr + 64];
	static char want[sizeof text + 64];
	const char *head = "To: a@x\n\n";
	const char *add = "From: \"Cron Daemon\" <root@router.example>";
	size_t n = strlen(head), i;
	pm_msg m;

	memcpy(text, head, n);
	for (i = n; i < sizeof text - 1; i++)
		text[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	text[sizeof text - 1] = '\0';
	snprintf(want, sizeof want, "To: a@x\n%s\n\n%s", add, text + n);
	PM_CHECK_INT(pass(&m, text, sizeof text, 1, add), 0);
	PM_CHECK(out_len == strlen(want) && strcmp(out, want) == 0);
}

static void test_find_and_remove(void)
{
	const uint8_t *body;
	size_t len;
	pm_msg m;

	PM_CHECK_INT(pass(&m, "From: root (Cron\r\n Daemon)\r\nTo: a@x\r\n"
		"from: second@x\n\nFrom: body@x\n", 1000, 1, NULL), 0);
	PM_CHECK_INT(pm_msg_find(&m, "FROM", &body, &len), 1);
	PM_CHECK_MEM(body, len, " root (Cron\r\n Daemon)", 21);
	PM_CHECK_INT(pm_msg_find(&m, "subject", &body, &len), 0);
	/* Every From field goes, with its continuation; the body's stays. */
	{
		static input in;

		in.p = "From: root (Cron\r\n Daemon)\r\nTo: a@x\r\n"
			"from: second@x\n\nFrom: body@x\n";
		in.len = strlen(in.p);
		in.off = 0;
		in.chunk = 7;
		memset(&m, 0, sizeof m);
		m.src = in_read;
		m.src_ctx = &in;
		m.buf = hdr;
		m.cap = sizeof hdr;
		m.ignore_dots = 1;
		PM_CHECK_INT(pm_msg_load(&m), 0);
	}
	pm_msg_remove(&m, "from");
	PM_CHECK_INT(pm_msg_find(&m, "from", &body, &len), 0);
	PM_CHECK_INT(pm_msg_add_field(&m, "From: me@x", 10), 0);
	out_len = 0;
	for (;;) {
		size_t got;

		PM_CHECK_INT(pm_msg_read(&m, (uint8_t *)out + out_len,
			sizeof out - out_len, &got), 0);
		if (got == 0)
			break;
		out_len += got;
	}
	out[out_len] = '\0';
	PM_CHECK_STR(out, "To: a@x\r\nFrom: me@x\n\nFrom: body@x\n");
}

static void test_long_header_line(void)
{
	static char text[1200];
	pm_msg m;

	/* 998 octets before the line end pass, 999 do not. */
	memset(text, 'a', sizeof text);
	memcpy(text, "X-Long: ", 8);
	memcpy(text + 998, "\r\n\nbody\n", 9);
	text[1007] = '\0';
	PM_CHECK_INT(pass(&m, text, 100, 1, NULL), 0);
	memset(text, 'a', sizeof text);
	memcpy(text, "X-Long: ", 8);
	memcpy(text + 999, "\n\nbody\n", 7);
	text[1006] = '\0';
	PM_CHECK_INT(pass(&m, text, 100, 1, NULL), PM_ERR_LINE_TOO_LONG);
	PM_CHECK(m.why != NULL);
}

/* A bare CR would split the line on the wire: "Subject: hi\rBcc: x" must
 * not smuggle a Bcc past the digest (found by fuzz_msg). */
static void test_bare_cr(void)
{
	pm_msg m;

	PM_CHECK_INT(pass(&m, "Subject: hi\rBcc: hidden@x\nTo: a@x\n\nbody\n", 1000, 1,
		NULL), PM_ERR_BARE_CR);
	PM_CHECK_INT(pass(&m, "Subject: hi\r\r\nTo: a@x\n\nbody\n", 1000, 1, NULL),
		PM_ERR_BARE_CR);
	/* CRLF line ends, and a CR in the body, are fine. */
	PM_CHECK_INT(pass(&m, "Subject: hi\r\nTo: a@x\r\n\r\nbo\rdy\n", 1000, 1, NULL), 0);
}

static void test_not_a_header(void)
{
	/* A continuation line with no field before it starts the body. */
	expect(" indented\nTo: a@x\n", 1, NULL, "\n indented\nTo: a@x\n", "", 0);
	expect("Subject: s\nnot a field\n", 1, NULL,
		"Subject: s\n\nnot a field\n", "", 0);
}

static void test_errors(void)
{
	static char big[sizeof hdr + 100];
	pm_msg m;

	PM_CHECK_INT(pass(&m, "To: \"unterminated\n\nx\n", 5, 1, NULL), PM_ERR_ADDR);
	PM_CHECK_STR(m.field, "To");
	PM_CHECK(m.why != NULL);
	memset(big, 'a', sizeof big - 1);
	memcpy(big, "X-Long: ", 8);
	PM_CHECK_INT(pass(&m, big, 1000, 1, NULL), PM_ERR_HDR_TOO_BIG);
	PM_CHECK_INT(pass(&m, "To: a@x\n\nx\n", 1000, 1, NULL), 0);
	PM_CHECK_INT(pm_msg_add_field(&m, "From: a\r\nBcc: x", 16), PM_ERR_BADARG);
	PM_CHECK_INT(pm_msg_add_field(&m, "no colon", 8), PM_ERR_BADARG);
}

int main(void)
{
	PM_RUN(test_bcc_removed);
	PM_RUN(test_groups_and_folding);
	PM_RUN(test_dot_ends_message);
	PM_RUN(test_added_field);
	PM_RUN(test_added_field_after_readahead);
	PM_RUN(test_find_and_remove);
	PM_RUN(test_long_header_line);
	PM_RUN(test_bare_cr);
	PM_RUN(test_not_a_header);
	PM_RUN(test_errors);
	PM_TEST_MAIN();
}
