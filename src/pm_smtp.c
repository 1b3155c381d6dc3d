/*
 * pm_smtp.c — the SMTP submission engine (see pm_smtp.h for the contract).
 *
 * Commands are formatted one at a time into s->cmd by next_command(), the
 * only place that decides what to send; replies are handled by
 * on_reply(), the only place that changes state. Counting replies owed
 * (s->awaiting) lets the same code run pipelined or in lock-step, and turns
 * a reply nobody asked for into a protocol error instead of confusion.
 *
 * With CHUNKING (RFC 3030) the message goes as BDAT chunks instead of DATA:
 * no dot-stuffing, no 354 to wait for, and with PIPELINING the MAIL, every
 * RCPT, the chunks and QUIT leave without waiting, so a message that fits
 * one chunk costs a single round trip. Replies are matched by counting:
 * the first txn_total() belong to MAIL, RCPT and DATA, the rest to chunks.
 */
#include <string.h>
#include "pm_smtp.h"

enum {
	ST_GREETING,    /* waiting for 220 */
	ST_EHLO,        /* EHLO */
	ST_STARTTLS,    /* STARTTLS sent, waiting for 220 */
	ST_TLS_WAIT,    /* the caller is to run the TLS handshake */
	ST_AUTH_PLAIN,  /* AUTH PLAIN <initial response>, waiting for 235 */
	ST_AUTH_LOGIN,  /* AUTH LOGIN, waiting for 334 */
	ST_AUTH_USER,   /* user name sent, waiting for 334 */
	ST_AUTH_PASS,   /* password sent, waiting for 235 */
	ST_TXN,         /* MAIL, RCPT..., DATA */
	ST_BODY,        /* streaming the message (after 354, or as BDAT) */
	ST_DOT,         /* final "." or last chunk sent, waiting for its reply */
	ST_QUIT,        /* QUIT, then wait for every reply still owed */
	ST_DONE
};

/* ---- small helpers (no stdio in the core) ---- */

static void cmd_add(pm_smtp *s, const char *str, size_t len)
{
	/* Lengths are validated by pm_smtp_init, so this cannot overflow; the
	 * check keeps it true should a caller change the options. */
	if (len > sizeof s->cmd - s->cmd_len)
		len = sizeof s->cmd - s->cmd_len;
	memcpy(s->cmd + s->cmd_len, str, len);
	s->cmd_len += len;
}

static void cmd_str(pm_smtp *s, const char *str)
{
	cmd_add(s, str, strlen(str));
}

/* RFC 3461 4: xtext. Anything outside "!".."~", and "+" and "=", becomes
 * "+XX", so the value cannot end the parameter or the command. */
static void cmd_xtext(pm_smtp *s, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];
	unsigned c;

	for (; *str != '\0'; str++) {
		c = (unsigned char)*str;
		if (c > ' ' && c < 0x7f && c != '+' && c != '=') {
			cmd_add(s, str, 1);
		} else {
			e[0] = '+';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			cmd_add(s, e, 3);
		}
	}
}

/* Streaming base64: AUTH PLAIN's "\0user\0pass" is encoded as it is
 * walked, so no plaintext copy of the password is ever assembled. */
typedef struct {
	uint32_t acc;
	unsigned n;
} b64_state;

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_put(pm_smtp *s, b64_state *b, const uint8_t *p, size_t len)
{
	char out[4];

	while (len--) {
		b->acc = (b->acc << 8) | *p++;
		if (++b->n == 3) {
			out[0] = b64_alphabet[(b->acc >> 18) & 63];
			out[1] = b64_alphabet[(b->acc >> 12) & 63];
			out[2] = b64_alphabet[(b->acc >> 6) & 63];
			out[3] = b64_alphabet[b->acc & 63];
			cmd_add(s, out, 4);
			b->acc = 0;
			b->n = 0;
		}
	}
}

