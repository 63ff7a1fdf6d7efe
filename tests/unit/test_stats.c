/* Unit tests for stats.c: interpolation of cumulative counters, amounts per interval. */
#include "ccx_test.h"
#include "core/stats.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

#define MAX_BINS 64

struct got {
	double vals[MAX_BINS][2];
	long next; /* the interval expected next: emitted in order, each once */
	int out_of_order;
};

static int keep(void *arg, long bin, const double *vals)
{
	struct got *g = arg;

	if (bin != g->next || bin >= MAX_BINS) {
		g->out_of_order++;
		return 0;
	}
	g->vals[bin][0] = vals[0];
	g->vals[bin][1] = vals[1];
	g->next++;
	return 0;
}

/* The windowed intervals against hand-computed amounts and against the differences of the
 * interpolated counter over the whole series. */
static void test_bins(void)
{
	const double t[] = {0.05, 0.15, 0.15, 0.5, 1.2};
	const uint64_t v[] = {0, 100, 150, 500, 1200};
	struct stats_bins b;
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK(stats_bins_init(&b, 2, 0.1, 2.0, keep, &g) == 0);
	for (int i = 1; i < 5; i++)
		stats_bins_add(&b, 0, t[i - 1], t[i], (double)(v[i] - v[i - 1]));
	stats_bins_add(&b, 1, 0.0, 0.2, 40); /* 20 in each of the first two intervals */
	CHECK(stats_bins_emit_to(&b, 1.3) == 0);
	CHECK(g.next == 13 && !g.out_of_order);
	/* (0.05, 0.15] holds 100 at 1000/s: half in interval 0, half in 1; 50 more at 0.15,
	 * and (0.15, 0.2] 50 of the next 350 over 0.35 s. */
	CHECK(near(g.vals[0][0], 50) && near(g.vals[1][0], 150));
	CHECK(near(g.vals[0][1], 20) && near(g.vals[1][1], 20) && near(g.vals[2][1], 0));
	for (long k = 0; k < 13; k++) {
		double want = stats_cum_at(t, v, 5, (k + 1) * 0.1) - stats_cum_at(t, v, 5, k * 0.1);

		CHECK(near(g.vals[k][0], want));
	}
	stats_bins_free(&b);

	/* Memory is the window's: an amount older than the window goes into its oldest
	 * interval, nothing is lost, and the intervals still come out in order, once. */
	memset(&g, 0, sizeof(g));
	CHECK(stats_bins_init(&b, 2, 0.1, 0.2, keep, &g) == 0);
	CHECK(b.nwin == 4);
	stats_bins_add(&b, 0, 2.0, 2.0, 7);   /* interval 19 */
	stats_bins_add(&b, 1, 0.95, 1.05, 8); /* intervals 9 and 10, both gone: into 16 */
	stats_bins_add(&b, 1, 1.55, 1.65, 2); /* 1.55..1.6 in 15 (gone: into 16), rest in 16 */
	CHECK(stats_bins_emit_to(&b, 2.5) == 0);
	CHECK(g.next == 25 && !g.out_of_order);
	CHECK(near(g.vals[19][0], 7) && near(g.vals[16][1], 10) && near(g.vals[15][1], 0));
	CHECK(near(g.vals[9][1], 0) && near(g.vals[10][1], 0));
	stats_bins_free(&b);
	CHECK(stats_bins_init(&b, 0, 0.1, 1, keep, &g) == -EINVAL);
}

int main(void)
{
	test_bins();

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
