/*
 * pm_session.c — TLS profile and the glue between BearSSL and SMTP.
 */
#include <string.h>
#include "pm_session.h"

/*
 * The cipher profile: TLS 1.2 only (RFC 8314 requires it of submission
 * servers; BearSSL has no 1.3), forward-secret ECDHE with AEAD only.
 * Naming each piece, rather than br_ssl_client_init_full(), is what keeps
 * RSA key exchange, CBC, 3DES and their code out of the binary.
 */
static const uint16_t suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

void pm_session_profile(br_ssl_client_context *cc)
{
	br_ssl_engine_context *eng = &cc->eng;

	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
	/* Handshake hash and signature hashes (the server's ServerKeyExchange
	 * signature may use any of them). */
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	/* P-256, P-384, P-521 and X25519. */
	br_ssl_engine_set_ec(eng, &PM_EC_IMPL);
	br_ssl_engine_set_rsavrfy(eng, br_rsa_pkcs1_vrfy_get_default());
	br_ssl_engine_set_ecdsa(eng, br_ecdsa_vrfy_asn1_get_default());
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
}

static void hash_u32(br_sha256_context *h, uint32_t v)
{
	uint8_t b[4];

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	br_sha256_update(h, b, 4);
}

void pm_session_bind(uint8_t out[32], const char *host, uint16_t port,
	const pm_tlsa *tlsa, size_t ntlsa)
{
	static const char label[] = "pinmail TLS session binding 1";
	br_sha256_context h;
	size_t i, n = strlen(host);

	/* Every field length-prefixed: no two different inputs hash the
	 * same bytes. */
	br_sha256_init(&h);
	br_sha256_update(&h, label, sizeof label);
	hash_u32(&h, (uint32_t)n);
	br_sha256_update(&h, host, n);
	hash_u32(&h, port);
	hash_u32(&h, (uint32_t)ntlsa);
	for (i = 0; i < ntlsa; i++) {
		hash_u32(&h, (uint32_t)tlsa[i].usage << 16
			| (uint32_t)tlsa[i].selector << 8 | tlsa[i].mtype);
		hash_u32(&h, tlsa[i].len);
		br_sha256_update(&h, tlsa[i].data, tlsa[i].len);
	}
	br_sha256_out(&h, out);
}

/* A cached session is offered only within PM_TLS_CACHE_MAX_AGE of the
 * full handshake that verified it (a resumed one checks no dates): by the
 * wall clock when both times are known, else only if the caller measured
 * the age itself (resume_age_checked, e.g. with a monotonic clock). */
static int young(const pm_tls_cache *r, const pm_session_params *p)
{
	if (p->now != 0 && r->verified != 0)
		return r->verified <= p->now + 300
			&& (r->verified > p->now || p->now - r->verified <= PM_TLS_CACHE_MAX_AGE);
	return p->resume_age_checked;
}

/* The host name goes out as SNI and is the name DANE-TA checks. */
static int start_tls(pm_session *s)
{
	if (!br_ssl_client_reset(&s->cc, s->host, s->offered)) {
		s->tls_err = br_ssl_engine_last_error(&s->cc.eng);
		return PM_ERR_TLS;
	}
	return 0;
}

/*
 * STARTTLS, before TLS: the SMTP engine talks in plaintext through the
 * record buffers (BearSSL is not started yet, so they are free). When it
 * has its 220 to STARTTLS, TLS starts, unless the server sent more than
 * that reply: bytes that came before TLS must not be read as if they came
 * through it.
 */
static unsigned plain_step(pm_session *s)
{
	unsigned w, flags = 0;
	size_t n;

	for (;;) {
		w = pm_smtp_wants(&s->smtp);
		if (s->plain_in > 0) {
			n = pm_smtp_input(&s->smtp, s->ibuf, s->plain_in);
			memmove(s->ibuf, s->ibuf + n, s->plain_in - n);
			s->plain_in -= n;
			w = pm_smtp_wants(&s->smtp);
			if ((w & PM_SMTP_WANT_TLS) && s->plain_in > 0) {
				pm_smtp_closed(&s->smtp, PM_ERR_STARTTLS);
				s->smtp.stage = "STARTTLS (data injected before TLS)";
				s->done = 1;
				return PM_SESSION_DONE;
			}
		}
		if (w & PM_SMTP_DONE) {
			if (s->plain_sent < s->plain_out)
				return PM_SESSION_WANT_SEND;
			s->done = 1;
			return PM_SESSION_DONE;
		}
		if ((w & PM_SMTP_WANT_TLS) && s->plain_sent == s->plain_out) {
			s->plain = 0;
			if (start_tls(s) != 0) {
				pm_smtp_closed(&s->smtp, PM_ERR_TLS);
				s->done = 1;
				return PM_SESSION_DONE;
			}
			return 0;       /* the caller steps again, in TLS */
		}
		if (s->plain_sent == s->plain_out && (w & PM_SMTP_WANT_OUTPUT)) {
			s->plain_out = pm_smtp_output(&s->smtp, s->obuf, sizeof s->obuf);
			s->plain_sent = 0;
			s->app_out += s->plain_out;
			if (s->plain_out > 0)
				continue;
		}
		break;
	}
	if (s->plain_sent < s->plain_out)
		flags |= PM_SESSION_WANT_SEND;
	if (w & PM_SMTP_WANT_INPUT)
		flags |= PM_SESSION_WANT_RECV;
	return flags;
}

