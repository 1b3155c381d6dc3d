/*
 * pm_conf.h — the configuration file of the Linux binary.
 *
 * One "key value" per line; blank lines and lines whose first non-blank
 * character is '#' are ignored (a '#' later in a line is part of the value,
 * so passwords may hold one). Keys:
 *   host NAME            server name: connected to, sent as SNI, checked by
 *                        DANE-TA records
 *   port N               default 465 (implicit TLS)
 *   tlsa U S M HEX       a pin, as DNS presents a TLSA record; repeatable
 *   user NAME            AUTH user (no AUTH without it)
 *   password SECRET      or: password_file PATH (first line is the secret)
 *   from ADDRESS         envelope sender unless -f/-r is given
 *   helo NAME            EHLO argument; default: this host's name
 *   timeout SECONDS      per network wait; default 30
 */
#ifndef PM_CONF_H
#define PM_CONF_H

#include <stddef.h>
#include "pm_dane.h"

#define PM_CONF_TLSA_POOL 8192   /* decoded tlsa data of all records */

typedef struct {
	const char *path;                      /* kept */
	char host[256];
	unsigned port;
	pm_tlsa tlsa[PM_TLSA_MAX];
	unsigned tlsa_line[PM_TLSA_MAX];       /* line of each record */
	size_t ntlsa;
	char user[PM_CRED_MAX + 1];
	char password[PM_CRED_MAX + 1];
	char from[PM_ADDR_MAX + 1];
	char helo[256];
	unsigned timeout;
	uint8_t pool[PM_CONF_TLSA_POOL];
	size_t pool_len;
} pm_conf;

/* Load path. Returns 0, or an exit status (EX_CONFIG, EX_NOPERM...) after
 * printing one line on stderr naming file:line and what to do. Warnings
 * (a secret readable by others, an unusable record) are printed and do not
 * fail. */
int pm_conf_load(pm_conf *c, const char *path);

#endif /* PM_CONF_H */
