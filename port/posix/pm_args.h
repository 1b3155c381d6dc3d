/*
 * pm_args.h — sendmail's command line, as callers really use it.
 *
 * Parsing only: no I/O, no allocation; the results point into argv. The
 * name the program was invoked as picks the mode first (mailq lists the
 * queue, newaliases does nothing), then options may change it.
 *
 * Flags cluster and values may be attached or separate, as with getopt:
 * "-ti", "-FCronDaemon", "-f addr", "-oi", "-o i". Options may appear
 * anywhere before "--"; an argument starting with "-" is never taken for a
 * recipient. Options sendmail accepts but that mean nothing for a
 * submission client (-oem, -odi, -O ..., -h N, -G, -U, -m, -n, -e ...) are
 * accepted and ignored, as sendmail ignores them; modes pinmail does not
 * offer (-bs, -bd, -bt, -bv, ...) and unknown options are usage errors.
 */
#ifndef PM_ARGS_H
#define PM_ARGS_H

#include <stddef.h>
#include "pm_opts.h"

enum {
	PM_MODE_SEND = 0,      /* -bm: deliver the message on stdin (default) */
	PM_MODE_LIST,          /* -bp, mailq: list the queue */
	PM_MODE_FLUSH,         /* -q: flush the queue; --retry-now */
	PM_MODE_NEWALIASES,    /* -bi, newaliases: nothing to do */
	PM_MODE_HELP,          /* --help */
	PM_MODE_VERSION,       /* --version */
	PM_MODE_IMPORT,        /* --import-msmtprc FILE [ACCOUNT] */
	PM_MODE_PRINT_TLSA     /* --print-tlsa HOST[:PORT] */
};

typedef struct {
	int mode;
	int extract;           /* -t */
	int ignore_dots;       /* -i, -oi */
	int verbose;           /* -v */
	int force;             /* --retry-now: -q ignoring the backoff */
	const char *sender;    /* -f, -r */
	const char *name;      /* -F */
	const char *conf_path; /* -C */
	const char *notify;    /* -N: NEVER or SUCCESS,FAILURE,DELAY (upper case) */
	const char *ret;       /* -R: FULL or HDRS (upper case) */
	const char *envid;     /* -V */
	const char *tag;       /* -L: syslog tag */
	unsigned body;         /* -B: PM_BODY_* */
	const char *import_file, *import_account;
	const char *tlsa_target;   /* --print-tlsa */
	const char *rcpt[PM_RCPT_MAX];   /* recipient arguments */
	size_t nrcpt;
	char notify_buf[32], ret_buf[8];
	char why[200];         /* with EX_USAGE: what is wrong */
} pm_args;

/* Parse argv. Returns 0, or 64 (EX_USAGE) with why set. */
int pm_args_parse(pm_args *a, int argc, char *const *argv);

#endif /* PM_ARGS_H */