static void b64_end(pm_smtp *s, b64_state *b)
{
	char out[4] = { '=', '=', '=', '=' };

	if (b->n == 0)
		return;
	b->acc <<= 8 * (3 - b->n);
	out[0] = b64_alphabet[(b->acc >> 18) & 63];
	out[1] = b64_alphabet[(b->acc >> 12) & 63];
	if (b->n == 2)
		out[2] = b64_alphabet[(b->acc >> 6) & 63];
	cmd_add(s, out, 4);
}

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Case-insensitive: does the word at p[0..len) equal kw? */
static int word_is(const char *p, size_t len, const char *kw)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (kw[i] == '\0' || upper((unsigned char)p[i]) != kw[i])
			return 0;
	return kw[len] == '\0';
}

/* DSN NOTIFY keywords; bit k of pm_smtp.notify is notify_words[k]. */
static const char *const notify_words[] = { "SUCCESS", "FAILURE", "DELAY", "NEVER" };
#define NOTIFY_NEVER 0x08u

/* "NEVER" alone, or a comma list of the others: their bits; 0 for
 * anything else (empty items, spaces, unknown words, NEVER with others). */
static unsigned parse_notify(const char *p)
{
	unsigned bits = 0, k;
	size_t n;

	for (;;) {
		for (n = 0; p[n] != '\0' && p[n] != ','; n++)
			;
		for (k = 0; k < 4 && !word_is(p, n, notify_words[k]); k++)
			;
		if (k == 4)
			return 0;
		bits |= 1u << k;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	return (bits & NOTIFY_NEVER) && bits != NOTIFY_NEVER ? 0 : bits;
}

static void trace(pm_smtp *s, char dir, const char *line, size_t len)
{
#if PM_TRACE
	if (s->p.trace != NULL)
		s->p.trace(s->p.trace_ctx, dir, line, len);
#else
	(void)s; (void)dir; (void)line; (void)len;
#endif
}

/* ---- failure ---- */

/* Keep the text of the reply being handled as the one to report. */
static void keep_reply(pm_smtp *s)
{
	s->reply_code = s->code;
	memcpy(s->reply_text, s->cur_text, sizeof s->reply_text);
}

/* Record the first error. A session that can still talk sends QUIT; one
 * whose stream cannot be trusted (protocol error, message half sent) is
 * simply closed: the server discards a DATA phase that never ended. */
static void fail(pm_smtp *s, int err, const char *stage, int with_reply)
{
	if (s->delivered) {
		/* The server took the message: nothing after its 250 undoes it. */
		s->state = ST_DONE;
		return;
	}
	if (s->err == 0) {
		s->err = err;
		s->stage = stage;
		if (with_reply)
			keep_reply(s);
	}
	if (err == PM_ERR_PROTO || err == PM_ERR_NET || err == PM_ERR_READ
		|| s->state == ST_BODY || s->state == ST_DONE)
		s->state = ST_DONE;
	else if (s->state != ST_QUIT) {
		s->state = ST_QUIT;
		s->sent = s->quit_early;        /* QUIT may have gone already */
	}
}

static void fail_reply(pm_smtp *s, const char *stage)
{
	int err = s->code >= 500 ? PM_ERR_PERM
		: s->code >= 400 ? PM_ERR_TEMP : PM_ERR_PROTO;

	fail(s, err, stage, 1);
}

/* ---- output ---- */

/* Replies the transaction's commands get: MAIL, every RCPT, and DATA
 * unless the message goes as BDAT chunks. */
static size_t txn_total(const pm_smtp *s)
{
	return s->p.nrcpt + (s->bdat ? 1 : 2);
}

static int pipelining(const pm_smtp *s)
{
	return (s->ext & PM_EXT_PIPELINING) != 0;
}

/* Whether a command can be formatted now (the cmd buffer must be empty). */
static int command_ready(const pm_smtp *s)
{
	switch (s->state) {
	case ST_EHLO:
	case ST_STARTTLS:
	case ST_AUTH_PLAIN:
	case ST_AUTH_LOGIN:
	case ST_AUTH_USER:
	case ST_AUTH_PASS:
		return !s->sent;
	case ST_TXN:
		/* With BDAT, "ready" past the last RCPT means: start the
		 * chunks (in lock-step only once every RCPT is answered). */
		return (s->next < txn_total(s) || s->bdat)
			&& (pipelining(s) || s->awaiting == 0);
	case ST_BODY:
		/* Chunks wait for each other's replies unless pipelining. */
		return !s->bdat || pipelining(s) || s->awaiting == 0;
	case ST_QUIT:
		return !s->sent && (pipelining(s) || s->awaiting == 0);
	default:
		return 0;
	}
}

static void mask_trace(pm_smtp *s, const char *prefix)
{
	char buf[24];
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	memcpy(buf + n, "****", 4);
	trace(s, 'C', buf, n + 4);
}

/* MAIL's parameters for the extensions both sides want. SMTPUTF8 needs no
 * check here: without it the session failed right after EHLO. */
static void mail_params(pm_smtp *s)
{
	if (s->ext & PM_EXT_8BITMIME)
		cmd_str(s, s->p.body == PM_BODY_7BIT ? " BODY=7BIT" : " BODY=8BITMIME");
	if (s->p.smtputf8)
		cmd_str(s, " SMTPUTF8");
	if (!(s->ext & PM_EXT_DSN))
		return;
	if (s->ret != 0)
		cmd_str(s, s->ret == 1 ? " RET=FULL" : " RET=HDRS");
	if (s->p.envid != NULL) {
		cmd_str(s, " ENVID=");
		cmd_xtext(s, s->p.envid);
	}
}

static void rcpt_params(pm_smtp *s)
{
	const char *sep = " NOTIFY=";
	unsigned k;

	if (!(s->ext & PM_EXT_DSN))
		return;
	for (k = 0; k < 4; k++) {
		if (s->notify & (1u << k)) {
			cmd_str(s, sep);
			cmd_str(s, notify_words[k]);
			sep = ",";
		}
	}
}

static void next_command(pm_smtp *s)
{
	b64_state b = { 0, 0 };
	size_t i;

	s->cmd_len = s->cmd_off = 0;
	s->cmd_replies = 1;
	s->sent = 1;
	switch (s->state) {
	case ST_EHLO:
		cmd_str(s, "EHLO ");
		cmd_str(s, s->p.helo);
		break;
	case ST_AUTH_PLAIN:
		/* RFC 4616: authzid (empty) NUL authcid NUL passwd. */
		cmd_str(s, "AUTH PLAIN ");
		b64_put(s, &b, (const uint8_t *)"", 1);
		b64_put(s, &b, (const uint8_t *)s->p.user, strlen(s->p.user));
		b64_put(s, &b, (const uint8_t *)"", 1);
		b64_put(s, &b, (const uint8_t *)s->p.pass, strlen(s->p.pass));
		b64_end(s, &b);
		mask_trace(s, "AUTH PLAIN ");
		cmd_add(s, "\r\n", 2);
		return;
	case ST_AUTH_LOGIN:
		cmd_str(s, "AUTH LOGIN");
		break;
	case ST_STARTTLS:
		cmd_str(s, "STARTTLS");
		break;
	case ST_AUTH_USER:
	case ST_AUTH_PASS:
		i = s->state == ST_AUTH_USER;
		b64_put(s, &b, (const uint8_t *)(i ? s->p.user : s->p.pass),
			strlen(i ? s->p.user : s->p.pass));
		b64_end(s, &b);
		mask_trace(s, "");
		cmd_add(s, "\r\n", 2);
		return;
	case ST_TXN:
		if (s->next == txn_total(s)) {
			s->state = ST_BODY;     /* BDAT: nothing to format */
			s->cmd_replies = 0;
			return;
		}
		i = s->next++;
		if (i == 0) {
			cmd_str(s, "MAIL FROM:<");
			cmd_str(s, s->p.from);
			cmd_str(s, ">");
			mail_params(s);
		} else if (i <= s->p.nrcpt) {
			cmd_str(s, "RCPT TO:<");
			cmd_str(s, s->p.rcpt[i - 1]);
			cmd_str(s, ">");
			rcpt_params(s);
		} else {
			cmd_str(s, "DATA");
		}
		break;
	case ST_QUIT:
		cmd_str(s, "QUIT");
		break;
	default:
		return;
	}
	trace(s, 'C', s->cmd, s->cmd_len);
	cmd_add(s, "\r\n", 2);
}

/*
 * Convert message bytes into dst as SMTP requires: CRLF, bare CR and bare
 * LF all become CRLF (a bare one could end the DATA phase early on some
 * servers: SMTP smuggling), and for DATA a "." starting a line is doubled.
 * A line too long for SMTP stops everything before its first excess octet.
 * Reads until dst is nearly full or the message ends (s->eof); returns the
 * octets written.
 *
 * No staging buffer: raw bytes are read into the upper half of what is
 * left of dst and converted forward to the write position. Each input byte
 * yields at most two output bytes, so with at most half the room read the
 * write position never passes the byte being read.
 */
#define PM_BODY_MIN_ROOM 32

static size_t body_fill(pm_smtp *s, uint8_t *dst, size_t cap, int stuff)
{
	size_t half, got, r, end, w = 0, stuffed = 0;
	uint8_t c;

	while (!s->eof && s->state != ST_DONE
		&& (half = (cap - w) / 2) >= PM_BODY_MIN_ROOM) {
		r = cap - half;
		got = 0;
		if (s->p.read(s->p.read_ctx, dst + r, half, &got) != 0) {
			fail(s, PM_ERR_READ, "message", 0);
			break;
		}
		if (got == 0) {
			s->eof = 1;
			break;
		}
		for (end = r + got; r < end; r++) {
			c = dst[r];
			if (c == '\n' && s->skip_lf) {
				s->skip_lf = 0;
				continue;
			}
			s->skip_lf = 0;
			if (c == '\r' || c == '\n') {
				dst[w++] = '\r';
				dst[w++] = '\n';
				s->skip_lf = c == '\r';
				s->col = 0;
				s->lines++;
				continue;
			}
			if (s->col == PM_SMTP_LINE_MAX) {
				if (s->err == 0)
					s->line_no = s->lines + 1;
				fail(s, PM_ERR_LINE_TOO_LONG, "DATA", 0);
				break;
			}
			if (c == '.' && s->col == 0 && stuff) {
				dst[w++] = '.';
				stuffed++;
			}
			dst[w++] = c;
			s->col++;
		}
	}
	s->body_bytes += w - stuffed;
	return w;
}

/* Queue QUIT behind the end of the message, in the same flight, when
 * pipelining (saves a round trip). */
static void quit_with_message(pm_smtp *s)
{
	s->state = ST_DOT;
	if (pipelining(s)) {
		cmd_add(s, "QUIT\r\n", 6);
		trace(s, 'C', "QUIT", 4);
		s->cmd_replies++;
		s->quit_early = 1;
	}
}

/* After the last message byte of DATA: end the last line, then ".". */
static void end_of_message(pm_smtp *s)
{
	s->cmd_len = s->cmd_off = 0;
	if (s->col != 0) {
		cmd_add(s, "\r\n", 2);
		s->body_bytes += 2;
	}
	cmd_add(s, ".\r\n", 3);
	trace(s, 'C', ".", 1);
	s->cmd_replies = 1;
	quit_with_message(s);
}

static size_t fmt_size(char *out, size_t v)
{
	char tmp[24];
	size_t n = 0, k;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (k = 0; k < n; k++)
		out[k] = tmp[n - 1 - k];
	return n;
}

/*
 * One BDAT chunk into dst: the message bytes are converted first, after
 * room for the longest command line, and the command is put in front once
 * their number is known. The chunk that meets the end of the message is
 * the LAST one (with the final CRLF if the message lacked it); a message
 * that fits goes as a single "BDAT n LAST". A chunk cut short by an error
 * is not sent at all: without LAST the server never takes the message.
 */
#define BDAT_HEAD_MAX (sizeof "BDAT  LAST\r\n" - 1 + 20)

static size_t chunk_fill(pm_smtp *s, uint8_t *dst, size_t cap)
{
	char head[BDAT_HEAD_MAX];
	size_t w, h;

	if (cap < BDAT_HEAD_MAX + 2 + 2 * PM_BODY_MIN_ROOM)
		return 0;               /* not worth a chunk: let the caller flush */
	w = body_fill(s, dst + BDAT_HEAD_MAX, cap - BDAT_HEAD_MAX - 2, 0);
	if (s->state == ST_DONE) {
		s->body_bytes -= w;     /* this chunk is never handed out */
		return 0;
	}
	if (w == 0 && !s->eof)
		return 0;
	if (s->eof && s->col != 0) {
		memcpy(dst + BDAT_HEAD_MAX + w, "\r\n", 2);
		w += 2;
		s->body_bytes += 2;
		s->col = 0;
	}
	memcpy(head, "BDAT ", 5);
	h = 5 + fmt_size(head + 5, w);
	if (s->eof) {
		memcpy(head + h, " LAST", 5);
		h += 5;
	}
	trace(s, 'C', head, h);
	memcpy(head + h, "\r\n", 2);
	h += 2;
	memmove(dst + h, dst + BDAT_HEAD_MAX, w);
	memcpy(dst, head, h);
	s->chunks++;
	s->awaiting++;
	if (s->eof) {
		s->cmd_len = s->cmd_off = 0;
		s->cmd_replies = 0;
		quit_with_message(s);
	}
	return h + w;
}

size_t pm_smtp_output(pm_smtp *s, uint8_t *dst, size_t cap)
{
	size_t n = 0, k;

	while (s->state != ST_DONE) {
		if (s->cmd_off < s->cmd_len) {
			k = s->cmd_len - s->cmd_off;
			if (k > cap - n)
				k = cap - n;
			memcpy(dst + n, s->cmd + s->cmd_off, k);
			n += k;
			s->cmd_off += k;
			if (s->cmd_off < s->cmd_len)
				break;                  /* dst is full */
			s->awaiting += s->cmd_replies;
			continue;
		}
		if (s->state == ST_BODY && !s->bdat) {
			if (s->eof) {
				end_of_message(s);
				continue;
			}
			k = body_fill(s, dst + n, cap - n, 1);
			n += k;
			if (!s->eof)
				break;                  /* no room left, or failed */
			continue;
		}
		if (s->state == ST_BODY && command_ready(s)) {
			k = chunk_fill(s, dst + n, cap - n);
			n += k;
			if (k == 0)
				break;                  /* no room left, or failed */
			continue;
		}
		if (!command_ready(s))
			break;
		next_command(s);
	}
	return n;
}

unsigned pm_smtp_wants(const pm_smtp *s)
{
	unsigned w = 0;

	if (s->state == ST_DONE)
		return PM_SMTP_DONE;
	if (s->state == ST_TLS_WAIT)
		return PM_SMTP_WANT_TLS;
	if (s->cmd_off < s->cmd_len || (s->state == ST_BODY && !s->bdat)
		|| command_ready(s))
		w |= PM_SMTP_WANT_OUTPUT;
	if (s->awaiting > 0)
		w |= PM_SMTP_WANT_INPUT;
	return w;
}

/* ---- input ---- */

static void on_ehlo_line(pm_smtp *s, const char *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < len && p[i] != ' ' && p[i] != '='; i++)
		;
	if (word_is(p, i, "PIPELINING"))
		s->ext |= PM_EXT_PIPELINING;
	else if (word_is(p, i, "STARTTLS"))
		s->ext |= PM_EXT_STARTTLS;
	else if (word_is(p, i, "8BITMIME"))
		s->ext |= PM_EXT_8BITMIME;
	else if (word_is(p, i, "SMTPUTF8"))
		s->ext |= PM_EXT_SMTPUTF8;
	else if (word_is(p, i, "CHUNKING"))
		s->ext |= PM_EXT_CHUNKING;
	else if (word_is(p, i, "DSN"))
		s->ext |= PM_EXT_DSN;
	else if (word_is(p, i, "AUTH")) {
		/* "AUTH PLAIN LOGIN", or the pre-standard "AUTH=PLAIN LOGIN". */
		while (i < len) {
			for (i++; i < len && p[i] == ' '; i++)
				;
			for (j = i; j < len && p[j] != ' '; j++)
				;
			if (word_is(p + i, j - i, "PLAIN"))
				s->ext |= PM_EXT_AUTH_PLAIN;
			else if (word_is(p + i, j - i, "LOGIN"))
				s->ext |= PM_EXT_AUTH_LOGIN;
			i = j;
		}
	}
}

