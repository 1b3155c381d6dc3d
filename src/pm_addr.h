/*
 * pm_addr.h — RFC 5322 address lists, as `sendmail -t` reads them.
 *
 * Handles display names, quoted strings (commas inside them included),
 * comments (nested), angle addresses, obsolete source routes (dropped),
 * groups ("undisclosed-recipients:;", "team: a@x, b@y;"), domain literals,
 * and folded field bodies (CRLF or LF followed by blanks). What comes out is
 * each mailbox's addr-spec in the form an SMTP path wants: comments and
 * folding removed, a local part that needs quoting kept quoted.
 */
#ifndef PM_ADDR_H
#define PM_ADDR_H

#include <stddef.h>
#include "pm_opts.h"
#include "pm_err.h"

/* Called once per mailbox, in order. `addr` is NUL-terminated, valid only
 * during the call, at most PM_ADDR_MAX bytes. A bare local name ("root")
 * is passed as it is; qualifying it is the caller's business. Return 0 to
 * go on; anything else stops the parse and is returned by pm_addr_list. */
typedef int (*pm_addr_fn)(void *ctx, const char *addr, size_t len);

/*
 * Parse the field body s[0..len) (not NUL-terminated; the text after
 * "To:"). Returns 0, the callback's non-zero result, or PM_ERR_ADDR with
 * *why set to a static sentence naming what is wrong ("unterminated quoted
 * string", "address longer than 256 bytes", ...); `why` may be NULL.
 * An empty list and an empty group are not errors. Addresses are handed
 * out as they are parsed, so on an error the callback has already seen
 * every mailbox before the bad one (never the bad one itself).
 */
int pm_addr_list(const char *s, size_t len, pm_addr_fn fn, void *ctx,
	const char **why);

#endif /* PM_ADDR_H */
