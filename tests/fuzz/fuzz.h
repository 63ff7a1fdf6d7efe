/* Shared by the libFuzzer targets: a check that crashes (so libFuzzer keeps the input) and the
 * in-memory file a parser that wants a path reads the input from. */
#ifndef CCX_FUZZ_H
#define CCX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* An invariant that does not hold is a finding: abort, which libFuzzer reports as a crash. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__,       \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* For a target's own checks: their comparisons are not the code under test, and tracing them
 * for libFuzzer made the GSO target ten times slower. */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_NO_COVERAGE
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replaces the content of one memfd with data and gives its path (/proc/self/fd/N): no file
 * on disk, nothing to clean up. Returns 0 or -errno. */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_len);

#endif
