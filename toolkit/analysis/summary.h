/* The per-run summary: summary.json and summary.csv from a results folder's saved files. */
#ifndef CCX_SUMMARY_H
#define CCX_SUMMARY_H

/* summary.warmup_s when the config does not set it (docs/config.md). */
#define SUMMARY_WARMUP_S_DEFAULT 2.0
/* The fairness buckets' width. */
#define SUMMARY_BUCKET_S 1.0
/* The part of a bucket a connection must cover to count in it. */
#define SUMMARY_BUCKET_COVER 0.9

/*
 * Computes the metrics of docs/metrics.md from rundir's flows.csv, timeline/cwnd.csv,
 * events/ca_state.csv, timeline/link.csv and config.cfg, and writes rundir/summary.json and
 * rundir/summary.csv (each replaced in one go). Missing files other than flows.csv leave
 * their metrics empty. Returns 0, 1 when there is no flows.csv (nothing is written), or
 * -errno (logged).
 */
int summary_write(const char *rundir);

#endif
