/*
 * pm_err.h — result codes of the pinmail core.
 *
 * Every core function returns int: 0 is success, a positive PM_ERR_* is a
 * failure. Contexts keep the first error (sticky); later ones never overwrite
 * it. Codes are grouped by layer so the edge can tell a local problem from a
 * network, TLS or server one. Mapping to sendmail exit codes and to sentences
 * lives in the port (port/posix/pm_report.c), not here.
 */
#ifndef PM_ERR_H
#define PM_ERR_H

enum {
	PM_OK = 0,

	/* 1..19: the caller's input (configuration, arguments, message) */
	PM_ERR_BADARG = 1,      /* a parameter is out of range */
	PM_ERR_TLSA_SYNTAX,     /* a tlsa record is malformed */
	PM_ERR_TLSA_UNUSABLE,   /* no configured tlsa record is usable */
	PM_ERR_ADDR,            /* an address is malformed or too long */
	PM_ERR_TOO_MANY_RCPT,   /* more than PM_RCPT_MAX recipients */
	PM_ERR_NO_RCPT,         /* no recipient at all */
	PM_ERR_HDR_TOO_BIG,     /* header section larger than its buffer */
	PM_ERR_CRED,            /* user name or password too long or has NUL */
	PM_ERR_LINE_TOO_LONG,   /* a message line over 998 octets (RFC 5322) */
	PM_ERR_BARE_CR,         /* a header line holds a CR that does not end it */

	/* 20..39: the port (network, clock, input stream) */
	PM_ERR_RESOLVE = 20,    /* host name did not resolve */
	PM_ERR_CONNECT,         /* no address accepted a connection */
	PM_ERR_TIMEOUT,         /* no progress within the timeout */
	PM_ERR_NET,             /* read or write failed, or peer closed early */
	PM_ERR_READ,            /* reading the message failed */
	PM_ERR_ENTROPY = 39,    /* the port has no entropy: no secure session */

	/* 40..59: TLS and server authentication */
	PM_ERR_TLS = 40,        /* handshake or record failure (see tls_err) */
	PM_ERR_PIN_MISMATCH,    /* server presented no key matching a record */
	PM_ERR_NO_CLOCK,        /* a DANE-TA match needs a trustworthy clock */
	PM_ERR_CHAIN,           /* DANE-TA: chain up to the match is invalid */

	/* 60..79: the SMTP server */
	PM_ERR_PROTO = 60,      /* malformed, overlong or unexpected reply */
	PM_ERR_TEMP,            /* 4xx reply */
	PM_ERR_PERM,            /* 5xx reply */
	PM_ERR_AUTH,            /* authentication rejected */
	PM_ERR_AUTH_UNAVAIL,    /* credentials set but no usable AUTH offered */
	PM_ERR_RCPT,            /* one or more recipients refused */
	PM_ERR_NO_SMTPUTF8,     /* UTF-8 address, server lacks SMTPUTF8 */
	PM_ERR_STARTTLS         /* STARTTLS required but not offered, refused,
	                         * or data injected before TLS */
};

#endif /* PM_ERR_H */
