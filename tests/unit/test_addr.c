/*
 * test_addr.c — RFC 5322 address lists as `sendmail -t` reads them.
 *
 * Every input is copied to a heap block of exactly its length, so under
 * ASan a read one byte past the end of the field body is caught. Outputs
 * are compared as the whole list of addresses joined with '|'; errors by
 * code and by a word of the reason. Every prefix of valid lists, and every
 * one-byte corruption of them, must end in 0 or PM_ERR_ADDR with a reason.
 */
#include "pm_test.h"
#include "pm_addr.h"

static char got[8192];
static size_t got_len;
static const char *why;
static int calls, stop_at, stop_with;

static int collect(void *ctx, const char *addr, size_t len)
{
	(void)ctx;
	calls++;
	/* What every address handed out must be, whatever the input. */
	if (len > PM_ADDR_MAX || strlen(addr) != len
		|| memchr(addr, '\r', len) != NULL || memchr(addr, '\n', len) != NULL) {
		printf("  bad address handed out (%zu bytes)\n", len);
		pm_t_failed = 1;
	}
	if (got_len + len + 2 < sizeof got) {
		if (got_len > 0)
			got[got_len++] = '|';
		memcpy(got + got_len, addr, len);
		got_len += len;
		got[got_len] = '\0';
	}
	return calls == stop_at ? stop_with : 0;
}

/* Parse text[0..len) from an exact-size copy; got holds what came out. */
static int parse(const char *text, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);
	int err;

	memcpy(copy, text, len);
	got_len = 0;
	got[0] = '\0';
	calls = 0;
	why = NULL;
	err = pm_addr_list(copy, len, collect, NULL, &why);
	free(copy);
	return err;
}

/* String literals, so inputs may hold NUL bytes. */
#define EXPECT(in, want) do { PM_CHECK_INT(parse(in, sizeof in - 1), 0); \
	PM_CHECK_STR(got, want); } while (0)
#define REJECT(in, word) do { PM_CHECK_INT(parse(in, sizeof in - 1), PM_ERR_ADDR); \
	PM_CHECK(why != NULL && strstr(why, word) != NULL); \
	if (why != NULL && strstr(why, word) == NULL) \
		printf("  reason was \"%s\"\n", why); } while (0)

static void test_plain(void)
{
	EXPECT("a@b", "a@b");
	EXPECT(" a@b ", "a@b");
	EXPECT("a@b, c@d", "a@b|c@d");
	EXPECT("a@b,c@d,e@f", "a@b|c@d|e@f");
	EXPECT("user.name+tag@sub.example.com", "user.name+tag@sub.example.com");
	EXPECT("!#$%&'*+-/=?^_`{|}~@x", "!#$%&'*+-/=?^_`{|}~@x");
	EXPECT("a @ b . c", "a@b.c");
	EXPECT("", "");
	EXPECT("   \t ", "");
	PM_CHECK_INT(calls, 0);
}

static void test_display_names(void)
{
	EXPECT("John Doe <jd@x>", "jd@x");
	EXPECT("John Doe<jd@x>", "jd@x");
	EXPECT("\"Doe, John\" <jd@x>, b@y", "jd@x|b@y");
	EXPECT("\"a \\\"quoted\\\", name\" <q@x>", "q@x");
	EXPECT("John Q. Public <jqp@x>", "jqp@x");
	EXPECT("a.b <c@d>", "c@d");
	EXPECT("=?utf-8?q?J=C3=B6rg?= <j@x>, Ann <a@x>", "j@x|a@x");
	EXPECT("Mr \"John\" Doe (the one) <jd@x>", "jd@x");
}

static void test_comments(void)
{
	EXPECT("(c) a@b (c)", "a@b");
	EXPECT("user(comment)@example.com", "user@example.com");
	EXPECT("a(1)@(2)b(3).(4)c(5)", "a@b.c");
	EXPECT("a@b (one (two (three))), c@d", "a@b|c@d");
	EXPECT("a@b (x, y; <z@w>), c@d", "a@b|c@d");
	EXPECT("a@b (\\) \\( \\\\), c@d", "a@b|c@d");
	EXPECT("Name (c) <(c)a(c)@(c)b(c)> (c)", "a@b");
	REJECT("a@b(c)c@d", "stray");
	EXPECT("(only a comment)", "");
	EXPECT("(\"not a quote)", "");
}

