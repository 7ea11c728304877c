/*
 * t.h - the tiny test harness. A test file defines test functions, lists
 * them in main() with T_RUN, and returns t_done(). A failed check prints
 * file:line and the expression and counts a failure; the test goes on.
 */
#ifndef H5PAY_T_H
#define H5PAY_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_fail, t_checks;

#define T_OK(cond)                                                            \
	do {                                                                  \
		t_checks++;                                                   \
		if (!(cond)) {                                                \
			t_fail++;                                             \
			fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__,        \
			    __LINE__, #cond);                                 \
		}                                                             \
	} while (0)

#define T_EQ_INT(a, b)                                                        \
	do {                                                                  \
		long long t_a = (long long)(a), t_b = (long long)(b);        \
		t_checks++;                                                   \
		if (t_a != t_b) {                                             \
			t_fail++;                                             \
			fprintf(stderr, "%s:%d: FAIL: %s == %s (%lld != "     \
			    "%lld)\n", __FILE__, __LINE__, #a, #b, t_a, t_b); \
		}                                                             \
	} while (0)

#define T_EQ_STR(a, b)                                                        \
	do {                                                                  \
		const char *t_a = (a), *t_b = (b);                            \
		t_checks++;                                                   \
		if (t_a == NULL || t_b == NULL || strcmp(t_a, t_b) != 0) {    \
			t_fail++;                                             \
			fprintf(stderr, "%s:%d: FAIL: %s == %s\n  got:  "     \
			    "\"%s\"\n  want: \"%s\"\n", __FILE__, __LINE__,   \
			    #a, #b, t_a ? t_a : "(null)",                     \
			    t_b ? t_b : "(null)");                            \
		}                                                             \
	} while (0)

#define T_RUN(fn)                                                             \
	do {                                                                  \
		int t_before = t_fail;                                        \
		fn();                                                         \
		fprintf(stderr, "%s %s\n", t_fail == t_before ? "ok  " :      \
		    "FAIL", #fn);                                             \
	} while (0)

static inline int
t_done(void)
{
	fprintf(stderr, "%d checks, %d failed\n", t_checks, t_fail);
	if (t_checks == 0) {
		fprintf(stderr, "no checks ran\n");
		return 1;
	}
	return t_fail ? 1 : 0;
}

/* Path of a file under tests/ (H5PAY_TEST_DATA); static buffer. */
static inline const char *
t_data(const char *rel)
{
	static char path[4096];
	const char *d = getenv("H5PAY_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", d ? d : "tests", rel);
	return path;
}

#endif