/* A reply to MAIL, RCPT or DATA (the i-th of the transaction). */
static void txn_reply(pm_smtp *s, int c)
{
	size_t i = s->answered++;

	if (i == 0) {
		if (c != 250)
			fail_reply(s, "MAIL");
		return;
	}
	if (i <= s->p.nrcpt) {
		s->rcpt_code[i - 1] = (uint16_t)c;
		if (c == 250 || c == 251)
			s->accepted++;
		else if (s->reply_code == 0)
			keep_reply(s);          /* first refusal: report it */
		/* Pipelined DATA gets its own answer to this; BDAT chunks may
		 * be on their way already: stop them. */
		if (i == s->p.nrcpt && s->accepted == 0
			&& (s->bdat || !pipelining(s)))
			fail(s, PM_ERR_RCPT, "RCPT", 0);
		return;
	}
	if (s->accepted == 0) {
		/* Every RCPT refused. A server that still says 354 is waiting
		 * for a message we will not send: close. */
		if (c == 354)
			s->state = ST_BODY;
		fail(s, PM_ERR_RCPT, "RCPT", 0);
		return;
	}
	if (c != 354) {
		fail_reply(s, "DATA");
		return;
	}
	s->state = ST_BODY;
}

/* The reply to the final "." or the last chunk. */
static void final_reply(pm_smtp *s, int c)
{
	if (c != 250) {
		fail_reply(s, "end of message");
		return;
	}
	s->delivered = 1;
	memcpy(s->final_text, s->cur_text, sizeof s->final_text);
	if (s->accepted < s->p.nrcpt) {
		s->err = PM_ERR_RCPT;
		s->stage = "RCPT";
	}
	s->state = ST_QUIT;
	s->sent = s->quit_early;
}

