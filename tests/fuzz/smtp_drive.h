/*
 * smtp_drive.h — drives one pm_smtp session against fuzzed server bytes and
 * checks every byte the engine emits against an independent model of what
 * a correct client may send. Shared by fuzz_smtp.c (fixed credentials,
 * fuzzed server) and fuzz_auth.c (fuzzed credentials and challenges).
 *
 * The model ("wire check") rebuilds each command line the engine sends and
 * requires it to be exactly the one expected at that point: EHLO, then AUTH
 * PLAIN with the reference base64 of "\0user\0pass" or AUTH LOGIN with
 * base64(user) and base64(pass), MAIL/RCPT with exactly the parameters the
 * offered extensions call for, then either DATA, the message as the
 * reference normaliser makes it (CRLF, dot-stuffed) and "."; or, when (and
 * only when) the reply to EHLO offered CHUNKING, BDAT chunks: "BDAT <n>"
 * headers whose sizes add up to exactly the normalised message (not
 * stuffed, no "."), each followed by n octets equal to the reference's
 * next n, a chunk never empty unless it is the LAST, exactly one LAST and
 * on the final chunk, none after a long line or a failed read; then QUIT.
 * QUIT may replace any command (not a chunk's octets), nothing follows
 * QUIT. So no byte of a secret (or anything else) can reach the wire
 * outside its one expected place. Every command also has to be earned by
 * the replies consumed so far (EHLO after a 220, AUTH and MAIL after the
 * reply to EHLO, AUTH after a 250, the password after two 334, MAIL after
 * 235 when authenticating, message text after 354; DATA and BDAT never
 * after a refused MAIL or once every RCPT is known refused, BDAT never
 * after a chunk got anything but 250) and, when the reply to EHLO did not
 * offer PIPELINING, the session must be lock-step: each command, chunks
 * included, only once every earlier one is answered. A BDAT chunk comes
 * whole from one pm_smtp_output call and, unless it is the LAST, leaves
 * less than 98 octets of that call's room unused ("as large as cap
 * allows"). The transcript callback must see each command as sent (AUTH
 * arguments as "****", chunk headers without their octets) and each reply
 * line as received, and nothing else.
 *
 * Replies are matched to commands by position (the n-th reply after the
 * greeting answers the n-th command) and judged as RFC 5321 and the
 * contract say the engine judges them: a malformed line, a line over
 * PM_REPLY_LINE_MAX, mixed codes, too many lines, or a reply nobody owes
 * must end the engine at once.
 *
 * At the end: the engine is done within a bounded number of calls, emits
 * and consumes nothing more, its first error never changed once set, a
 * delivered message went out whole and its final "." or LAST chunk got
 * 250 (and with BDAT, a LAST chunk answered 250 after a 250 to MAIL, an
 * accepted RCPT and 250 to every earlier chunk is a delivery), the error
 * and stage say which reply failed, and the result fields agree.
 */
#ifndef SMTP_DRIVE_H
#define SMTP_DRIVE_H

#include "fuzz_common.h"
#include "pm_smtp.h"

enum {
	P_EHLO, P_AUTH, P_LUSER, P_LPASS, P_MAIL, P_RCPT, P_DATA, P_BODY,
	P_BODY_QUIT, P_DOT, P_AFTERDOT,
	P_BDAT,         /* a chunk header (or QUIT) next */
	P_CHUNK,        /* a chunk's octets */
	P_AFTERLAST,    /* the LAST chunk went: QUIT only */
	P_END
};

/* Least room (octets) a chunk leaves unused without being the LAST: the
 * engine reads while half the room left holds 32 octets, after 32 for the
 * header and 2 for a final CRLF (pm_smtp.h: "98 for a BDAT chunk"). */
#define SD_BDAT_SLACK 98

#define SD_TRACE_Q 8
#define SD_SLINE_MAX 2048

/* The replies that decide whether the transaction still stands. */
typedef struct {
	int mail_code;                 /* 0: none yet */
	size_t rcpt_replies, rcpt_ok;
	int chunk_fail;                /* first non-250 to a chunk not LAST */
} sd_txn;

