/* `ccexp plot`: gnuplot scripts and charts for a results folder, from its saved CSV files. */
#include "analysis/plot.h"
#include "analysis/limits_plot.h"

#include <errno.h>
#include <libconfig.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/gnuplot.h"
#include "analysis/series.h"
#include "core/csv.h"
#include "core/log.h"

/* Generated from the templates plots/NAME.gp.in by plots/embed_templates.py. */
extern const char ccx_plot_tpl_style[];
extern const char ccx_plot_tpl_throughput[];
extern const char ccx_plot_tpl_cwnd[];
extern const char ccx_plot_tpl_srtt[];
extern const char ccx_plot_tpl_limits[];

/* Line type of the i-th series: the 16 styles of plots/style.gp.in, then again. */
static int series_lt(size_t i)
{
	return (int)(i % 16) + 1;
}

struct subst {
	const char *key; /* "@KEY@" */
	const char *value;
};

/* Copies the template, replacing each @KEY@ it knows; any other @ is gnuplot's. */
static void expand(FILE *out, const char *tpl, const struct subst *subs, size_t nsubs)
{
	for (const char *p = tpl; *p; p++) {
		size_t i;

		if (*p == '@') {
			for (i = 0; i < nsubs; i++) {
				size_t len = strlen(subs[i].key);

				if (strncmp(p, subs[i].key, len) == 0) {
					fputs(subs[i].value, out);
					p += len - 1;
					break;
				}
			}
			if (i < nsubs)
				continue;
		}
		fputc(*p, out);
	}
}

/* Everything a chart's script needs besides its plot command. */
struct chart {
	const char *name; /* plots/<name>.gp */
	const char *tpl;
	char *plots;	  /* the plot command, built by the chart's function */
	const char *dt_s; /* throughput only */
	const char *smooth; /* throughput only: how its lines are smoothed, in words */
	const char *per;  /* cwnd and srtt: a line per "connection" or per "flow ..." */
};

struct run_names {
	char name[NAME_MAX + 1]; /* the experiment's: results/<name>/<run-id> */
	char run[NAME_MAX + 1];
	char *name_q, *run_q; /* quoted for use inside '...' */
};

/* What a chart says when its CSV has a header but no rows: the run made no samples. An
 * empty chart where one is expected tells the reader more than a missing file. */
static void put_no_data(FILE *f, const char *csv)
{
	fprintf(f,
		"# %s has no rows: the run recorded no samples.\n"
		"set label 1 'no data in %s' at graph 0.5, 0.5 center font ',20'\n"
		"set xrange [0:1]\n"
		"set yrange [0:1]\n"
		"plot NaN notitle\n",
		csv, csv);
}