/* A whole reply has arrived (its code in s->code, text in s->cur_text). */
static void on_reply(pm_smtp *s)
{
	int c = s->code;

	if (s->awaiting == 0) {
		fail(s, PM_ERR_PROTO, "reply nobody asked for", 1);
		return;
	}
	s->awaiting--;
	/* Pipelined, the transaction's replies may come while the message
	 * is already on its way. */
	if ((s->state == ST_TXN || s->state == ST_BODY || s->state == ST_DOT)
		&& s->answered < txn_total(s)) {
		txn_reply(s, c);
		return;
	}
	switch (s->state) {
	case ST_GREETING:
		if (c != 220) {
			fail_reply(s, "greeting");
			return;
		}
		s->state = ST_EHLO;
		s->sent = 0;
		return;
	case ST_EHLO:
		if (c != 250) {
			fail_reply(s, "EHLO");
			return;
		}
		s->sent = 0;
		if (s->p.starttls && !s->tls_up) {
			/* RFC 3207: nothing but STARTTLS before TLS; without
			 * it, nothing at all (no plaintext fallback). */
			if (s->ext & PM_EXT_STARTTLS)
				s->state = ST_STARTTLS;
			else
				fail(s, PM_ERR_STARTTLS, "STARTTLS", 0);
			return;
		}
		s->bdat = (s->ext & PM_EXT_CHUNKING) != 0;
		if (s->p.user == NULL)
			s->state = ST_TXN;
		else if (s->ext & PM_EXT_AUTH_PLAIN)
			s->state = ST_AUTH_PLAIN;
		else if (s->ext & PM_EXT_AUTH_LOGIN)
			s->state = ST_AUTH_LOGIN;
		else {
			fail(s, PM_ERR_AUTH_UNAVAIL, "AUTH", 1);
			return;
		}
		/* Known now, so credentials are not sent for a message that
		 * cannot go through this server. */
		if (s->p.smtputf8 && !(s->ext & PM_EXT_SMTPUTF8))
			fail(s, PM_ERR_NO_SMTPUTF8, "MAIL", 0);
		return;
	case ST_STARTTLS:
		if (c != 220) {
			fail(s, PM_ERR_STARTTLS, "STARTTLS", 1);
			return;
		}
		s->state = ST_TLS_WAIT;
		return;
	case ST_AUTH_LOGIN:
	case ST_AUTH_USER:
		if (c != 334)
			break;
		s->state++;
		s->sent = 0;
		return;
	case ST_AUTH_PLAIN:
	case ST_AUTH_PASS:
		if (c != 235)
			break;
		s->state = ST_TXN;
		s->sent = 0;
		return;
	case ST_BODY:
		/* Only BDAT chunks get replies here (DATA's 354 came before):
		 * 250 each, and the message is not taken until the last. */
		s->chunk_replies++;
		if (c != 250)
			fail_reply(s, "BDAT");
		return;
	case ST_DOT:
		if (s->bdat && ++s->chunk_replies < s->chunks) {
			if (c != 250)
				fail_reply(s, "BDAT");
			return;
		}
		final_reply(s, c);
		return;
	case ST_QUIT:
		/* Replies still owed are drained; a 354 means the server would
		 * take what follows as message text: stop talking. */
		if (c == 354 || (s->awaiting == 0 && s->sent))
			s->state = ST_DONE;
		return;
	default:
		return;
	}
	/* AUTH refused: 5xx means the credentials, 4xx is temporary. */
	if (c >= 500 && c != 503)
		fail(s, PM_ERR_AUTH, "AUTH", 1);
	else
		fail_reply(s, "AUTH");
}

