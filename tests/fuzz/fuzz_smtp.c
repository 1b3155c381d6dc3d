/*
 * fuzz_smtp.c — the SMTP engine against arbitrary server bytes.
 *
 * Input: 4 bytes of set-up, then what the server sends.
 *   byte 0  bit 0: no AUTH (else user/password below)   bit 1: transcript
 *           bits 2-4: which message (see messages[])    bit 5: DSN and BODY
 *           parameters asked for   bit 6: SMTPUTF8 asked for (the 4th
 *           recipient is UTF-8)   bit 7: null sender <>
 *   byte 1  bits 0-1: recipients - 1   bit 2: the server talks out of turn
 *           (its bytes are handed over whenever the engine reads; else
 *           only the replies owed for the commands sent so far)
 *   bytes 1-3  seed of the chunking (how server bytes are cut, output
 *           room, message read sizes)
 * The session and every check are in smtp_drive.h.
 */
#include "smtp_drive.h"

static const char *const rcpts[] = {
	"a@example.org", "b@example.net", "c@example.com", "d\xc3\xbc@example.org"
};

/* A message with a 999-octet line (line 4), one of 3,000 octets in many
 * lines, filled in once. */
static char long_msg[2100], big_msg[3100];

static const struct { const char *text; size_t fail_at; } messages[8] = {
	{ "Subject: fuzz\r\nTo: a@example.org\r\n\r\nfirst line\r\n.dot line\r\n"
	  "..two dots\r\n.\r\nlast line\r\n", SIZE_MAX },
	{ "Subject: x\n\nbare lf\rbare cr\r\n.\n\r\n\r\rno final newline.", SIZE_MAX },
	{ long_msg, SIZE_MAX },
	{ "Subject: fuzz\r\nTo: a@example.org\r\n\r\nfirst line\r\n.dot line\r\n"
	  "..two dots\r\n.\r\nlast line\r\n", 20 },      /* the read fails */
	{ "", SIZE_MAX },
	{ ".\n", SIZE_MAX },
	{ big_msg, SIZE_MAX },
	{ "\r", SIZE_MAX },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t n = 0, i;

	(void)argc;
	(void)argv;
	n += (size_t)sprintf(long_msg, "Subject: long\n\n");
	memset(long_msg + n, 'x', 998);
	n += 998;
	long_msg[n++] = '\n';
	memset(long_msg + n, 'y', 999);
	n += 999;
	strcpy(long_msg + n, "\nafter\n");
	for (n = 0, i = 0; n < sizeof big_msg - 64; i++)
		n += (size_t)sprintf(big_msg + n, "%sline %zu of a longer message\r\n",
			i % 7 == 3 ? "." : "", i);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sd_ctx x;
	unsigned flags, v;

	if (size < 4)
		return 0;
	flags = data[0];
	memset(&x, 0, sizeof x);
	v = (flags >> 2) & 7;
	x.msg = (const uint8_t *)messages[v].text;
	x.msg_len = strlen(messages[v].text);
	x.read_fail_at = messages[v].fail_at;
	x.seed = (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	x.server = data + 4;
	x.server_len = size - 4;

	x.p.helo = "client.example.org";
	if (!(flags & 1)) {
		x.p.user = "fuzz@example.org";
		x.p.pass = "s3cret-Pa55!w0rd";
	}
	x.p.trace = (flags & 2) ? sd_trace : NULL;
	x.p.from = (flags & 0x80) ? "" : "sender@example.org";
	x.p.rcpt = rcpts;
	x.p.nrcpt = 1 + (data[1] & 3);
	x.free_server = (data[1] & 4) != 0;
	if (flags & 0x20) {
		x.p.body = PM_BODY_7BIT;
		x.p.notify = "delay,Success";
		x.p.ret = "hdrs";
		x.p.envid = "id+1=x y\x01\xff";
	}
	x.p.smtputf8 = (flags & 0x40) != 0;
	if (!x.p.smtputf8 && x.p.nrcpt == 4)
		x.p.nrcpt = 3;
	FZ_CHECK(sd_run(&x) == 0);
	return 0;
}
