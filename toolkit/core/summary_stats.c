/* Statistics for summaries and comparisons: mean, spread, t intervals, percentiles, fairness. */
#include "core/summary_stats.h"

#include <math.h>
#include <stdlib.h>

double stats_mean(const double *x, size_t n)
{
	double sum = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return sum / n;
}

double stats_sd(const double *x, size_t n)
{
	double m = stats_mean(x, n), ss = 0;

	if (n < 2)
		return NAN;
	/* Two passes: the sum of squares minus the squared sum loses digits for close values. */
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	return sqrt(ss / (n - 1));
}

/* t_0.975 for 1..30 degrees of freedom, from the standard tables. */
static const double t975_table[30] = {
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
};

double stats_t975(int df)
{
	const double z = 1.959963985, z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
	double d = df;

	if (df < 1)
		return NAN;
	if (df <= 30)
		return t975_table[df - 1];
	/* Cornish-Fisher: the normal quantile corrected in powers of 1/df. */
	return z + (z3 + z) / (4 * d) + (5 * z5 + 16 * z3 + 3 * z) / (96 * d * d) +
	       (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * d * d * d);
}

double stats_ci95_half(const double *x, size_t n)
{
	if (n < 2)
		return NAN;
	return stats_t975((int)(n - 1)) * stats_sd(x, n) / sqrt((double)n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double stats_percentile(double *x, size_t n, double p)
{
	double rank, frac;
	size_t lo;

	if (n == 0)
		return NAN;
	qsort(x, n, sizeof(*x), cmp_double);
	rank = p / 100 * (n - 1);
	if (rank <= 0)
		return x[0];
	if (rank >= n - 1)
		return x[n - 1];
	lo = (size_t)rank;
	frac = rank - lo;
	return x[lo] + (x[lo + 1] - x[lo]) * frac;
}

struct vw {
	double v, w;
};

static int cmp_vw(const void *a, const void *b)
{
	return cmp_double(&((const struct vw *)a)->v, &((const struct vw *)b)->v);
}

double stats_wpercentile(double *v, double *w, size_t n, double p)
{
	double total = 0, want, cum = 0;
	struct vw *pairs;
	bool equal;

	if (n == 0)
		return NAN;
	pairs = malloc(n * sizeof(*pairs));
	if (!pairs)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		pairs[i] = (struct vw){v[i], w[i] > 0 ? w[i] : 0};
		total += pairs[i].w;
	}
	qsort(pairs, n, sizeof(*pairs), cmp_vw);
	equal = !(total > 0);
	if (equal)
		total = n;
	for (size_t i = 0; i < n; i++) {
		v[i] = pairs[i].v;
		w[i] = equal ? 1 : pairs[i].w;
	}
	free(pairs);
	want = p / 100 * total;
	for (size_t i = 0; i < n; i++) {
		cum += w[i];
		/* A relative tolerance, so that 0.5 x total reached by summing still counts. */
		if (w[i] > 0 && cum >= want - 1e-12 * total)
			return v[i];
	}
	return v[n - 1];
}

void stats_time_weights(const double *t, size_t n, double end_s, double *w)
{
	for (size_t i = 0; i + 1 < n; i++)
		w[i] = t[i + 1] - t[i];
	if (n > 0)
		w[n - 1] = end_s > t[n - 1] ? end_s - t[n - 1] : 0;
}

double stats_jain(const double *x, size_t n)
{
	double sum = 0, sq = 0;

	for (size_t i = 0; i < n; i++) {
		sum += x[i];
		sq += x[i] * x[i];
	}
	if (n == 0 || !(sq > 0))
		return NAN;
	return sum * sum / (n * sq);
}

bool stats_bucket_converged(const double *x, const bool *active, size_t n)
{
	double sum = 0, fair;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (active[i]) {
			sum += x[i];
			k++;
		}
	if (k < 2)
		return true;
	fair = sum / k;
	if (!(fair > 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (active[i] && fabs(x[i] - fair) > STATS_CONVERGED_BAND * fair)
			return false;
	return true;
}

double stats_convergence_s(const double *t_s, const bool *conv, size_t nb, double from_s,
			   double until_s)
{
	double found = NAN;

	/* From the last bucket back: the earliest start of an unbroken converged tail. */
	for (size_t b = nb; b-- > 0;) {
		if (t_s[b] >= until_s)
			continue;
		if (t_s[b] < from_s || !conv[b])
			break;
		found = t_s[b] - from_s;
	}
	return found;
}
