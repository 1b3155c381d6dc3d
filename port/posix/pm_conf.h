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
 *   tlsa dns             the pins from DNS (_PORT._tcp.HOST TLSA), valid only
 *                        with the AD bit of a validating resolver; tlsa
 *                        lines given too are the fallback
 *   user NAME            AUTH user (no AUTH without it)
 *   password SECRET      or: password_file PATH (first line is the secret)
 *   from ADDRESS         envelope sender unless -f/-r is given
 *   helo NAME            EHLO argument; default: this host's name
 *   timeout SECONDS      per network wait; default 30
 *   dns_server SERVERS   nameservers instead of /etc/resolv.conf's: up to 3
 *                        of IP, IPv4:PORT, [IPv6]:PORT, blank or comma
 *                        separated; names are then looked up as written
 *   domain NAME          qualifies bare local names (root -> root@NAME)
 *   rewrite_local_from on|off
 *                        a bare local From: or envelope sender (cron's
 *                        root) becomes the configured from; default off
 *   alias LOCAL ADDR[,ADDR...]
 *                        maps a local recipient; repeatable
 *   aliases PATH         more aliases, /etc/aliases format
 *   syslog on|off|FACILITY
 *                        one line per message; default on, facility mail
 *   logfile PATH         that line appended to PATH instead
 *   spool DIR            the queue; default /var/spool/pinmail for root,
 *                        $HOME/.pinmail/spool for others
 *   spool_max BYTES      refuse a message that would make the spool
 *                        larger (K, M, G suffixes); default no limit
 *   queue on|off         off: no retry; a failed message goes to
 *                        dead.letter instead; default on
 *   max_queue_age TIME   give up after this long (s, m, h, d); default 5d
 *   tls implicit|starttls
 *                        implicit TLS (default, port 465) or STARTTLS,
 *                        mandatory (default port 587)
 *   tls_resume on|off    keep the TLS session in the spool directory and
 *                        resume it next time (bound to host, port and
 *                        pins; at most an hour); default on
 */
#ifndef PM_CONF_H
#define PM_CONF_H

#include <stddef.h>
#include "pm_dane.h"

#define PM_CONF_TLSA_POOL 8192   /* decoded tlsa data of all records */
#define PM_CONF_ALIAS_MAX 64     /* alias lines in the configuration */

typedef struct {
	const char *path;                      /* kept */
	char host[256];
	unsigned port;
	pm_tlsa tlsa[PM_TLSA_MAX];
	unsigned tlsa_line[PM_TLSA_MAX];       /* line of each record */
	int tlsa_dns;                          /* "tlsa dns": look them up */
	size_t ntlsa;
	char user[PM_CRED_MAX + 1];
	char password[PM_CRED_MAX + 1];
	char from[PM_ADDR_MAX + 1];
	char helo[256];
	unsigned timeout;
	char dns_server[128];                  /* "" : resolv.conf */
	uint8_t pool[PM_CONF_TLSA_POOL];
	size_t pool_len;
	char domain[256];
	int rewrite_local_from;
	const char *alias_name[PM_CONF_ALIAS_MAX];   /* into the file's text */
	const char *alias_value[PM_CONF_ALIAS_MAX];
	size_t nalias;
	char aliases[256];                     /* aliases file, or "" */
	int syslog_facility;                   /* LOG_MAIL...; -1: off */
	char logfile[256];
	char spool[256];                       /* "" until defaulted */
	unsigned long long spool_max;          /* 0: no limit */
	int queue;                             /* 1 on, 0 off */
	int tls_resume;                        /* 1 on, 0 off */
	int starttls;                          /* tls starttls */
	int port_set;                          /* a port line was given */
	unsigned long max_queue_age;           /* seconds */
} pm_conf;

/* Load path. Returns 0, or an exit status (EX_CONFIG, EX_NOPERM...) after
 * printing one line on stderr naming file:line and what to do. Warnings
 * (a secret readable by others, an unusable record) are printed and do not
 * fail. */
int pm_conf_load(pm_conf *c, const char *path);
/* The same; need_server 0 lets host and tlsa be missing (--print-tlsa
 * takes only port, timeout and dns_server from it). */
int pm_conf_load_opts(pm_conf *c, const char *path, int need_server);

/* Expand the local name (no '@') through the alias lines, then the aliases
 * file. Calls fn for each address it maps to (recursively, at most 8
 * levels; an alias naming itself ends there). Returns 0 when name is no
 * alias (fn not called), 1 when it was expanded, or an exit status after
 * printing one line (aliases file unreadable or malformed). */
int pm_conf_alias(const pm_conf *c, const char *name, size_t len,
	int (*fn)(void *ctx, const char *addr, size_t len), void *ctx);
/* fn returns 0, or an exit status it has already printed, which ends the
 * expansion and is what pm_conf_alias returns. */

#endif /* PM_CONF_H */