static char *quote_dup(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	gp_quote_inner(f, s);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Writes rundir/plots/<chart>.gp through a temporary file, so a script is whole or absent. */
static int write_script(const char *rundir, const struct run_names *rn, const struct chart *ch)
{
	const struct subst subs[] = {
	    {"@STYLE@", ccx_plot_tpl_style},
	    {"@NAME@", rn->name_q},
	    {"@RUN@", rn->run_q},
	    {"@DT_S@", ch->dt_s ? ch->dt_s : "1"},
	    {"@SMOOTH@", ch->smooth ? ch->smooth : ""},
	    {"@PLOTS@", ch->plots},
	    {"@PER@", ch->per ? ch->per : "connection"},
	};
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int r = 0;

	if (snprintf(path, sizeof(path), "%s/plots/%s.gp", rundir, ch->name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return log_err_errno(-errno, "create %s", tmp);
	expand(f, ch->tpl, subs, sizeof(subs) / sizeof(subs[0]));
	if (fflush(f) != 0)
		r = -errno;
	else if (ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) != 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return log_err_errno(r, "write %s", path);
	}
	log_debug("wrote %s", path);
	return 0;
}

/* Builds a string with a memstream; *buf is NULL on failure. */
struct strbuf {
	char *buf;
	size_t len;
	FILE *f;
};

static int sb_open(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->f = open_memstream(&sb->buf, &sb->len);
	return sb->f ? 0 : -errno;
}

static char *sb_close(struct strbuf *sb)
{
	if (fclose(sb->f) != 0) {
		free(sb->buf);
		return NULL;
	}
	return sb->buf;
}

/* Opens rundir/rel. Returns 0, 1 when there is no such file, or -errno (logged). */
static int open_results_csv(struct csv_reader *in, const char *rundir, const char *rel)
{
	char path[PATH_MAX];
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", rundir, rel) >= (int)sizeof(path))
		return log_err_errno(-ENAMETOOLONG, "open %s/%s", rundir, rel);
	r = csv_reader_open(in, path);
	if (r == -ENOENT)
		return 1;
	return r < 0 ? log_err_errno(r, "open %s", path) : 0;
}

/* Calls fn for each data row. Returns 0 or -errno (logged). */
static int read_rows(struct csv_reader *in, int (*fn)(const struct csv_reader *in, void *arg),
		     void *arg)
{
	int r;

	while ((r = csv_next_row(in)) == 1) {
		r = fn(in, arg);
		if (r < 0)
			return log_err_errno(r, "read %s", in->path);
	}
	return r;
}

struct conn_scan {
	struct series_list conns;
	struct csv_col cols[5];	 /* cwnd.csv columns */
	struct csv_col rcols[5]; /* retrans.csv columns */
	bool have_srtt;		 /* cwnd.csv has an srtt_us column */
	struct sample *rows;	 /* cwnd.csv rows, whole ones only (the reader drops a cut one) */
	size_t nrows, cap_rows;
	struct sample *retx; /* the sender's retransmits (srtt_ms unused) */
	size_t nretx, cap_retx;
	int per_conn_max; /* above this many connections, one line per flow */
	bool per_flow;
};

static int cwnd_row(const struct csv_reader *in, void *arg)
{
	struct conn_scan *cs = arg;
	struct sample smp = {0};
	struct series *s;
	double v;

	s = series_get(&cs->conns, csv_field(in, cs->cols[1].idx), csv_field(in, cs->cols[2].idx));
	if (!s)
		return -ENOMEM;
	s->rows++;
	smp.series = (unsigned int)(s - cs->conns.v);
	if (!csv_field_double(in, cs->cols[0].idx, &smp.t_s))
		return 0; /* gnuplot skipped such rows too */
	smp.v = csv_field_double(in, cs->cols[3].idx, &v) ? (float)v : NAN;
	/* Before its first RTT sample the kernel reports 0: not a measurement. */
	smp.srtt_ms = cs->have_srtt && csv_field_double(in, cs->cols[4].idx, &v) && v > 0
			  ? (float)(v / 1000.0)
			  : NAN;
	return push_sample(&cs->rows, &cs->nrows, &cs->cap_rows, &smp);
}

static int retrans_row(const struct csv_reader *in, void *arg)
{
	struct conn_scan *cs = arg;
	struct sample smp = {.srtt_ms = NAN};
	struct series *s;
	double v;

	/* The receiver's retransmits (its SYN-ACKs, say) are not on the sender's cwnd. */
	if (strcmp(csv_field(in, cs->rcols[3].idx), "sender") != 0)
		return 0;
	s = series_get(&cs->conns, csv_field(in, cs->rcols[1].idx),
		       csv_field(in, cs->rcols[2].idx));
	if (!s)
		return -ENOMEM;
	s->retrans++;
	smp.series = (unsigned int)(s - cs->conns.v);
	if (!csv_field_double(in, cs->rcols[0].idx, &smp.t_s) ||
	    !csv_field_double(in, cs->rcols[4].idx, &v))
		return 0;
	smp.v = (float)v;
	return push_sample(&cs->retx, &cs->nretx, &cs->cap_retx, &smp);
}

/* Reads the sender retransmits of events/retrans.csv. Returns 1 without the file, or
 * -errno with no marks kept. */
static int scan_retrans(const char *rundir, struct conn_scan *cs)
{
	struct csv_reader in;
	int r;

	r = open_results_csv(&in, rundir, "events/retrans.csv");
	if (r)
		return r;
	r = csv_read_header(&in, cs->rcols, 5);
	if (!r)
		r = read_rows(&in, retrans_row, cs);
	if (r < 0) {
		for (size_t i = 0; i < cs->conns.n; i++)
			cs->conns.v[i].retrans = 0;
		cs->nretx = 0;
	}
	csv_reader_close(&in);
	return r;
}

/* At most this many retransmit marks per flow: more only blot the line out. */
#define RETX_MARKS_PER_FLOW 200

/* The names of the flows, in order of appearance, and each connection's flow. */
struct flow_map {
	struct series_list flows;
	unsigned int *flow_of; /* per connection series */
	unsigned int *ident;   /* series i -> i */
	size_t *conns;	       /* connections with rows, per flow */
};

static void flow_map_free(struct flow_map *fm)
{
	series_list_free(&fm->flows);
	free(fm->flow_of);
	free(fm->ident);
	free(fm->conns);
}

static int flow_map_build(const struct conn_scan *cs, struct flow_map *fm)
{
	size_t n = cs->conns.n;

	memset(fm, 0, sizeof(*fm));
	fm->flow_of = malloc((n ? n : 1) * sizeof(*fm->flow_of));
	fm->ident = malloc((n ? n : 1) * sizeof(*fm->ident));
	fm->conns = calloc(n ? n : 1, sizeof(*fm->conns));
	if (!fm->flow_of || !fm->ident || !fm->conns)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct series *f = series_get(&fm->flows, cs->conns.v[i].flow, NULL);

		if (!f)
			return -ENOMEM;
		fm->flow_of[i] = (unsigned int)(f - fm->flows.v);
		fm->ident[i] = (unsigned int)i;
		if (cs->conns.v[i].rows)
			fm->conns[fm->flow_of[i]]++;
	}
	return 0;
}

/*
 * Writes plots/<chart>.dat and the plot command for the cwnd chart (srtt false) or the srtt
 * chart. Up to per_conn_max connections: a line per connection. Above: per flow, the median
 * over its connections at each sample time (on a grid of the median sample interval) with
 * a 10th-90th percentile band.
 */
static int conn_chart(const char *rundir, const struct conn_scan *cs, bool srtt, char **plots)
{
	const char *chart = srtt ? "srtt" : "cwnd";
	const char *sep = "plot \\\n";
	struct sample *by = NULL, *rby = NULL;
	size_t *first = NULL, *rfirst = NULL, nkeys;
	const unsigned int *key_of;
	struct flow_map fm;
	struct datfile d = {0};
	struct strbuf sb = {0};
	bool per_flow, marks = false;
	double dt_s = 1.0;
	int r;

	*plots = NULL;
	per_flow = cs->per_flow;
	r = flow_map_build(cs, &fm);
	if (r < 0)
		goto out;
	key_of = per_flow ? fm.flow_of : fm.ident;
	nkeys = per_flow ? fm.flows.n : cs->conns.n;
	r = group_by(cs->rows, cs->nrows, nkeys, key_of, &by, &first);
	if (!r && !srtt)
		r = group_by(cs->retx, cs->nretx, nkeys, key_of, &rby, &rfirst);
	if (r < 0)
		goto out;
	if (per_flow) {
		/* The grid: the median sample interval of the first connection. */
		size_t n0 = 0;
		double *t = malloc((cs->nrows ? cs->nrows : 1) * sizeof(*t));

		if (!t) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < cs->nrows; i++)
			if (cs->rows[i].series == 0)
				t[n0++] = cs->rows[i].t_s;
		dt_s = median_step(t, n0);
		free(t);
	}
	r = sb_open(&sb);
	if (r < 0)
		goto out;
	r = dat_open(&d, rundir, chart);
	if (r < 0)
		goto out;

	for (size_t k = 0; k < nkeys; k++) {
		const struct series *s = per_flow ? &fm.flows.v[k] : &cs->conns.v[k];
		size_t n = first[k + 1] - first[k];
		int blk;

		if (!per_flow) {
			size_t m = 0;

			for (size_t i = first[k]; i < first[k + 1]; i++)
				m += !isnan(sample_value(&by[i], srtt));
			if (!m)
				continue; /* a connection seen only in retrans.csv, or no RTT yet */
			blk = dat_block(&d, chart, s->flow, s->conn);
			for (size_t i = first[k]; i < first[k + 1]; i++)
				if (!isnan(sample_value(&by[i], srtt)))
					fprintf(d.f, "%.6f %.6g\n", by[i].t_s,
						(double)sample_value(&by[i], srtt));
			fprintf(sb.f, "%s\tdata index %d using 1:2 with lines lt %d title '", sep,
				blk, series_lt(k));
			gp_quote_inner(sb.f, s->flow);
			fputc('#', sb.f);
			gp_quote_inner(sb.f, s->conn);
			fputc('\'', sb.f);
		} else {
			long lines;

			blk = d.blocks;
			fprintf(d.f, "%s# %s of flow ", d.blocks ? "\n\n" : "", chart);
			put_comment_name(d.f, s->flow);
			fputs(": t median p10 p90 connections\n", d.f);
			lines = flow_bins(d.f, by + first[k], n, srtt, dt_s);
			if (lines < 0) {
				r = -ENOMEM;
				goto out;
			}
			if (lines == 0) {
				/* An empty block would still take an index: leave it a comment. */
				continue;
			}
			d.blocks++;
			fprintf(sb.f,
				"%s\tdata index %d using 1:3:4 with filledcurves lt %d "
				"fs transparent solid 0.2 noborder notitle, \\\n",
				sep, blk, series_lt(k));
			fprintf(sb.f, "\tdata index %d using 1:2 with lines lt %d title '", blk,
				series_lt(k));
			gp_quote_inner(sb.f, s->flow);
			fprintf(sb.f, " (%zu connections)'", fm.conns[k]);
		}
		sep = ", \\\n";
	}
	/* The retransmits, each on the cwnd it had when it happened; per flow evenly thinned. */
	for (size_t k = 0; !srtt && k < nkeys; k++) {
		const struct series *s = per_flow ? &fm.flows.v[k] : &cs->conns.v[k];
		size_t n = rfirst[k + 1] - rfirst[k], keep = n;
		int blk;

		if (!n)
			continue;
		if (per_flow && keep > RETX_MARKS_PER_FLOW)
			keep = RETX_MARKS_PER_FLOW;
		blk = dat_block(&d, "retransmits of", s->flow, per_flow ? NULL : s->conn);
		for (size_t j = 0; j < keep; j++) {
			const struct sample *x = &rby[rfirst[k] + j * n / keep];

			fprintf(d.f, "%.6f %.6g\n", x->t_s, (double)x->v);
		}
		fprintf(sb.f, "%s\tdata index %d using 1:2 with points lt %d pt 7 ps %s notitle",
			sep, blk, series_lt(k), per_flow ? "0.6" : "1.2");
		sep = ", \\\n";
		marks = true;
	}
	if (d.blocks == 0) {
		/* Nothing to draw: the script says so, and there is no data file. */
		fclose(sb.f);
		free(sb.buf);
		r = sb_open(&sb);
		if (r < 0)
			goto out;
		put_no_data(sb.f, "timeline/cwnd.csv");
		fclose(d.f);
		d.f = NULL;
		unlink(d.tmp);
		*plots = sb_close(&sb);
		sb.f = NULL;
		r = *plots ? 0 : -ENOMEM;
		goto out;
	}
	if (per_flow)
		fprintf(sb.f,
			"%s\tkeyentry with filledcurves fc rgb '#BBBBBB' fs solid noborder "
			"title 'p10-p90'",
			sep);
	if (marks)
		fprintf(sb.f, "%s\tkeyentry with points pt 7 ps 1.2 lc rgb 'black' title '%s'", sep,
			per_flow ? "retransmit (some)" : "retransmit");
	fputc('\n', sb.f);
	r = dat_close(&d, 0);
	*plots = sb_close(&sb);
	sb.f = NULL;
	if (!r && !*plots)
		r = -ENOMEM;
out:
	if (d.f)
		dat_close(&d, r ? r : -EIO);
	if (sb.f) {
		fclose(sb.f);
		free(sb.buf);
	}
	if (r < 0) {
		free(*plots);
		*plots = NULL;
	}
	free(by);
	free(rby);
	free(first);
	free(rfirst);
	flow_map_free(&fm);
	return r;
}

