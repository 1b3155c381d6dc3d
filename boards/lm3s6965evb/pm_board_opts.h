/*
 * pm_board_opts.h — pinmail core options for the lm3s6965evb (64 KB RAM).
 *
 * Included first by src/pm_opts.h (PM_USER_OPTS); everything not set here
 * keeps its default. The RAM each choice costs is in the board README.
 */
#ifndef PM_BOARD_OPTS_H
#define PM_BOARD_OPTS_H

/* Input: a full record (16709 B). A smaller buffer works only with servers
 * that honour max_fragment_length; the build may lower it
 * (PINMAIL_TLS_IBUF=...) for such a server. */
#ifndef PM_TLS_IBUF_SIZE
#define PM_TLS_IBUF_SIZE BR_SSL_BUFSIZE_INPUT
#endif

/* Output: 1024 B of payload + 85 B of record overhead. BearSSL then offers
 * max_fragment_length 1024; SMTP commands (PM_CMD_MAX) always fit. */
#ifndef PM_TLS_OBUF_SIZE
#define PM_TLS_OBUF_SIZE (1024 + 85)
#endif

/* An alert goes to a few people. 4 B each. */
#define PM_RCPT_MAX 4

/* Shorter limits than the Linux binary: commands are formatted in pm_smtp
 * (PM_CMD_MAX bytes of RAM) and must hold MAIL with the longest address
 * and ENVID, and AUTH PLAIN with the longest credentials. */
#define PM_ADDR_MAX 128
#define PM_ENVID_MAX 32
#define PM_CRED_MAX 128
#define PM_CMD_MAX 512
#define PM_REPLY_TEXT_MAX 128

/* current + next key, EE and TA. */
#define PM_TLSA_MAX 4

/* Cortex-M3's 32x32->64 multiplies (UMULL, SMULL) finish early for small
 * operands, so they are not constant-time: the ECDHE scalar multiply must
 * use the 15-bit code, which needs only 32x32->32 MUL (constant-time on
 * M3). BearSSL itself is built with BR_LOMUL=1 for the same reason (GHASH,
 * Poly1305, RSA defaults). */
#define PM_EC_IMPL br_ec_all_m15

#endif /* PM_BOARD_OPTS_H */