static void on_line(pm_smtp *s, const char *p, size_t len)
{
	int code;
	size_t k, j;

	trace(s, 'S', p, len);
	if (len < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9'
		|| p[2] < '0' || p[2] > '9' || (len > 3 && p[3] != ' ' && p[3] != '-')) {
		s->code = 0;
		memcpy(s->cur_text, "malformed reply line", 21);
		fail(s, PM_ERR_PROTO, "reply", 1);
		return;
	}
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (s->nlines == 0) {
		s->code = code;
		s->cur_len = 0;
	} else if (code != s->code) {
		fail(s, PM_ERR_PROTO, "reply with mixed codes", 1);
		return;
	}
	if (++s->nlines > PM_REPLY_LINES_MAX) {
		fail(s, PM_ERR_PROTO, "reply with too many lines", 1);
		return;
	}
	/* Keep "CODE text text ..." (lines joined by a blank) for errors. */
	k = s->cur_len == 0 ? len : len > 4 ? len - 4 : 0;
	if (s->cur_len != 0 && k > 0 && s->cur_len + 1 < sizeof s->cur_text)
		s->cur_text[s->cur_len++] = ' ';
	if (k > sizeof s->cur_text - 1 - s->cur_len)
		k = sizeof s->cur_text - 1 - s->cur_len;
	memcpy(s->cur_text + s->cur_len, s->cur_len == 0 ? p : p + 4, k);
	/* Server text reaches terminals and logs: no control characters. */
	for (j = s->cur_len; j < s->cur_len + k; j++)
		if ((unsigned char)s->cur_text[j] < 0x20 || s->cur_text[j] == 0x7f)
			s->cur_text[j] = '?';
	s->cur_len += k;
	s->cur_text[s->cur_len] = '\0';

	if (s->state == ST_EHLO && code == 250 && s->nlines > 1 && len > 4)
		on_ehlo_line(s, p + 4, len - 4);
	if (len > 3 && p[3] == '-')
		return;                         /* more lines follow */
	s->nlines = 0;
	on_reply(s);
}

