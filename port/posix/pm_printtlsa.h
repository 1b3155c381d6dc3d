/*
 * pm_printtlsa.h — pinmail --print-tlsa HOST[:PORT]: the pin bootstrap.
 *
 * Connects, runs the TLS handshake only as far as the server's certificate
 * chain (then aborts it: no EHLO, no AUTH, no mail, nothing after the
 * ClientHello), prints each certificate (subject, issuer,
 * validity, key type and size) and ready-to-paste lines: "tlsa 3 1 1" for
 * the server's key and "tlsa 2 1 1" for each CA key sent, with a warning
 * that what was seen is trust on first use.
 */
#ifndef PM_PRINTTLSA_H
#define PM_PRINTTLSA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* target is "HOST" or "HOST:PORT" ("[V6]:PORT" for an IPv6 literal);
 * default_port and timeout_s come from -C's configuration, or 465 and 30.
 * Prints to out; errors, one line, to stderr. Returns a sysexits code: 0,
 * EX_USAGE (bad target), EX_TEMPFAIL (cannot connect, no answer),
 * EX_PROTOCOL (no TLS, or no certificate). */
int pm_print_tlsa(const char *target, unsigned default_port, unsigned timeout_s,
	const char *dns_server, FILE *out);

/* One certificate (DER, as the server sent it; anything at all) as "#"
 * comment lines: subject, issuer, validity, key. Writes the SHA-256 of
 * its SubjectPublicKeyInfo to pin. -1 (and nothing printed) if it is not
 * a certificate. Control characters never reach out. */
int pm_print_cert(FILE *out, size_t index, const uint8_t *der, size_t len,
	uint8_t pin[32]);

#endif /* PM_PRINTTLSA_H */
