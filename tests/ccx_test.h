/* Test helpers: CHECK macros that survive release builds, and the skip rule. */
#ifndef CCX_TEST_H
#define CCX_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ccx_test_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
			ccx_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			ccx_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (strcmp(_a, _b) != 0) {                                                         \
			fprintf(stderr,                                                            \
				"%s:%d: CHECK failed: %s == %s\n  got:  \"%s\"\n"                  \
				"  want: \"%s\"\n",                                                \
				__FILE__, __LINE__, #a, #b, _a, _b);                               \
			ccx_test_failures++;                                                       \
		}                                                                                  \
	} while (0)

/* A test that cannot run here exits 77 (meson: SKIP), except under CI, where every
 * test must run: there it fails. */
static inline void ccx_test_skip(const char *why)
{
	const char *ci = getenv("CI");

	if (ci && strcmp(ci, "true") == 0) {
		fprintf(stderr, "FAIL (CI=true, skips are failures): %s\n", why);
		exit(1);
	}
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}

/* The whole file as a string (NULL when unreadable); the caller frees it. */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static inline int ccx_test_result(void)
{
	if (ccx_test_failures) {
		fprintf(stderr, "%d check(s) failed\n", ccx_test_failures);
		return 1;
	}
	return 0;
}

#endif