/* The setting plots.per_connection_max of the saved config.cfg (docs/config.md). */
#define PER_CONNECTION_MAX_DEFAULT 8

static int read_per_conn_max(const char *rundir)
{
	char path[PATH_MAX];
	int v = PER_CONNECTION_MAX_DEFAULT;
	config_t cfg;

	if (snprintf(path, sizeof(path), "%s/config.cfg", rundir) >= (int)sizeof(path))
		return v;
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE ||
	    config_lookup_int(&cfg, "plots.per_connection_max", &v) != CONFIG_TRUE || v < 1)
		v = PER_CONNECTION_MAX_DEFAULT;
	config_destroy(&cfg);
	return v;
}

/* The setting plots.goodput_window_ms of the saved config.cfg (docs/config.md). */
#define GOODPUT_WINDOW_MS_DEFAULT 100.0

static double read_goodput_window_ms(const char *rundir)
{
	double v = GOODPUT_WINDOW_MS_DEFAULT;
	char path[PATH_MAX];
	long long i;
	config_t cfg;

	if (snprintf(path, sizeof(path), "%s/config.cfg", rundir) >= (int)sizeof(path))
		return v;
	config_init(&cfg);
	if (config_read_file(&cfg, path) == CONFIG_TRUE) {
		if (config_lookup_int64(&cfg, "plots.goodput_window_ms", &i) == CONFIG_TRUE)
			v = (double)i;
		else if (config_lookup_float(&cfg, "plots.goodput_window_ms", &v) != CONFIG_TRUE)
			v = GOODPUT_WINDOW_MS_DEFAULT;
	}
	config_destroy(&cfg);
	return v >= 0 ? v : GOODPUT_WINDOW_MS_DEFAULT;
}