typedef struct {
	/* set by the caller before sd_run */
	pm_smtp_params p;
	const uint8_t *msg;            /* the message the read callback gives */
	size_t msg_len;
	size_t read_fail_at;           /* SIZE_MAX: reads never fail */
	const uint8_t *server;         /* the server's bytes */
	size_t server_len;
	uint32_t seed;                 /* chunk sizes and caps */
	int free_server;               /* server bytes come whenever the
	                                * engine reads, not only when owed */

	/* derived by sd_run */
	pm_smtp s;
	fz_rng rng;
	uint8_t *body;                 /* expected DATA text, stuffed */
	size_t body_len;
	uint8_t *norm;                 /* expected BDAT octets: normalised,
	                                * unstuffed, norm_len of them */
	size_t norm_len;               /* normalised octets, unstuffed */
	size_t norm_avail;             /* of those, what the reads deliver
	                                * before a read error (else norm_len) */
	int body_complete;             /* "." may follow */
	size_t long_line;              /* 1-based line too long, or 0 */
	char plain_b64[4 * ((2 * PM_CRED_MAX + 4) / 3 + 2)];
	char user_b64[4 * (PM_CRED_MAX / 3 + 2)];
	char pass_b64[4 * (PM_CRED_MAX / 3 + 2)];

	/* message source */
	size_t msg_off;
	int read_ended;                /* EOF or error was returned */

	/* wire model */
	int phase;
	size_t rcpt_i;
	char line[PM_CMD_MAX + 2];
	size_t line_len;
	size_t body_off;
	size_t cmds;
	/* commands by number (1-based, as cmds counts them; 0: not sent) */
	size_t cmd_mail, cmd_data, cmd_dot, cmd_chunk0, cmd_last;
	size_t chunks;                 /* BDAT headers sent */
	size_t chunk_left;             /* octets still due in this chunk */
	int chunk_last;                /* this chunk is the LAST */
	size_t bdat_off;               /* chunk octets sent so far */
	/* the pm_smtp_output call being checked (number, octets written,
	 * room, offset of the octet at hand), and the call in which the
	 * line being assembled started */
	size_t call_no, call_len, call_cap, wire_pos;
	size_t line_call;

	/* replies consumed */
	char sline[SD_SLINE_MAX];
	size_t sline_len, sline_raw;   /* sline_raw: octets, uncapped */
	size_t finals, n220, n250, n334, n235, n354;
	size_t rlines;                 /* lines so far in the current reply */
	int rcode;                     /* its code */
	int proto;                     /* the engine must have failed (a bad
	                                * or unowed reply was consumed) */
	int ehlo_pipe, ehlo_chunk;     /* seen in the current EHLO reply */
	int ehlo_ok;                   /* the reply to EHLO was 250 (after a
	                                * 220 greeting, and well-formed) */
	int pipelining, chunking;      /* ... and it offered these */
	/* replies to the transaction, by command (0: none yet) */
	sd_txn txn;
	int data_code, dot_code, last_code;
	size_t chunk_replies;
	uint16_t rcpt_code[PM_RCPT_MAX];
	/* what the engine knew at the start of this output call, and at the
	 * start of the one in which the last command ended: a command is
	 * formatted after its predecessor is out (it may leave in a later
	 * call, whatever came in meanwhile), a chunk in the call it leaves */
	sd_txn txn_call, txn_prev;

	/* transcript */
	char ctrace[SD_TRACE_Q][PM_CMD_MAX + 1];
	size_t ctrace_len[SD_TRACE_Q];
	size_t cq_head, cq_n;
	char strace[SD_TRACE_Q][SD_SLINE_MAX];
	size_t strace_len[SD_TRACE_Q];
	size_t sq_head, sq_n;
	int strace_overflow;
} sd_ctx;

/* ---- reference message transform ------------------------------------ */

/* The message as it must appear between DATA and ".": line ends CRLF, a
 * final CRLF if missing, a leading "." doubled; a line over 998 octets is
 * cut before its first excess octet and ends the text (no "."). The same
 * without the doubling is what BDAT chunks carry (norm). norm_avail is how
 * much of norm the reads deliver before a read error: the normalised
 * octets of msg[0, read_fail_at), without the final CRLF the engine adds
 * only at the end of the message. */
static void sd_reference_body(sd_ctx *x)
{
	size_t i, col = 0, line = 1, w = 0, avail = SIZE_MAX;
	uint8_t c;

	x->body = malloc(2 * x->msg_len + 8);
	x->norm = malloc(2 * x->msg_len + 8);
	FZ_CHECK(x->body != NULL && x->norm != NULL);
	x->norm_len = 0;
	x->body_complete = x->read_fail_at == SIZE_MAX;
	x->long_line = 0;
	for (i = 0; i < x->msg_len; i++) {
		if (avail == SIZE_MAX && i >= x->read_fail_at)
			avail = x->norm_len;
		c = x->msg[i];
		if (c == '\r' || c == '\n') {
			x->body[w++] = '\r';
			x->body[w++] = '\n';
			x->norm[x->norm_len++] = '\r';
			x->norm[x->norm_len++] = '\n';
			if (c == '\r' && i + 1 < x->msg_len && x->msg[i + 1] == '\n')
				i++;
			col = 0;
			line++;
			continue;
		}
		if (col == PM_SMTP_LINE_MAX) {
			x->long_line = line;
			x->body_complete = 0;
			x->body_len = w;
			x->norm_avail = avail < x->norm_len ? avail : x->norm_len;
			return;
		}
		if (c == '.' && col == 0)
			x->body[w++] = '.';
		x->body[w++] = c;
		x->norm[x->norm_len++] = c;
		col++;
	}
	if (avail == SIZE_MAX && x->read_fail_at != SIZE_MAX)
		avail = x->norm_len;    /* failed at or after the end */
	if (col != 0) {
		x->body[w++] = '\r';
		x->body[w++] = '\n';
		x->norm[x->norm_len++] = '\r';
		x->norm[x->norm_len++] = '\n';
	}
	x->body_len = w;
	x->norm_avail = avail < x->norm_len ? avail : x->norm_len;
}

/* RFC 3461 xtext, written from the RFC, not from the engine. */
static size_t sd_xtext(char *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 33 && c <= 126 && c != '+' && c != '=') {
			out[o++] = (char)c;
		} else {
			out[o++] = '+';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

static int sd_ieq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		int ca = *a >= 'a' && *a <= 'z' ? *a - 32 : *a;
		int cb = *b >= 'a' && *b <= 'z' ? *b - 32 : *b;
		if (ca != cb)
			return 0;
	}
	return *a == *b;
}

