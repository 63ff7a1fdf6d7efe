/* Unit tests for summary_stats.c against values computed by hand. */
#include "ccx_test.h"
#include "core/summary_stats.h"

#include <math.h>

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* Means, standard deviations and t intervals of n = 2, 3, 10. */
static void test_mean_ci(void)
{
	const double two[] = {1, 3}, three[] = {1, 2, 3};
	const double ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	CHECK(isnan(stats_mean(two, 0)) && isnan(stats_sd(two, 1)) &&
	      isnan(stats_ci95_half(two, 1)));
	/* n = 2: sd sqrt(2), t(1) = 12.7062: the half-width is 12.7062 x sqrt(2) / sqrt(2). */
	CHECK(near(stats_mean(two, 2), 2, 1e-12));
	CHECK(near(stats_sd(two, 2), sqrt(2), 1e-12));
	CHECK(near(stats_ci95_half(two, 2), 12.7062, 1e-9));
	/* n = 3: sd 1, t(2) = 4.3027: 4.3027 / sqrt(3) = 2.484165. */
	CHECK(near(stats_mean(three, 3), 2, 1e-12) && near(stats_sd(three, 3), 1, 1e-12));
	CHECK(near(stats_ci95_half(three, 3), 2.484165, 1e-6));
	/* n = 10: the variance of 1..10 is 55/6, t(9) = 2.2622: 2.2622 x 3.027650 / 3.162278. */
	CHECK(near(stats_mean(ten, 10), 5.5, 1e-12));
	CHECK(near(stats_sd(ten, 10), 3.027650, 1e-6));
	CHECK(near(stats_ci95_half(ten, 10), 2.165892, 1e-6));
	/* Beyond the table: the expansion meets the table at 30 and approaches 1.96. */
	CHECK(near(stats_t975(31), 2.0395, 2e-4));
	CHECK(near(stats_t975(60), 2.0003, 2e-4));
	CHECK(near(stats_t975(1000), 1.9623, 2e-4));
	CHECK(isnan(stats_t975(0)));
}

static void test_percentiles(void)
{
	double x[] = {3, 1, 2, 4};
	/* Samples at 0, 1, 3, 6 s, the run ending at 10 s: weights 1, 2, 3, 4. In value order
	 * 10 (1), 20 (3), 30 (2), 40 (4): cumulative 1, 4, 6, 10. */
	const double t[] = {0, 1, 3, 6};
	double v[4], w[4];
	const double want[][2] = {{10, 10}, {40, 20}, {50, 30}, {60, 30}, {61, 40}, {95, 40}};

	CHECK(near(stats_percentile(x, 4, 50), 2.5, 1e-12));
	CHECK(near(stats_percentile(x, 4, 0), 1, 1e-12));
	CHECK(near(stats_percentile(x, 4, 100), 4, 1e-12));
	CHECK(near(stats_percentile(x, 4, 95), 3.85, 1e-12));
	CHECK(isnan(stats_percentile(x, 0, 50)));

	stats_time_weights(t, 4, 10, w);
	CHECK(w[0] == 1 && w[1] == 2 && w[2] == 3 && w[3] == 4);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const double vals[] = {10, 30, 20, 40};

		for (int k = 0; k < 4; k++)
			v[k] = vals[k];
		stats_time_weights(t, 4, 10, w);
		CHECK_MSG(stats_wpercentile(v, w, 4, want[i][0]) == want[i][1], "p%g", want[i][0]);
	}
	/* The last sample with no time after it weighs nothing: 40 never counts. */
	{
		double v2[] = {10, 30, 20, 40}, w2[4];

		stats_time_weights(t, 4, 6, w2);
		CHECK(w2[3] == 0);
		CHECK(stats_wpercentile(v2, w2, 4, 99) == 30);
	}
	/* No weight at all: every value counts once. */
	{
		double v3[] = {5, 7}, w3[] = {0, 0};

		CHECK(stats_wpercentile(v3, w3, 2, 50) == 5 &&
		      stats_wpercentile(v3, w3, 2, 51) == 7);
	}
}

static void test_jain(void)
{
	const double equal[] = {5, 5, 5, 5}, hog[] = {4, 0, 0, 0}, two[] = {1, 2}, zero[] = {0, 0};

	CHECK(near(stats_jain(equal, 4), 1, 1e-12));
	CHECK(near(stats_jain(hog, 4), 0.25, 1e-12));
	CHECK(near(stats_jain(hog, 3), 1.0 / 3, 1e-12));
	CHECK(near(stats_jain(two, 2), 0.9, 1e-12)); /* 3^2 / (2 x 5) */
	CHECK(isnan(stats_jain(zero, 2)) && isnan(stats_jain(zero, 0)));
}

/* Two connections, B joining at 3 s: it reaches its share, falls out once at 6 s, and stays
 * within 20% of the fair share from 7 s on. */
static void test_convergence(void)
{
	const double a[] = {10, 10, 10, 10, 8, 6, 7, 5.5, 5.5, 5.5};
	const double b[] = {0, 0, 0, 1, 3, 4.9, 3, 4.5, 4.5, 4.5};
	double t[10], x[2];
	bool conv[10], active[2];

	for (int i = 0; i < 10; i++) {
		t[i] = i;
		x[0] = a[i];
		x[1] = b[i];
		active[0] = true;
		active[1] = i >= 3;
		conv[i] = stats_bucket_converged(x, active, 2);
	}
	CHECK(conv[0] && conv[1] && conv[2]); /* alone: nothing to share */
	CHECK(!conv[3] && !conv[4] && conv[5] && !conv[6] && conv[7] && conv[9]);
	CHECK(near(stats_convergence_s(t, conv, 10, 3.0, 10.0), 4.0, 1e-12));
	/* B joined at 2.5: the first bucket from then on starts at 3. */
	CHECK(near(stats_convergence_s(t, conv, 10, 2.5, 10.0), 4.5, 1e-12));
	/* Up to 6 s (the next join, say): converged from bucket 5 on. */
	CHECK(near(stats_convergence_s(t, conv, 10, 3.0, 6.0), 2.0, 1e-12));
	/* Up to 6.5 s the last bucket, 6, is out of the band: never converged. */
	CHECK(isnan(stats_convergence_s(t, conv, 10, 3.0, 6.5)));
	CHECK(isnan(stats_convergence_s(t, conv, 10, 10.0, 20.0)));
	/* Within the band at exactly 20% counts. */
	x[0] = 6;
	x[1] = 4;
	active[0] = active[1] = true;
	CHECK(stats_bucket_converged(x, active, 2));
	x[0] = 6.1;
	CHECK(!stats_bucket_converged(x, active, 2));
	x[0] = x[1] = 0;
	CHECK(!stats_bucket_converged(x, active, 2));
}

int main(void)
{
	test_mean_ci();
	test_percentiles();
	test_jain();
	test_convergence();
	return ccx_test_failures ? 1 : 0;
}
