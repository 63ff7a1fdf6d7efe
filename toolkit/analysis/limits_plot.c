/* The limits chart: stacked shares of what limited each flow (cwnd, rwnd, sndbuf, idle) per
 * time bin, from the differences between a connection's successive cwnd.csv samples. */
#include "analysis/limits_plot.h"
#include "analysis/series.h"

#include "core/csv.h"
#include "core/log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bins of at least 100 ms (25 jiffies at HZ 250: the chrono counts whole jiffies), and at
 * most about 600 of them over the run. */
#define LIMITS_BIN_MIN_S 0.1
#define LIMITS_BINS_MAX	 600

enum { L_CWND, L_RWND, L_SNDBUF, L_IDLE, L_N };

/* One stretch between two samples of a connection, in ms of each kind. */
struct stretch {
	double t0, t1;
	unsigned int flow;
	double ms[L_N];
};

/* A connection's previous sample, and what its counters grew by beyond a stretch's own
 * length: they move in whole jiffies (4 ms at HZ 250), so a 10 ms stretch may show 12 ms of
 * busy time; the excess belongs to the stretches around it, not to nothing. */
struct last {
	double t, busy, rwnd, sndbuf;
	double carry_busy, carry_rwnd, carry_sndbuf;
	bool have;
};

struct limits_scan {
	struct csv_col cols[6];
	struct series_list conns, flows;
	struct last *last;
	size_t nlast;
	struct stretch *v;
	size_t n, cap;
	double end_s;
};

static int limits_row(const struct csv_reader *in, void *arg)
{
	struct limits_scan *ls = arg;
	struct series *c =
	    series_get(&ls->conns, csv_field(in, ls->cols[1].idx), csv_field(in, ls->cols[2].idx));
	struct series *f = series_get(&ls->flows, csv_field(in, ls->cols[1].idx), NULL);
	struct last now = {.have = true}, *prev;
	size_t ci;

	if (!c || !f)
		return -ENOMEM;
	ci = (size_t)(c - ls->conns.v);
	if (ci >= ls->nlast) {
		size_t n = ls->conns.cap > ci ? ls->conns.cap : ci + 1;
		struct last *p = realloc(ls->last, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		memset(p + ls->nlast, 0, (n - ls->nlast) * sizeof(*p));
		ls->last = p;
		ls->nlast = n;
	}
	if (!csv_field_double(in, ls->cols[0].idx, &now.t) ||
	    !csv_field_double(in, ls->cols[3].idx, &now.busy) ||
	    !csv_field_double(in, ls->cols[4].idx, &now.rwnd) ||
	    !csv_field_double(in, ls->cols[5].idx, &now.sndbuf))
		return 0;
	prev = &ls->last[ci];
	if (prev->have && now.t > prev->t) {
		double dt = (now.t - prev->t) * 1e3;
		double raw_busy = fmax(now.busy - prev->busy, 0) + prev->carry_busy;
		double raw_rwnd = fmax(now.rwnd - prev->rwnd, 0) + prev->carry_rwnd;
		double raw_sndbuf = fmax(now.sndbuf - prev->sndbuf, 0) + prev->carry_sndbuf;
		double busy = fmin(raw_busy, dt);
		double rwnd = fmin(raw_rwnd, busy);
		double sndbuf = fmin(raw_sndbuf, busy - rwnd);

		now.carry_busy = raw_busy - busy;
		now.carry_rwnd = raw_rwnd - rwnd;
		now.carry_sndbuf = raw_sndbuf - sndbuf;
		struct stretch s = {
		    .t0 = prev->t, .t1 = now.t, .flow = (unsigned int)(f - ls->flows.v)};

		if (ls->n == ls->cap) {
			size_t cap = ls->cap ? 2 * ls->cap : 1024;
			struct stretch *p = realloc(ls->v, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			ls->v = p;
			ls->cap = cap;
		}
		s.ms[L_RWND] = rwnd;
		s.ms[L_SNDBUF] = sndbuf;
		s.ms[L_CWND] = busy - rwnd - sndbuf;
		s.ms[L_IDLE] = dt - busy;
		ls->v[ls->n++] = s;
		if (now.t > ls->end_s)
			ls->end_s = now.t;
	}
	if (!prev->have || now.t > prev->t)
		*prev = now;
	return 0;
}

/* Spreads each stretch over the bins it overlaps, in proportion to the overlap. */
static void fill_bins(const struct limits_scan *ls, double bin_s, size_t nbins, double *bins)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct stretch *s = &ls->v[i];
		double len = s->t1 - s->t0;
		size_t b0 = (size_t)(s->t0 > 0 ? s->t0 / bin_s : 0);

		for (size_t b = b0; b < nbins && b * bin_s < s->t1; b++) {
			double lo = fmax(s->t0, b * bin_s), hi = fmin(s->t1, (b + 1) * bin_s);
			double *row = bins + ((size_t)s->flow * nbins + b) * L_N;

			if (hi <= lo)
				continue;
			for (int k = 0; k < L_N; k++)
				row[k] += s->ms[k] * (hi - lo) / len;
		}
	}
}

static const char *const layer_title[L_N] = {"cwnd (network)", "rwnd (receiver)",
					     "sndbuf (send buffer)", "idle (application)"};
static const char *const layer_colour[L_N] = {"#0072B2", "#D55E00", "#E69F00", "#BBBBBB"};