static void test_comment_depth(void)
{
	char in[200];
	size_t i, n = 0;

	/* 32 levels accepted, 33 refused. */
	for (i = 0; i < 32; i++)
		in[n++] = '(';
	for (i = 0; i < 32; i++)
		in[n++] = ')';
	memcpy(in + n, " a@b", 4);
	PM_CHECK_INT(parse(in, n + 4), 0);
	PM_CHECK_STR(got, "a@b");
	n = 0;
	for (i = 0; i < 33; i++)
		in[n++] = '(';
	for (i = 0; i < 33; i++)
		in[n++] = ')';
	PM_CHECK_INT(parse(in, n), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "nested") != NULL);
}

static void test_angle(void)
{
	EXPECT("<a@b>", "a@b");
	EXPECT("  <  a@b  >  ", "a@b");
	EXPECT("<a@b>,<c@d>", "a@b|c@d");
	EXPECT("Name <root>", "root");
	EXPECT("<\"a b\"@x>", "\"a b\"@x");
}

static void test_routes(void)
{
	EXPECT("<@r1,@r2:a@b>", "a@b");
	EXPECT("Name <@r1.example:a@b>, c@d", "a@b|c@d");
	EXPECT("< @r1 , @r2 : a@b >", "a@b");
	EXPECT("<,@r1,,@r2:a@b>", "a@b");
	EXPECT("<@[192.0.2.1]:a@b>", "a@b");
	REJECT("<@r1 a@b>", "source route");
	REJECT("<@r1:>", "empty");
	REJECT("<@:a@b>", "missing domain");
}

static void test_groups(void)
{
	EXPECT("undisclosed-recipients:;", "");
	EXPECT("undisclosed-recipients: ;", "");
	EXPECT("team: a@x, b@y;", "a@x|b@y");
	EXPECT("team: a@x, b@y;, c@z", "a@x|b@y|c@z");
	EXPECT("c@z, team: a@x;", "c@z|a@x");
	EXPECT("g1:;, g2: a@x;,g3:b@y;", "a@x|b@y");
	EXPECT("team: Ann <a@x>, (c) b@y (c) ; (c)", "a@x|b@y");
	EXPECT("\"The Team\": a@x;", "a@x");
	EXPECT("The Team (c): a@x;", "a@x");
	EXPECT("t: ,a@x,,;", "a@x");
	EXPECT("team: a@x,\n\tb@x;, d@x", "a@x|b@x|d@x");
	EXPECT("t: root;", "root");
	REJECT("team: a@x", "group");
	REJECT("team: a@x,", "group");
	REJECT("a: b: c@d;;", "group inside a group");
	REJECT("a@b;", "stray");
	REJECT("g:; x@y", "stray");
	REJECT("g:;;", "stray");
	REJECT(": a@b;", "stray");
}

static void test_literals(void)
{
	EXPECT("a@[192.0.2.1]", "a@[192.0.2.1]");
	EXPECT("a@[IPv6:2001:db8::1], b@c", "a@[IPv6:2001:db8::1]|b@c");
	EXPECT("Name <a@[192.0.2.1]>", "a@[192.0.2.1]");
	EXPECT("a@[ 192.0.2.1 ]", "a@[192.0.2.1]");
	EXPECT("a@[\\ x]", "a@[\\ x]");
	REJECT("a@[192.0.2.1", "unterminated domain literal");
	REJECT("a@[1[2]", "[");
	REJECT("a@[1.2.3.4].com", "stray");
	REJECT("[1.2.3.4]", "stray");
}

static void test_empty_elements(void)
{
	EXPECT("a@b,,c@d", "a@b|c@d");
	EXPECT(",a@b", "a@b");
	EXPECT("a@b,", "a@b");
	EXPECT(" , ,a@b , , ", "a@b");
	EXPECT(",,,", "");
	PM_CHECK_INT(calls, 0);
}

static void test_folding(void)
{
	EXPECT("a@b,\r\n c@d", "a@b|c@d");
	EXPECT("a@b,\n\tc@d", "a@b|c@d");
	EXPECT("John\r\n Doe\r\n <a@b>", "a@b");
	EXPECT("a\r\n @\r\n b\r\n .c", "a@b.c");
	EXPECT("\"john\r\n doe\"@x", "\"john doe\"@x");
	EXPECT("a@b (one\r\n two)", "a@b");
	EXPECT("a@[1.2.\r\n 3.4]", "a@[1.2.3.4]");
	EXPECT("\r\n a@b", "a@b");
	REJECT("a@b\nc@d", "line break");
	REJECT("a@b\r\n", "line break");
	REJECT("a@b\rc", "line break");
	REJECT("a@b\r c", "line break");
	REJECT("\"a\nb\"@x", "line break");
	REJECT("a@b (x\ny)", "line break");
	REJECT("\"a\\\r\n b\"@x", "control");
}

