/*
 * pm_test.h — the unit-test harness: one header, no framework.
 *
 * A test file defines test functions and a main() that runs them with
 * PM_RUN(fn). Each check that fails prints "  file:line: expression" and
 * marks the running test failed; PM_RUN prints "ok NAME" or "FAIL NAME".
 * tests/run counts those lines. PM_TEST_MAIN ends main() with the exit code.
 */
#ifndef PM_TEST_H
#define PM_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int pm_t_failed, pm_t_nfail, pm_t_npass;

#define PM_CHECK(e) do { if (!(e)) { \
	printf("  %s:%d: %s\n", __FILE__, __LINE__, #e); pm_t_failed = 1; } } while (0)

#define PM_CHECK_INT(a, b) do { long long pm_a_ = (long long)(a), pm_b_ = (long long)(b); \
	if (pm_a_ != pm_b_) { printf("  %s:%d: %s == %lld, expected %s == %lld\n", \
	__FILE__, __LINE__, #a, pm_a_, #b, pm_b_); pm_t_failed = 1; } } while (0)

#define PM_CHECK_MEM(a, alen, b, blen) do { size_t pm_al_ = (alen), pm_bl_ = (blen); \
	if (pm_al_ != pm_bl_ || memcmp((a), (b), pm_al_) != 0) { \
	printf("  %s:%d: %s (%zu bytes) differs from %s (%zu bytes)\n", \
	__FILE__, __LINE__, #a, pm_al_, #b, pm_bl_); pm_t_failed = 1; } } while (0)

#define PM_CHECK_STR(a, b) do { const char *pm_as_ = (a), *pm_bs_ = (b); \
	if (pm_as_ == NULL || strcmp(pm_as_, pm_bs_) != 0) { \
	printf("  %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
	#a, pm_as_ ? pm_as_ : "(null)", pm_bs_); pm_t_failed = 1; } } while (0)

#define PM_RUN(fn) do { pm_t_failed = 0; fn(); \
	printf("%s %s\n", pm_t_failed ? "FAIL" : "ok", #fn); \
	if (pm_t_failed) pm_t_nfail++; else pm_t_npass++; } while (0)

#define PM_TEST_MAIN() do { fflush(stdout); return pm_t_nfail ? 1 : 0; } while (0)

#endif /* PM_TEST_H */
