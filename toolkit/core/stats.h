/* Statistics over saved series: interpolated cumulative counters, rates per interval. */
#ifndef CCX_STATS_H
#define CCX_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The value at time `at` of a cumulative counter sampled at times t[0..n-1] (ascending),
 * interpolated linearly between samples; the first value holds before the first sample and
 * the last after the last. */
double stats_cum_at(const double *t, const uint64_t *v, size_t n, double at);

#endif