size_t pm_smtp_input(pm_smtp *s, const uint8_t *src, size_t len)
{
	size_t i;

	/* Nothing past the 220 to STARTTLS is taken: bytes sent with it
	 * came before TLS, and the caller must refuse them (RFC 3207 5,
	 * command injection). */
	for (i = 0; i < len && s->state != ST_DONE && s->state != ST_TLS_WAIT; i++) {
		if (src[i] == '\n') {
			if (s->line_len > 0 && s->line[s->line_len - 1] == '\r')
				s->line_len--;
			on_line(s, s->line, s->line_len);
			s->line_len = 0;
		} else if (s->line_len < sizeof s->line - 1) {
			s->line[s->line_len++] = (char)src[i];
		} else {
			s->code = 0;
			memcpy(s->cur_text, "reply line too long", 20);
			fail(s, PM_ERR_PROTO, "reply line longer than 512 bytes", 1);
		}
	}
	return i;
}

void pm_smtp_tls_up(pm_smtp *s)
{
	if (s->state != ST_TLS_WAIT)
		return;
	/* What the server said before TLS is forgotten (RFC 3207 4.2). */
	s->tls_up = 1;
	s->ext = 0;
	s->state = ST_EHLO;
	s->sent = 0;
}

void pm_smtp_closed(pm_smtp *s, int err)
{
	if (s->state == ST_DONE)
		return;
	if (s->state == ST_QUIT && (s->delivered || s->err != 0)) {
		s->state = ST_DONE;
		return;
	}
	fail(s, err, "connection", 0);
	s->state = ST_DONE;
}