/* The data: per flow a block of "t_s cwnd cwnd+rwnd cwnd+rwnd+sndbuf 100" in % of the time
 * its connections' samples cover in the bin; a bin they do not cover breaks the curves. */
static int write_dat(const char *rundir, const struct limits_scan *ls, const double *bins,
		     double bin_s, size_t nbins, size_t npanels)
{
	struct datfile d;
	int r = dat_open(&d, rundir, "limits");

	if (r < 0)
		return r;
	for (size_t f = 0; f < npanels; f++) {
		/* One blank line breaks a curve; two would end the block. */
		bool gap = false, wrote = false;

		dat_block(&d, "limits of", ls->flows.v[f].flow, NULL);
		for (size_t b = 0; b < nbins; b++) {
			const double *row = bins + (f * nbins + b) * L_N;
			double tot = row[0] + row[1] + row[2] + row[3], cum = 0;

			if (tot <= 0) {
				gap = true;
				continue;
			}
			if (gap && wrote)
				fputc('\n', d.f);
			gap = false;
			wrote = true;
			fprintf(d.f, "%.6f", (b + 0.5) * bin_s);
			for (int k = 0; k < L_N; k++) {
				cum += row[k];
				fprintf(d.f, " %.3f", 100 * cum / tot);
			}
			fputc('\n', d.f);
		}
	}
	return dat_close(&d, 0);
}

static void write_panels(FILE *f, const struct limits_scan *ls, double bin_s, size_t npanels)
{
	fprintf(f,
		"set terminal pngcairo size 1200,%zu font 'Sans,14' linewidth 1.5 noenhanced\n"
		"set output 'plots/limits.png'\n"
		"set multiplot layout %zu,1 title run_title.': what limited each flow, "
		"share of each %.3g s%s'\n",
		150 + 300 * npanels, npanels, bin_s,
		ls->flows.n > npanels ? " (the first flows only)" : "");
	for (size_t p = 0; p < npanels; p++) {
		char below[8];

		fputs("set title 'flow ", f);
		gp_quote_inner(f, ls->flows.v[p].flow);
		fputs("'\n", f);
		for (int k = 0; k < L_N; k++) {
			/* the stack: from 0, or from the layer below */
			if (k)
				snprintf(below, sizeof(below), "%d", k + 1);
			else
				snprintf(below, sizeof(below), "(0)");
			fprintf(f,
				"%s data index %zu using 1:%s:%d with filledcurves "
				"fs solid 0.85 noborder lc rgb '%s' title '%s'%s\n",
				k ? "    " : "plot", p, below, k + 2, layer_colour[k],
				layer_title[k], k + 1 < L_N ? ", \\" : "");
		}
	}
	fputs("unset multiplot\n", f);
}

int chart_limits(const char *rundir, char **plots)
{
	struct limits_scan ls = {.cols = {{"t_s"},
					  {"flow"},
					  {"conn"},
					  {"busy_ms", .optional = true},
					  {"rwnd_limited_ms", .optional = true},
					  {"sndbuf_limited_ms", .optional = true}}};
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0, nbins, npanels;
	struct csv_reader in;
	double *bins = NULL, bin_s;
	FILE *f = NULL;
	int r;

	*plots = NULL;
	if (snprintf(path, sizeof(path), "%s/timeline/cwnd.csv", rundir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = csv_reader_open(&in, path);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return log_err_errno(r, "open %s", path);
	r = csv_read_header(&in, ls.cols, 6);
	if (!r && (ls.cols[3].idx < 0 || ls.cols[4].idx < 0 || ls.cols[5].idx < 0))
		r = 1; /* a run from before the chrono columns */
	while (!r && (r = csv_next_row(&in)) == 1)
		r = limits_row(&in, &ls);
	csv_reader_close(&in);
	if (r)
		goto out;
	bin_s = fmax(LIMITS_BIN_MIN_S, ls.end_s / LIMITS_BINS_MAX);
	nbins = (size_t)ceil(ls.end_s / bin_s) + 1;
	npanels = ls.flows.n < LIMITS_MAX_PANELS ? ls.flows.n : LIMITS_MAX_PANELS;
	f = open_memstream(&buf, &len);
	if (!f) {
		r = -errno;
		goto out;
	}
	if (!ls.n) {
		fputs("set terminal pngcairo size 1200,600 font 'Sans,14' noenhanced\n"
		      "set output 'plots/limits.png'\n"
		      "set label 1 'no data in timeline/cwnd.csv' at graph 0.5, 0.5 center "
		      "font ',20'\n"
		      "set xrange [0:1]\nset yrange [0:1]\nplot NaN notitle\n",
		      f);
	} else {
		bins = calloc(npanels * nbins * L_N, sizeof(*bins));
		if (!bins) {
			r = -ENOMEM;
			goto out;
		}
		fill_bins(&ls, bin_s, nbins, bins);
		r = write_dat(rundir, &ls, bins, bin_s, nbins, npanels);
		if (r < 0)
			goto out;
		write_panels(f, &ls, bin_s, npanels);
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = -errno;
		goto out;
	}
	f = NULL;
	*plots = buf;
	buf = NULL;
out:
	if (f)
		fclose(f);
	free(buf);
	free(bins);
	free(ls.v);
	free(ls.last);
	series_list_free(&ls.conns);
	series_list_free(&ls.flows);
	return r;
}
