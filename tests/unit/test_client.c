/*
 * test_client.c — the firmware API (pm_client) against a fake port: the
 * refusals before anything goes on the wire (bad or unusable pins, no
 * entropy, a port that cannot open), a connection that never completes
 * (the timeout, on the port's clock), a server that hangs up, and one that
 * speaks plaintext SMTP on the TLS port. The real network path is proven
 * under QEMU by tests/e2e/test_firmware.sh.
 */
#include "pm_test.h"
#include "pm_client.h"

#define PIN "3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"

typedef struct {
	int open_calls, open_err, entropy_err, close_calls;
	int connected;             /* send accepts bytes */
	int recv_err;              /* recv reports this */
	const char *reply;         /* bytes the "server" sends, once */
	size_t reply_off;
	size_t sent;               /* bytes the client sent */
	uint32_t ms;               /* the clock */
} fake;

static int f_open(void *ctx, const char *host, uint16_t port)
{
	fake *f = ctx;

	(void)host;
	(void)port;
	f->open_calls++;
	return f->open_err;
}

static int f_send(void *ctx, const uint8_t *buf, size_t len, size_t *sent)
{
	fake *f = ctx;

	(void)buf;
	*sent = f->connected ? len : 0;
	f->sent += *sent;
	return 0;
}

static int f_recv(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	fake *f = ctx;
	size_t n;

	*got = 0;
	if (f->reply != NULL && f->reply[f->reply_off] != '\0' && f->sent > 0) {
		n = strlen(f->reply + f->reply_off);
		if (n > cap)
			n = cap;
		memcpy(buf, f->reply + f->reply_off, n);
		f->reply_off += n;
		*got = n;
		return 0;
	}
	return f->recv_err;
}

static int f_close(void *ctx, int abort)
{
	fake *f = ctx;

	(void)abort;
	f->close_calls++;
	return 0;
}

static uint32_t f_now(void *ctx)
{
	fake *f = ctx;

	return f->ms += 10;        /* time passes with every look at it */
}

static int f_entropy(void *ctx, uint8_t *buf, size_t len)
{
	fake *f = ctx;

	memset(buf, 0x5a, len);
	return f->entropy_err;
}

static const pm_client_port port = {
	f_open, f_send, f_recv, f_close, f_now, f_entropy, NULL
};

static pm_client c;
static const char *const rcpt[] = { "bob@example.org" };
static const char body[] = "Subject: alert\r\n\r\ndisk full\r\n";

static void base(pm_client_conf *k, const char *tlsa)
{
	memset(k, 0, sizeof *k);
	k->host = "mail.example.org";
	k->tlsa = tlsa;
	k->from = "router@example.org";
	k->rcpt = rcpt;
	k->nrcpt = 1;
	k->msg = (const uint8_t *)body;
	k->msg_len = sizeof body - 1;
	k->timeout_ms = 1000;
}

/* Poll until done (bounded); the number of polls, or -1. */
static int run(void)
{
	int i;

	for (i = 0; i < 100000; i++)
		if (pm_client_poll(&c) == PM_CLIENT_DONE)
			return i;
	return -1;
}

static void test_bad_pins(void)
{
	pm_client_conf k;
	pm_client_outcome o;
	fake f;

	memset(&f, 0, sizeof f);
	base(&k, "3 1 1 0c7z");    /* not hex */
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), PM_ERR_TLSA_SYNTAX);
	PM_CHECK(run() >= 0);
	PM_CHECK_INT(pm_client_result(&c, &o), PM_ERR_TLSA_SYNTAX);
	PM_CHECK(o.why != NULL && o.why[0] != '\0');
	PM_CHECK_INT(f.open_calls, 0);

	base(&k, "1 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6");
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), PM_ERR_TLSA_UNUSABLE);
	PM_CHECK_INT(f.open_calls, 0);
	/* A digest of the wrong length is unusable, not matched short. */
	base(&k, "3 1 1 0c72");
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), PM_ERR_TLSA_UNUSABLE);
	PM_CHECK_INT(f.open_calls, 0);

	base(&k, "");
	PM_CHECK(pm_client_start(&c, &k, &port, &f) != 0);
	PM_CHECK_INT(f.open_calls, 0);
}

static void test_no_entropy(void)
{
	pm_client_conf k;
	fake f;

	memset(&f, 0, sizeof f);
	f.entropy_err = 1;
	base(&k, PIN);
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), PM_ERR_ENTROPY);
	PM_CHECK(run() >= 0);
	PM_CHECK_INT(pm_client_result(&c, NULL), PM_ERR_ENTROPY);
	PM_CHECK_INT(f.open_calls, 0);
}

static void test_open_fails(void)
{
	pm_client_conf k;
	fake f;

	memset(&f, 0, sizeof f);
	f.open_err = PM_ERR_RESOLVE;
	base(&k, PIN);
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), PM_ERR_RESOLVE);
	PM_CHECK(run() >= 0);
	PM_CHECK_INT(pm_client_result(&c, NULL), PM_ERR_RESOLVE);
	PM_CHECK_INT(f.open_calls, 1);
}

static void test_connect_times_out(void)
{
	pm_client_conf k;
	pm_client_outcome o;
	fake f;

	memset(&f, 0, sizeof f);
	base(&k, PIN);
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), 0);
	PM_CHECK(run() >= 0);
	PM_CHECK_INT(pm_client_result(&c, &o), PM_ERR_TIMEOUT);
	PM_CHECK_INT((int)o.accepted, 0);
	PM_CHECK(f.ms >= 1000);     /* not before the timeout... */
	PM_CHECK(f.ms < 20000);     /* ...and not long after it */
	PM_CHECK(f.close_calls >= 1);
	PM_CHECK_INT((int)f.sent, 0);
}

static void test_server_hangs_up(void)
{
	pm_client_conf k;
	fake f;

	memset(&f, 0, sizeof f);
	f.connected = 1;
	f.recv_err = PM_ERR_NET;
	base(&k, PIN);
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), 0);
	PM_CHECK(run() >= 0);
	PM_CHECK_INT(pm_client_result(&c, NULL), PM_ERR_NET);
	PM_CHECK(f.sent > 0);       /* the ClientHello went out */
}

static void test_plaintext_server(void)
{
	pm_client_conf k;
	pm_client_outcome o;
	fake f;

	memset(&f, 0, sizeof f);
	f.connected = 1;
	f.recv_err = PM_ERR_NET;
	f.reply = "220 mail.example.org ESMTP ready\r\n";
	base(&k, PIN);
	PM_CHECK_INT(pm_client_start(&c, &k, &port, &f), 0);
	PM_CHECK(run() >= 0);
	PM_CHECK_INT(pm_client_result(&c, &o), PM_ERR_TLS);
	PM_CHECK(o.tls_err != 0);
	PM_CHECK(o.presented == NULL);
	PM_CHECK_INT(o.pin, -1);
	PM_CHECK(strcmp(pm_client_strerror(PM_ERR_TLS), "") != 0);
}

int main(void)
{
	PM_RUN(test_bad_pins);
	PM_RUN(test_no_entropy);
	PM_RUN(test_open_fails);
	PM_RUN(test_connect_times_out);
	PM_RUN(test_server_hangs_up);
	PM_RUN(test_plaintext_server);
	PM_TEST_MAIN();
}
