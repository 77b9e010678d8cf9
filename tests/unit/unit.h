/*
 * unit.h: the tiny test harness of the C unit tests.
 *
 *   TEST(tlv_decodes_object3) { CHECK(x == 1); CHECK_EQ_INT(a, b); ... }
 *   int main(void) { return unit_main(); }   // UNIT_MAIN does this
 *
 * Each TEST registers itself; a failed CHECK records the file, line and
 * expression and ends that test. The binary prints "ok NAME" or
 * "FAIL NAME: file:line: what" per test and ends with
 * "N passed, N failed"; tests/run.py adds those up.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

typedef void (*unit_fn)(void);
struct unit_case { const char *name; unit_fn fn; };

#define UNIT_MAX 1024
static struct unit_case unit_cases[UNIT_MAX];
static int unit_ncases;
static int unit_failed_now;
static char unit_why[512];

static void unit_register(const char *name, unit_fn fn)
{
	if (unit_ncases < UNIT_MAX)
		unit_cases[unit_ncases++] = (struct unit_case){ name, fn };
}

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void reg_##name(void)         \
	{ unit_register(#name, test_##name); }                            \
	static void test_##name(void)

#define UNIT_FAIL(...)                                                    \
	do {                                                              \
		int unit_n_ = snprintf(unit_why, sizeof unit_why,         \
		                       "%s:%d: ", __FILE__, __LINE__);    \
		if (unit_n_ > 0 && (size_t)unit_n_ < sizeof unit_why)     \
			snprintf(unit_why + unit_n_,                      \
			         sizeof unit_why - unit_n_, __VA_ARGS__); \
		unit_failed_now = 1;                                      \
		return;                                                   \
	} while (0)

#define CHECK(c) do { if (!(c)) UNIT_FAIL("%s", #c); } while (0)
#define CHECK_EQ_INT(a, b)                                                \
	do {                                                              \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b); \
		if (unit_a_ != unit_b_)                                   \
			UNIT_FAIL("%s == %lld, want %s == %lld", #a,      \
			          unit_a_, #b, unit_b_);                  \
	} while (0)
#define CHECK_EQ_STR(a, b)                                                \
	do {                                                              \
		const char *unit_a_ = (a), *unit_b_ = (b);                \
		if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_))     \
			UNIT_FAIL("%s == \"%s\", want \"%s\"", #a,        \
			          unit_a_ ? unit_a_ : "(null)",           \
			          unit_b_ ? unit_b_ : "(null)");          \
	} while (0)
#define CHECK_EQ_MEM(a, b, n)                                             \
	do { if (memcmp((a), (b), (n))) UNIT_FAIL("%s != %s (%zu bytes)", \
	                                          #a, #b, (size_t)(n)); } while (0)

/* Hex string to bytes; returns the length or -1. */
static inline long unit_unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		if (n >= cap || sscanf(hex, "%2x", &v) != 1)
			return -1;
		out[n++] = (unsigned char)v;
	}
	return (long)n;
}

static inline int unit_main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (int i = 0; i < unit_ncases; i++) {
		if (argc > 1 && !strstr(unit_cases[i].name, argv[1]))
			continue;
		unit_failed_now = 0;
		unit_cases[i].fn();
		if (unit_failed_now) {
			printf("FAIL %s: %s\n", unit_cases[i].name, unit_why);
			failed++;
		} else {
			printf("ok %s\n", unit_cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define UNIT_MAIN int main(int argc, char **argv) { return unit_main(argc, argv); }

#endif