/* The canonical NOTIFY value for p.notify (harness form: a comma list). */
static void sd_notify(char *out, const char *v)
{
	static const char *const w[] = { "SUCCESS", "FAILURE", "DELAY", "NEVER" };
	char item[16];
	unsigned bits = 0, k;
	size_t n;

	out[0] = '\0';
	while (*v != '\0') {
		for (n = 0; v[n] != '\0' && v[n] != ','; n++)
			;
		FZ_CHECK(n < sizeof item);
		memcpy(item, v, n);
		item[n] = '\0';
		for (k = 0; k < 4; k++)
			if (sd_ieq(item, w[k]))
				bits |= 1u << k;
		v += n + (v[n] == ',');
	}
	for (k = 0; k < 4; k++)
		if (bits & (1u << k)) {
			if (out[0] != '\0')
				strcat(out, ",");
			strcat(out, w[k]);
		}
}

static void sd_expected_mail(const sd_ctx *x, char *out)
{
	unsigned ext = x->s.ext;

	strcpy(out, "MAIL FROM:<");
	strcat(out, x->p.from);
	strcat(out, ">");
	if (ext & PM_EXT_8BITMIME)
		strcat(out, x->p.body == PM_BODY_7BIT ? " BODY=7BIT" : " BODY=8BITMIME");
	if (x->p.smtputf8)
		strcat(out, " SMTPUTF8");
	if (ext & PM_EXT_DSN) {
		if (x->p.ret != NULL)
			strcat(out, sd_ieq(x->p.ret, "full") ? " RET=FULL" : " RET=HDRS");
		if (x->p.envid != NULL) {
			strcat(out, " ENVID=");
			sd_xtext(out + strlen(out), x->p.envid);
		}
	}
}

static void sd_expected_rcpt(const sd_ctx *x, size_t i, char *out)
{
	strcpy(out, "RCPT TO:<");
	strcat(out, x->p.rcpt[i]);
	strcat(out, ">");
	if ((x->s.ext & PM_EXT_DSN) && x->p.notify != NULL) {
		strcat(out, " NOTIFY=");
		sd_notify(out + strlen(out), x->p.notify);
	}
}

/* ---- transcript ------------------------------------------------------- */

static void sd_trace(void *ctx, char dir, const char *line, size_t len)
{
	sd_ctx *x = ctx;
	size_t k;

	FZ_CHECK(dir == 'C' || dir == 'S');
	if (dir == 'C') {
		FZ_CHECK(len <= PM_CMD_MAX);
		FZ_CHECK(x->cq_n < SD_TRACE_Q);
		k = (x->cq_head + x->cq_n++) % SD_TRACE_Q;
		memcpy(x->ctrace[k], line, len);
		x->ctrace_len[k] = len;
		/* No secret in what is shown, whatever the model says later
		 * (which also requires each shown line to be exactly right).
		 * The AUTH PLAIN blob starts "A[A-D]", found in no command. */
		if (x->p.user != NULL && x->plain_b64[0] != '\0')
			FZ_CHECK(fz_memmem((const uint8_t *)line, len, x->plain_b64,
				strlen(x->plain_b64)) == NULL);
	} else {
		FZ_CHECK(len < SD_SLINE_MAX);
		if (x->sq_n == SD_TRACE_Q) {
			x->strace_overflow = 1;
			return;
		}
		k = (x->sq_head + x->sq_n++) % SD_TRACE_Q;
		memcpy(x->strace[k], line, len);
		x->strace_len[k] = len;
	}
}

/* PM_FUZZ_DEBUG=2: each command and reply line as the model sees it. */
static int sd_debug(void)
{
	static int v = -1;

	if (v < 0) {
		const char *e = getenv("PM_FUZZ_DEBUG");
		v = e != NULL && e[0] == '2';
	}
	return v;
}

/* ---- wire model: what the engine sends -------------------------------- */

/* Neither MAIL refused nor every RCPT known refused: DATA or a chunk may
 * still go. (Pipelined, DATA may follow RCPTs whose refusals are in: its
 * own reply ends the transaction. BDAT may not.) */
static int sd_txn_alive(const sd_ctx *x, const sd_txn *t, int strict_rcpt)
{
	if (t->mail_code != 0 && t->mail_code != 250)
		return 0;
	if (strict_rcpt && t->rcpt_replies == x->p.nrcpt && t->rcpt_ok == 0)
		return 0;
	return 1;
}

/* "BDAT <n>" or "BDAT <n> LAST", n canonical decimal: n, or -1. */
static long sd_bdat_header(const char *l, size_t n, int *last)
{
	char want[48];
	unsigned long v = 0;
	size_t i;

	if (n < 6 || memcmp(l, "BDAT ", 5) != 0)
		return -1;
	for (i = 5; i < n && i < 5 + 9 && l[i] >= '0' && l[i] <= '9'; i++)
		v = v * 10 + (unsigned long)(l[i] - '0');
	if (i == 5)
		return -1;
	*last = n - i == 5 && memcmp(l + i, " LAST", 5) == 0;
	snprintf(want, sizeof want, "BDAT %lu%s", v, *last ? " LAST" : "");
	if (n != strlen(want) || memcmp(l, want, n) != 0)
		return -1;
	return (long)v;
}

