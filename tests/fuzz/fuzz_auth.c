/*
 * fuzz_auth.c — AUTH PLAIN / LOGIN and the engine's base64, with fuzzed
 * credentials and fuzzed server challenges.
 *
 * Input: 3 bytes of set-up, user NUL password NUL, then what the server
 * says after its EHLO reply (the 334 challenges, 235/535..., and on).
 *   byte 0  bits 0-1: AUTH advertised: PLAIN LOGIN / LOGIN / "AUTH=LOGIN"
 *           (pre-standard) / plain login (lower case)
 *           bit 2: PIPELINING advertised   bit 3: transcript
 *           bit 4: the server talks out of turn (see fuzz_smtp.c)
 *           bit 5: CHUNKING advertised (the message goes as BDAT)
 *   bytes 1-2  seed of the chunking
 * A missing NUL ends the field at the end of the input. Credentials longer
 * than PM_CRED_MAX must be refused by pm_smtp_init (PM_ERR_CRED), others
 * must go out exactly as the reference base64 encodes them (smtp_drive.h:
 * AUTH PLAIN "\0user\0pass", or LOGIN's two lines, each only after its
 * 334), and must never reach the transcript.
 */
#include "smtp_drive.h"

static const char *const rcpts[] = { "rcpt@example.org" };

static const char *const ehlo[4] = {
	"250-AUTH PLAIN LOGIN\r\n",
	"250-AUTH LOGIN\r\n",
	"250-AUTH=LOGIN\r\n",
	"250-AUTH plain login\r\n",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sd_ctx x;
	static char user[4096], pass[4096];
	static uint8_t server[8192 + 256];
	const uint8_t *p, *end = data + size, *z;
	size_t n, un, pn;
	unsigned flags;
	int r;

	if (size < 3 || size > 8192)
		return 0;
	flags = data[0];
	p = data + 3;
	z = memchr(p, 0, (size_t)(end - p));
	un = (size_t)((z != NULL ? z : end) - p);
	if (un >= sizeof user)
		return 0;
	memcpy(user, p, un);
	user[un] = '\0';
	p = z != NULL ? z + 1 : end;
	z = memchr(p, 0, (size_t)(end - p));
	pn = (size_t)((z != NULL ? z : end) - p);
	if (pn >= sizeof pass)
		return 0;
	memcpy(pass, p, pn);
	pass[pn] = '\0';
	p = z != NULL ? z + 1 : end;

	/* The server: greeting and EHLO reply fixed, the rest fuzzed. */
	n = (size_t)sprintf((char *)server, "220 mx.example ESMTP\r\n250-mx.example\r\n"
		"%s%s%s250 8BITMIME\r\n", ehlo[flags & 3],
		(flags & 4) ? "250-PIPELINING\r\n" : "",
		(flags & 0x20) ? "250-CHUNKING\r\n" : "");
	memcpy(server + n, p, (size_t)(end - p));
	n += (size_t)(end - p);

	memset(&x, 0, sizeof x);
	x.msg = (const uint8_t *)"Subject: auth\r\n\r\nhi\r\n";
	x.msg_len = strlen((const char *)x.msg);
	x.read_fail_at = SIZE_MAX;
	x.seed = (uint32_t)data[1] << 8 | data[2];
	x.server = server;
	x.server_len = n;
	x.free_server = (flags & 0x10) != 0;
	x.p.helo = "client.example.org";
	x.p.user = user;
	x.p.pass = pass;
	x.p.trace = (flags & 8) ? sd_trace : NULL;
	x.p.from = "sender@example.org";
	x.p.rcpt = rcpts;
	x.p.nrcpt = 1;
	r = sd_run(&x);
	if (un > PM_CRED_MAX || pn > PM_CRED_MAX)
		FZ_CHECK(r == PM_ERR_CRED);
	else
		FZ_CHECK(r == 0);
	return 0;
}