/*
 * The cwnd chart (and the srtt chart when cwnd.csv has srtt_us) from timeline/cwnd.csv,
 * with the retransmits of events/retrans.csv. Returns 1 when there is no cwnd.csv. A broken
 * retrans.csv costs the chart its marks, not the chart: the error is returned after it.
 */
static int chart_cwnd(const char *rundir, struct chart *cwnd, struct chart *srtt)
{
	struct conn_scan cs = {
	    .cols = {{"t_s"}, {"flow"}, {"conn"}, {"cwnd_pkts"}, {"srtt_us", .optional = true}},
	    .rcols = {{"t_s"}, {"flow"}, {"conn"}, {"side"}, {"cwnd_pkts"}},
	};
	struct csv_reader in;
	size_t nconns = 0;
	int r, rr;

	cs.per_conn_max = read_per_conn_max(rundir);
	r = open_results_csv(&in, rundir, "timeline/cwnd.csv");
	if (r)
		return r;
	r = csv_read_header(&in, cs.cols, 5);
	cs.have_srtt = cs.cols[4].idx >= 0;
	if (!r)
		r = read_rows(&in, cwnd_row, &cs);
	csv_reader_close(&in);
	if (r < 0)
		goto out;

	rr = scan_retrans(rundir, &cs);
	if (rr == 1)
		log_info("%s: no events/retrans.csv, so no retransmits on the cwnd chart", rundir);
	else if (rr < 0)
		r = rr;

	for (size_t i = 0; i < cs.conns.n; i++)
		nconns += cs.conns.v[i].rows > 0;
	cs.per_flow = nconns > (size_t)cs.per_conn_max;
	if (cs.per_flow)
		log_info("%s: %zu connections, more than plots.per_connection_max = %d: cwnd and "
			 "srtt drawn per flow",
			 rundir, nconns, cs.per_conn_max);
	cwnd->per = srtt->per = cs.per_flow ? "flow" : "connection";
	rr = conn_chart(rundir, &cs, false, &cwnd->plots);
	if (!rr && cs.have_srtt)
		rr = conn_chart(rundir, &cs, true, &srtt->plots);
	else if (!cs.have_srtt)
		log_info("%s: timeline/cwnd.csv has no srtt_us, no srtt chart", rundir);
	if (rr < 0)
		r = rr;
out:
	free(cs.rows);
	free(cs.retx);
	series_list_free(&cs.conns);
	return r;
}