static void sd_command(sd_ctx *x, const char *l, size_t n)
{
	char want[PM_CMD_MAX + 64];
	const char *shown = l;
	size_t shown_len = n, k, size;
	int is_auth_secret = 0, last = 0;
	long v;

	x->cmds++;
	if (sd_debug())
		fprintf(stderr, "C%zu %.*s\n", x->cmds, (int)(n < 80 ? n : 80), l);
	if (!x->pipelining)
		FZ_CHECK(x->cmds <= x->finals);     /* lock-step */
	if (n == 4 && memcmp(l, "QUIT", 4) == 0) {
		FZ_CHECK(x->phase != P_DOT && x->phase != P_END);
		FZ_CHECK(x->phase != P_BODY || x->body_off == 0);
		x->phase = P_END;
		goto traced;
	}
	switch (x->phase) {
	case P_EHLO:
		snprintf(want, sizeof want, "EHLO %s", x->p.helo);
		FZ_CHECK(n == strlen(want) && memcmp(l, want, n) == 0);
		FZ_CHECK(x->n220 >= 1);
		x->phase = x->p.user != NULL ? P_AUTH : P_MAIL;
		break;
	case P_AUTH:
		FZ_CHECK(x->n250 >= 1 && x->ehlo_ok);
		FZ_CHECK(!x->p.smtputf8 || (x->s.ext & PM_EXT_SMTPUTF8));
		if (n > 11 && memcmp(l, "AUTH PLAIN ", 11) == 0) {
			FZ_CHECK(x->s.ext & PM_EXT_AUTH_PLAIN);
			FZ_CHECK(n - 11 == strlen(x->plain_b64)
				&& memcmp(l + 11, x->plain_b64, n - 11) == 0);
			shown = "AUTH PLAIN ****";
			is_auth_secret = 1;
			x->phase = P_MAIL;
		} else {
			FZ_CHECK(n == 10 && memcmp(l, "AUTH LOGIN", 10) == 0);
			FZ_CHECK((x->s.ext & PM_EXT_AUTH_LOGIN)
				&& !(x->s.ext & PM_EXT_AUTH_PLAIN));
			x->phase = P_LUSER;
		}
		break;
	case P_LUSER:
		FZ_CHECK(x->n334 >= 1);
		FZ_CHECK(n == strlen(x->user_b64) && memcmp(l, x->user_b64, n) == 0);
		shown = "****";
		is_auth_secret = 1;
		x->phase = P_LPASS;
		break;
	case P_LPASS:
		FZ_CHECK(x->n334 >= 2);
		FZ_CHECK(n == strlen(x->pass_b64) && memcmp(l, x->pass_b64, n) == 0);
		shown = "****";
		is_auth_secret = 1;
		x->phase = P_MAIL;
		break;
	case P_MAIL:
		FZ_CHECK(x->p.user != NULL ? x->n235 >= 1 : x->n250 >= 1);
		FZ_CHECK(x->ehlo_ok);
		FZ_CHECK(!x->p.smtputf8 || (x->s.ext & PM_EXT_SMTPUTF8));
		sd_expected_mail(x, want);
		FZ_CHECK(n == strlen(want) && memcmp(l, want, n) == 0);
		x->phase = P_RCPT;
		x->rcpt_i = 0;
		x->cmd_mail = x->cmds;
		break;
	case P_RCPT:
		sd_expected_rcpt(x, x->rcpt_i, want);
		FZ_CHECK(n == strlen(want) && memcmp(l, want, n) == 0);
		FZ_CHECK(sd_txn_alive(x, &x->txn_prev, 0));
		if (++x->rcpt_i == x->p.nrcpt)
			x->phase = x->chunking ? P_BDAT : P_DATA;
		break;
	case P_DATA:
		FZ_CHECK(n == 4 && memcmp(l, "DATA", 4) == 0);
		FZ_CHECK(sd_txn_alive(x, &x->txn_prev, !x->pipelining));
		x->phase = P_BODY;
		x->body_off = 0;
		x->cmd_data = x->cmds;
		break;
	case P_DOT:
		FZ_CHECK(n == 1 && l[0] == '.');
		FZ_CHECK(x->body_complete);
		FZ_CHECK(x->n354 >= 1);
		x->phase = P_AFTERDOT;
		x->cmd_dot = x->cmds;
		break;
	case P_BDAT:
		v = sd_bdat_header(l, n, &last);
		FZ_CHECK(v >= 0);
		size = (size_t)v;
		/* Earned: the transaction still stands, no chunk refused. */
		FZ_CHECK(sd_txn_alive(x, &x->txn_call, 1));
		FZ_CHECK(x->txn_call.chunk_fail == 0);
		/* The octets follow from the reference, as far as the reads
		 * go; the LAST ends the message exactly; only the LAST may be
		 * empty. */
		FZ_CHECK(size <= x->norm_avail - x->bdat_off);
		if (last)
			FZ_CHECK(x->body_complete && x->bdat_off + size == x->norm_len);
		else
			FZ_CHECK(size > 0);
		/* The whole chunk in this call's output; as large as the
		 * room allows unless it is the LAST. */
		FZ_CHECK(x->line_call == x->call_no);
		k = x->wire_pos + 1 + size;         /* end of the chunk */
		FZ_CHECK(k <= x->call_len);
		if (!last)
			FZ_CHECK(x->call_cap - k < SD_BDAT_SLACK);
		if (x->chunks++ == 0)
			x->cmd_chunk0 = x->cmds;
		if (last)
			x->cmd_last = x->cmds;
		x->chunk_last = last;
		x->chunk_left = size;
		x->phase = size > 0 ? P_CHUNK : P_AFTERLAST;
		break;
	default:
		FZ_CHECK(!"command where none may be");
	}
	if (is_auth_secret)
		shown_len = strlen(shown);
traced:
	if (x->phase != P_CHUNK)
		x->txn_prev = x->txn_call;      /* this command is out */
	if (x->p.trace == NULL)
		return;
	FZ_CHECK(x->cq_n > 0);                  /* every command is shown */
	k = x->cq_head;
	FZ_CHECK(x->ctrace_len[k] == shown_len
		&& memcmp(x->ctrace[k], shown, shown_len) == 0);
	x->cq_head = (x->cq_head + 1) % SD_TRACE_Q;
	x->cq_n--;
}

