/*
 * test_session.c — what binds a resumable TLS session: pm_session_bind
 * tells apart every change of host, port or pin set, and pm_session_start
 * offers a cached session only under the binding it was verified with
 * (anything else starts a full handshake, where the pins are checked).
 * That the server really resumes, and that a changed pin set never does,
 * is proven against Postfix by tests/e2e/test_resume.sh.
 */
#include "pm_test.h"
#include "pm_session.h"

static uint8_t d1[32], d2[32], d3[32];
static pm_tlsa pins[3] = {
	{ 3, 1, 1, 32, d1 },
	{ 2, 1, 1, 32, d2 },
	{ 3, 0, 1, 32, d3 },
};
static const char *const rcpt[] = { "bob@example.org" };
static pm_session sess;

static int no_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	(void)ctx; (void)buf; (void)cap;
	*got = 0;
	return 0;
}

static pm_session_params params(const pm_tls_cache *resume)
{
	static const uint8_t seed[32] = { 1, 2, 3 };
	pm_session_params p;

	memset(&p, 0, sizeof p);
	p.host = "mail.example.org";
	p.port = 465;
	p.tlsa = pins;
	p.ntlsa = 2;
	p.seed = seed;
	p.seed_len = sizeof seed;
	p.now = 1700000060;             /* a minute after the cache's handshake */
	p.resume = resume;
	p.smtp.helo = "client.example";
	p.smtp.from = "alice@example.org";
	p.smtp.rcpt = rcpt;
	p.smtp.nrcpt = 1;
	p.smtp.read = no_read;
	return p;
}

static void test_bind(void)
{
	uint8_t a[32], b[32];
	pm_tlsa swapped[2];

	memset(d1, 0x11, sizeof d1);
	memset(d2, 0x22, sizeof d2);
	memset(d3, 0x33, sizeof d3);
	pm_session_bind(a, "mail.example.org", 465, pins, 2);
	pm_session_bind(b, "mail.example.org", 465, pins, 2);
	PM_CHECK_MEM(a, 32, b, 32);
	pm_session_bind(b, "mail.example.net", 465, pins, 2);
	PM_CHECK(memcmp(a, b, 32) != 0);
	pm_session_bind(b, "mail.example.org", 587, pins, 2);
	PM_CHECK(memcmp(a, b, 32) != 0);
	pm_session_bind(b, "mail.example.org", 465, pins, 1);      /* one pin less */
	PM_CHECK(memcmp(a, b, 32) != 0);
	pm_session_bind(b, "mail.example.org", 465, pins, 3);      /* one more */
	PM_CHECK(memcmp(a, b, 32) != 0);
	swapped[0] = pins[1];
	swapped[1] = pins[0];
	pm_session_bind(b, "mail.example.org", 465, swapped, 2);   /* reordered */
	PM_CHECK(memcmp(a, b, 32) != 0);
	swapped[0] = pins[0];
	swapped[1] = pins[1];
	swapped[1].usage = 3;                                      /* 2 1 1 -> 3 1 1 */
	pm_session_bind(b, "mail.example.org", 465, swapped, 2);
	PM_CHECK(memcmp(a, b, 32) != 0);
	d2[31] ^= 1;                                               /* one bit of data */
	pm_session_bind(b, "mail.example.org", 465, pins, 2);
	PM_CHECK(memcmp(a, b, 32) != 0);
	d2[31] ^= 1;
	/* Lengths are part of it: "ab" + port != "a" + ... */
	pm_session_bind(a, "ab", 465, pins, 0);
	pm_session_bind(b, "a", 465, pins, 0);
	PM_CHECK(memcmp(a, b, 32) != 0);
}

/* The session the engine would offer: its ID, or none. */
static size_t offered_id(uint8_t id[32])
{
	br_ssl_session_parameters sp;

	br_ssl_engine_get_session_parameters(&sess.cc.eng, &sp);
	memcpy(id, sp.session_id, 32);
	return sp.session_id_len;
}

static void test_offer(void)
{
	pm_session_params p;
	pm_tls_cache c;
	uint8_t id[32];

	memset(&c, 0, sizeof c);
	pm_session_bind(c.bind, "mail.example.org", 465, pins, 2);
	c.matched = 1;
	c.verified = 1700000000;
	c.params.version = BR_TLS12;
	c.params.cipher_suite = BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
	c.params.session_id_len = 32;
	memset(c.params.session_id, 0xab, 32);
	memset(c.params.master_secret, 0xcd, 48);

	/* Bound to this host, port and pins: offered. */
	p = params(&c);
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 1);
	PM_CHECK_INT(offered_id(id), 32);
	PM_CHECK_MEM(id, 32, c.params.session_id, 32);
	/* Nothing is verified or resumed before the handshake. */
	PM_CHECK_INT(pm_session_matched(&sess), -1);
	PM_CHECK_INT(pm_session_keep(&sess, &c), 0);
	pm_session_bind(c.bind, "mail.example.org", 465, pins, 2);

	/* Without a cache: a full handshake. */
	p = params(NULL);
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	PM_CHECK_INT(offered_id(id), 0);

	/* Another port, another pin set, another host: not offered. */
	p = params(&c);
	p.port = 587;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	PM_CHECK_INT(offered_id(id), 0);
	p = params(&c);
	p.ntlsa = 1;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	PM_CHECK_INT(offered_id(id), 0);
	p = params(&c);
	p.host = "mail.example.net";
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	PM_CHECK_INT(offered_id(id), 0);

	/* A cache entry naming no pin of the set, or with no ID: not offered. */
	p = params(&c);
	c.matched = 2;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	c.matched = -1;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	c.matched = 0;
	c.params.session_id_len = 0;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	c.params.session_id_len = 33;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	c.params.session_id_len = 32;

	/* Age: at most PM_TLS_CACHE_MAX_AGE after the full handshake. */
	p = params(&c);
	p.now = c.verified + PM_TLS_CACHE_MAX_AGE;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 1);
	p.now = c.verified + PM_TLS_CACHE_MAX_AGE + 1;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	p.now = c.verified - 300;                       /* a little skew: fine */
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 1);
	p.now = c.verified - 301;                       /* from the future: no */
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	/* Without a wall clock, only if the caller measured the age. */
	p.now = 0;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
	p.resume_age_checked = 1;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 1);
	p.now = 1700000060;
	c.verified = 0;
	p.resume_age_checked = 0;
	PM_CHECK_INT(pm_session_start(&sess, &p), 0);
	PM_CHECK_INT(sess.offered, 0);
}

int main(void)
{
	PM_RUN(test_bind);
	PM_RUN(test_offer);
	PM_TEST_MAIN();
}
