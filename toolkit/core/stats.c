/* Statistics over series: interpolated cumulative counters, amounts per interval. */
#include "core/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int stats_bins_init(struct stats_bins *b, int nseries, double dt_s, double window_s,
		    int (*emit)(void *arg, long bin, const double *vals), void *arg)
{
	memset(b, 0, sizeof(*b));
	if (nseries <= 0 || !(dt_s > 0) || !(window_s >= 0))
		return -EINVAL;
	b->nseries = nseries;
	b->dt_s = dt_s;
	/* Two intervals beyond the window: the newest time's own and the one it may start. */
	b->nwin = (long)ceil(window_s / dt_s) + 2;
	b->vals = calloc((size_t)b->nwin * nseries, sizeof(*b->vals));
	if (!b->vals)
		return -ENOMEM;
	b->emit = emit;
	b->arg = arg;
	return 0;
}

static double *bin_vals(struct stats_bins *b, long bin)
{
	return b->vals + (size_t)(bin % b->nwin) * b->nseries;
}

/* Emits interval b->first and frees its slot for interval first + nwin. */
static void emit_first(struct stats_bins *b)
{
	double *v = bin_vals(b, b->first);
	int r = b->emit ? b->emit(b->arg, b->first, v) : 0;

	if (r < 0 && !b->err)
		b->err = r;
	memset(v, 0, b->nseries * sizeof(*v));
	b->first++;
}

/* The interval that holds time t (t > 0): the one with (b * dt, (b + 1) * dt] around it. */
static long bin_of(const struct stats_bins *b, double t)
{
	long bin = (long)ceil(t / b->dt_s) - 1;

	return bin < 0 ? 0 : bin;
}

static void add_to(struct stats_bins *b, int series, long bin, double amount)
{
	if (bin < b->first)
		bin = b->first;
	while (bin >= b->first + b->nwin)
		emit_first(b);
	bin_vals(b, bin)[series] += amount;
}

void stats_bins_add(struct stats_bins *b, int series, double from_s, double to_s, double amount)
{
	if (!b->vals || series < 0 || series >= b->nseries || to_s <= 0 || !(to_s >= from_s))
		return;
	if (to_s == from_s) {
		add_to(b, series, bin_of(b, to_s), amount);
		return;
	}
	double rate = amount / (to_s - from_s);
	double lo = from_s > 0 ? from_s : 0;
	long last = bin_of(b, to_s);

	/* The newest interval first: it may push the oldest ones out of the window. */
	for (long bin = last; bin >= 0; bin--) {
		double start = bin * b->dt_s, end = start + b->dt_s;

		if (end > to_s)
			end = to_s;
		if (start < lo)
			start = lo;
		if (end > start)
			add_to(b, series, bin, rate * (end - start));
		if (start <= lo)
			break;
		if (bin < b->first) {
			/* Everything older lands in the oldest interval. */
			add_to(b, series, b->first, rate * (start - lo));
			break;
		}
	}
}

int stats_bins_emit_to(struct stats_bins *b, double end_s)
{
	long nbins = (long)ceil(end_s / b->dt_s - 1e-9);

	while (b->vals && b->first < nbins)
		emit_first(b);
	return b->err;
}

void stats_bins_free(struct stats_bins *b)
{
	free(b->vals);
	b->vals = NULL;
}
