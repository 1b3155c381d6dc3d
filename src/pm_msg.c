/*
 * pm_msg.c — header section digest and sendmail's end of message (see
 * pm_msg.h).
 *
 * Everything happens in the caller's buffer: Bcc fields are cut out and
 * added fields are put in by moving bytes within it, so the message is
 * never copied and the body never buffered beyond what one read brought.
 */
#include <string.h>
#include "pm_msg.h"

/* End-of-message filter states: where the input is in its current line. */
enum { DOT_BOL, DOT_MID, DOT_DOT, DOT_DOTCR };

/*
 * Read from the source, dropping everything from a line that holds only
 * "." (LF or CRLF). The "." (and a CR after it) are held back until the
 * next byte says whether they end the message.
 *
 * In place: bytes are read to dst + 2 and filtered forward to dst. Each
 * byte yields at most itself, plus the at most two held bytes once, so the
 * write position never passes the read position.
 */
static int raw_read(pm_msg *m, uint8_t *dst, size_t cap, size_t *got)
{
	size_t n, r, w;
	uint8_t c;
	int err;

	*got = 0;
	if (m->ended)
		return 0;
	if (m->ignore_dots) {
		err = m->src(m->src_ctx, dst, cap, got);
		m->ended = err == 0 && *got == 0;
		return err;
	}
	if (cap < 3)
		return PM_ERR_BADARG;
	do {
		n = 0;
		err = m->src(m->src_ctx, dst + 2, cap - 2, &n);
		if (err != 0)
			return err;
		w = 0;
		if (n == 0) {
			/* End of input: what was held is ordinary text. */
			if (m->dot >= DOT_DOT)
				dst[w++] = '.';
			if (m->dot == DOT_DOTCR)
				dst[w++] = '\r';
			m->ended = 1;
			*got = w;
			return 0;
		}
		for (r = 2; r < n + 2; r++) {
			c = dst[r];
			switch (m->dot) {
			case DOT_BOL:
				if (c == '.') {
					m->dot = DOT_DOT;
					continue;
				}
				break;
			case DOT_DOT:
			case DOT_DOTCR:
				if (c == '\n') {
					m->ended = 1;
					*got = w;
					return 0;
				}
				if (c == '\r' && m->dot == DOT_DOT) {
					m->dot = DOT_DOTCR;
					continue;
				}
				dst[w++] = '.';
				if (m->dot == DOT_DOTCR)
					dst[w++] = '\r';
				break;
			default:
				break;
			}
			dst[w++] = c;
			m->dot = c == '\n' ? DOT_BOL : DOT_MID;
		}
	} while (w == 0);       /* only held bytes so far: 0 would mean EOF */
	*got = w;
	return 0;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int name_is(const uint8_t *p, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (name[i] == '\0' || lower(p[i]) != lower((unsigned char)name[i]))
			return 0;
	return name[len] == '\0';
}

/* Length of the field name if line p[0..len) starts a header field. */
static size_t field_name(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && p[i] > ' ' && p[i] < 0x7f && p[i] != ':'; i++)
		;
	return i > 0 && i < len && p[i] == ':' ? i : 0;
}

