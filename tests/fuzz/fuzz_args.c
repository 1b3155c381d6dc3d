/*
 * fuzz_args.c — sendmail's command line (port/posix/pm_args.c).
 *
 * Input: argv, the arguments separated by NUL bytes (argv[0] first, as the
 * program name decides the mode: mailq, newaliases). At most 600
 * arguments.
 *
 * Checks: the result is 0 or EX_USAGE; with EX_USAGE `why` says something
 * (NUL-terminated, in its buffer); with 0, every pointer points into argv,
 * no recipient, sender or name holds a line break, no recipient starts
 * with "-" unless it came after "--" (an option is never taken for a
 * recipient), the mode is one of the enum, and the DSN and BODY values
 * are ones pm_smtp_init accepts (what the parser lets through, the engine
 * must not refuse).
 */
#include <sysexits.h>
#include "fuzz_common.h"
#include "pm_args.h"
#include "pm_smtp.h"

#define MAX_ARGS 600

static int in_args(const char *p, const char *buf, size_t n)
{
	return p >= buf && p < buf + n;
}

static int no_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	(void)ctx;
	(void)buf;
	(void)cap;
	*got = 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pm_args a;
	static pm_smtp s;
	char *buf, *argv[MAX_ARGS + 1];
	const char *rcpt[1] = { "rcpt@example.org" };
	pm_smtp_params p;
	size_t i, argc = 0, dd;
	int r;

	buf = malloc(size + 1);            /* exact: ASan guards the end */
	FZ_CHECK(buf != NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i <= size && argc < MAX_ARGS; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	if (size == 0)
		argc = 0;
	argv[argc] = NULL;

	r = pm_args_parse(&a, (int)argc, argv);
	FZ_CHECK(r == 0 || r == EX_USAGE);
	if (r != 0) {
		FZ_CHECK(a.why[0] != '\0');
		FZ_CHECK(memchr(a.why, '\0', sizeof a.why) != NULL);
		/* Finding 6 (README.md): `why` quotes the argument, line
		 * breaks included, so "one line on stderr" can be two. */
		if (fz_strict())
			FZ_CHECK(strpbrk(a.why, "\r\n") == NULL);
		free(buf);
		return 0;
	}
	FZ_CHECK(a.mode >= PM_MODE_SEND && a.mode <= PM_MODE_PRINT_TLSA);
	if (a.mode == PM_MODE_PRINT_TLSA) {
		FZ_CHECK(a.tlsa_target != NULL && a.tlsa_target[0] != '\0');
		FZ_CHECK(in_args(a.tlsa_target, buf, size + 1));
		FZ_CHECK(a.nrcpt == 0);
	}
	FZ_CHECK(a.nrcpt <= PM_RCPT_MAX);
	/* Where "--" is, if anywhere: recipients after it may start with -. */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		;
	for (i = 0; i < a.nrcpt; i++) {
		FZ_CHECK(in_args(a.rcpt[i], buf, size + 1));
		FZ_CHECK(strpbrk(a.rcpt[i], "\r\n") == NULL);
		if (a.rcpt[i][0] == '-' && a.rcpt[i][1] != '\0') {
			/* must stand after "--" in argv */
			FZ_CHECK(dd < argc && a.rcpt[i] > argv[dd]);
		}
	}
	if (a.sender != NULL)
		FZ_CHECK(in_args(a.sender, buf, size + 1) && !strpbrk(a.sender, "\r\n"));
	if (a.name != NULL)
		FZ_CHECK(in_args(a.name, buf, size + 1) && !strpbrk(a.name, "\r\n"));
	if (a.conf_path != NULL)
		FZ_CHECK(in_args(a.conf_path, buf, size + 1));
	if (a.tag != NULL)
		FZ_CHECK(strlen(a.tag) <= 32 && !strpbrk(a.tag, "\r\n"));
	if (a.mode == PM_MODE_IMPORT)
		FZ_CHECK(a.import_file != NULL && a.nrcpt == 0);
	FZ_CHECK(a.body <= PM_BODY_8BITMIME);

	/* What the parser accepts, the engine accepts. */
	memset(&p, 0, sizeof p);
	p.helo = "client.example.org";
	p.from = "sender@example.org";
	p.rcpt = rcpt;
	p.nrcpt = 1;
	p.read = no_read;
	p.body = a.body;
	p.notify = a.notify;
	p.ret = a.ret;
	p.envid = a.envid;
	FZ_CHECK(pm_smtp_init(&s, &p) == 0);
	free(buf);
	return 0;
}
