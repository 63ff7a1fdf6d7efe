/* Statistics over saved series: interpolated cumulative counters, rates per interval. */
#ifndef CCX_STATS_H
#define CCX_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The value at time `at` of a cumulative counter sampled at times t[0..n-1] (ascending),
 * interpolated linearly between samples; the first value holds before the first sample and
 * the last after the last. */
double stats_cum_at(const double *t, const uint64_t *v, size_t n, double at);

/*
 * Amounts per fixed interval for several series, kept only for a bounded window of recent
 * intervals so that memory does not grow with the length of the series. Interval b is
 * (b * dt_s, (b + 1) * dt_s]. An amount is spread over its time span in proportion to the
 * overlap with each interval (the rate is taken constant between two samples of a cumulative
 * counter). Intervals are handed to `emit` in order, every one of them once, when they leave
 * the window; a part of an amount that falls before the window goes into its oldest interval.
 */
struct stats_bins {
	int nseries;
	double dt_s;
	long nwin;    /* intervals kept */
	long first;   /* the oldest interval not yet emitted */
	double *vals; /* nwin x nseries, a ring indexed by interval % nwin */
	/* Called with the interval's index and its nseries amounts; a negative return is kept
	 * (the first one) and returned by stats_bins_emit_to. */
	int (*emit)(void *arg, long bin, const double *vals);
	void *arg;
	int err;
};

/* window_s: how far behind the newest time an amount may still land where it belongs. */
int stats_bins_init(struct stats_bins *b, int nseries, double dt_s, double window_s,
		    int (*emit)(void *arg, long bin, const double *vals), void *arg);
/* Adds `amount` spread over (from_s, to_s] (from_s == to_s: all at that instant); nothing
 * before 0 counts. */
void stats_bins_add(struct stats_bins *b, int series, double from_s, double to_s, double amount);
/* Emits the intervals that end at or before end_s. Returns 0 or the first emit error. */
int stats_bins_emit_to(struct stats_bins *b, double end_s);
void stats_bins_free(struct stats_bins *b);

#endif