int pm_session_start(pm_session *s, const pm_session_params *p)
{
	br_ssl_engine_context *eng = &s->cc.eng;
	const pm_tls_cache *r = p->resume;
	int err;

	s->tls_err = 0;
	s->closing = s->done = 0;
	s->offered = s->resumed = s->secure = 0;
	s->resumed_matched = -1;
	s->resumed_verified = 0;
	s->now = p->now;
	s->app_out = 0;
	s->plain = p->smtp.starttls != 0;
	s->plain_out = s->plain_sent = s->plain_in = 0;
	s->host = p->host;
	if (p->host == NULL || p->host[0] == '\0' || p->seed_len < 32)
		return PM_ERR_BADARG;
	err = pm_dane_init(&s->dane, p->tlsa, p->ntlsa);
	if (err != 0)
		return err;
	if (p->now != 0)
		pm_dane_set_time(&s->dane, p->now);
	err = pm_smtp_init(&s->smtp, &p->smtp);
	if (err != 0)
		return err;

	pm_session_profile(&s->cc);
	br_ssl_engine_set_x509(eng, &s->dane.vtable);
	br_ssl_engine_set_buffers_bidi(eng, s->ibuf, sizeof s->ibuf,
		s->obuf, sizeof s->obuf);
	br_ssl_engine_inject_entropy(eng, p->seed, p->seed_len);
	/* A cached session only where it was verified, under the same pins. */
	pm_session_bind(s->bind, p->host, p->port, p->tlsa, p->ntlsa);
	if (r != NULL && r->params.session_id_len > 0
		&& r->params.session_id_len <= sizeof r->params.session_id
		&& r->matched >= 0 && (size_t)r->matched < p->ntlsa
		&& young(r, p)
		&& memcmp(r->bind, s->bind, sizeof s->bind) == 0) {
		br_ssl_engine_set_session_parameters(eng, &r->params);
		memcpy(s->offered_id, r->params.session_id, r->params.session_id_len);
		s->offered_id_len = r->params.session_id_len;
		s->offered = 1;
		s->resumed_matched = r->matched;
		s->resumed_verified = r->verified;
	}
	if (s->plain)
		return 0;               /* TLS starts after STARTTLS */
	return start_tls(s);
}

/* TLS is over before SMTP finished: say why, in SMTP's result. */
static void tls_ended(pm_session *s)
{
	int err = br_ssl_engine_last_error(&s->cc.eng), why;

	s->tls_err = err;
	if (err == 0)
		why = PM_ERR_NET;       /* the server closed TLS mid-session */
	else if (err >= 32 && err < 64      /* BearSSL's X.509 error range */
		&& pm_dane_status(&s->dane) != PM_OK)
		why = pm_dane_status(&s->dane);
	else
		why = PM_ERR_TLS;
	pm_smtp_closed(&s->smtp, why);
}

/* The handshake completed: full (the pins said yes), or abbreviated. A
 * server that echoes the offered session ID resumed it (RFC 5246
 * 7.4.1.3); BearSSL has then checked its Finished with that master
 * secret, and it verified nothing else. */
static void handshake_done(pm_session *s)
{
	br_ssl_session_parameters now;

	s->secure = 1;
	pm_smtp_tls_up(&s->smtp);       /* STARTTLS: EHLO again, now in TLS */
	if (!s->offered)
		return;
	br_ssl_engine_get_session_parameters(&s->cc.eng, &now);
	/* No certificate was verified in a full handshake only if it failed,
	 * and a failed one never completes: both must agree. */
	s->resumed = now.session_id_len == s->offered_id_len
		&& memcmp(now.session_id, s->offered_id, s->offered_id_len) == 0
		&& pm_dane_matched(&s->dane) < 0;
}