static void test_bare_names(void)
{
	EXPECT("root", "root");
	EXPECT("root, admin", "root|admin");
	EXPECT(" root (the boss) ", "root");
	EXPECT("first.last", "first.last");
	EXPECT("\"john doe\"", "\"john doe\"");
	EXPECT("root, a@b, admin", "root|a@b|admin");
}

static void test_utf8(void)
{
	EXPECT("j\xc3\xb6rg@ex\xc3\xa4mple.org", "j\xc3\xb6rg@ex\xc3\xa4mple.org");
	EXPECT("J\xc3\xb6rg M\xc3\xbcller <j\xc3\xb6rg@x>", "j\xc3\xb6rg@x");
	EXPECT("\"\xc3\xbc v\"@x", "\"\xc3\xbc v\"@x");
	EXPECT("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8",
		"\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8");
}

static void test_quoted_local(void)
{
	EXPECT("\"john doe\"@example.com", "\"john doe\"@example.com");
	EXPECT("\"a\\\"b\"@x", "\"a\\\"b\"@x");
	EXPECT("\"a,b\"@x, c@d", "\"a,b\"@x|c@d");
	EXPECT("\"a<b>@c\"@x", "\"a<b>@c\"@x");
	EXPECT("Name <\"a b\"@x>", "\"a b\"@x");
	EXPECT("\"\"@x", "\"\"@x");
	EXPECT("\"john\".\"doe\"@x", "\"john\".\"doe\"@x");
	EXPECT("(c)\"a b\"(c)@x", "\"a b\"@x");
	EXPECT("\"a\tb\"@x", "\"a\tb\"@x");
}

static void test_errors(void)
{
	REJECT("\"abc", "unterminated quoted string");
	REJECT("\"abc\\\"", "unterminated quoted string");
	REJECT("a@b, \"x, y@z", "unterminated quoted string");
	REJECT("a@b (x", "unterminated comment");
	REJECT("a@b (x (y)", "unterminated comment");
	REJECT("<a@b", "unterminated angle address");
	REJECT("Name <a@b", "unterminated angle address");
	REJECT("Name <a@b, c@d", "stray");
	REJECT("<", "unterminated angle address");
	REJECT("a@", "missing domain after @");
	REJECT("a@,b@c", "missing domain after @");
	REJECT("a@ (c)", "missing domain after @");
	REJECT("a@.b", "missing domain after @");
	REJECT("<a@>", "missing domain after @");
	REJECT("a@b.", "domain");
	REJECT("a@b..c", "domain");
	REJECT("a@b c@d", "stray");
	REJECT("a@b <c@d>", "stray");
	REJECT("<a@b> c", "stray");
	REJECT("<a@b> <c@d>", "stray");
	REJECT("<a b@c>", "malformed local part");
	REJECT("<<a@b>>", "stray");
	REJECT("a@b>", "stray");
	REJECT("a@b)", "stray");
	REJECT("a\\b@c", "stray");
	REJECT("a@b@c", "stray");
	REJECT("@b", "missing local part");
	REJECT("a..b@c", "malformed local part");
	REJECT(".a@b", "malformed local part");
	REJECT("a.@b", "malformed local part");
	REJECT("John Doe@x", "malformed local part");
	REJECT("John Doe", "display name without an address");
	REJECT("a@b, John Doe, c@d", "display name without an address");
	REJECT("<>", "empty angle address");
	REJECT("Name <>", "empty angle address");
	REJECT("<John Doe>", "stray");
}

static void test_errors_after_addresses(void)
{
	/* Addresses before the bad one have been reported; none after it. */
	PM_CHECK_INT(parse("a@b, c@d e@f, g@h", 17), PM_ERR_ADDR);
	PM_CHECK_STR(got, "a@b");
	/* The bad element itself is not reported. */
	PM_CHECK_INT(parse("a@b x", 5), PM_ERR_ADDR);
	PM_CHECK_STR(got, "");
}

static void test_control_bytes(void)
{
	REJECT("a\0b@c", "control");
	REJECT("a@b\0", "control");
	REJECT("\0", "control");
	REJECT("\"a\0\"@b", "control");
	REJECT("\"a\\\0\"@b", "control");
	REJECT("a@b (\0)", "NUL");
	REJECT("a@b (\\\0)", "NUL");
	REJECT("a@[1\0]", "control");
	REJECT("a\001b@c", "control");
	REJECT("a\177b@c", "control");
	REJECT("\"a\033b\"@c", "control");
	REJECT("a@b\f", "control");
	REJECT("a@b\v", "control");
}