/* ---- set-up ---- */

static int bad_text(const char *p, size_t max)
{
	size_t n;

	for (n = 0; p[n] != '\0'; n++)
		if ((unsigned char)p[n] < 0x20 || p[n] == 0x7f
			|| p[n] == '<' || p[n] == '>')
			return 1;
	return n > max;
}

/* Without SMTPUTF8 an envelope address must be ASCII (RFC 6531). */
static int non_ascii(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

int pm_smtp_init(pm_smtp *s, const pm_smtp_params *p)
{
	size_t i, n;

	memset(s, 0, sizeof *s);
	s->state = ST_DONE;
	if (p->nrcpt == 0)
		return PM_ERR_NO_RCPT;
	if (p->nrcpt > PM_RCPT_MAX)
		return PM_ERR_TOO_MANY_RCPT;
	if (p->helo == NULL || p->helo[0] == '\0' || bad_text(p->helo, 255)
		|| p->from == NULL || bad_text(p->from, PM_ADDR_MAX)
		|| p->read == NULL || p->body > PM_BODY_8BITMIME)
		return PM_ERR_BADARG;
	if (!p->smtputf8 && non_ascii(p->from))
		return PM_ERR_ADDR;
	for (i = 0; i < p->nrcpt; i++)
		if (p->rcpt[i] == NULL || p->rcpt[i][0] == '\0'
			|| bad_text(p->rcpt[i], PM_ADDR_MAX)
			|| (!p->smtputf8 && non_ascii(p->rcpt[i])))
			return PM_ERR_ADDR;
	/* DSN values are checked whether or not the server will want them:
	 * a caller's mistake shows on every server alike. */
	if (p->notify != NULL && (s->notify = (uint8_t)parse_notify(p->notify)) == 0)
		return PM_ERR_BADARG;
	if (p->ret != NULL) {
		n = strlen(p->ret);
		s->ret = word_is(p->ret, n, "FULL") ? 1 : word_is(p->ret, n, "HDRS") ? 2 : 0;
		if (s->ret == 0)
			return PM_ERR_BADARG;
	}
	if (p->envid != NULL && (p->envid[0] == '\0' || strlen(p->envid) > PM_ENVID_MAX))
		return PM_ERR_BADARG;
	if (p->user != NULL && (p->pass == NULL
		|| strlen(p->user) > PM_CRED_MAX || strlen(p->pass) > PM_CRED_MAX))
		return PM_ERR_CRED;
	s->p = *p;
	s->state = ST_GREETING;
	s->awaiting = 1;                        /* the greeting */
	return 0;
}
