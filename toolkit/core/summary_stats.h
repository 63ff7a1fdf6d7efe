/* Statistics for summaries and comparisons: mean, spread, t intervals, percentiles, fairness. */
#ifndef CCX_SUMMARY_STATS_H
#define CCX_SUMMARY_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Mean of x[0..n-1]; NaN when n is 0. */
double stats_mean(const double *x, size_t n);
/* Sample standard deviation (n - 1 in the denominator); NaN when n < 2. */
double stats_sd(const double *x, size_t n);
/* The two-sided 95% quantile of Student's t with `df` degrees of freedom (t_0.975): a table
 * for 1..30, the Cornish-Fisher expansion beyond (within 2e-4 of the exact value); NaN for
 * df < 1. */
double stats_t975(int df);
/* Half the width of the 95% confidence interval of the mean, t_0.975(n - 1) x sd / sqrt(n);
 * NaN when n < 2. */
double stats_ci95_half(const double *x, size_t n);
/* The p-th percentile (0..100) of x, linear between closest ranks (rank p/100 x (n - 1),
 * as numpy's default and R's type 7). Sorts x in place. NaN when n is 0. */
double stats_percentile(double *x, size_t n, double p);
/* The p-th percentile of values v weighted by w (w >= 0): the smallest value whose
 * cumulative weight, values in ascending order, reaches p/100 of the total weight. With no
 * weight at all, the values count equally. Sorts v and w together in place; NaN when n is 0. */
double stats_wpercentile(double *v, double *w, size_t n, double p);
/* Weights for samples taken at times t[0..n-1] (ascending): each sample holds until the next
 * one, so w[i] = t[i + 1] - t[i]; the last holds until end_s (0 when end_s is before it). */
void stats_time_weights(const double *t, size_t n, double end_s, double *w);
/* Jain's fairness index, (sum x)^2 / (n x sum x^2): 1 when all are equal, 1/n when one has
 * everything. NaN when n is 0 or every x is 0. */
double stats_jain(const double *x, size_t n);

/* The band around the fair share within which goodputs count as converged (docs/metrics.md). */
#define STATS_CONVERGED_BAND 0.2

/* Whether every active entity of one bucket is within STATS_CONVERGED_BAND of the fair share,
 * the mean over the active ones: x[i] counts when active[i]. True with fewer than 2 active
 * (nothing to share), false when they share nothing. */
bool stats_bucket_converged(const double *x, const bool *active, size_t n);
/*
 * Convergence on a timeline of buckets [t_s[b], t_s[b] + bucket_s) for b in [0, nb): the
 * first bucket b0 that starts at or after from_s and from which every bucket before until_s
 * is converged (conv[b]). Returns t_s[b0] - from_s, or NaN when there is no such bucket (the
 * last bucket before until_s is not converged, or there is none).
 */
double stats_convergence_s(const double *t_s, const bool *conv, size_t nb, double from_s,
			   double until_s);

#endif