static void test_length(void)
{
	char in[600], want[300];
	size_t n;

	/* 64 + 1 + 191 = 256 bytes: accepted, handed out whole. */
	memset(in, 'l', 64);
	in[64] = '@';
	memset(in + 65, 'd', 191);
	PM_CHECK_INT(parse(in, 256), 0);
	PM_CHECK_INT(got_len, 256);
	PM_CHECK_MEM(got, got_len, in, 256);
	/* One more byte: refused, naming the limit. */
	memset(in + 65, 'd', 192);
	PM_CHECK_INT(parse(in, 257), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "longer than 256 bytes") != NULL);
	PM_CHECK_INT(calls, 0);
	/* What counts is the output: comments, blanks and folds are free. */
	n = 0;
	memcpy(in + n, "Name (c)\r\n <", 12);
	n += 12;
	memset(in + n, 'l', 100);
	n += 100;
	memcpy(in + n, " (comment) @\r\n\t", 15);
	n += 15;
	memset(in + n, 'd', 155);
	n += 155;
	memcpy(in + n, " >  ", 4);
	n += 4;
	memset(want, 'l', 100);
	want[100] = '@';
	memset(want + 101, 'd', 155);
	PM_CHECK_INT(parse(in, n), 0);
	PM_CHECK_MEM(got, got_len, want, 256);
	/* Quotes count: "x...x"@d of 257 bytes is refused. */
	in[0] = '"';
	memset(in + 1, 'x', 252);
	memcpy(in + 253, "\"@dd", 4);
	PM_CHECK_INT(parse(in, 257), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "longer") != NULL);
	PM_CHECK_INT(parse(in, 256), 0);
	PM_CHECK_INT(got_len, 256);
	/* A bare name too. */
	memset(in, 'r', 257);
	PM_CHECK_INT(parse(in, 256), 0);
	PM_CHECK_INT(parse(in, 257), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "longer") != NULL);
}

static void test_long_names_and_comments(void)
{
	static char in[20000];
	size_t n;

	/* A display name or a comment far longer than an address is fine. */
	in[0] = '"';
	memset(in + 1, 'N', 5000);
	memcpy(in + 5001, "\" <a@b>", 7);
	PM_CHECK_INT(parse(in, 5008), 0);
	PM_CHECK_STR(got, "a@b");
	memset(in, 'N', 5000);
	memset(in + 1000, ' ', 1);
	memcpy(in + 5000, ": c@d;", 6);
	PM_CHECK_INT(parse(in, 5006), 0);
	PM_CHECK_STR(got, "c@d");
	memcpy(in, "a@b (", 5);
	memset(in + 5, 'c', 10000);
	n = 10005;
	in[n++] = ')';
	PM_CHECK_INT(parse(in, n), 0);
	PM_CHECK_STR(got, "a@b");
}

