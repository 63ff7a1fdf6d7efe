/* libFuzzer target: emu_trace_load() (mahimahi traces) on any bytes, against a reading of the
 * format written here from its definition: lines of decimal milliseconds, blank lines allowed,
 * never decreasing, the last one (the period) above 0. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "link/emu.h"

static bool blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The timestamps the input holds, or -1 when it is not a valid trace. */
static long expect(const uint8_t *d, size_t size, uint32_t *v, size_t cap)
{
	size_t n = 0, i = 0;

	while (i < size) {
		size_t end = i, a, b;
		uint64_t t = 0;

		while (end < size && d[end] != '\n')
			end++;
		for (a = i; a < end && blank(d[a]); a++)
			;
		for (b = end; b > a && blank(d[b - 1]); b--)
			;
		for (size_t k = a; k < b; k++) {
			if (d[k] < '0' || d[k] > '9')
				return -1;
			t = t * 10 + (d[k] - '0');
			if (t > UINT32_MAX)
				return -1;
		}
		if (a < b) {
			if (n == cap || (n && t < v[n - 1]))
				return -1;
			v[n++] = (uint32_t)t;
		}
		i = end + 1;
	}
	return n && v[n - 1] ? (long)n : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t want[1 << 16];
	char path[64], err[512];
	uint32_t *ms = NULL, period_ms = 0;
	size_t n = 0;
	long nwant;
	int r;

	/* Each line is at least two bytes: the reference keeps them all. */
	if (size > 2 * (sizeof(want) / sizeof(want[0])))
		return 0;
	nwant = expect(data, size, want, sizeof(want) / sizeof(want[0]));
	if (fuzz_file(data, size, path, sizeof(path)) < 0)
		abort();
	err[0] = 0;
	r = emu_trace_load(path, &ms, &n, &period_ms, err, sizeof(err));
	if (nwant < 0) {
		FUZZ_CHECK(r == -EINVAL && !ms && !n && !period_ms, "accepted: %d, %zu entries", r,
			   n);
		FUZZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':',
			   "refusal without the file: \"%s\"", err);
		return 0;
	}
	FUZZ_CHECK(r == 0, "refused a valid trace: %s", err);
	FUZZ_CHECK(n == (size_t)nwant, "%zu entries, want %ld", n, nwant);
	FUZZ_CHECK(!memcmp(ms, want, n * sizeof(*ms)), "entries differ");
	FUZZ_CHECK(period_ms == ms[n - 1], "period %u ms, last %u ms", period_ms, ms[n - 1]);
	free(ms);
	return 0;
}
