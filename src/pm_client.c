/*
 * pm_client.c — the firmware API (contract in pm_client.h).
 *
 * This is the non-blocking twin of port/posix/pm_net.c's pump: the same
 * session, the same "the server must answer within the timeout of what was
 * last sent" rule, but every port call returns at once, so one poll moves
 * what it can and hands control back to the superloop. Being callable
 * from the port's own callbacks is what lets lwIP's raw API drive it
 * without any buffering of its own beyond lwIP's pbufs.
 */
#include <string.h>
#include "pm_client.h"

#define DEFAULT_PORT       465u
#define DEFAULT_TIMEOUT_MS 30000u

/* Wrapping millisecond comparison: a is at or after b. */
static int reached(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static uint32_t now(const pm_client *c)
{
	return c->port->now_ms(c->port_ctx);
}

/* The seed must not linger on the stack; a plain memset before return
 * may be optimised away. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n-- > 0)
		*v++ = 0;
}

static int buf_read(void *ctx, uint8_t *dst, size_t cap, size_t *got)
{
	pm_client *c = ctx;
	size_t n = c->msg_len - c->msg_off;

	if (n > cap)
		n = cap;
	memcpy(dst, c->msg + c->msg_off, n);
	c->msg_off += n;
	*got = n;
	return 0;
}

static int blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Records separated by ';' or line breaks; empty pieces are skipped. */
static int parse_pins(pm_client *c, const char *text, size_t *n)
{
	const char *p = text, *end, *q;
	int err;

	*n = 0;
	while (*p != '\0') {
		for (end = p; *end != '\0' && *end != ';' && *end != '\n'; end++)
			;
		for (q = p; q < end && blank(*q); q++)
			;
		if (q < end) {
			if (*n == PM_TLSA_MAX)
				return PM_ERR_BADARG;
			err = pm_tlsa_parse(&c->tlsa[*n], c->tlsa_data[*n],
				sizeof c->tlsa_data[*n], p, (size_t)(end - p), &c->why);
			if (err != 0)
				return err;
			(*n)++;
		}
		p = *end != '\0' ? end + 1 : end;
	}
	return 0;
}

static int start(pm_client *c, const pm_client_conf *conf)
{
	pm_session_params sp;
	uint8_t seed[32];
	size_t ntlsa;
	int err;

	if (conf->host == NULL || conf->tlsa == NULL || conf->from == NULL
		|| (conf->msg == NULL && conf->read == NULL)
		|| c->port->open == NULL || c->port->send == NULL
		|| c->port->recv == NULL || c->port->close == NULL
		|| c->port->entropy == NULL)
		return PM_ERR_BADARG;
	err = parse_pins(c, conf->tlsa, &ntlsa);
	if (err != 0)
		return err;

	memset(&sp, 0, sizeof sp);
	sp.host = conf->host;
	sp.port = conf->port != 0 ? conf->port : DEFAULT_PORT;
	sp.resume = conf->session;
	c->session = conf->session;
	/* Without a wall clock the age is measured on the port's own. */
	sp.resume_age_checked = conf->session != NULL
		&& now(c) - conf->session->kept_ms <= PM_TLS_CACHE_MAX_AGE * 1000u;
	sp.tlsa = c->tlsa;
	sp.ntlsa = ntlsa;
	sp.now = c->port->unix_time != NULL ? c->port->unix_time(c->port_ctx) : 0;
	sp.smtp.helo = conf->helo != NULL ? conf->helo : "pinmail";
	sp.smtp.user = conf->user;
	sp.smtp.pass = conf->password != NULL ? conf->password : "";
	sp.smtp.from = conf->from;
	sp.smtp.rcpt = conf->rcpt;
	sp.smtp.nrcpt = conf->nrcpt;
	if (conf->msg != NULL) {
		c->msg = conf->msg;
		c->msg_len = conf->msg_len;
		sp.smtp.read = buf_read;
		sp.smtp.read_ctx = c;
	} else {
		sp.smtp.read = conf->read;
		sp.smtp.read_ctx = conf->read_ctx;
	}
	sp.smtp.trace = conf->trace;
	sp.smtp.trace_ctx = conf->trace_ctx;

	/* Fresh entropy for every session: the engine's DRBG is seeded from
	 * it, and with it the ECDHE key. */
	if (c->port->entropy(c->port_ctx, seed, sizeof seed) != 0)
		return PM_ERR_ENTROPY;
	sp.seed = seed;
	sp.seed_len = sizeof seed;
	err = pm_session_start(&c->s, &sp);
	wipe(seed, sizeof seed);
	if (err != 0)
		return err;

	return c->port->open(c->port_ctx,
		conf->connect_to != NULL ? conf->connect_to : conf->host,
		conf->port != 0 ? conf->port : DEFAULT_PORT);
}

int pm_client_start(pm_client *c, const pm_client_conf *conf,
	const pm_client_port *port, void *port_ctx)
{
	memset(c, 0, sizeof *c);
	if (port == NULL || port->now_ms == NULL || conf == NULL) {
		c->err = PM_ERR_BADARG;     /* no clock even to time the failure */
		c->phase = PM_CLIENT_DONE;
		return c->err;
	}
	c->port = port;
	c->port_ctx = port_ctx;
	c->timeout_ms = conf->timeout_ms != 0 ? conf->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->t_start = now(c);
	c->deadline = c->t_start + c->timeout_ms;
	c->phase = PM_CLIENT_CONNECTING;
	c->err = start(c, conf);
	if (c->err != 0) {
		c->phase = PM_CLIENT_DONE;
		c->t_end = now(c);
	}
	return c->err;
}

/* The port failed: the session ends with its error; nothing is left to
 * close gracefully. */
static void net_failed(pm_client *c, int err)
{
	pm_session_net_closed(&c->s, err);
	c->aborting = 1;
}

/* Move bytes until neither side can. */
static void pump(pm_client *c)
{
	const pm_client_port *p = c->port;
	unsigned f;
	unsigned char *buf;
	size_t len, n;
	int progress, err;

	do {
		progress = 0;
		f = pm_session_step(&c->s);
		if (f & PM_SESSION_DONE)
			return;
		if (c->phase == PM_CLIENT_HANDSHAKE && (br_ssl_engine_current_state(
			&c->s.cc.eng) & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
			c->phase = PM_CLIENT_SMTP;
			c->t_secure = now(c);
		}
		if (f & PM_SESSION_WANT_SEND) {
			buf = pm_session_sendbuf(&c->s, &len);
			n = 0;
			err = p->send(c->port_ctx, buf, len, &n);
			if (err != 0) {
				net_failed(c, err);
				return;
			}
			if (n > 0) {
				pm_session_sendack(&c->s, n);
				c->deadline = now(c) + c->timeout_ms;
				progress = 1;
				if (c->phase == PM_CLIENT_CONNECTING) {
					c->phase = PM_CLIENT_HANDSHAKE;
					c->t_connected = now(c);
				}
			}
		}
		if (f & PM_SESSION_WANT_RECV) {
			buf = pm_session_recvbuf(&c->s, &len);
			n = 0;
			err = p->recv(c->port_ctx, buf, len, &n);
			if (err != 0) {
				net_failed(c, err);
				return;
			}
			if (n > 0) {
				pm_session_recvack(&c->s, n);
				progress = 1;
			}
		}
		if (!(f & (PM_SESSION_WANT_SEND | PM_SESSION_WANT_RECV))) {
			/* Neither side can move: a bug, not a hang. */
			net_failed(c, PM_ERR_NET);
			return;
		}
	} while (progress);

	if (reached(now(c), c->deadline)) {
		pm_session_net_closed(&c->s, PM_ERR_TIMEOUT);
		c->aborting = 1;
	}
}

static void finish(pm_client *c)
{
	/* Keep a new session for the next submission; forget one that the
	 * server would not take back cleanly. */
	if (c->session != NULL) {
		if (c->s.secure && !c->s.resumed
			&& pm_session_keep(&c->s, c->session))
			c->session->kept_ms = now(c);
		else if (c->s.offered && !c->s.secure)
			wipe(c->session, sizeof *c->session);
	}
	c->phase = PM_CLIENT_DONE;
	c->t_end = now(c);
}

static void closing(pm_client *c)
{
	if (c->port->close(c->port_ctx, c->aborting) == 0 || c->aborting) {
		finish(c);
	} else if (reached(now(c), c->deadline)) {
		/* The peer never took the last bytes: give up on them. The
		 * outcome is already decided. */
		c->port->close(c->port_ctx, 1);
		finish(c);
	}
}

int pm_client_poll(pm_client *c)
{
	if (c->in_poll || c->phase == PM_CLIENT_DONE)
		return c->phase;
	c->in_poll = 1;
	if (c->phase != PM_CLIENT_CLOSING) {
		pump(c);
		if (c->s.done) {
			c->phase = PM_CLIENT_CLOSING;
			c->deadline = now(c) + c->timeout_ms;
		}
	}
	if (c->phase == PM_CLIENT_CLOSING)
		closing(c);
	c->in_poll = 0;
	return c->phase;
}

int pm_client_result(const pm_client *c, pm_client_outcome *o)
{
	int err = c->err != 0 ? c->err : pm_session_result(&c->s);
	const pm_smtp *m = &c->s.smtp;

	if (o == NULL)
		return err;
	memset(o, 0, sizeof *o);
	o->err = err;
	o->stage = "";
	o->reply_text = "";
	o->pin = -1;
	o->why = c->why != NULL ? c->why : "";
	o->ms_total = c->t_end - c->t_start;
	if (c->err != 0)
		return err;                 /* the session never started */
	if (m->delivered && m->err == 0) {
		o->reply_code = 250;
		o->reply_text = m->final_text;
	} else {
		o->stage = m->stage != NULL ? m->stage : "";
		o->reply_code = m->reply_code;
		o->reply_text = m->reply_text;
	}
	o->tls_err = err == PM_ERR_CHAIN || err == PM_ERR_NO_CLOCK
		? c->s.dane.chain_err : c->s.tls_err;
	o->pin = pm_session_matched(&c->s);
	o->resumed = c->s.resumed;
	o->presented = pm_dane_presented(&c->s.dane);
	o->accepted = m->accepted;
	if (c->t_connected != 0 || c->phase > PM_CLIENT_CONNECTING)
		o->ms_connect = c->t_connected - c->t_start;
	if (c->t_secure != 0)
		o->ms_handshake = c->t_secure - c->t_connected;
	return err;
}

const char *pm_client_strerror(int err)
{
	switch (err) {
	case PM_OK:                return "delivered";
	case PM_ERR_BADARG:        return "bad configuration";
	case PM_ERR_TLSA_SYNTAX:   return "a tlsa record is malformed";
	case PM_ERR_TLSA_UNUSABLE: return "no usable tlsa record (3 x x or 2 x x)";
	case PM_ERR_ADDR:          return "an address is malformed";
	case PM_ERR_TOO_MANY_RCPT: return "too many recipients";
	case PM_ERR_NO_RCPT:       return "no recipient";
	case PM_ERR_HDR_TOO_BIG:   return "header section too large";
	case PM_ERR_CRED:          return "user name or password too long";
	case PM_ERR_LINE_TOO_LONG: return "a message line is longer than 998 octets";
	case PM_ERR_RESOLVE:       return "the server's name did not resolve";
	case PM_ERR_CONNECT:       return "could not connect to the server";
	case PM_ERR_TIMEOUT:       return "the server did not answer in time";
	case PM_ERR_NET:           return "the connection broke";
	case PM_ERR_READ:          return "reading the message failed";
	case PM_ERR_ENTROPY:       return "no entropy to seed TLS";
	case PM_ERR_TLS:           return "TLS failed";
	case PM_ERR_PIN_MISMATCH:  return "the server's key matches no tlsa record";
	case PM_ERR_NO_CLOCK:      return "no trustworthy clock for a tlsa 2 (DANE-TA) record";
	case PM_ERR_CHAIN:         return "the chain up to the tlsa 2 match is invalid";
	case PM_ERR_PROTO:         return "the server broke the SMTP protocol";
	case PM_ERR_TEMP:          return "the server refused for now (4xx)";
	case PM_ERR_PERM:          return "the server refused (5xx)";
	case PM_ERR_AUTH:          return "authentication rejected";
	case PM_ERR_AUTH_UNAVAIL:  return "the server offers no usable AUTH";
	case PM_ERR_RCPT:          return "recipients refused";
	case PM_ERR_NO_SMTPUTF8:   return "a non-ASCII address and no SMTPUTF8";
	default:                   return "internal error";
	}
}

const char *pm_client_phase_name(int phase)
{
	switch (phase) {
	case PM_CLIENT_CONNECTING: return "connecting";
	case PM_CLIENT_HANDSHAKE:  return "TLS handshake";
	case PM_CLIENT_SMTP:       return "server authenticated, SMTP";
	case PM_CLIENT_CLOSING:    return "closing";
	case PM_CLIENT_DONE:       return "done";
	default:                   return "?";
	}
}
