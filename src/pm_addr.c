/*
 * pm_addr.c — RFC 5322 address lists (see pm_addr.h).
 *
 * One pass, no backtracking. tok() turns the input into tokens with the
 * CFWS between them already skipped; words() gathers a run of words and
 * dots, which is a local part or a display name: the token after it tells
 * which ('@' or the end of the element: an address; '<' or ':' a name).
 * Since only a local part is kept, the run is copied into the output
 * buffer as it comes and thrown away when it turns out to be a name; its
 * length is counted past the buffer's end so a long display name is fine
 * and a long address is an error.
 *
 * What is copied is the addr-spec as written, less comments and line
 * folds: a quoted local part stays quoted (SMTP needs the quotes), with
 * its backslashes. Only the output buffer lives on the stack; comments are
 * skipped by counting depth, never by recursion.
 */
#include <string.h>
#include "pm_addr.h"

/* Deepest comment nesting accepted. Depth is only a counter, so this costs
 * nothing; the bound makes a hostile "((((..." fail with a clear reason. */
enum { COMMENT_DEPTH = 32 };

/* Tokens: punctuation is its own character; words and literals are: */
enum {
	T_ERR = -1,     /* sc->why says why */
	T_END = 0,
	T_ATOM = 'a',
	T_QUOTED = '"',
	T_LITERAL = '['
};

#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct {
	const char *s, *end;    /* input not yet read */
	const char *ts;         /* start of the last token (end is s) */
	const char *why;        /* first error */
	size_t n;               /* bytes of output, counted past buf's end */
	char buf[PM_ADDR_MAX + 1];
} scan;

static int bad(scan *sc, const char *why)
{
	if (sc->why == NULL)
		sc->why = why;
	return T_ERR;
}

static int is_ctl(unsigned char c)
{
	return (c < ' ' && c != '\t') || c == 0x7f;
}

/* RFC 5322 atext, widened by RFC 6532 to every byte of a UTF-8 sequence. */
static int is_atext(unsigned char c)
{
	return c >= 0x80 || (c > ' ' && c < 0x7f
		&& strchr("()<>[]:;@\\,.\"", c) == NULL);
}

/* At a CR or LF: step over a fold ([CR] LF then a blank), leaving the
 * blank to be read. Any other line break cannot be in one field body. */
static int fold(scan *sc)
{
	const char *p = sc->s;

	if (*p == '\r')
		p++;
	if (p == sc->end || *p != '\n' || ++p == sc->end
		|| (*p != ' ' && *p != '\t'))
		return 0;
	sc->s = p;
	return 1;
}

/* Skip a comment, sc->s at its '('. */
static int comment(scan *sc)
{
	unsigned depth = 0;
	unsigned char c;

	while (sc->s < sc->end) {
		c = (unsigned char)*sc->s;
		if (c == '\r' || c == '\n') {
			if (!fold(sc))
				return bad(sc, "line break not followed by a blank");
			continue;
		}
		sc->s++;
		if (c == '(' && ++depth > COMMENT_DEPTH)
			return bad(sc, "too deeply nested comments");
		if (c == ')' && --depth == 0)
			return 0;
		if (c == '\\' && sc->s < sc->end)
			c = (unsigned char)*sc->s++;
		if (c == '\0')
			return bad(sc, "NUL byte in comment");
	}
	return bad(sc, "unterminated comment");
}

/* A quoted string or domain literal, sc->s at its opening '"' or '['. */
static int quoted(scan *sc, char close)
{
	unsigned char c;

	for (sc->s++; sc->s < sc->end; sc->s++) {
		c = (unsigned char)*sc->s;
		if (c == close) {
			sc->s++;
			return close == '"' ? T_QUOTED : T_LITERAL;
		}
		if (c == '\r' || c == '\n') {
			if (!fold(sc))
				return bad(sc, "line break not followed by a blank");
			continue;
		}
		if (c == '\\') {
			if (++sc->s == sc->end)
				break;
			c = (unsigned char)*sc->s;
		} else if (c == '[') {
			return bad(sc, "'[' inside a domain literal");
		}
		if (is_ctl(c))
			return bad(sc, "control character in address");
	}
	return bad(sc, close == '"' ? "unterminated quoted string"
		: "unterminated domain literal");
}

/* The next token, after any CFWS. Its text is sc->ts .. sc->s. */
static int tok(scan *sc)
{
	unsigned char c;

	for (;;) {
		if (sc->s == sc->end)
			return T_END;
		c = (unsigned char)*sc->s;
		if (c == ' ' || c == '\t') {
			sc->s++;
		} else if (c == '\r' || c == '\n') {
			if (!fold(sc))
				return bad(sc, "line break not followed by a blank");
		} else if (c == '(') {
			if (comment(sc) != 0)
				return T_ERR;
		} else {
			break;
		}
	}
	sc->ts = sc->s;
	if (c == '"' || c == '[')
		return quoted(sc, c == '"' ? '"' : ']');
	if (is_atext(c)) {
		while (sc->s < sc->end && is_atext((unsigned char)*sc->s))
			sc->s++;
		return T_ATOM;
	}
	if (c != '\0' && strchr(".@,:;<>", c) != NULL) {
		sc->s++;
		return c;
	}
	return bad(sc, is_ctl(c) ? "control character in address"
		: "stray characters");
}