/* The n octets one pm_smtp_output call wrote, into room for cap. */
static void sd_wire(sd_ctx *x, const uint8_t *b, size_t n, size_t cap)
{
	size_t i;
	uint8_t c;

	x->call_no++;
	x->call_len = n;
	x->call_cap = cap;
	x->txn_call = x->txn;
	for (i = 0; i < n; i++) {
		c = b[i];
		FZ_CHECK(x->phase != P_END);    /* nothing after QUIT */
		if (x->phase == P_CHUNK) {
			FZ_CHECK(c == x->norm[x->bdat_off]);
			x->bdat_off++;
			if (--x->chunk_left == 0) {
				x->phase = x->chunk_last ? P_AFTERLAST : P_BDAT;
				x->txn_prev = x->txn_call;
			}
			continue;
		}
		if (x->phase == P_BODY) {
			if (x->body_off == 0 && c == 'Q' && x->line_len == 0
				&& (x->body_len == 0 || x->body[0] != 'Q')) {
				x->phase = P_BODY_QUIT;     /* QUIT instead of text */
			} else if (x->body_off < x->body_len) {
				FZ_CHECK(x->n354 >= 1);
				FZ_CHECK(c == x->body[x->body_off]);
				x->body_off++;
				continue;
			} else {
				x->phase = P_DOT;
			}
		}
		if (x->line_len == 0)
			x->line_call = x->call_no;
		FZ_CHECK(x->line_len < PM_CMD_MAX);     /* CRLF included */
		x->line[x->line_len++] = (char)c;
		if (c == '\n') {
			FZ_CHECK(x->line_len >= 2 && x->line[x->line_len - 2] == '\r');
			FZ_CHECK(memchr(x->line, '\r', x->line_len - 2) == NULL);
			x->wire_pos = i;
			sd_command(x, x->line, x->line_len - 2);
			x->line_len = 0;
		} else {
			FZ_CHECK(c != '\r' || x->line_len < PM_CMD_MAX);
		}
	}
}

/* ---- replies consumed ---------------------------------------------------- */

/* Case-insensitive (ASCII) equality of p[0, n) and the keyword kw. */
static int sd_word(const char *p, size_t n, const char *kw)
{
	size_t i;

	if (n != strlen(kw))
		return 0;
	for (i = 0; i < n; i++)
		if ((p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]) != kw[i])
			return 0;
	return 1;
}

/* The r-th reply (1: the greeting) is whole, with code `code`: it answers
 * the (r-1)-th command. */
static void sd_answer(sd_ctx *x, size_t r, int code)
{
	size_t k = r - 1, i;

	if (r == 1)
		return;
	if (r == 2) {
		/* The reply to EHLO, if the greeting was 220 (else the
		 * engine is on its way out and sent QUIT). */
		if (code == 250 && x->n220 == 1) {
			x->ehlo_ok = 1;
			x->pipelining = x->ehlo_pipe;
			x->chunking = x->ehlo_chunk;
		}
		return;
	}
	if (x->cmd_mail == 0 || k < x->cmd_mail)
		return;
	if (k == x->cmd_mail) {
		x->txn.mail_code = code;
	} else if (k <= x->cmd_mail + x->rcpt_i) {
		i = k - x->cmd_mail - 1;
		x->rcpt_code[i] = (uint16_t)code;
		x->txn.rcpt_replies++;
		x->txn.rcpt_ok += code == 250 || code == 251;
	} else if (k == x->cmd_data) {
		x->data_code = code;
	} else if (k == x->cmd_dot) {
		x->dot_code = code;
	} else if (x->chunks > 0 && k >= x->cmd_chunk0 && k < x->cmd_chunk0 + x->chunks) {
		x->chunk_replies++;
		if (k == x->cmd_last)
			x->last_code = code;
		else if (code != 250 && x->txn.chunk_fail == 0)
			x->txn.chunk_fail = code;
	}
}

static void sd_reply_line(sd_ctx *x, const char *l, size_t n)
{
	size_t k, j;
	int code;

	if (sd_debug())
		fprintf(stderr, "S%zu %.*s\n", x->finals + 1, (int)(n < 80 ? n : 80), l);
	/* The transcript saw exactly this line. */
	if (x->p.trace != NULL && !x->strace_overflow) {
		FZ_CHECK(x->sq_n > 0);
		k = x->sq_head;
		FZ_CHECK(x->strace_len[k] == n && memcmp(x->strace[k], l, n) == 0);
		x->sq_head = (x->sq_head + 1) % SD_TRACE_Q;
		x->sq_n--;
	}
	if (n < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9'
		|| l[2] < '0' || l[2] > '9' || (n > 3 && l[3] != ' ' && l[3] != '-')) {
		x->proto = 1;                   /* not a reply line */
		return;
	}
	code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	if (x->rlines == 0) {
		x->rcode = code;
		x->ehlo_pipe = x->ehlo_chunk = 0;
	} else if (code != x->rcode) {
		x->proto = 1;                   /* mixed codes */
		return;
	}
	if (++x->rlines > PM_REPLY_LINES_MAX) {
		x->proto = 1;
		return;
	}
	/* EHLO keywords: lines after the first of the second reply (the
	 * first line names the server), keyword up to a blank or "=". */
	if (x->finals == 1 && x->rlines > 1 && n > 4) {
		for (j = 4; j < n && l[j] != ' ' && l[j] != '='; j++)
			;
		if (sd_word(l + 4, j - 4, "PIPELINING"))
			x->ehlo_pipe = 1;
		if (sd_word(l + 4, j - 4, "CHUNKING"))
			x->ehlo_chunk = 1;
	}
	if (n > 3 && l[3] == '-')
		return;
	x->rlines = 0;
	x->finals++;
	x->n220 += code == 220;
	x->n250 += code == 250;
	x->n334 += code == 334;
	x->n235 += code == 235;
	x->n354 += code == 354;
	if (x->finals > 1 + x->cmds) {
		x->proto = 1;                   /* nobody asked for it */
		return;
	}
	sd_answer(x, x->finals, code);
}

