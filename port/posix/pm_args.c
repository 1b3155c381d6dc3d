/*
 * pm_args.c — sendmail's command line (see pm_args.h).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include "pm_args.h"
#include "pm_smtp.h"

static int bad(pm_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(pm_args *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(a->why, sizeof a->why, fmt, ap);
	va_end(ap);
	/* The sentence quotes arguments: keep it one line, no escapes. */
	for (p = a->why; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return EX_USAGE;
}

static int has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* -N: NEVER, or a comma list of SUCCESS, FAILURE, DELAY (any case). */
static int set_notify(pm_args *a, const char *v)
{
	static const char *const words[] = { "NEVER", "SUCCESS", "FAILURE", "DELAY" };
	const char *p = v, *comma;
	size_t n, i, used = 0;
	unsigned seen = 0;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		for (i = 0; i < 4; i++)
			if (strlen(words[i]) == n && strncasecmp(p, words[i], n) == 0)
				break;
		if (i == 4 || (seen & (1u << i)))
			return bad(a, "-N %s: give NEVER, or any of SUCCESS,FAILURE,DELAY"
				" separated by commas", v);
		seen |= 1u << i;
		used += (size_t)snprintf(a->notify_buf + used, sizeof a->notify_buf - used,
			"%s%s", used ? "," : "", words[i]);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if ((seen & 1u) && seen != 1u)
		return bad(a, "-N %s: NEVER cannot be combined with other values", v);
	a->notify = a->notify_buf;
	return 0;
}

static int set_value(pm_args *a, char opt, const char *v)
{
	const char *p;

	switch (opt) {
	case 'f':
	case 'r':
		if (has_line_break(v))
			return bad(a, "a line break in -%c is not allowed", opt);
		a->sender = v;
		return 0;
	case 'F':
		if (has_line_break(v))
			return bad(a, "a line break in -F is not allowed");
		a->name = v;
		return 0;
	case 'C':
		a->conf_path = v;
		return 0;
	case 'N':
		return set_notify(a, v);
	case 'R':
		if (strcasecmp(v, "full") != 0 && strcasecmp(v, "hdrs") != 0)
			return bad(a, "-R %s: give FULL or HDRS", v);
		snprintf(a->ret_buf, sizeof a->ret_buf, "%s",
			strcasecmp(v, "full") == 0 ? "FULL" : "HDRS");
		a->ret = a->ret_buf;
		return 0;
	case 'V':
		for (p = v; *p != '\0'; p++)
			if (*p < '!' || *p > '~')
				break;
		if (*p != '\0' || p == v || p - v > 100)
			return bad(a, "-V: an envelope id is 1 to 100 printable ASCII"
				" characters without spaces");
		a->envid = v;
		return 0;
	case 'B':
		if (strcasecmp(v, "7bit") == 0)
			a->body = PM_BODY_7BIT;
		else if (strcasecmp(v, "8bitmime") == 0)
			a->body = PM_BODY_8BITMIME;
		else
			return bad(a, "-B %s: give 7BIT or 8BITMIME", v);
		return 0;
	case 'L':
		if (strlen(v) > 32 || has_line_break(v))
			return bad(a, "-L: a log tag is at most 32 characters");
		a->tag = v;
		return 0;
	case 'h':
		if (strspn(v, "0123456789") != strlen(v) || *v == '\0')
			return bad(a, "-h %s: the hop count is a number", v);
		return 0;
	case 'o':
		/* -oi is sendmail's -i; every other -oX (-oem, -oep, -odi,
		 * -odb, -oQ...) concerns a local MTA and is ignored. */
		if (strcmp(v, "i") == 0)
			a->ignore_dots = 1;
		return 0;
	case 'O':   /* -O Option=value: MTA options, ignored */
	case 'e':   /* -ee, -em, -ep...: error mode, ignored */
		return 0;
	case 'b':
		switch (v[0] != '\0' && v[1] == '\0' ? v[0] : '?') {
		case 'm': a->mode = PM_MODE_SEND; return 0;
		case 'p': a->mode = PM_MODE_LIST; return 0;
		case 'i': a->mode = PM_MODE_NEWALIASES; return 0;
		}
		return bad(a, "-b%s is a mode pinmail does not offer (it submits the"
			" message on standard input, -bm, and lists its queue, -bp);"
			" -bs (SMTP on standard input) needs a full MTA", v);
	}
	return bad(a, "internal: option -%c", opt);
}

