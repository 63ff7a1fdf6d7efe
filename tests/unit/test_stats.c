/* Unit tests for stats.c: interpolation of cumulative counters. */
#include "ccx_test.h"
#include "core/stats.h"

#include <math.h>

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

int main(void)
{
	const double t[] = {1.0, 2.0, 2.0, 4.0};
	const uint64_t v[] = {100, 200, 300, 700};

	CHECK(near(stats_cum_at(t, v, 0, 3.0), 0));
	CHECK(near(stats_cum_at(t, v, 4, 0.0), 100)); /* before the first sample */
	CHECK(near(stats_cum_at(t, v, 4, 1.0), 100));
	CHECK(near(stats_cum_at(t, v, 4, 1.5), 150));
	CHECK(near(stats_cum_at(t, v, 4, 3.0), 500)); /* after the repeated time 2.0 */
	CHECK(near(stats_cum_at(t, v, 4, 4.0), 700));
	CHECK(near(stats_cum_at(t, v, 4, 9.0), 700)); /* after the last sample */
	CHECK(near(stats_cum_at(t, v, 1, 9.0), 100));
	/* Differences over adjacent bins add up to the whole transfer. */
	{
		double sum = 0;

		for (double a = 0; a < 5.0; a += 0.25)
			sum += stats_cum_at(t, v, 4, a + 0.25) - stats_cum_at(t, v, 4, a);
		CHECK(near(sum, 600));
	}
	return ccx_test_result();
}