struct throughput_scan {
	struct series_list flows;
	struct csv_col cols[3];
	struct sample *rows; /* goodput_mbit in .v */
	size_t nrows, cap_rows;
};

static int throughput_row(const struct csv_reader *in, void *arg)
{
	struct throughput_scan *ts = arg;
	struct series *s = series_get(&ts->flows, csv_field(in, ts->cols[1].idx), NULL);
	struct sample smp = {.srtt_ms = NAN};
	double v;

	if (!s)
		return -ENOMEM;
	s->rows++;
	smp.series = (unsigned int)(s - ts->flows.v);
	/* gnuplot skipped a row without a number in either */
	if (!csv_field_double(in, ts->cols[0].idx, &smp.t_s) ||
	    !csv_field_double(in, ts->cols[2].idx, &v))
		return 0;
	smp.v = (float)v;
	return push_sample(&ts->rows, &ts->nrows, &ts->cap_rows, &smp);
}

/* The throughput chart from timeline/throughput.csv, through plots/throughput.dat (a block
 * per flow and one of the total). Returns 1 when there is no such file. */
static int chart_throughput(const char *rundir, struct chart *ch, char *dt_buf, size_t dt_size,
			    char *smooth_buf, size_t smooth_size)
{
	double window_ms = read_goodput_window_ms(rundir);
	size_t w;
	struct throughput_scan ts = {.cols = {{"t_s"}, {"flow"}, {"goodput_mbit"}}};
	struct sample *by = NULL;
	unsigned int *ident = NULL;
	size_t *first = NULL, n0 = 0;
	struct datfile d = {0};
	struct csv_reader in;
	struct strbuf sb = {0};
	double *t = NULL, dt_s;
	const char *sep = "plot \\\n";
	int r;

	r = open_results_csv(&in, rundir, "timeline/throughput.csv");
	if (r)
		return r;
	r = csv_read_header(&in, ts.cols, 3);
	if (!r)
		r = read_rows(&in, throughput_row, &ts);
	csv_reader_close(&in);
	if (r < 0)
		goto out;
	t = malloc((ts.nrows ? ts.nrows : 1) * sizeof(*t));
	ident = malloc((ts.flows.n ? ts.flows.n : 1) * sizeof(*ident));
	if (!t || !ident) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ts.nrows; i++)
		if (ts.rows[i].series == 0)
			t[n0++] = ts.rows[i].t_s;
	dt_s = median_step(t, n0);
	snprintf(dt_buf, dt_size, "%.6g", dt_s);
	ch->dt_s = dt_buf;
	for (size_t i = 0; i < ts.flows.n; i++)
		ident[i] = (unsigned int)i;
	r = group_by(ts.rows, ts.nrows, ts.flows.n, ident, &by, &first);
	if (r < 0)
		goto out;
	/* Each flow's line, and so their total, is the mean over a window centred on each
	 * interval: the raw intervals follow the ACKs' timing (docs/csv-format.md). */
	w = dt_s > 0 ? (size_t)llround(window_ms / 1000 / dt_s) : 1;
	if (w > 1) {
		for (size_t k = 0; k < ts.flows.n; k++)
			smooth_centred(by + first[k], first[k + 1] - first[k], w);
		snprintf(smooth_buf, smooth_size, ", mean over %.6g ms (plots.goodput_window_ms)",
			 (double)w * dt_s * 1000);
	} else {
		snprintf(smooth_buf, smooth_size, ", per %.6g ms interval", dt_s * 1000);
	}
	ch->smooth = smooth_buf;
	r = sb_open(&sb);
	if (r < 0)
		goto out;
	if (ts.nrows == 0) {
		put_no_data(sb.f, "timeline/throughput.csv");
		goto done;
	}
	r = dat_open(&d, rundir, "throughput");
	if (r < 0)
		goto out;
	for (size_t k = 0; k < ts.flows.n; k++) {
		int blk;

		if (first[k + 1] == first[k])
			continue;
		blk = dat_block(&d, "goodput of", ts.flows.v[k].flow, NULL);
		for (size_t i = first[k]; i < first[k + 1]; i++)
			fprintf(d.f, "%.6f %.6g\n", by[i].t_s, (double)by[i].v);
		fprintf(sb.f, "%s\tdata index %d using 1:2 with lines lt %d title '", sep, blk,
			series_lt(k));
		gp_quote_inner(sb.f, ts.flows.v[k].flow);
		fputc('\'', sb.f);
		sep = ", \\\n";
	}
	/* With one flow the sum is that flow again: a second line on top of it. */
	if (d.blocks > 1) {
		int blk = dat_block(&d, "total of all flows", NULL, NULL);

		r = write_total(d.f, by, ts.nrows, dt_s);
		if (r < 0)
			goto out;
		fprintf(sb.f,
			"%s\tdata index %d using 1:2 with lines lc rgb 'black' lw 2 dt (10,5) "
			"title 'total'",
			sep, blk);
	}
	fputc('\n', sb.f);
	r = dat_close(&d, 0);
	if (r < 0)
		goto out;