int pm_args_parse(pm_args *a, int argc, char *const *argv)
{
	const char *arg, *prog, *v;
	int i, dashdash = 0;
	size_t j;
	char c;

	memset(a, 0, sizeof *a);
	prog = argc > 0 && argv[0] != NULL ? argv[0] : "pinmail";
	if (strrchr(prog, '/') != NULL)
		prog = strrchr(prog, '/') + 1;
	if (strcmp(prog, "mailq") == 0)
		a->mode = PM_MODE_LIST;
	else if (strcmp(prog, "newaliases") == 0)
		a->mode = PM_MODE_NEWALIASES;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (dashdash || arg[0] != '-' || arg[1] == '\0') {
			if (has_line_break(arg))
				return bad(a, "a line break in a recipient is not allowed");
			if (a->nrcpt == PM_RCPT_MAX)
				return bad(a, "more than %d recipients", PM_RCPT_MAX);
			a->rcpt[a->nrcpt++] = arg;
			continue;
		}
		if (arg[1] == '-') {
			if (arg[2] == '\0')
				dashdash = 1;
			else if (strcmp(arg, "--help") == 0)
				a->mode = PM_MODE_HELP;
			else if (strcmp(arg, "--version") == 0)
				a->mode = PM_MODE_VERSION;
			else if (strcmp(arg, "--retry-now") == 0) {
				a->mode = PM_MODE_FLUSH;
				a->force = 1;
			}
			else if (strcmp(arg, "--import-msmtprc") == 0) {
				if (i + 1 >= argc)
					return bad(a, "--import-msmtprc needs a file");
				a->mode = PM_MODE_IMPORT;
				a->import_file = argv[++i];
				if (i + 1 < argc && argv[i + 1][0] != '-')
					a->import_account = argv[++i];
			} else if (strcmp(arg, "--print-tlsa") == 0) {
				if (i + 1 >= argc || argv[i + 1][0] == '\0')
					return bad(a, "--print-tlsa needs HOST or HOST:PORT");
				a->mode = PM_MODE_PRINT_TLSA;
				a->tlsa_target = argv[++i];
			} else
				return bad(a, "unknown option %s", arg);
			continue;
		}
		for (j = 1; arg[j] != '\0'; j++) {
			c = arg[j];
			switch (c) {
			case 't': a->extract = 1; continue;
			case 'i': a->ignore_dots = 1; continue;
			case 'v': a->verbose = 1; continue;
			case 'G': case 'U': case 'm': case 'n':
				continue;   /* gateway, initial submission, me-too,
					     * no-alias-expansion: nothing to do */
			case 'q':
				a->mode = PM_MODE_FLUSH;
				break;      /* -q15m, -qf...: the rest is its argument */
			case 'f': case 'r': case 'F': case 'C': case 'N': case 'R':
			case 'V': case 'B': case 'L': case 'h': case 'o': case 'O':
			case 'e': case 'b':
				if (arg[j + 1] != '\0')
					v = arg + j + 1;
				else if (i + 1 < argc)
					v = argv[++i];
				else
					return bad(a, "-%c needs a value", c);
				if (set_value(a, c, v) != 0)
					return EX_USAGE;
				break;
			default:
				return bad(a, "unknown option -%c (in %s); pinmail never takes an"
					" option for a recipient", c, arg);
			}
			break;
		}
	}
	if (a->mode == PM_MODE_PRINT_TLSA && a->nrcpt > 0)
		return bad(a, "--print-tlsa takes one HOST[:PORT], not also %s", a->rcpt[0]);
	if (a->mode == PM_MODE_IMPORT && a->nrcpt > 0)
		return bad(a, "--import-msmtprc takes a file and an account name, not %s",
			a->rcpt[0]);
	return 0;
}