static void sd_consumed(sd_ctx *x, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		FZ_CHECK(!x->proto);            /* the engine stopped reading */
		if (b[i] == '\n') {
			if (x->sline_len > 0 && x->sline[x->sline_len - 1] == '\r')
				x->sline_len--;
			sd_reply_line(x, x->sline, x->sline_len);
			x->sline_len = 0;
			x->sline_raw = 0;
		} else {
			if (x->sline_len < SD_SLINE_MAX - 1)
				x->sline[x->sline_len++] = (char)b[i];
			/* PM_REPLY_LINE_MAX - 1 octets before the LF at most */
			if (++x->sline_raw >= PM_REPLY_LINE_MAX)
				x->proto = 1;
		}
	}
	/* No line the engine has not finished is in the transcript. */
	if (x->p.trace != NULL && !x->strace_overflow)
		FZ_CHECK(x->sq_n == 0);
	/* A reply it must refuse ends the engine, whatever came before. */
	if (x->proto)
		FZ_CHECK(pm_smtp_wants(&x->s) == PM_SMTP_DONE);
}

/* Where the server's bytes from pos hold `owed` more final reply lines
 * (or their end), lines judged as the engine judges them. The line the
 * engine holds in part (sline) is the start of the first one. */
static size_t sd_reply_end(const sd_ctx *x, size_t pos, size_t owed)
{
	char head[4] = { 0, 0, 0, 0 }, c, last = 0;
	size_t len = 0, n, i;

	for (i = 0; i < x->sline_len; i++) {
		if (len < 4)
			head[len] = x->sline[i];
		len++;
		last = x->sline[i];
	}
	for (i = pos; i < x->server_len; i++) {
		c = (char)x->server[i];
		if (c != '\n') {
			if (len < 4)
				head[len] = c;
			len++;
			last = c;
			continue;
		}
		n = len > 0 && last == '\r' ? len - 1 : len;
		if (n >= 3 && head[0] >= '2' && head[0] <= '5' && head[1] >= '0'
			&& head[1] <= '9' && head[2] >= '0' && head[2] <= '9'
			&& (n == 3 || head[3] == ' ') && --owed == 0)
			return i + 1;
		len = 0;
		last = 0;
	}
	return x->server_len;
}

/* ---- the message source ----------------------------------------------------- */

static int sd_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	sd_ctx *x = ctx;
	size_t n;

	FZ_CHECK(!x->read_ended);              /* no read after EOF or error */
	FZ_CHECK(cap > 0 && buf != NULL && got != NULL);
	if (x->msg_off >= x->read_fail_at) {
		x->read_ended = 1;
		return PM_ERR_READ;
	}
	n = x->msg_len - x->msg_off;
	if (x->read_fail_at - x->msg_off < n)
		n = x->read_fail_at - x->msg_off;
	if (n > cap)
		n = cap;
	if (n > 0 && (fz_rng_next(&x->rng) & 1))
		n = fz_rng_size(&x->rng, n);
	/* Up to cap bytes: ASan sees it if the engine's room is smaller. */
	memcpy(buf, x->msg + x->msg_off, n);
	x->msg_off += n;
	*got = n;
	if (n == 0)
		x->read_ended = 1;
	return 0;
}

/* ---- the session -------------------------------------------------------------- */

static const size_t sd_caps[] = { 1, 2, 3, 7, 16, 64, 127, 128, 129, 256, 1024,
	4096, 8192, 16384 };

static void sd_snapshot_check(const sd_ctx *x, int *err, const char **stage,
	int *delivered)
{
	const pm_smtp *s = &x->s;

	if (*err != 0) {
		FZ_CHECK(s->err == *err);           /* sticky: the first wins */
		FZ_CHECK(s->stage == *stage);
	}
	if (*delivered)
		FZ_CHECK(s->delivered);
	FZ_CHECK(s->cmd_len <= sizeof s->cmd && s->cmd_off <= s->cmd_len);
	FZ_CHECK(s->line_len < sizeof s->line);
	FZ_CHECK(s->cur_len < sizeof s->cur_text);
	FZ_CHECK(memchr(s->cur_text, '\0', sizeof s->cur_text) != NULL
		|| s->cur_len == 0);
	*err = s->err;
	*stage = s->stage;
	*delivered = s->delivered;
}

/* The error a refusing reply is reported as. */
static int sd_reply_err(int code)
{
	return code >= 500 ? PM_ERR_PERM : code >= 400 ? PM_ERR_TEMP : PM_ERR_PROTO;
}

