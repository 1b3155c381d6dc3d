/*
 * test_args.c — sendmail's command line: every option callers pass, the
 * program names, clustering, attached and separate values, and the
 * refusals (unknown options, modes pinmail does not offer, line breaks).
 */
#include <stdarg.h>
#include <stdint.h>
#include <sysexits.h>
#include "pm_test.h"
#include "pm_args.h"
#include "pm_smtp.h"

static pm_args a;

/* Parse a NULL-terminated argument list; returns pm_args_parse's result. */
static int parse(const char *first, ...)
{
	static char *argv[64];
	va_list ap;
	int argc = 0;
	const char *s = first;

	va_start(ap, first);
	while (s != NULL && argc < 63) {
		argv[argc++] = (char *)(uintptr_t)s;
		s = va_arg(ap, const char *);
	}
	va_end(ap);
	argv[argc] = NULL;
	return pm_args_parse(&a, argc, argv);
}

static void test_names(void)
{
	PM_CHECK_INT(parse("pinmail", "bob@x", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_SEND);
	PM_CHECK_INT(parse("/usr/sbin/sendmail", "-t", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_SEND);
	PM_CHECK_INT(parse("/usr/bin/mailq", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_LIST);
	PM_CHECK_INT(parse("newaliases", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_NEWALIASES);
}

static void test_cron(void)
{
	/* cron's exact command line (Debian cron, do_command.c). */
	PM_CHECK_INT(parse("/usr/sbin/sendmail", "-FCronDaemon", "-i", "-B8BITMIME",
		"-oem", "root", NULL), 0);
	PM_CHECK_STR(a.name, "CronDaemon");
	PM_CHECK_INT(a.ignore_dots, 1);
	PM_CHECK_INT(a.body, PM_BODY_8BITMIME);
	PM_CHECK_INT((int)a.nrcpt, 1);
	PM_CHECK_STR(a.rcpt[0], "root");
	PM_CHECK_INT(a.extract, 0);
}

static void test_php_mutt_git(void)
{
	PM_CHECK_INT(parse("sendmail", "-t", "-i", NULL), 0);
	PM_CHECK_INT(a.extract && a.ignore_dots, 1);
	PM_CHECK_INT((int)a.nrcpt, 0);
	/* mutt: -oem -oi -- rcpt...; mailx: -i rcpt; git: -i rcpt... */
	PM_CHECK_INT(parse("sendmail", "-oem", "-oi", "--", "a@x", "-b@x", NULL), 0);
	PM_CHECK_INT(a.ignore_dots, 1);
	PM_CHECK_INT((int)a.nrcpt, 2);
	PM_CHECK_STR(a.rcpt[1], "-b@x");
	PM_CHECK_INT(parse("sendmail", "-ti", "-f", "me@x", "-F", "Me Too", "a@x", NULL), 0);
	PM_CHECK_INT(a.extract && a.ignore_dots, 1);
	PM_CHECK_STR(a.sender, "me@x");
	PM_CHECK_STR(a.name, "Me Too");
	PM_CHECK_INT(parse("sendmail", "-tifme@x", NULL), 0);
	PM_CHECK_STR(a.sender, "me@x");
	PM_CHECK_INT(parse("sendmail", "-r", "bounce@x", "-o", "i", "a@x", NULL), 0);
	PM_CHECK_STR(a.sender, "bounce@x");
	PM_CHECK_INT(a.ignore_dots, 1);
}

static void test_dsn_body(void)
{
	PM_CHECK_INT(parse("sendmail", "-N", "delay,Success,failure", "-R", "hdrs",
		"-V", "id-42", "-B", "7bit", "a@x", NULL), 0);
	PM_CHECK_STR(a.notify, "DELAY,SUCCESS,FAILURE");
	PM_CHECK_STR(a.ret, "HDRS");
	PM_CHECK_STR(a.envid, "id-42");
	PM_CHECK_INT(a.body, PM_BODY_7BIT);
	PM_CHECK_INT(parse("sendmail", "-Nnever", "-Rfull", "a@x", NULL), 0);
	PM_CHECK_STR(a.notify, "NEVER");
	PM_CHECK_STR(a.ret, "FULL");
	PM_CHECK_INT(parse("sendmail", "-N", "never,success", "a@x", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-N", "sometimes", "a@x", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-N", "success,success", "a@x", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-R", "all", "a@x", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-V", "has space", "a@x", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-B", "binarymime", "a@x", NULL), EX_USAGE);
}

static void test_ignored(void)
{
	PM_CHECK_INT(parse("sendmail", "-oem", "-oep", "-odi", "-odb", "-oQ/tmp",
		"-O", "DeliveryMode=b", "-h", "10", "-G", "-U", "-m", "-n", "-ee",
		"-L", "backup", "-bm", "-v", "a@x", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_SEND);
	PM_CHECK_INT(a.verbose, 1);
	PM_CHECK_STR(a.tag, "backup");
	PM_CHECK_INT(a.ignore_dots, 0);
	PM_CHECK_INT((int)a.nrcpt, 1);
	PM_CHECK_INT(parse("sendmail", "-h", "ten", "a@x", NULL), EX_USAGE);
}

static void test_modes(void)
{
	PM_CHECK_INT(parse("sendmail", "-bp", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_LIST);
	PM_CHECK_INT(parse("sendmail", "-q", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_FLUSH);
	PM_CHECK_INT(parse("sendmail", "-q15m", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_FLUSH);
	PM_CHECK_INT(parse("sendmail", "-bi", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_NEWALIASES);
	PM_CHECK_INT(parse("sendmail", "--version", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_VERSION);
	PM_CHECK_INT(parse("sendmail", "--help", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_HELP);
	PM_CHECK_INT(parse("pinmail", "--import-msmtprc", "/f", "work", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_IMPORT);
	PM_CHECK_STR(a.import_file, "/f");
	PM_CHECK_STR(a.import_account, "work");
	PM_CHECK_INT(parse("pinmail", "--import-msmtprc", NULL), EX_USAGE);
	PM_CHECK_INT(parse("pinmail", "--import-msmtprc", "/f", "work", "extra", NULL),
		EX_USAGE);
	PM_CHECK_INT(parse("pinmail", "-C", "/c", "--print-tlsa", "mx.example:587", NULL), 0);
	PM_CHECK_INT(a.mode, PM_MODE_PRINT_TLSA);
	PM_CHECK_STR(a.tlsa_target, "mx.example:587");
	PM_CHECK_STR(a.conf_path, "/c");
	PM_CHECK_INT(parse("pinmail", "--print-tlsa", NULL), EX_USAGE);
	PM_CHECK_INT(parse("pinmail", "--print-tlsa", "", NULL), EX_USAGE);
	PM_CHECK_INT(parse("pinmail", "--print-tlsa", "mx", "bob@example.org", NULL),
		EX_USAGE);
	PM_CHECK(strstr(a.why, "bob@example.org") != NULL);
	PM_CHECK_INT(parse("sendmail", "-bs", NULL), EX_USAGE);
	PM_CHECK(strstr(a.why, "-bs") != NULL);
	PM_CHECK_INT(parse("sendmail", "-bd", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-bv", "a@x", NULL), EX_USAGE);
}

static void test_refusals(void)
{
	PM_CHECK_INT(parse("sendmail", "-X", "a@x", NULL), EX_USAGE);
	PM_CHECK(strstr(a.why, "-X") != NULL);
	PM_CHECK_INT(parse("sendmail", "-tz", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "--frobnicate", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-f", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "a@x", "-F", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "a@x\nBcc: c@x", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-f", "a@x\r\nBcc: c@x", "b@x", NULL), EX_USAGE);
	PM_CHECK_INT(parse("sendmail", "-FEvil\nBcc: c@x", "b@x", NULL), EX_USAGE);
	/* An option after a recipient is still an option. */
	PM_CHECK_INT(parse("sendmail", "a@x", "-t", NULL), 0);
	PM_CHECK_INT(a.extract, 1);
	PM_CHECK_INT((int)a.nrcpt, 1);
	/* "-" alone is a recipient argument, as in sendmail. */
	PM_CHECK_INT(parse("sendmail", "-", NULL), 0);
	PM_CHECK_INT((int)a.nrcpt, 1);
}

int main(void)
{
	PM_RUN(test_names);
	PM_RUN(test_cron);
	PM_RUN(test_php_mutt_git);
	PM_RUN(test_dsn_body);
	PM_RUN(test_ignored);
	PM_RUN(test_modes);
	PM_RUN(test_refusals);
	PM_TEST_MAIN();
}
