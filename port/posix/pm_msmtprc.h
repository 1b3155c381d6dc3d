/*
 * pm_msmtprc.h — pinmail --import-msmtprc FILE [ACCOUNT]: an msmtp
 * configuration turned into the equivalent pinmail configuration.
 *
 * The file is read as msmtp 1.8 reads it: "defaults" sections, "account
 * NAME [: PARENT[,PARENT...]]" inheritance (an account starts from the
 * defaults in force where it is defined, then takes every setting its
 * parents made), commands before the first account forming the account
 * "default", double quotes around an argument, "~" in file names. The
 * account converted is ACCOUNT, else "default", else the first one.
 *
 * What converts: host, port, tls_fingerprint (a SHA-256 fingerprint of the
 * whole certificate becomes "tlsa 3 0 1"), user and password (only with
 * auth on, as msmtp authenticates only then), from, domain (msmtp's EHLO
 * argument, pinmail's helo), timeout, logfile, syslog, aliases. Everything
 * that has no equivalent or means something else in pinmail draws one line
 * on stderr, "pinmail: warning: FILE:LINE: ...", naming where it was set:
 * STARTTLS, tls off, a CA trust file instead of a pin, passwordeval and
 * eval (pinmail runs no commands), SHA-1/MD5 fingerprints, and the rest.
 *
 * No allocation: the file is read into a static buffer and its accounts
 * are kept as offsets into it (sizes below). Not reentrant.
 */
#ifndef PM_MSMTPRC_H
#define PM_MSMTPRC_H

#include <stdio.h>

/* Largest msmtprc accepted, bytes (at most 65535: offsets are 16-bit).
 * RAM: this many bytes of bss. */
#ifndef PM_MSMTPRC_MAX
#define PM_MSMTPRC_MAX 16384
#endif

/* Most accounts in one msmtprc. RAM: about 270 bytes of bss each. */
#ifndef PM_MSMTPRC_ACCOUNTS
#define PM_MSMTPRC_ACCOUNTS 32
#endif

/* Convert the msmtp configuration at path (kept only during the call).
 * account: the account to convert, or NULL. Prints the pinmail
 * configuration to out (only when the result is 0; out is flushed) and
 * warnings and errors on stderr. Returns a sysexits code: 0 converted
 * (a configuration without a usable pin still needs a tlsa line: a comment
 * in it and a warning say so); 66 (EX_NOINPUT) the file cannot be opened;
 * 77 (EX_NOPERM) it is not readable; 65 (EX_DATAERR) it is larger than
 * PM_MSMTPRC_MAX - 1 bytes, holds a NUL byte or more than
 * PM_MSMTPRC_ACCOUNTS accounts; 78 (EX_CONFIG) msmtp
 * would refuse it (unknown command, bad argument, undefined parent account,
 * an account without host) or the account is not in it; 74 (EX_IOERR)
 * out could not be written. */
int pm_import_msmtprc(const char *path, const char *account, FILE *out);

#endif /* PM_MSMTPRC_H */