/* Returns pm_smtp_init's result; runs the session when it is 0. */
static int sd_run(sd_ctx *x)
{
	pm_smtp *s = &x->s;
	size_t pos = 0, iter, max_iter, n, k, cap, i, acc, limit;
	long owed;
	uint8_t *buf;
	unsigned w;
	int r, err = 0, delivered = 0;
	const char *stage = NULL;

	fz_rng_seed(&x->rng, x->seed);
	x->phase = P_EHLO;
	sd_reference_body(x);
	if (x->p.user != NULL) {
		size_t ul = strlen(x->p.user), pl = strlen(x->p.pass);
		uint8_t *plain = malloc(ul + pl + 2);

		FZ_CHECK(plain != NULL);
		plain[0] = 0;
		memcpy(plain + 1, x->p.user, ul);
		plain[ul + 1] = 0;
		memcpy(plain + ul + 2, x->p.pass, pl);
		if (ul <= PM_CRED_MAX && pl <= PM_CRED_MAX) {
			fz_b64(x->plain_b64, plain, ul + pl + 2);
			fz_b64(x->user_b64, (const uint8_t *)x->p.user, ul);
			fz_b64(x->pass_b64, (const uint8_t *)x->p.pass, pl);
		}
		free(plain);
	}
	x->p.read = sd_read;
	x->p.read_ctx = x;
	if (x->p.trace != NULL) {
		x->p.trace = sd_trace;
		x->p.trace_ctx = x;
	}
	r = pm_smtp_init(s, &x->p);
	if (r != 0) {
		/* A refused start is done and says nothing. */
		FZ_CHECK(pm_smtp_wants(s) == PM_SMTP_DONE);
		buf = malloc(64);
		FZ_CHECK(pm_smtp_output(s, buf, 64) == 0);
		free(buf);
		free(x->body);
		free(x->norm);
		return r;
	}

	max_iter = 10000 + 64 * (x->server_len + x->msg_len);
	for (iter = 0;; iter++) {
		FZ_CHECK(iter < max_iter);          /* the engine terminates */
		w = pm_smtp_wants(s);
		if (w & PM_SMTP_DONE) {
			FZ_CHECK(w == PM_SMTP_DONE);
			break;
		}
		FZ_CHECK(w & (PM_SMTP_WANT_OUTPUT | PM_SMTP_WANT_INPUT));  /* no deadlock */
		if ((w & PM_SMTP_WANT_OUTPUT) && (!(w & PM_SMTP_WANT_INPUT)
			|| pos >= x->server_len || (fz_rng_next(&x->rng) & 1))) {
			cap = sd_caps[fz_rng_next(&x->rng) % (sizeof sd_caps / sizeof sd_caps[0])];
			buf = malloc(cap);          /* exactly cap: ASan guards the end */
			FZ_CHECK(buf != NULL);
			n = pm_smtp_output(s, buf, cap);
			FZ_CHECK(n <= cap);
			sd_wire(x, buf, n, cap);
			free(buf);
		} else if (w & PM_SMTP_WANT_INPUT) {
			limit = x->server_len;
			if (!x->free_server) {
				/* A sane server answers only what it was sent. */
				owed = (long)(1 + x->cmds) - (long)x->finals;
				if (owed <= 0) {
					/* Waiting for a reply nobody owes: a hang. */
					FZ_CHECK(w & PM_SMTP_WANT_OUTPUT);
					continue;
				}
				limit = sd_reply_end(x, pos, (size_t)owed);
			}
			if (pos >= x->server_len) {
				pm_smtp_closed(s, PM_ERR_NET);
				FZ_CHECK(pm_smtp_wants(s) == PM_SMTP_DONE);
			} else {
				k = limit - pos;
				switch (fz_rng_next(&x->rng) % 4) {
				case 0: k = 1; break;
				case 1: k = fz_rng_size(&x->rng, k < 16 ? k : 16); break;
				case 2: k = fz_rng_size(&x->rng, k); break;
				default: break;
				}
				buf = malloc(k);
				FZ_CHECK(buf != NULL);
				memcpy(buf, x->server + pos, k);
				n = pm_smtp_input(s, buf, k);
				FZ_CHECK(n <= k);
				/* All of it, unless the engine is done. */
				FZ_CHECK(n == k || pm_smtp_wants(s) == PM_SMTP_DONE);
				sd_consumed(x, buf, n);
				free(buf);
				pos += n;
				if (n < k)
					pos = x->server_len;   /* the rest is left */
			}
		} else {
			/* Only output wanted but none possible now: try again. */
		}
		sd_snapshot_check(x, &err, &stage, &delivered);
	}

	/* ---- done: nothing more happens ---- */
	buf = malloc(16384);
	FZ_CHECK(buf != NULL);
	FZ_CHECK(pm_smtp_output(s, buf, 16384) == 0);
	memcpy(buf, "250 ok\r\n", 8);
	FZ_CHECK(pm_smtp_input(s, buf, 8) == 0);
	free(buf);
	pm_smtp_closed(s, PM_ERR_TIMEOUT);
	FZ_CHECK(pm_smtp_wants(s) == PM_SMTP_DONE);
	sd_snapshot_check(x, &err, &stage, &delivered);

	if (getenv("PM_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "smtp: err %d stage %s reply %d \"%s\" delivered %d"
			" accepted %zu/%zu ext %#x body %zu/%zu bdat %d chunks %zu"
			" octets %zu/%zu body_bytes %zu phase %d cmds %zu\n",
			s->err, s->stage ? s->stage : "-", s->reply_code, s->reply_text,
			s->delivered, s->accepted, x->p.nrcpt, s->ext, x->body_off,
			x->body_len, s->bdat, x->chunks, x->bdat_off, x->norm_len,
			s->body_bytes, x->phase, x->cmds);

	/* ---- results agree with what happened on the wire ---- */
	FZ_CHECK(memchr(s->reply_text, '\0', sizeof s->reply_text) != NULL);
	FZ_CHECK(memchr(s->final_text, '\0', sizeof s->final_text) != NULL);
	FZ_CHECK(s->accepted <= x->p.nrcpt);
	for (i = 0, acc = 0; i < x->p.nrcpt; i++)
		acc += s->rcpt_code[i] == 250 || s->rcpt_code[i] == 251;
	FZ_CHECK(acc == s->accepted);
	FZ_CHECK((s->err == 0) == (s->stage == NULL));
	if (s->err == 0) {
		FZ_CHECK(s->delivered);             /* a clean end is a delivery */
		FZ_CHECK(s->accepted == x->p.nrcpt);
	}
	/* The reply to EHLO as the engine read it. */
	if (x->ehlo_ok) {
		FZ_CHECK(!(s->ext & PM_EXT_PIPELINING) == !x->pipelining);
		FZ_CHECK(!(s->ext & PM_EXT_CHUNKING) == !x->chunking);
	}
	FZ_CHECK(s->bdat == (x->ehlo_ok && x->chunking));
	if (s->delivered) {
		FZ_CHECK(s->accepted >= 1);
		/* Every reply of the transaction was in, as the model saw it. */
		FZ_CHECK(x->txn.mail_code == 250 && x->txn.rcpt_replies == x->p.nrcpt);
		FZ_CHECK(s->accepted == x->txn.rcpt_ok);
		for (i = 0; i < x->p.nrcpt; i++)
			FZ_CHECK(s->rcpt_code[i] == x->rcpt_code[i]);
		if (x->chunking) {
			FZ_CHECK(x->phase == P_AFTERLAST || x->phase == P_END);
			FZ_CHECK(x->cmd_last != 0 && x->body_complete
				&& x->bdat_off == x->norm_len);
			FZ_CHECK(x->txn.chunk_fail == 0 && x->last_code == 250);
			FZ_CHECK(x->chunk_replies == x->chunks);
		} else {
			FZ_CHECK(x->phase == P_AFTERDOT || x->phase == P_END);
			FZ_CHECK(x->body_complete && x->body_off == x->body_len);
			FZ_CHECK(x->data_code == 354 && x->dot_code == 250);
		}
		FZ_CHECK(s->body_bytes == x->norm_len);
		/* Finding 1 (README.md): a reply after the final 250 can still
		 * set err (PM_ERR_PROTO), so the port queues a delivered
		 * message again. */
		if (fz_strict() || s->err == 0 || s->err == PM_ERR_RCPT) {
			FZ_CHECK(s->err == 0 || s->err == PM_ERR_RCPT);
			FZ_CHECK(s->err == 0 || s->accepted < x->p.nrcpt);
		}
	} else {
		FZ_CHECK(s->err != 0);
		FZ_CHECK(s->body_bytes <= x->norm_len);
		/* With BDAT nothing is handed out but whole chunks (finding
		 * 7, fixed). */
		if (x->chunking)
			FZ_CHECK(s->body_bytes == x->bdat_off);
	}
	/* The other way round: a transaction the server took all of is a
	 * delivery. */
	if (x->txn.mail_code == 250 && x->txn.rcpt_ok >= 1 && (x->chunking
		? x->txn.chunk_fail == 0 && x->last_code == 250
		: x->data_code == 354 && x->dot_code == 250))
		FZ_CHECK(s->delivered);
	/* The first reply that failed the transaction is the one reported. */
	if (x->txn.mail_code != 0 && x->txn.mail_code != 250) {
		FZ_CHECK(!s->delivered && s->err == sd_reply_err(x->txn.mail_code));
		FZ_CHECK(strcmp(s->stage, "MAIL") == 0 && s->reply_code == x->txn.mail_code);
	} else if (x->txn.mail_code == 250 && x->chunking) {
		if (x->txn.rcpt_replies == x->p.nrcpt && x->txn.rcpt_ok == 0) {
			/* Every RCPT refused: failed at the last one's reply,
			 * reporting the first. */
			FZ_CHECK(!s->delivered && s->err == PM_ERR_RCPT);
			FZ_CHECK(strcmp(s->stage, "RCPT") == 0);
			FZ_CHECK(s->reply_code == x->rcpt_code[0]);
			FZ_CHECK(x->cmd_last == 0 || x->pipelining);
		} else if (x->txn.chunk_fail != 0) {
			FZ_CHECK(!s->delivered && s->err == sd_reply_err(x->txn.chunk_fail));
			FZ_CHECK(strcmp(s->stage, "BDAT") == 0
				&& s->reply_code == x->txn.chunk_fail);
		} else if (x->last_code != 0 && x->last_code != 250) {
			FZ_CHECK(!s->delivered && s->err == sd_reply_err(x->last_code));
			FZ_CHECK(strcmp(s->stage, "end of message") == 0
				&& s->reply_code == x->last_code);
		}
	}
	if (s->err == PM_ERR_LINE_TOO_LONG) {
		FZ_CHECK(x->long_line != 0 && s->line_no == x->long_line);
		if (x->chunking)
			FZ_CHECK(x->cmd_last == 0); /* the message never ended */
		else
			FZ_CHECK(x->body_off == x->body_len);   /* all before it went out */
	} else {
		FZ_CHECK(s->line_no == 0);
	}
	if (s->err == PM_ERR_READ) {
		FZ_CHECK(x->read_fail_at != SIZE_MAX);
		FZ_CHECK(x->cmd_last == 0 && x->cmd_dot == 0);
	}
	if (x->phase == P_BODY || x->phase == P_DOT || x->phase == P_BDAT
		|| x->phase == P_CHUNK)
		FZ_CHECK(!s->delivered);
	free(x->norm);
	free(x->body);
	return 0;
}

#endif /* SMTP_DRIVE_H */