done:
	ch->plots = sb_close(&sb);
	sb.f = NULL;
	if (!ch->plots)
		r = -ENOMEM;
out:
	if (d.f)
		dat_close(&d, r ? r : -EIO);
	if (sb.f) {
		fclose(sb.f);
		free(sb.buf);
	}
	free(t);
	free(ident);
	free(by);
	free(first);
	free(ts.rows);
	series_list_free(&ts.flows);
	return r;
}

/* The experiment's name from the saved config.cfg, else from the folder's place
 * (results/<name>/<run-id>); the run id is the folder's own name. */
static int get_run_names(const char *rundir, struct run_names *rn)
{
	char *real = realpath(rundir, NULL);
	char cfg_path[PATH_MAX];
	const char *cfg_name;
	config_t cfg;
	char *slash;

	if (!real)
		return log_err_errno(-errno, "results folder %s", rundir);
	slash = strrchr(real, '/');
	snprintf(rn->run, sizeof(rn->run), "%s", slash && slash[1] ? slash + 1 : real);
	if (slash && slash != real) {
		*slash = '\0';
		slash = strrchr(real, '/');
		snprintf(rn->name, sizeof(rn->name), "%s", slash ? slash + 1 : real);
	} else {
		snprintf(rn->name, sizeof(rn->name), "ccexp");
	}
	free(real);
	snprintf(cfg_path, sizeof(cfg_path), "%s/config.cfg", rundir);
	config_init(&cfg);
	if (config_read_file(&cfg, cfg_path) == CONFIG_TRUE &&
	    config_lookup_string(&cfg, "experiment.name", &cfg_name) == CONFIG_TRUE)
		snprintf(rn->name, sizeof(rn->name), "%s", cfg_name);
	config_destroy(&cfg);
	rn->name_q = quote_dup(rn->name);
	rn->run_q = quote_dup(rn->run);
	if (!rn->name_q || !rn->run_q)
		return -ENOMEM;
	return 0;
}

