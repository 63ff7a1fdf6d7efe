/* Statistics over saved series: interpolated cumulative counters, rates per interval. */
#include "core/stats.h"

#include <math.h>

double stats_cum_at(const double *t, const uint64_t *v, size_t n, double at)
{
	size_t lo = 0, hi;

	if (n == 0)
		return 0;
	if (at <= t[0])
		return (double)v[0];
	if (at >= t[n - 1])
		return (double)v[n - 1];
	hi = n - 1;
	/* Invariant: t[lo] < at <= t[hi]. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < at)
			lo = mid;
		else
			hi = mid;
	}
	if (t[hi] == t[lo])
		return (double)v[hi];
	return (double)v[lo] + ((double)v[hi] - (double)v[lo]) * (at - t[lo]) / (t[hi] - t[lo]);
}