/* Append the last token, dropping folds (and, in a domain literal, the
 * blanks RFC 5322 allows there and SMTP does not). */
static void put(scan *sc, int t)
{
	const char *p;

	for (p = sc->ts; p < sc->s; p++) {
		if (*p == '\r' || *p == '\n'
			|| (t == T_LITERAL && (*p == ' ' || *p == '\t')))
			continue;
		if (*p == '\\') {
			if (sc->n < PM_ADDR_MAX)
				sc->buf[sc->n] = *p;
			sc->n++;
			p++;
		}
		if (sc->n < PM_ADDR_MAX)
			sc->buf[sc->n] = *p;
		sc->n++;
	}
}

/*
 * From token t, gather words and dots into a fresh output. *shape is 0 if
 * there were none, 1 if they form a local part (word *("." word)), 2 if
 * only a display name (two words in a row, or a stray dot). Returns the
 * token that ended the run.
 */
static int words(scan *sc, int t, int *shape)
{
	int prev = 0, ok = 1;

	sc->n = 0;
	for (;; t = tok(sc)) {
		if (t == T_ATOM || t == T_QUOTED)
			ok &= prev != T_ATOM;
		else if (t == '.')
			ok &= prev == T_ATOM;
		else
			break;
		put(sc, t);
		prev = t == '.' ? '.' : T_ATOM;
	}
	*shape = prev == 0 ? 0 : ok && prev != '.' ? 1 : 2;
	return t;
}

/* After an '@' (the last token): the domain. Returns the token after it. */
static int domain(scan *sc)
{
	int t;

	put(sc, '@');
	t = tok(sc);
	if (t == T_LITERAL) {
		put(sc, t);
		return tok(sc);
	}
	if (t != T_ATOM)
		return bad(sc, "missing domain after @");
	for (;;) {
		put(sc, t);
		t = tok(sc);
		if (t != '.')
			return t;
		put(sc, t);
		t = tok(sc);
		if (t != T_ATOM)
			return bad(sc, "malformed domain");
	}
}

/* Words have ended at t: if it is '@', the domain follows. */
static int at(scan *sc, int t, int shape)
{
	if (t != '@')
		return t;
	if (shape != 1)
		return bad(sc, shape == 0 ? "missing local part before @"
			: "malformed local part");
	return domain(sc);
}

/* After a '<': [obs-route] addr-spec '>'. Returns the token after '>'. */
static int angle(scan *sc)
{
	int t = tok(sc), shape;

	if (t == '@' || t == ',') {
		/* "@r1,@r2:" is parsed, then overwritten by the local part. */
		while (t == '@' || t == ',')
			t = t == '@' ? domain(sc) : tok(sc);
		if (t != ':')
			return bad(sc, "malformed source route");
		t = tok(sc);
	}
	t = words(sc, t, &shape);
	t = at(sc, t, shape);
	if (t == '>' && shape == 1)
		return tok(sc);
	if (t == '>' && shape == 0)
		return bad(sc, "empty angle address");
	if (t == T_END)
		return bad(sc, "unterminated angle address");
	return bad(sc, "stray characters");
}

int pm_addr_list(const char *s, size_t len, pm_addr_fn fn, void *ctx,
	const char **why)
{
	scan sc;
	int t, shape, group = 0, err;

	sc.s = sc.ts = s;
	sc.end = s + len;
	sc.why = NULL;
	for (;;) {
		t = words(&sc, tok(&sc), &shape);
		if (t == ':' && shape != 0) {
			/* A group's name: its members follow, itself is not one. */
			if (group) {
				bad(&sc, "group inside a group");
				break;
			}
			group = 1;
			continue;
		}
		if (t == '<') {
			t = angle(&sc);
			shape = 1;
		} else if (shape == 2 && t != '@') {
			t = bad(&sc, "display name without an address");
		} else {
			t = at(&sc, t, shape);
		}
		/* bad() keeps the first reason, so an earlier error stands. */
		if (t != ',' && t != T_END && (t != ';' || !group))
			t = bad(&sc, "stray characters");
		if (t == T_ERR)
			break;
		if (shape != 0) {
			if (sc.n > PM_ADDR_MAX) {
				bad(&sc, "address longer than " STR(PM_ADDR_MAX)
					" bytes");
				break;
			}
			sc.buf[sc.n] = '\0';
			err = fn(ctx, sc.buf, sc.n);
			if (err != 0)
				return err;
		}
		if (t == ';') {
			group = 0;
			t = tok(&sc);
			if (t != ',' && t != T_END) {
				bad(&sc, "stray characters after a group");
				break;
			}
		}
		if (t == T_END) {
			if (!group)
				return 0;
			bad(&sc, "group not ended by ';'");
			break;
		}
	}
	if (why != NULL)
		*why = sc.why;
	return PM_ERR_ADDR;
}
