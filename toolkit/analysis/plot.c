/* `ccexp plot`: gnuplot scripts and charts for a results folder, from its saved CSV files. */
#include "analysis/plot.h"

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
#include "core/csv.h"
#include "core/log.h"

/* Generated from the templates plots/NAME.gp.in by plots/embed_templates.py. */
extern const char ccx_plot_tpl_style[];
extern const char ccx_plot_tpl_throughput[];
extern const char ccx_plot_tpl_cwnd[];
extern const char ccx_plot_tpl_srtt[];

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
};

static void series_list_free(struct series_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].flow);
		free(l->v[i].conn);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * gnuplot 5.4 cannot select rows by a name with a comma or a double quote (strcol() stops
 * at them even in a quoted CSV field), nor by one with leading blanks (it drops them).
 */
static bool gnuplot_can_match(const char *s)
{
	if (*s == ' ' || *s == '\t')
		return false;
	for (; *s; s++)
		if (*s == ',' || *s == '"' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* Finds the series, or appends it: charts list series in their order of first appearance. */
static struct series *series_get(struct series_list *l, const char *flow, const char *conn)
{
	struct series *s;

	for (size_t i = 0; i < l->n; i++) {
		s = &l->v[i];
		if (strcmp(s->flow, flow) == 0 && (!conn || strcmp(s->conn, conn) == 0))
			return s;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct series *p = realloc(l->v, cap * sizeof(*p));

		if (!p)
			return NULL;
		l->v = p;
		l->cap = cap;
	}
	s = &l->v[l->n];
	memset(s, 0, sizeof(*s));
	s->flow = strdup(flow);
	s->conn = conn ? strdup(conn) : NULL;
	if (!s->flow || (conn && !s->conn)) {
		free(s->flow);
		free(s->conn);
		return NULL;
	}
	if (!gnuplot_can_match(flow) || (conn && !gnuplot_can_match(conn)))
		log_err("warning: gnuplot cannot pick out the rows of flow \"%s\"%s%s: it will be "
			"missing from the chart (avoid commas, double quotes and leading blanks "
			"in flow names)",
			flow, conn ? " connection " : "", conn ? conn : "");
	l->n++;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median step between the first flow's sample times: its sample interval. */
static double median_step(double *t, size_t n)
{
	size_t m = 0;

	for (size_t i = 1; i < n; i++)
		if (t[i] > t[i - 1])
			t[m++] = t[i] - t[i - 1];
	if (m == 0)
		return 1.0;
	qsort(t, m, sizeof(*t), cmp_double);
	return t[m / 2];
}

/* Writes `s` as the inside of a single-quoted gnuplot string. */
static void gp_quote_inner(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("''", f);
		else if ((unsigned char)*s < 0x20)
			fputc('?', f); /* a newline would end the command */
		else
			fputc(*s, f);
	}
}

static void gp_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	gp_quote_inner(f, s);
	fputc('\'', f);
}

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
	    {"@STYLE@", ccx_plot_tpl_style},	   {"@NAME@", rn->name_q}, {"@RUN@", rn->run_q},
	    {"@DT_S@", ch->dt_s ? ch->dt_s : "1"}, {"@PLOTS@", ch->plots},
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

/*
 * How a script names a data file's rows: "data", or "data every ::0::N" when the file ends
 * in a row its writer was stopped in the middle of (csv_reader leaves it out, and so must
 * gnuplot, which reads the file itself; `every` counts data rows from 0).
 */
static void data_rows(char *buf, size_t len, const char *var, const struct csv_reader *in,
		      unsigned long whole_rows)
{
	if (in->cut_rows && whole_rows)
		snprintf(buf, len, "%s every ::0::%lu", var, whole_rows - 1);
	else /* without whole rows there is nothing of the file to plot */
		snprintf(buf, len, "%s", var);
}

struct throughput_scan {
	struct series_list flows;
	struct csv_col cols[3];
	double *t; /* the first flow's sample times */
	size_t nt, cap_t;
	unsigned long rows;
	char data[48]; /* "data", with `every` when the last row was cut */
};

static int throughput_row(const struct csv_reader *in, void *arg)
{
	struct throughput_scan *ts = arg;
	struct series *s = series_get(&ts->flows, csv_field(in, ts->cols[1].idx), NULL);
	double v;

	if (!s)
		return -ENOMEM;
	s->rows++;
	ts->rows++;
	if (s != ts->flows.v || !csv_field_double(in, ts->cols[0].idx, &v))
		return 0;
	if (ts->nt == ts->cap_t) {
		size_t cap = ts->cap_t ? 2 * ts->cap_t : 1024;
		double *p = realloc(ts->t, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ts->t = p;
		ts->cap_t = cap;
	}
	ts->t[ts->nt++] = v;
	return 0;
}

/* The throughput chart from timeline/throughput.csv. Returns 1 when there is no such file. */
static int chart_throughput(const char *rundir, struct chart *ch, char *dt_buf, size_t dt_size)
{
	struct throughput_scan ts = {.cols = {{"t_s"}, {"flow"}, {"goodput_mbit"}}};
	struct csv_reader in;
	struct strbuf sb;
	int r;

	r = open_results_csv(&in, rundir, "timeline/throughput.csv");
	if (r)
		return r;
	r = csv_read_header(&in, ts.cols, 3);
	if (!r)
		r = read_rows(&in, throughput_row, &ts);
	if (r < 0)
		goto out;
	data_rows(ts.data, sizeof(ts.data), "data", &in, ts.rows);
	snprintf(dt_buf, dt_size, "%.6g", median_step(ts.t, ts.nt));
	ch->dt_s = dt_buf;

	r = sb_open(&sb);
	if (r < 0)
		goto out;
	if (ts.flows.n == 0) {
		put_no_data(sb.f, "timeline/throughput.csv");
	} else {
		fputs("plot \\\n", sb.f);
		for (size_t i = 0; i < ts.flows.n; i++) {
			fprintf(sb.f, "\t%s using 't_s':(goodput(", ts.data);
			gp_quote(sb.f, ts.flows.v[i].flow);
			fprintf(sb.f, ")) with lines lt %d title ", series_lt(i));
			gp_quote(sb.f, ts.flows.v[i].flow);
			fputs(ts.flows.n > 1 ? ", \\\n" : "\n", sb.f);
		}
		/* With one flow the sum is that flow again: a second line on top of it. */
		if (ts.flows.n > 1)
			fprintf(sb.f,
				"\t%s using (interval(column('t_s'))):'goodput_mbit' smooth "
				"frequency \\\n\t\twith lines lc rgb 'black' lw 2 dt (10,5) "
				"title 'total'\n",
				ts.data);
	}
	ch->plots = sb_close(&sb);
	if (!ch->plots)
		r = -ENOMEM;
out:
	free(ts.t);
	series_list_free(&ts.flows);
	csv_reader_close(&in);
	return r;
}

struct conn_scan {
	struct series_list conns;
	struct csv_col cols[5];	 /* cwnd.csv columns */
	struct csv_col rcols[5]; /* retrans.csv columns */
	bool have_srtt;		 /* cwnd.csv has an srtt_us column */
	unsigned long rows;	 /* cwnd.csv rows */
	unsigned long retrans;	 /* sender retransmits in retrans.csv */
	unsigned long rrows;	 /* retrans.csv rows, both sides */
	char data[48];		 /* cwnd.csv rows as the script names them (data_rows) */
	char rdata[48];		 /* retrans.csv rows */
};

static int cwnd_row(const struct csv_reader *in, void *arg)
{
	struct conn_scan *cs = arg;
	struct series *s;

	s = series_get(&cs->conns, csv_field(in, cs->cols[1].idx), csv_field(in, cs->cols[2].idx));
	if (!s)
		return -ENOMEM;
	s->rows++;
	cs->rows++;
	return 0;
}

static int retrans_row(const struct csv_reader *in, void *arg)
{
	struct conn_scan *cs = arg;
	struct series *s;

	cs->rrows++;
	/* The receiver's retransmits (its SYN-ACKs, say) are not on the sender's cwnd. */
	if (strcmp(csv_field(in, cs->rcols[3].idx), "sender") != 0)
		return 0;
	s = series_get(&cs->conns, csv_field(in, cs->rcols[1].idx),
		       csv_field(in, cs->rcols[2].idx));
	if (!s)
		return -ENOMEM;
	s->retrans++;
	cs->retrans++;
	return 0;
}

/* Counts the sender retransmits of events/retrans.csv per connection. Returns 1 without
 * the file, or -errno with no marks counted. */
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
	data_rows(cs->rdata, sizeof(cs->rdata), "retrans", &in, cs->rrows);
	if (r < 0) {
		for (size_t i = 0; i < cs->conns.n; i++)
			cs->conns.v[i].retrans = 0;
		cs->retrans = 0;
	}
	csv_reader_close(&in);
	return r;
}

/* One line per connection that has cwnd.csv rows, drawn by the script's function `fn`. */
static void plot_conn_line(FILE *f, const char **sep, const struct conn_scan *cs, size_t i,
			   const char *fn)
{
	const struct series *s = &cs->conns.v[i];

	fprintf(f, "%s\t%s using 't_s':(%s(", *sep, cs->data, fn);
	gp_quote(f, s->flow);
	fputs(", ", f);
	gp_quote(f, s->conn);
	fprintf(f, ")) with lines lt %d title '", series_lt(i));
	gp_quote_inner(f, s->flow);
	fputc('#', f);
	gp_quote_inner(f, s->conn);
	fputc('\'', f);
	*sep = ", \\\n";
}

static char *cwnd_plots(const struct conn_scan *cs)
{
	const char *sep = "plot \\\n";
	struct strbuf sb;

	if (sb_open(&sb) < 0)
		return NULL;
	if (cs->rows == 0 && cs->retrans == 0) {
		put_no_data(sb.f, "timeline/cwnd.csv");
		return sb_close(&sb);
	}
	for (size_t i = 0; i < cs->conns.n; i++) {
		const struct series *s = &cs->conns.v[i];

		/* A connection seen only in retrans.csv gets its marks but no line. */
		if (s->rows)
			plot_conn_line(sb.f, &sep, cs, i, "cwnd");
		if (!s->retrans)
			continue;
		fprintf(sb.f, "%s\t%s using 't_s':(retx(", sep, cs->rdata);
		gp_quote(sb.f, s->flow);
		fputs(", ", sb.f);
		gp_quote(sb.f, s->conn);
		fprintf(sb.f, ")) with points lt %d pt 7 ps 1.2 notitle", series_lt(i));
		sep = ", \\\n";
	}
	if (cs->retrans)
		fprintf(sb.f,
			"%s\tkeyentry with points pt 7 ps 1.2 lc rgb 'black' "
			"title 'retransmit'",
			sep);
	fputc('\n', sb.f);
	return sb_close(&sb);
}

static char *srtt_plots(const struct conn_scan *cs)
{
	const char *sep = "plot \\\n";
	struct strbuf sb;

	if (sb_open(&sb) < 0)
		return NULL;
	if (cs->rows == 0) {
		put_no_data(sb.f, "timeline/cwnd.csv");
		return sb_close(&sb);
	}
	for (size_t i = 0; i < cs->conns.n; i++)
		if (cs->conns.v[i].rows)
			plot_conn_line(sb.f, &sep, cs, i, "srtt_ms");
	fputc('\n', sb.f);
	return sb_close(&sb);
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
	int r, rr;

	r = open_results_csv(&in, rundir, "timeline/cwnd.csv");
	if (r)
		return r;
	r = csv_read_header(&in, cs.cols, 5);
	cs.have_srtt = cs.cols[4].idx >= 0;
	if (!r)
		r = read_rows(&in, cwnd_row, &cs);
	data_rows(cs.data, sizeof(cs.data), "data", &in, cs.rows);
	csv_reader_close(&in);
	if (r < 0)
		goto out;

	rr = scan_retrans(rundir, &cs);
	if (rr == 1)
		log_info("%s: no events/retrans.csv, so no retransmits on the cwnd chart", rundir);
	else if (rr < 0)
		r = rr;

	cwnd->plots = cwnd_plots(&cs);
	if (cs.have_srtt)
		srtt->plots = srtt_plots(&cs);
	else
		log_info("%s: timeline/cwnd.csv has no srtt_us, no srtt chart", rundir);
	if (!cwnd->plots || (cs.have_srtt && !srtt->plots))
		r = -ENOMEM;
out:
	series_list_free(&cs.conns);
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
	};
	const size_t ncharts = sizeof(charts) / sizeof(charts[0]);
	struct run_names rn = {0};
	char dir[PATH_MAX], dt_buf[32], gnuplot[PATH_MAX];
	int r, ret = 0;

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
	r = chart_throughput(rundir, &charts[0], dt_buf, sizeof(dt_buf));
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
	for (size_t i = 0; i < ncharts; i++) {
		char why[256] = "";

		if (!charts[i].plots)
			continue;
		r = gnuplot_render(gnuplot, rundir, charts[i].name, why, sizeof(why));
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