bool plot_report_failed(const struct plot_report *rep)
{
	for (int i = 0; i < rep->n; i++)
		if (!rep->chart[i].drawn)
			return true;
	return false;
}

int plot_run_dir(const char *rundir, bool render)
{
	struct plot_report rep;

	return plot_run_dir_report(rundir, render, &rep);
}

/* Notes a chart that will not be drawn. */
static void report_fail(struct plot_report *rep, const char *chart, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report_fail(struct plot_report *rep, const char *chart, const char *fmt, ...)
{
	struct plot_chart *pc;
	va_list ap;

	if (rep->n == PLOT_MAX_CHARTS)
		return;
	pc = &rep->chart[rep->n++];
	snprintf(pc->name, sizeof(pc->name), "%s", chart);
	pc->drawn = false;
	va_start(ap, fmt);
	vsnprintf(pc->reason, sizeof(pc->reason), fmt, ap);
	va_end(ap);
}

int plot_run_dir_report(const char *rundir, bool render, struct plot_report *rep)
{
	struct chart charts[] = {
	    {.name = "throughput", .tpl = ccx_plot_tpl_throughput},
	    {.name = "cwnd", .tpl = ccx_plot_tpl_cwnd},
	    {.name = "srtt", .tpl = ccx_plot_tpl_srtt},
	    {.name = "limits", .tpl = ccx_plot_tpl_limits},
	};
	const size_t ncharts = sizeof(charts) / sizeof(charts[0]);
	struct run_names rn = {0};
	char dir[PATH_MAX], dt_buf[32], smooth_buf[96], gnuplot[PATH_MAX];
	struct gnuplot_job jobs[sizeof(charts) / sizeof(charts[0])];
	int r, ret = 0, started[sizeof(charts) / sizeof(charts[0])];

	rep->n = 0;
	r = get_run_names(rundir, &rn);
	if (r < 0)
		goto out;
	if (snprintf(dir, sizeof(dir), "%s/plots", rundir) >= (int)sizeof(dir)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = log_err_errno(-errno, "create %s", dir);
		goto out;
	}

	/* A chart whose CSV is missing is skipped (r == 1); a broken CSV is an error, but the
	 * other charts are still drawn. */
	r = chart_throughput(rundir, &charts[0], dt_buf, sizeof(dt_buf), smooth_buf,
			     sizeof(smooth_buf));
	if (r == 1)
		log_info("%s: no timeline/throughput.csv, no throughput chart", rundir);
	else if (r < 0)
		report_fail(rep, "throughput", "timeline/throughput.csv: %s", strerror(-r));
	if (r < 0)
		ret = ret ?: r;
	r = chart_cwnd(rundir, &charts[1], &charts[2]);
	if (r == 1)
		log_info("%s: no timeline/cwnd.csv, no cwnd and srtt charts", rundir);
	else if (r < 0)
		report_fail(rep, "cwnd", "timeline/cwnd.csv: %s", strerror(-r));
	if (r < 0)
		ret = ret ?: r;
	r = chart_limits(rundir, &charts[3].plots);
	if (r == 1)
		log_info("%s: timeline/cwnd.csv has no chrono columns, no limits chart", rundir);
	else if (r < 0)
		report_fail(rep, "limits", "timeline/cwnd.csv: %s", strerror(-r));
	if (r < 0)
		ret = ret ?: r;

	for (size_t i = 0; i < ncharts; i++) {
		if (!charts[i].plots)
			continue;
		r = write_script(rundir, &rn, &charts[i]);
		if (r < 0) {
			ret = ret ?: r;
			report_fail(rep, charts[i].name, "write plots/%s.gp: %s", charts[i].name,
				    strerror(-r));
			free(charts[i].plots);
			charts[i].plots = NULL;
		}
	}
	r = 0;
	if (!render)
		goto out;
	if (gnuplot_find("gnuplot", gnuplot, sizeof(gnuplot)) < 0) {
		log_err("gnuplot is not on PATH: the scripts are in %s/plots; install gnuplot "
			"(Debian/Ubuntu: apt install gnuplot-nox) and run `ccexp plot %s` again",
			rundir, rundir);
		for (size_t i = 0; i < ncharts; i++)
			if (charts[i].plots)
				report_fail(rep, charts[i].name, "gnuplot is not on PATH");
		r = -ENOENT;
		goto out;
	}
	/* All charts' gnuplots at once: drawing the PNGs is most of a run's chart time, and
	 * each is a process of its own. */
	for (size_t i = 0; i < ncharts; i++)
		if (charts[i].plots)
			started[i] = gnuplot_start(&jobs[i], gnuplot, rundir, charts[i].name);
	for (size_t i = 0; i < ncharts; i++) {
		char why[256] = "";

		if (!charts[i].plots)
			continue;
		if (started[i] < 0) {
			r = started[i];
			snprintf(why, sizeof(why), "start gnuplot: %s", strerror(-r));
		} else {
			r = gnuplot_finish(&jobs[i], why, sizeof(why));
		}
		if (r < 0) {
			char png[PATH_MAX];

			ret = ret ?: r;
			report_fail(rep, charts[i].name, "%s", why);
			/* What a failed gnuplot left is no chart: an empty or cut file would pass
			 * for one (and it takes the space a full disk needs for meta.json). */
			if (snprintf(png, sizeof(png), "%s/plots/%s.png", rundir, charts[i].name) <
			    (int)sizeof(png))
				unlink(png);
		} else if (rep->n < PLOT_MAX_CHARTS) {
			struct plot_chart *pc = &rep->chart[rep->n++];

			snprintf(pc->name, sizeof(pc->name), "%s", charts[i].name);
			pc->drawn = true;
			pc->reason[0] = '\0';
		}
	}
	r = 0;
out:
	/* A failure before any chart could be tried still leaves a chart missing. */
	if ((ret ?: r) < 0 && !plot_report_failed(rep))
		report_fail(rep, "all", "%s", strerror(-(ret ?: r)));
	for (size_t i = 0; i < ncharts; i++)
		free(charts[i].plots);
	free(rn.name_q);
	free(rn.run_q);
	return ret ?: r;
}
