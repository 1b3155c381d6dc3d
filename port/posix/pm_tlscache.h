/*
 * pm_tlscache.h — the TLS session kept between runs, so the next
 * submission (or the next message of a flush) resumes it: one round trip
 * and no public-key work instead of a full handshake.
 *
 * One file, DIR/tls.session in the spool directory, mode 0600, written to
 * a temporary name and renamed. It holds a master secret: it is read only
 * if it is a regular file owned by the user, not a link, with no access
 * for group or others. What it is bound to (host, port, the exact pin set:
 * pm_session_bind) is checked by pm_session_start; here only its age:
 * a session is offered for at most PM_TLS_CACHE_MAX_AGE seconds after the
 * full handshake that verified its pins, and never without a trustworthy
 * clock.
 */
#ifndef PM_TLSCACHE_H
#define PM_TLSCACHE_H

#include <stdint.h>
#include "pm_session.h"

#define PM_TLSCACHE_NAME    "tls.session"

/* Read DIR's cached session into *out. 0 when one is there and young
 * enough at now (trustworthy UTC seconds; 0: none, and nothing is read);
 * -1 otherwise (missing, malformed, too old, unsafe: never an error the
 * user must act on; the handshake is simply a full one). */
int pm_tlscache_load(const char *dir, uint64_t now, pm_tls_cache *out);

/* Replace DIR's cached session. Failures are ignored (the next handshake
 * is a full one). */
void pm_tlscache_save(const char *dir, const pm_tls_cache *c);

/* Remove DIR's cached session (a resumption attempt failed). */
void pm_tlscache_drop(const char *dir);

#endif /* PM_TLSCACHE_H */