static void test_hostile(void)
{
	static char in[100001];
	size_t i;

	memset(in, 'a', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "longer") != NULL);
	memset(in, '(', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "nested") != NULL);
	for (i = 0; i < 100000; i += 2)
		memcpy(in + i, "()", 2);
	PM_CHECK_INT(parse(in, 100000), 0);
	PM_CHECK_INT(calls, 0);
	memset(in, '"', 100001);
	PM_CHECK_INT(parse(in, 100001), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "quoted string") != NULL);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	PM_CHECK(why != NULL);
	memset(in, '<', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	PM_CHECK(why != NULL);
	memset(in, ',', 100000);
	PM_CHECK_INT(parse(in, 100000), 0);
	PM_CHECK_INT(calls, 0);
	memset(in, ':', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	memset(in, '@', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	memset(in, '[', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	memset(in, '\\', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	in[0] = '"';
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	PM_CHECK(why != NULL && strstr(why, "unterminated quoted string") != NULL);
	memset(in, '\n', 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	memset(in, 0, 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	memset(in, 0xff, 100000);
	PM_CHECK_INT(parse(in, 100000), PM_ERR_ADDR);
	/* Many addresses in one field: each reported. */
	for (i = 0; i + 4 <= 100000; i += 4)
		memcpy(in + i, "a@b,", 4);
	PM_CHECK_INT(parse(in, 100000), 0);
	PM_CHECK_INT(calls, 25000);
	/* Many group openings and closings. */
	for (i = 0; i + 4 <= 100000; i += 4)
		memcpy(in + i, "g:;,", 4);
	PM_CHECK_INT(parse(in, 100000), 0);
	PM_CHECK_INT(calls, 0);
}

static void test_callback_stops(void)
{
	stop_at = 2;
	stop_with = 77;
	PM_CHECK_INT(parse("a@b, c@d, e@f", 13), 77);
	PM_CHECK_INT(calls, 2);
	PM_CHECK_STR(got, "a@b|c@d");
	/* Stopping wins over an error later in the list. */
	PM_CHECK_INT(parse("a@b, c@d, <", 11), 77);
	stop_at = 1;
	stop_with = PM_ERR_TOO_MANY_RCPT;
	PM_CHECK_INT(parse("t: a@b;", 7), PM_ERR_TOO_MANY_RCPT);
	stop_at = 0;
	stop_with = 0;
}

static void test_why_optional(void)
{
	PM_CHECK_INT(pm_addr_list("<", 1, collect, NULL, NULL), PM_ERR_ADDR);
	PM_CHECK_INT(pm_addr_list("a@b", 3, collect, NULL, NULL), 0);
	/* Only len bytes are read: what follows is not part of the field. */
	PM_CHECK_INT(parse("a@b, junk", 3), 0);
	PM_CHECK_STR(got, "a@b");
}

static const char *const valid[] = {
	("John Doe <jd@x>, \"Doe, J\\\"r\" (c (n)) <@r1,@r2:q@[192.0.2.1]>,"
		"\r\n\tteam: a@x, ,b.c@y.z;, root, undisclosed-recipients:;"),
	"\"john\r\n doe\"@example.com (c), u(c)@d, <\"a b\"@x>, j\xc3\xb6rg@x",
	",,a@b,,",
};

/* Every prefix of a valid list, and the list with any one byte replaced by
 * a troublesome one, ends in 0 or PM_ERR_ADDR with a reason — never a
 * crash or a read past the end (ASan). */
static void test_prefixes_and_corruptions(void)
{
	static const char bytes[] = { 0, '(', ')', '"', '\\', '<', '>', '[', ']',
		'@', ',', ':', ';', '.', '\n', '\r', ' ', (char)0xff };
	char buf[256];
	size_t v, i, j, len;
	int err;

	for (v = 0; v < sizeof valid / sizeof valid[0]; v++) {
		len = strlen(valid[v]);
		PM_CHECK(len < sizeof buf);
		PM_CHECK_INT(parse(valid[v], len), 0);
		for (i = 0; i <= len; i++) {
			err = parse(valid[v], i);
			PM_CHECK(err == 0 || (err == PM_ERR_ADDR && why != NULL
				&& why[0] != '\0'));
		}
		for (i = 0; i < len; i++) {
			for (j = 0; j < sizeof bytes; j++) {
				memcpy(buf, valid[v], len);
				buf[i] = bytes[j];
				err = parse(buf, len);
				PM_CHECK(err == 0 || (err == PM_ERR_ADDR && why != NULL
					&& why[0] != '\0'));
			}
		}
	}
	parse(valid[0], strlen(valid[0]));
	PM_CHECK_STR(got, "jd@x|q@[192.0.2.1]|a@x|b.c@y.z|root");
	parse(valid[1], strlen(valid[1]));
	PM_CHECK_STR(got, "\"john doe\"@example.com|u@d|\"a b\"@x|j\xc3\xb6rg@x");
}

int main(void)
{
	PM_RUN(test_plain);
	PM_RUN(test_display_names);
	PM_RUN(test_comments);
	PM_RUN(test_comment_depth);
	PM_RUN(test_angle);
	PM_RUN(test_routes);
	PM_RUN(test_groups);
	PM_RUN(test_literals);
	PM_RUN(test_empty_elements);
	PM_RUN(test_folding);
	PM_RUN(test_bare_names);
	PM_RUN(test_utf8);
	PM_RUN(test_quoted_local);
	PM_RUN(test_errors);
	PM_RUN(test_errors_after_addresses);
	PM_RUN(test_control_bytes);
	PM_RUN(test_length);
	PM_RUN(test_long_names_and_comments);
	PM_RUN(test_hostile);
	PM_RUN(test_callback_stops);
	PM_RUN(test_why_optional);
	PM_RUN(test_prefixes_and_corruptions);
	PM_TEST_MAIN();
}