unsigned pm_session_step(pm_session *s)
{
	br_ssl_engine_context *eng = &s->cc.eng;
	unsigned st, w, flags;
	unsigned char *buf;
	size_t len, n;
	int progress;

	if (s->plain && !s->done) {
		flags = plain_step(s);
		if (s->plain || (flags & PM_SESSION_DONE))
			return flags;
	}

	do {
		if (s->done)
			return PM_SESSION_DONE;
		progress = 0;
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED) {
			if (!(pm_smtp_wants(&s->smtp) & PM_SMTP_DONE))
				tls_ended(s);
			s->done = 1;
			return PM_SESSION_DONE;
		}
		if (!s->secure && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
			handshake_done(s);
		if (st & BR_SSL_RECVAPP) {
			buf = br_ssl_engine_recvapp_buf(eng, &len);
			n = pm_smtp_input(&s->smtp, buf, len);
			if (n > 0) {
				br_ssl_engine_recvapp_ack(eng, n);
				progress = 1;
			}
		}
		w = pm_smtp_wants(&s->smtp);
		if (w & PM_SMTP_DONE) {
			if (!s->closing) {
				/* close_notify; the peer's is not awaited. */
				br_ssl_engine_close(eng);
				s->closing = 1;
				progress = 1;
			} else if (!(st & BR_SSL_SENDREC)) {
				s->done = 1;
				return PM_SESSION_DONE;
			}
		} else if ((w & PM_SMTP_WANT_OUTPUT) && (st & BR_SSL_SENDAPP)) {
			buf = br_ssl_engine_sendapp_buf(eng, &len);
			n = pm_smtp_output(&s->smtp, buf, len);
			s->app_out += n;
			if (n > 0) {
				br_ssl_engine_sendapp_ack(eng, n);
				progress = 1;
			}
			/* One record per flight: seal it once SMTP has said all
			 * it can say now, or when it needs a fresh buffer. */
			if (n == 0 || !(pm_smtp_wants(&s->smtp) & PM_SMTP_WANT_OUTPUT))
				br_ssl_engine_flush(eng, 0);
		}
	} while (progress);

	st = br_ssl_engine_current_state(eng);
	flags = 0;
	if (st & BR_SSL_SENDREC)
		flags |= PM_SESSION_WANT_SEND;
	if (st & BR_SSL_RECVREC)
		flags |= PM_SESSION_WANT_RECV;
	return flags;
}

unsigned char *pm_session_sendbuf(pm_session *s, size_t *len)
{
	if (s->plain) {
		*len = s->plain_out - s->plain_sent;
		return s->obuf + s->plain_sent;
	}
	return br_ssl_engine_sendrec_buf(&s->cc.eng, len);
}

void pm_session_sendack(pm_session *s, size_t n)
{
	if (s->plain)
		s->plain_sent += n;
	else
		br_ssl_engine_sendrec_ack(&s->cc.eng, n);
}

unsigned char *pm_session_recvbuf(pm_session *s, size_t *len)
{
	if (s->plain) {
		*len = sizeof s->ibuf - s->plain_in;
		return s->ibuf + s->plain_in;
	}
	return br_ssl_engine_recvrec_buf(&s->cc.eng, len);
}

void pm_session_recvack(pm_session *s, size_t n)
{
	if (s->plain)
		s->plain_in += n;
	else
		br_ssl_engine_recvrec_ack(&s->cc.eng, n);
}

void pm_session_net_closed(pm_session *s, int err)
{
	if (!(pm_smtp_wants(&s->smtp) & PM_SMTP_DONE)) {
		/* Mid-handshake, a closed connection after a failed check is
		 * the check's failure, not the network's. */
		if (br_ssl_engine_last_error(&s->cc.eng) != 0)
			tls_ended(s);
		else
			pm_smtp_closed(&s->smtp, err != 0 ? err : PM_ERR_NET);
	}
	s->done = 1;
}

int pm_session_matched(const pm_session *s)
{
	if (!s->secure)
		return -1;
	return s->resumed ? (int)s->resumed_matched : pm_dane_matched(&s->dane);
}

int pm_session_keep(const pm_session *s, pm_tls_cache *out)
{
	int m = pm_session_matched(s);

	if (m < 0)
		return 0;
	memset(out, 0, sizeof *out);
	br_ssl_engine_get_session_parameters(&s->cc.eng, &out->params);
	if (out->params.session_id_len == 0) {
		memset(out, 0, sizeof *out);
		return 0;
	}
	memcpy(out->bind, s->bind, sizeof out->bind);
	out->matched = m;
	out->verified = s->resumed ? s->resumed_verified : s->now;
	return 1;
}

int pm_session_result(const pm_session *s)
{
	return s->smtp.err;
}
