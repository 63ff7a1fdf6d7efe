/* The limits chart: what limited each flow over time, from timeline/cwnd.csv's chrono columns. */
#ifndef CCX_LIMITS_PLOT_H
#define CCX_LIMITS_PLOT_H

/* At most this many flows get a panel of their own; the rest are left out (and said so). */
#define LIMITS_MAX_PANELS 8

/*
 * Writes plots/limits.dat (per flow, per time bin: the cumulative shares of cwnd, rwnd,
 * sndbuf and idle time) and, in *plots, the chart's gnuplot commands. Returns 1 when
 * cwnd.csv is missing or has no chrono columns (an older run), 0, or -errno.
 */
int chart_limits(const char *rundir, char **plots);

#endif