/* Octets of the line p[0..len), its LF or CRLF not counted. */
static size_t line_octets(const uint8_t *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

/* End of the field that starts at buf[at]: past its continuation lines. */
static size_t field_end(const pm_msg *m, size_t at)
{
	const uint8_t *nl;

	for (;;) {
		nl = memchr(m->buf + at, '\n', m->hdr_end - at);
		if (nl == NULL)
			return m->hdr_end;
		at = (size_t)(nl - m->buf) + 1;
		if (at >= m->hdr_end || (m->buf[at] != ' ' && m->buf[at] != '\t'))
			return at;
	}
}

/* Open the gap buf[at..at+n) by moving the rest of the buffer up. */
static int make_room(pm_msg *m, size_t at, size_t n)
{
	if (n > m->cap - m->len)
		return PM_ERR_HDR_TOO_BIG;
	memmove(m->buf + at + n, m->buf + at, m->len - at);
	m->len += n;
	return 0;
}

static void cut(pm_msg *m, size_t at, size_t n)
{
	memmove(m->buf + at, m->buf + at + n, m->len - at - n);
	m->len -= n;
}

/*
 * One complete field is buf[start..end). Note it, hand its addresses to the
 * caller when asked to, and cut it out if it is a Bcc. Returns 0 or an
 * error; *removed says how many bytes went.
 */
static int digest_field(pm_msg *m, size_t start, size_t end, size_t *removed)
{
	static const struct { const char *name; unsigned bit; } known[] = {
		{ "from", PM_HDR_FROM }, { "date", PM_HDR_DATE },
		{ "message-id", PM_HDR_MESSAGE_ID }, { "to", PM_HDR_TO },
		{ "cc", PM_HDR_CC }, { "bcc", PM_HDR_BCC },
		{ "sender", PM_HDR_SENDER },
	};
	const uint8_t *p = m->buf + start;
	size_t nlen = field_name(p, end - start), blen, i;
	unsigned bit = 0;
	int err;

	*removed = 0;
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (name_is(p, nlen, known[i].name))
			bit = known[i].bit;
	m->seen |= bit;
	if (bit & (PM_HDR_TO | PM_HDR_CC | PM_HDR_BCC) && m->rcpt != NULL) {
		blen = end - start - nlen - 1;
		while (blen > 0 && (p[nlen + blen] == '\n' || p[nlen + blen] == '\r'))
			blen--;
		err = pm_addr_list((const char *)p + nlen + 1, blen,
			m->rcpt, m->rcpt_ctx, &m->why);
		if (err != 0) {
			if (nlen >= sizeof m->field)
				nlen = sizeof m->field - 1;
			memcpy(m->field, p, nlen);
			m->field[nlen] = '\0';
			return err;
		}
	}
	if (bit == PM_HDR_BCC) {
		cut(m, start, end - start);
		*removed = end - start;
	}
	return 0;
}

/* Largest read while looking for the end of the header section. */
#define PM_MSG_READ_MAX 2048

int pm_msg_load(pm_msg *m)
{
	size_t line = 0, field = 0, eol, got, removed, want;
	int in_field = 0, body_line = 0, err;
	const uint8_t *nl;

	m->len = m->out = 0;
	m->seen = 0;
	m->dot = DOT_BOL;
	m->ended = 0;
	m->why = NULL;
	m->field[0] = '\0';
	if (m->cap < PM_MSG_ROOM + 3)
		return PM_ERR_BADARG;
	for (;;) {
		nl = memchr(m->buf + line, '\n', m->len - line);
		if (nl == NULL && !m->ended) {
			if (m->cap - m->len < PM_MSG_ROOM + 3) {
				m->why = "header section larger than the buffer";
				return PM_ERR_HDR_TOO_BIG;
			}
			/* A header section is a few hundred bytes: read in
			 * pieces, so memory touched follows the header, not
			 * the size of the message behind it. */
			want = m->cap - m->len - PM_MSG_ROOM;
			if (want > PM_MSG_READ_MAX)
				want = PM_MSG_READ_MAX;
			err = raw_read(m, m->buf + m->len, want, &got);
			if (err != 0)
				return err;
			m->len += got;
			continue;
		}
		eol = nl != NULL ? (size_t)(nl - m->buf) + 1 : m->len;
		if (line_octets(m->buf + line, eol - line) > 998) {
			m->why = "a header line is longer than 998 octets (RFC 5322 2.1.1)";
			return PM_ERR_LINE_TOO_LONG;
		}
		/* A CR that does not end the line would end it on the wire
		 * (bare CR becomes CRLF there): a field hidden behind it, a
		 * Bcc say, would go out unseen. Refuse it. */
		if (memchr(m->buf + line, '\r', line_octets(m->buf + line, eol - line)) != NULL) {
			m->why = "a header line holds a CR that does not end it";
			return PM_ERR_BARE_CR;
		}
		if (eol == line) {
			/* End of input right after a complete line. */
			if (in_field) {
				err = digest_field(m, field, line, &removed);
				if (err != 0)
					return err;
				line -= removed;
			}
			m->hdr_end = line;
			break;
		}
		if (m->buf[line] == ' ' || m->buf[line] == '\t') {
			if (!in_field) {
				body_line = 1;  /* text before any field: body */
				m->hdr_end = line;
				break;
			}
			line = eol;
		} else {
			if (in_field) {
				err = digest_field(m, field, line, &removed);
				if (err != 0)
					return err;
				line -= removed;
				eol -= removed;
				in_field = 0;
			}
			if (m->buf[line] == '\n' || (m->buf[line] == '\r'
				&& line + 1 < m->len && m->buf[line + 1] == '\n')) {
				m->hdr_end = line;      /* the blank line: body follows */
				break;
			}
			if (field_name(m->buf + line, eol - line) == 0) {
				body_line = 1;
				m->hdr_end = line;
				break;
			}
			field = line;
			in_field = 1;
			line = eol;
		}
		if (nl == NULL) {
			/* Input ended inside the header section. */
			if (in_field) {
				err = digest_field(m, field, m->len, &removed);
				if (err != 0)
					return err;
			}
			m->hdr_end = m->len;
			break;
		}
	}
	/* A body that begins without a blank line gets one, so added fields
	 * cannot run into it and its first line is not read as a field. */
	if (body_line) {
		err = make_room(m, m->hdr_end, 1);
		if (err != 0)
			return err;
		m->buf[m->hdr_end] = '\n';
	}
	return 0;
}

int pm_msg_add_field(pm_msg *m, const char *text, size_t len)
{
	size_t i, at = m->hdr_end, lead;

	if (field_name((const uint8_t *)text, len) == 0)
		return PM_ERR_BADARG;
	for (i = 0; i < len; i++)
		if (text[i] == '\r' || text[i] == '\n')
			return PM_ERR_BADARG;
	/* The last field may lack a line end when input stopped there. */
	lead = at > 0 && m->buf[at - 1] != '\n';
	if (make_room(m, at, lead + len + 1) != 0)
		return PM_ERR_HDR_TOO_BIG;
	if (lead)
		m->buf[at++] = '\n';
	memcpy(m->buf + at, text, len);
	m->buf[at + len] = '\n';
	m->hdr_end = at + len + 1;
	return 0;
}

int pm_msg_read(void *ctx, uint8_t *dst, size_t cap, size_t *got)
{
	pm_msg *m = ctx;
	size_t n = m->len - m->out;

	if (n > 0) {
		if (n > cap)
			n = cap;
		memcpy(dst, m->buf + m->out, n);
		m->out += n;
		*got = n;
		return 0;
	}
	return raw_read(m, dst, cap, got);
}

int pm_msg_find(const pm_msg *m, const char *name, const uint8_t **body,
	size_t *len)
{
	size_t at = 0, end, n;

	while (at < m->hdr_end) {
		end = field_end(m, at);
		n = field_name(m->buf + at, end - at);
		if (n > 0 && name_is(m->buf + at, n, name)) {
			*body = m->buf + at + n + 1;
			*len = line_octets(*body, end - at - n - 1);
			return 1;
		}
		at = end;
	}
	return 0;
}

void pm_msg_remove(pm_msg *m, const char *name)
{
	size_t at = 0, end, n;

	while (at < m->hdr_end) {
		end = field_end(m, at);
		n = field_name(m->buf + at, end - at);
		if (n > 0 && name_is(m->buf + at, n, name)) {
			cut(m, at, end - at);
			m->hdr_end -= end - at;
		} else {
			at = end;
		}
	}
}

size_t pm_msg_header_lines(const pm_msg *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->hdr_end; i++)
		n += m->buf[i] == '\n';
	return n + 1;
}
