/* The data side of the charts: series found by name, samples kept for the derived data
 * files plots/<chart>.dat, per-flow medians and bands, sums on a time grid. */
#ifndef CCX_SERIES_H
#define CCX_SERIES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A line of a chart: a flow (conn NULL) or one connection of a flow. */
struct series {
	char *flow;
	char *conn;
	unsigned long rows;    /* timeline rows */
	unsigned long retrans; /* sender retransmits */
};

struct series_list {
	struct series *v;
	size_t n, cap;
	unsigned int *slot; /* hash table of indices + 1 (0: free), twice cap entries */
};

/* A row of a CSV file, kept for the derived data files. */
struct sample {
	double t_s;
	float v; /* cwnd_pkts (cwnd.csv, retrans.csv) or goodput_mbit (throughput.csv) */
	float srtt_ms;
	unsigned int series;
};

/*
 * A derived data file, plots/<chart>.dat: one gnuplot data block per series (blocks apart
 * by two blank lines, `index N` picks one), so the script reads each row once whatever the
 * number of series, where selecting rows of the CSV read it once per series.
 */
struct datfile {
	FILE *f;
	char path[PATH_MAX], tmp[PATH_MAX];
	int blocks;
};

void series_list_free(struct series_list *l);
struct series *series_get(struct series_list *l, const char *flow, const char *conn);
/* The median step between the first flow's sample times: its sample interval. */
double median_step(double *t, size_t n);
int push_sample(struct sample **v, size_t *n, size_t *cap, const struct sample *s);
int dat_open(struct datfile *d, const char *rundir, const char *chart);
/* Starts a block with a comment naming it; returns its index. */
int dat_block(struct datfile *d, const char *what, const char *flow, const char *conn);
/* Renames the file into place (a reader sees it whole or not at all), or removes it. */
int dat_close(struct datfile *d, int r);
float sample_value(const struct sample *s, bool srtt);
/* Sorts samples by series, keeping their order of time within a series (a stable
 * counting sort): each series' rows then form one block. `first` gets nseries + 1 offsets. */
int group_by(const struct sample *v, size_t n, size_t nkeys, const unsigned int *key_of,
	     struct sample **out, size_t **first);
/* Writes a flow's block: per bin of dt_s, "t median p10 p90 connections". Returns the
 * number of lines written, or -ENOMEM. */
long flow_bins(FILE *f, const struct sample *v, size_t n, bool srtt, double dt_s);
/* The sum of all flows' goodput per sample interval: times go on a grid of dt_s (the median
 * sample interval) so that small timer jitter does not split one interval's rows. */
int write_total(FILE *f, const struct sample *v, size_t n, double dt_s);
/* Replaces each of v[0..n-1].v (one series, in time order) by the mean of the w values
 * centred on it (w rounded up to odd; fewer at the ends, where the window is cut). */
void smooth_centred(struct sample *v, size_t n, size_t w);
/* Writes a name into a comment line, which a line end in it would end. */
void put_comment_name(FILE *f, const char *s);
/* Writes `s` as the inside of a single-quoted gnuplot string. */
void gp_quote_inner(FILE *f, const char *s);

#endif
