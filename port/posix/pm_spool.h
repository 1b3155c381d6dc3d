/*
 * pm_spool.h — the queue: a message is on disk before pinmail connects,
 * and leaves the disk only after the server's final 250.
 *
 * Layout of the spool directory (mode 0700, files 0600):
 *   ID.msg      the message exactly as it will be sent (header fields
 *               added, Bcc removed; line ends as they came)
 *   ID.env      envelope and state, "key value" lines; a message is
 *               queued if and only if its .env exists
 *   tmp/        files being written; renamed into place when complete
 *   dead/       ID.msg and ID.env (with the reason) of messages given up
 *   .flush.lock taken by pinmail -q, so two flushes never overlap
 *
 * Adding: tmp/ID.msg is written, fsynced and renamed to ID.msg; then
 * tmp/ID.env likewise to ID.env; then the directory is fsynced. Removing:
 * ID.env goes first, then ID.msg. A crash at any point leaves either a
 * queued message or an orphan that a later flush removes.
 *
 * While a process delivers a message it holds an exclusive flock on its
 * ID.msg; others skip it. Memory: fixed buffers only (no opendir, which
 * allocates; directories are read with getdents64).
 */
#ifndef PM_SPOOL_H
#define PM_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include "pm_opts.h"
#include "pm_smtp.h"

#define PM_SPOOL_ID_MAX 48
#define PM_SPOOL_ERROR_MAX 512

/* Envelope and delivery state of one message. */
typedef struct {
	char from[PM_ADDR_MAX + 1];
	const char *rcpt[PM_RCPT_MAX];
	size_t nrcpt;
	char pool[PM_RCPT_MAX * 64];   /* recipient text */
	size_t used;
	unsigned body;                 /* PM_BODY_* */
	char notify[32], ret[8], envid[PM_ENVID_MAX + 1];
	long long created;             /* UTC seconds */
	long long next;                /* next attempt, UTC seconds; 0: now */
	unsigned attempts;
	char error[PM_SPOOL_ERROR_MAX];  /* the last failure, one line */
	unsigned long long size;       /* octets of ID.msg */
} pm_env;

typedef struct {
	char dir[256];
	unsigned long long max_bytes;  /* 0: no limit */
} pm_spool;

/* A message taken for delivery: its .msg open and locked. */
typedef struct {
	char id[PM_SPOOL_ID_MAX];
	int fd;
} pm_spool_item;

/* Add addr[0..len) to env's recipients unless present (case-insensitive).
 * Returns 0, or -1 when the table or its text pool is full. */
int pm_env_add_rcpt(pm_env *env, const char *addr, size_t len);

/* Set env's last error: one line, control characters replaced, cut to
 * fit. */
void pm_env_set_error(pm_env *env, const char *text);

/* Create dir (and tmp/, dead/) if missing, mode 0700. Returns 0, or an
 * exit status after printing one line. */
int pm_spool_init(pm_spool *sp, const char *dir, unsigned long long max_bytes);

/* Queue a new message read from src until it returns 0 bytes. Lines over
 * 998 octets (RFC 5322) are refused before anything is queued (named by
 * body line number: header_lines is how many lines precede the body). On
 * success
 * the item is open and locked, ready for delivery from its start. Returns
 * 0, or an exit status after printing one line: 65 (an overlong line),
 * 73 (the spool would exceed max_bytes, or cannot be written), 74 (the
 * source failed). */
int pm_spool_add(pm_spool *sp, pm_env *env, pm_read_fn src, void *ctx,
	size_t header_lines, pm_spool_item *it);

/* Take queued message id for delivery: read its envelope, open and lock
 * its .msg. Returns 0, 1 when it is being delivered by another process or
 * is gone, or an exit status after printing one line. */
int pm_spool_take(pm_spool *sp, const char *id, pm_env *env, pm_spool_item *it);

/* Rewrite the .env of a queued message (after a failed attempt). */
int pm_spool_save(pm_spool *sp, const char *id, const pm_env *env);

/* Delivered: remove .env, then .msg; release the item. */
int pm_spool_remove(pm_spool *sp, pm_spool_item *it);

/* Give up: move the message to dead/ with reason in its .env. */
int pm_spool_bury(pm_spool *sp, pm_spool_item *it, pm_env *env, const char *reason);

/* Append the message to an mbox file (dead.letter), with ">From " quoting
 * as mbox readers expect. Returns 0 or -1 (errno set). */
int pm_spool_dead_letter(pm_spool_item *it, const pm_env *env, const char *path);

/* Close and unlock the item, leaving the message queued. */
void pm_spool_release(pm_spool_item *it);

/* The oldest max queued message ids, oldest first (ids sort by creation
 * time); a flush that finds more handles the rest on its next run. Also removes orphans older than an hour (files of a crashed
 * add or remove). Returns the count, or -1 after printing one line. */
int pm_spool_list(pm_spool *sp, char (*ids)[PM_SPOOL_ID_MAX], size_t max);

/* Read the envelope of id without taking the message. 0 or -1. */
int pm_spool_peek(pm_spool *sp, const char *id, pm_env *env);

/* Seconds to wait after the n-th failed attempt: 60, doubling, at most
 * an hour. */
long long pm_spool_backoff(unsigned attempts);

#endif /* PM_SPOOL_H */
