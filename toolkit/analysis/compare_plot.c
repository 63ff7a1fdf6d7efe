/* The charts of `ccexp compare`: gnuplot scripts and data from compare.csv, groups.csv, runs.csv.
 */
#include "analysis/compare_plot.h"

#include <errno.h>
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
#include "core/summary_stats.h"

extern const char ccx_plot_tpl_style[];

/* The time-series chart's grid: fine enough for a slow start, coarse enough to hold several
 * samples of every run (ccexp samples at 10-20 ms by default). */
#define SERIES_BIN_S 0.1
/* Points per group on the CDF: more is invisible at any print size. */
#define CDF_POINTS     500
#define ELLIPSE_POINTS 72

/* A CSV file read whole: the header and every cell, cell(r, c) = cells[r * ncols + c]. */
struct table {
	char path[PATH_MAX];
	char **hdr;
	int ncols;
	char **cells;
	size_t nrows, cap;
	unsigned long *line; /* each row's line in the file, for messages */
};

static void table_free(struct table *t)
{
	for (int c = 0; c < t->ncols; c++)
		free(t->hdr[c]);
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->hdr);
	free(t->cells);
	free(t->line);
	memset(t, 0, sizeof(*t));
}

static const char *cell(const struct table *t, size_t r, int c)
{
	return c < 0 ? "" : t->cells[r * (size_t)t->ncols + (size_t)c];
}

static int col(const struct table *t, const char *name)
{
	for (int c = 0; c < t->ncols; c++)
		if (!strcmp(t->hdr[c], name))
			return c;
	return -1;
}

/* Reads dir/name whole; -errno (logged) when it is missing, has no header or lacks one of
 * the NULL-terminated columns `need`. */
static int table_read(struct table *t, const char *dir, const char *name, const char *const *need)
{
	struct csv_reader in;
	int r;

	memset(t, 0, sizeof(*t));
	if (snprintf(t->path, sizeof(t->path), "%s/%s", dir, name) >= (int)sizeof(t->path))
		return log_err_errno(-ENAMETOOLONG, "%s/%s", dir, name);
	r = csv_reader_open(&in, t->path);
	if (r < 0)
		return log_err_errno(r, "open %s", t->path);
	r = csv_read_header(&in, NULL, 0);
	if (r < 0)
		goto out;
	t->ncols = in.nfields;
	t->hdr = calloc((size_t)t->ncols, sizeof(*t->hdr));
	for (int c = 0; t->hdr && c < t->ncols; c++)
		if (!(t->hdr[c] = strdup(csv_field(&in, c))))
			r = -ENOMEM;
	if (!t->hdr)
		r = -ENOMEM;
	for (; need && *need && !r; need++)
		if (col(t, *need) < 0) {
			log_err("%s:1: no column '%s' in the header", t->path, *need);
			r = -EINVAL;
		}
	while (!r && (r = csv_next_row(&in)) == 1) {
		r = 0;
		if (t->nrows == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 64;
			char **cells = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*cells));
			unsigned long *line = cells ? realloc(t->line, cap * sizeof(*line)) : NULL;

			if (cells)
				t->cells = cells;
			if (!line) {
				r = -ENOMEM;
				break;
			}
			t->line = line;
			t->cap = cap;
		}
		t->line[t->nrows] = in.line;
		for (int c = 0; c < t->ncols; c++) {
			char *s = strdup(csv_field(&in, c));

			t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = s;
			if (!s)
				r = -ENOMEM;
		}
		t->nrows++;
	}
out:
	csv_reader_close(&in);
	return r < 0 ? r : 0;
}

static bool parse_num(const char *s, double *v)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !*end && !errno && isfinite(*v);
}

struct group {
	bool known;   /* in groups.csv or runs.csv */
	char **vals;  /* the varied settings' values */
	char *label;  /* "setting=value, ..." */
	size_t nruns; /* included runs */
};

struct run {
	char *path; /* as runs.csv gives it, made absolute against outdir */
	int group;
};

struct cmp {
	char dir[PATH_MAX]; /* outdir/charts */
	struct table runs, groups, compare;
	int set0, nset; /* groups.csv: the settings' first column and count */
	struct group *g;
	int ngroups;
	struct run *r;
	size_t nruns;
};

static void cmp_free(struct cmp *c)
{
	for (int i = 0; i < c->ngroups; i++) {
		free(c->g[i].vals);
		free(c->g[i].label);
	}
	for (size_t i = 0; i < c->nruns; i++)
		free(c->r[i].path);
	free(c->g);
	free(c->r);
	table_free(&c->runs);
	table_free(&c->groups);
	table_free(&c->compare);
}

/* A group id of a row: a small integer below the limit, else a logged -EINVAL. */
static int group_id(const struct table *t, size_t row, int gcol)
{
	char *end;
	long v = strtol(cell(t, row, gcol), &end, 10);

	if (*end || end == cell(t, row, gcol) || v < 0 || v > 100000) {
		log_err("%s:%lu: group '%s' is not a group number", t->path, t->line[row],
			cell(t, row, gcol));
		return -EINVAL;
	}
	return (int)v;
}

/* Reads the three files and finds the groups, their settings and their included runs. */
static int cmp_load(struct cmp *c, const char *outdir)
{
	static const char *const need_runs[] = {"run", "group", "repeat", "included", NULL};
	static const char *const need_groups[] = {"group", "scope",    "flow",	    "metric", "n",
						  "mean",  "ci95_low", "ci95_high", NULL};
	static const char *const need_cmp[] = {"run",	 "group", "scope", "flow",
					       "metric", "value", NULL};
	int r, gcol, scope, rgcol, inc, runcol;

	r = table_read(&c->runs, outdir, "runs.csv", need_runs);
	if (!r)
		r = table_read(&c->groups, outdir, "groups.csv", need_groups);
	if (!r)
		r = table_read(&c->compare, outdir, "compare.csv", need_cmp);
	if (r < 0)
		return r;
	gcol = col(&c->groups, "group");
	scope = col(&c->groups, "scope");
	if (scope < gcol) {
		log_err("%s:1: the settings go between 'group' and 'scope'", c->groups.path);
		return -EINVAL;
	}
	c->set0 = gcol + 1;
	c->nset = scope - gcol - 1;
	for (size_t i = 0; i < c->groups.nrows + c->runs.nrows; i++) {
		bool in_groups = i < c->groups.nrows;
		const struct table *t = in_groups ? &c->groups : &c->runs;
		size_t row = in_groups ? i : i - c->groups.nrows;
		int id = group_id(t, row, col(t, "group"));

		if (id < 0)
			return id;
		if (id >= c->ngroups) {
			struct group *g = realloc(c->g, (size_t)(id + 1) * sizeof(*g));

			if (!g)
				return -ENOMEM;
			memset(g + c->ngroups, 0, (size_t)(id + 1 - c->ngroups) * sizeof(*g));
			c->g = g;
			c->ngroups = id + 1;
		}
		if (!c->g[id].known) {
			struct group *g = &c->g[id];
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);

			g->vals = calloc((size_t)c->nset + 1, sizeof(*g->vals));
			if (!f || !g->vals) {
				if (f)
					fclose(f);
				return -ENOMEM;
			}
			for (int s = 0; s < c->nset; s++) {
				const char *name = c->groups.hdr[c->set0 + s];

				/* runs.csv names the same settings: take them by name. */
				g->vals[s] = (char *)cell(t, row, col(t, name));
				fprintf(f, "%s%s=%s", s ? ", " : "", name, g->vals[s]);
			}
			if (fclose(f) != 0)
				return -ENOMEM;
			g->label = buf;
			g->known = true;
		}
	}
	rgcol = col(&c->runs, "group");
	inc = col(&c->runs, "included");
	runcol = col(&c->runs, "run");
	c->r = calloc(c->runs.nrows + 1, sizeof(*c->r));
	if (!c->r)
		return -ENOMEM;
	for (size_t i = 0; i < c->runs.nrows; i++) {
		const char *p = cell(&c->runs, i, runcol);
		struct run *run = &c->r[c->nruns];

		if (strcmp(cell(&c->runs, i, inc), "1") != 0)
			continue;
		run->group = group_id(&c->runs, i, rgcol);
		if (p[0] == '/')
			run->path = strdup(p);
		else if (asprintf(&run->path, "%s/%s", outdir, p) < 0)
			run->path = NULL;
		if (!run->path)
			return -ENOMEM;
		c->g[run->group].nruns++;
		c->nruns++;
	}
	return 0;
}

/* Writes `s` as the inside of a quoted gnuplot string: single quotes double, double quotes
 * need backslashes; a control character would end the command. */
static void put_q(FILE *f, const char *s, char quote)
{
	for (; *s; s++) {
		if (*s == quote)
			fputs(quote == '\'' ? "''" : "\\\"", f);
		else if (quote == '"' && *s == '\\')
			fputs("\\\\", f);
		else
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
	}
}

/* A chart being written: its script and its data, each through a temporary file. */
struct gpout {
	const char *name;
	FILE *gp, *dat;
	char gp_path[PATH_MAX], gp_tmp[PATH_MAX + 4], dat_path[PATH_MAX], dat_tmp[PATH_MAX + 4];
	int blocks;
};

/* Opens charts/<name>.gp and .dat and writes the script's head: a loop over the formats
 * whose body, the chart, follows; size in pixels for png/svg. */
static int gp_begin(const struct cmp *c, struct gpout *o, const char *name, const char *what, int w,
		    int h, const char *formats)
{
	memset(o, 0, sizeof(*o));
	o->name = name;
	snprintf(o->gp_path, sizeof(o->gp_path), "%s/%s.gp", c->dir, name);
	snprintf(o->dat_path, sizeof(o->dat_path), "%s/%s.dat", c->dir, name);
	snprintf(o->gp_tmp, sizeof(o->gp_tmp), "%s.tmp", o->gp_path);
	snprintf(o->dat_tmp, sizeof(o->dat_tmp), "%s.tmp", o->dat_path);
	o->gp = fopen(o->gp_tmp, "we");
	o->dat = o->gp ? fopen(o->dat_tmp, "we") : NULL;
	if (!o->dat) {
		int r = -errno;

		if (o->gp) {
			fclose(o->gp);
			unlink(o->gp_tmp);
		}
		return log_err_errno(r, "create %s", o->gp ? o->dat_tmp : o->gp_tmp);
	}
	fprintf(
	    o->gp,
	    "# ccexp compare chart: %s\n"
	    "# Written by `ccexp compare` from compare.csv, groups.csv, runs.csv and the run\n"
	    "# folders runs.csv names; the series are in %s.dat, one data block each (named by\n"
	    "# its comment line, picked by `index N`). Edit freely, then draw again with\n"
	    "#\tcd CHARTS_FOLDER && gnuplot %s.gp\n"
	    "# `formats` chooses the files: any of png svg pdf.\n"
	    "formats = '%s'\n"
	    "do for [fmt in formats] {\n"
	    "if (fmt eq 'png') { set terminal pngcairo size %d,%d font 'Sans,14' linewidth 1.5 "
	    "noenhanced }\n"
	    "if (fmt eq 'svg') { set terminal svg size %d,%d dynamic font 'Sans,14' linewidth "
	    "1.5 noenhanced }\n"
	    "if (fmt eq 'pdf') { set terminal pdfcairo size %.2fin,%.2fin font 'Sans,10' "
	    "linewidth 1.5 noenhanced }\n"
	    "set output '%s.'.fmt\n"
	    "reset\n"
	    "%s\n"
	    "set datafile separator whitespace\n"
	    "set key below horizontal center Left reverse maxcols 2\n"
	    "data = '%s.dat'\n",
	    what, name, name, formats, w, h, w, h, w / 160.0, h / 160.0, name, ccx_plot_tpl_style,
	    name);
	return 0;
}

/* Starts a data block with a comment line naming it; returns its index. */
static int gp_block(struct gpout *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int gp_block(struct gpout *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(o->dat, "%s# %s\n", o->blocks ? "\n\n" : "", buf);
	return o->blocks++;
}

/* Ends the script and puts both files in place, or removes them when r < 0. */
static int gp_end(struct gpout *o, int r)
{
	if (!o->gp)
		return r;
	fputs("unset output\n}\n", o->gp);
	if (!r && (fflush(o->gp) || fflush(o->dat)))
		r = -errno;
	if (!r && (ferror(o->gp) || ferror(o->dat)))
		r = -EIO;
	if (fclose(o->gp) && !r)
		r = -errno;
	if (fclose(o->dat) && !r)
		r = -errno;
	o->gp = o->dat = NULL;
	if (!r && (rename(o->dat_tmp, o->dat_path) || rename(o->gp_tmp, o->gp_path)))
		r = -errno;
	if (r < 0) {
		unlink(o->gp_tmp);
		unlink(o->dat_tmp);
		log_err_errno(r, "write %s", o->gp_path);
	}
	return r;
}

/* Where a series goes in a list of labels: its index, added when new (-ENOMEM). */
static int label_index(char ***v, size_t *n, const char *label)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], label))
			return (int)i;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(label)))
		return -ENOMEM;
	return (int)(*n)++;
}

static void labels_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int lt(size_t i)
{
	return (int)(i % 16) + 1;
}

struct mpoint {
	int line;
	double x, mean, lo, hi;
	long n;
};

static int mpoint_cmp(const void *a, const void *b)
{
	const struct mpoint *p = a, *q = b;

	if (p->line != q->line)
		return p->line - q->line;
	return (p->x > q->x) - (p->x < q->x);
}

/* The first point after the line of p[i]. */
static size_t j_end(const struct mpoint *p, size_t np, size_t i)
{
	size_t j = i;

	while (j < np && p[j].line == p[i].line)
		j++;
	return j;
}

/*
 * Chart 1: a metric of each flow against the first varied setting whose values are all
 * numbers (else the first setting, its values in order as categories): the mean over the
 * group's runs with its 95% interval from groups.csv, one line per value of the other
 * settings and flow, each point labelled with its n. Returns 1 when there is nothing to draw.
 */
static int chart_metric(const struct cmp *c, const char *name, const char *metric,
			const char *ylabel, const char *formats)
{
	const struct table *t = &c->groups;
	int cs = col(t, "scope"), cf = col(t, "flow"), cm = col(t, "metric"), cn = col(t, "n"),
	    cmean = col(t, "mean"), clo = col(t, "ci95_low"), chi = col(t, "ci95_high");
	int xs = -1, r = 0;
	double dodge;
	char **lines = NULL, **cats = NULL;
	size_t nlines = 0, ncats = 0, np = 0;
	struct mpoint *p = NULL;
	struct gpout o = {0};
	const char *sep = "plot \\\n";

	if (c->nset == 0)
		return 1;
	for (int s = 0; s < c->nset && xs < 0; s++) {
		bool num = true;
		double v;

		for (int g = 0; g < c->ngroups; g++)
			if (c->g[g].known && !parse_num(c->g[g].vals[s], &v))
				num = false;
		if (num)
			xs = s;
	}
	p = calloc(t->nrows + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++) {
		char *label = NULL;
		size_t len = 0;
		FILE *f;
		int g;

		if (strcmp(cell(t, i, cs), "flow") || strcmp(cell(t, i, cm), metric) ||
		    !parse_num(cell(t, i, cmean), &p[np].mean))
			continue;
		g = group_id(t, i, 0);
		f = open_memstream(&label, &len);
		if (!f) {
			r = -ENOMEM;
			goto out;
		}
		for (int s = 0; s < c->nset; s++)
			if (s != (xs < 0 ? 0 : xs))
				fprintf(f, "%s=%s, ", t->hdr[c->set0 + s], c->g[g].vals[s]);
		fprintf(f, "flow %s", cell(t, i, cf));
		if (fclose(f)) {
			free(label);
			r = -ENOMEM;
			goto out;
		}
		p[np].line = label_index(&lines, &nlines, label);
		free(label);
		if (p[np].line < 0) {
			r = p[np].line;
			goto out;
		}
		if (xs >= 0) {
			parse_num(c->g[g].vals[xs], &p[np].x);
		} else {
			int k = label_index(&cats, &ncats, c->g[g].vals[0]);

			if (k < 0) {
				r = k;
				goto out;
			}
			p[np].x = k;
		}
		/* n < 2 has no interval: the bar shrinks to the point. */
		if (!parse_num(cell(t, i, clo), &p[np].lo) ||
		    !parse_num(cell(t, i, chi), &p[np].hi))
			p[np].lo = p[np].hi = p[np].mean;
		p[np].n = strtol(cell(t, i, cn), NULL, 10);
		np++;
	}
	if (np == 0) {
		r = 1;
		goto out;
	}
	qsort(p, np, sizeof(*p), mpoint_cmp);
	{
		double lo = p[0].x, hi = p[0].x;

		for (size_t i = 1; i < np; i++) {
			lo = fmin(lo, p[i].x);
			hi = fmax(hi, p[i].x);
		}
		dodge = (hi > lo ? hi - lo : 1) * 0.012;
	}
	{
		const char *xname = t->hdr[c->set0 + (xs < 0 ? 0 : xs)];
		char what[512];

		snprintf(what, sizeof(what),
			 "%s of each flow against %s: mean over the repeats, 95%% CI", metric,
			 xname);
		r = gp_begin(c, &o, name, what, 1200, 750, formats);
		if (r < 0)
			goto out;
		fprintf(o.gp, "set title '");
		put_q(o.gp, ylabel, '\'');
		fprintf(o.gp, " against ");
		put_q(o.gp, xname, '\'');
		fprintf(o.gp, ": mean over the runs, bars: 95%% CI (Student''s t)'\n"
			      "set xlabel '");
		put_q(o.gp, xname, '\'');
		fputs("'\nset ylabel '", o.gp);
		put_q(o.gp, ylabel, '\'');
		fputs("'\nset yrange [0:*]\nset offsets graph 0.05, graph 0.12, graph 0.08, 0\n",
		      o.gp);
		if (xs < 0) {
			fputs("set xtics (", o.gp);
			for (size_t k = 0; k < ncats; k++) {
				fprintf(o.gp, "%s\"", k ? ", " : "");
				put_q(o.gp, cats[k], '"');
				fprintf(o.gp, "\" %zu", k);
			}
			fprintf(o.gp, ")\nset xrange [-0.5:%zu.5]\n", ncats - 1);
		} else {
			fputs("set xrange [*:*]\n", o.gp);
		}
	}
	for (size_t i = 0; i < np;) {
		int line = p[i].line;
		int blk = gp_block(&o, "%s of line %d: x mean ci95_low ci95_high n", metric, line);
		bool same_n = true;

		for (size_t k = i; k < np && p[k].line == line; k++)
			same_n &= p[k].n == p[i].n;

		for (size_t k = i; k < np && p[k].line == line; k++)
			fprintf(o.dat, "%.6g %.6f %.6f %.6f %ld\n", p[k].x, p[k].mean, p[k].lo,
				p[k].hi, p[k].n);
		/* Lines at one x are set a little apart so their bars do not hide each other. */
		fprintf(
		    o.gp,
		    "%s\tdata index %d using ($1+%.6g):2:3:4 with yerrorlines lt %d pt 7 ps 1.2 "
		    "title '",
		    sep, blk, dodge * (line - (double)(nlines - 1) / 2), lt((size_t)line));
		put_q(o.gp, lines[line], '\'');
		/* One n for the whole line goes in its title; else each point says its own. */
		if (same_n) {
			fprintf(o.gp, " (n=%ld per point)'", p[i].n);
			i = j_end(p, np, i);
			sep = ", \\\n";
			continue;
		}
		fprintf(o.gp,
			"', \\\n\tdata index %d using ($1+%.6g):2:(sprintf('n=%%d', int($5))) with "
			"labels offset char 0.8,0.6 left tc lt %d notitle",
			blk, dodge * (line - (double)(nlines - 1) / 2), lt((size_t)line));
		i = j_end(p, np, i);
		sep = ", \\\n";
	}
	fputc('\n', o.gp);
out:
	r = gp_end(&o, r);
	labels_free(lines, nlines);
	labels_free(cats, ncats);
	free(p);
	return r;
}

/* One run's flow in the throughput-delay chart. */
struct tdpoint {
	int series; /* group x flow */
	double gp, d;
	bool has_gp, has_d;
	const char *run, *flow;
};

static int tdpoint_cmp(const void *a, const void *b)
{
	const struct tdpoint *p = a, *q = b;

	return p->series - q->series;
}

/*
 * Chart 2: goodput against p95 smoothed RTT (compare.csv, flow scope), one point per run
 * and flow, with each group and flow's mean and the ellipse at Mahalanobis distance 2 of
 * the covariance of its points; the delay axis runs from high to low so that better is up
 * and to the right.
 */
static int chart_tput_delay(const struct cmp *c, const char *formats)
{
	const struct table *t = &c->compare;
	int cr = col(t, "run"), cg = col(t, "group"), cs = col(t, "scope"), cf = col(t, "flow"),
	    cm = col(t, "metric"), cv = col(t, "value");
	struct tdpoint *p = calloc(t->nrows + 1, sizeof(*p));
	char **series = NULL;
	size_t nseries = 0, np = 0, n = 0;
	double xmin = INFINITY, xmax = -INFINITY;
	const char *sep = "plot \\\n";
	struct gpout o = {0};
	char *plot = NULL;
	size_t plotlen = 0;
	FILE *pf = NULL;
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++) {
		bool is_gp = !strcmp(cell(t, i, cm), "goodput_mbit");
		double v;
		size_t k;

		if (strcmp(cell(t, i, cs), "flow") ||
		    (!is_gp && strcmp(cell(t, i, cm), "srtt_p95_ms")) ||
		    !parse_num(cell(t, i, cv), &v))
			continue;
		for (k = 0; k < np; k++)
			if (!strcmp(p[k].run, cell(t, i, cr)) && !strcmp(p[k].flow, cell(t, i, cf)))
				break;
		if (k == np) {
			char label[1024];
			int g = group_id(t, i, cg);

			if (g < 0 || g >= c->ngroups) {
				r = -EINVAL;
				goto out;
			}
			snprintf(label, sizeof(label), "%s, flow %s", c->g[g].label,
				 cell(t, i, cf));
			p[k].series = label_index(&series, &nseries, label);
			if (p[k].series < 0) {
				r = p[k].series;
				goto out;
			}
			p[k].run = cell(t, i, cr);
			p[k].flow = cell(t, i, cf);
			np++;
		}
		if (is_gp) {
			p[k].gp = v;
			p[k].has_gp = true;
		} else {
			p[k].d = v;
			p[k].has_d = true;
		}
	}
	for (size_t k = 0; k < np; k++)
		if (p[k].has_gp && p[k].has_d)
			p[n++] = p[k];
	if (n == 0) {
		r = 1;
		goto out;
	}
	/* Stable enough: qsort may reorder runs within a series, which only the .dat shows. */
	qsort(p, n, sizeof(*p), tdpoint_cmp);
	r = gp_begin(c, &o, "goodput_delay",
		     "goodput against p95 smoothed RTT, one point per run and flow, group means "
		     "and 2-sigma ellipses",
		     1200, 800, formats);
	if (r < 0)
		goto out;
	pf = open_memstream(&plot, &plotlen);
	if (!pf) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i, m;
		double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
		int s = p[i].series, b;

		while (j < n && p[j].series == s)
			j++;
		m = j - i;
		b = gp_block(&o, "runs of %s: p95_srtt_ms goodput_mbit", series[s]);
		for (size_t k = i; k < j; k++) {
			fprintf(o.dat, "%.6f %.6f\n", p[k].d, p[k].gp);
			mx += p[k].d / (double)m;
			my += p[k].gp / (double)m;
			xmin = fmin(xmin, p[k].d);
			xmax = fmax(xmax, p[k].d);
		}
		fprintf(pf, "%s\tdata index %d using 1:2 with points lt %d pt 7 ps 1.3 title '",
			sep, b, lt((size_t)s));
		put_q(pf, series[s], '\'');
		fprintf(pf, " (n=%zu)'", m);
		sep = ", \\\n";
		b = gp_block(&o, "mean of %s", series[s]);
		fprintf(o.dat, "%.6f %.6f\n", mx, my);
		fprintf(pf, "%s\tdata index %d using 1:2 with points lt %d pt 5 ps 2.4 notitle",
			sep, b, lt((size_t)s));
		if (m >= 2) {
			double a, cc, bb, tr, det, disc, l1, l2, th;

			for (size_t k = i; k < j; k++) {
				sxx += (p[k].d - mx) * (p[k].d - mx);
				syy += (p[k].gp - my) * (p[k].gp - my);
				sxy += (p[k].d - mx) * (p[k].gp - my);
			}
			a = sxx / (double)(m - 1);
			cc = syy / (double)(m - 1);
			bb = sxy / (double)(m - 1);
			/* The axes of the ellipse: the covariance's eigenvectors, half-lengths
			 * twice the square roots of its eigenvalues. */
			tr = (a + cc) / 2;
			det = a * cc - bb * bb;
			disc = sqrt(fmax(tr * tr - det, 0));
			l1 = sqrt(fmax(tr + disc, 0));
			l2 = sqrt(fmax(tr - disc, 0));
			th = 0.5 * atan2(2 * bb, a - cc);
			b = gp_block(&o, "2-sigma ellipse of %s", series[s]);
			for (int k = 0; k <= ELLIPSE_POINTS; k++) {
				double u = 2 * M_PI * k / ELLIPSE_POINTS;
				double ex = 2 * (l1 * cos(u) * cos(th) - l2 * sin(u) * sin(th));
				double ey = 2 * (l1 * cos(u) * sin(th) + l2 * sin(u) * cos(th));

				fprintf(o.dat, "%.6f %.6f\n", mx + ex, my + ey);
				xmin = fmin(xmin, mx + ex);
				xmax = fmax(xmax, mx + ex);
			}
			fprintf(pf, "%s\tdata index %d using 1:2 with lines lt %d notitle", sep, b,
				lt((size_t)s));
		}
		i = j;
	}
	fprintf(pf,
		"%s\tkeyentry with points pt 5 ps 2 lc rgb 'black' title 'group mean', \\\n"
		"\tkeyentry with lines lc rgb 'black' title '2-sigma ellipse (covariance of the "
		"runs)'\n",
		sep);
	{
		double pad = (xmax - xmin) * 0.08 + 0.5;

		/* Reversed by hand: gnuplot's autoscale does not reverse in every version. */
		fprintf(o.gp,
			"# the delay axis runs from high to low: better (less delay) is to the "
			"right\nset xrange [%.3f:%.3f]\n",
			xmax + pad, fmax(xmin - pad, 0));
	}
	fputs("set yrange [0:*]\nset offsets 0, 0, graph 0.1, 0\n"
	      "set title 'goodput against p95 smoothed RTT: a point per run and flow; square: "
	      "group mean; ellipse: 2 sigma'\n"
	      "set xlabel 'p95 smoothed RTT (ms), reversed: better to the right'\n"
	      "set ylabel 'goodput (Mbit/s)'\n",
	      o.gp);
	if (fclose(pf) != 0)
		r = -ENOMEM;
	pf = NULL;
	if (!r)
		fputs(plot, o.gp);
out:
	if (pf)
		fclose(pf);
	free(plot);
	r = gp_end(&o, r);
	labels_free(series, nseries);
	free(p);
	return r;
}

/* A run's timeline on the grid of SERIES_BIN_S: sums and counts per bin. */
struct bin {
	double gp, cw, sr;
	unsigned int ngp, ncw, nsr;
};

/* What charts 3 and 4 need of one run. */
struct run_data {
	double *v, *w; /* srtt samples (ms) and their weights (s) */
	size_t n, cap;
	struct bin *b;
	size_t nb;
};

static void run_data_free(struct run_data *d)
{
	free(d->v);
	free(d->w);
	free(d->b);
	memset(d, 0, sizeof(*d));
}

/* The bin of time t_s, grown as needed; NULL before t0 or without memory. */
static struct bin *bin_at(struct run_data *d, double t_s)
{
	size_t i;

	if (!(t_s >= 0) || t_s > 1e7)
		return NULL;
	i = (size_t)(t_s / SERIES_BIN_S);
	if (i >= d->nb) {
		size_t nb = i + 64;
		struct bin *b = realloc(d->b, nb * sizeof(*b));

		if (!b)
			return NULL;
		memset(b + d->nb, 0, (nb - d->nb) * sizeof(*b));
		d->b = b;
		d->nb = nb;
	}
	return &d->b[i];
}

static int push_weighted(struct run_data *d, double v, double w)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 1024;
		double *nv = realloc(d->v, cap * sizeof(*nv)), *nw;

		if (nv)
			d->v = nv;
		nw = nv ? realloc(d->w, cap * sizeof(*nw)) : NULL;
		if (!nw)
			return -ENOMEM;
		d->w = nw;
		d->cap = cap;
	}
	d->v[d->n] = v;
	d->w[d->n++] = w;
	return 0;
}

/*
 * Reads a run's timeline/cwnd.csv (every row is a sender's sample) and
 * timeline/throughput.csv. Each srtt sample is weighted by the time until its connection's
 * next sample, as the summary's percentiles are (docs/metrics.md); a connection's last
 * sample, whose time is not known, weighs nothing. A missing file leaves its part empty.
 */
static int run_read(const char *run, struct run_data *d)
{
	struct csv_col cc[] = {{"t_s"}, {"flow"}, {"conn"}, {"cwnd_pkts"}, {"srtt_us"}};
	struct csv_col tc[] = {{"t_s"}, {"flow"}, {"goodput_mbit"}};
	struct series_list conns = {0};
	double *prev_t = NULL, *prev_v = NULL, last_t = NAN;
	size_t nprev = 0;
	struct csv_reader in;
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/timeline/cwnd.csv", run);
	r = csv_reader_open(&in, path);
	if (r == 0) {
		r = csv_read_header(&in, cc, 5);
		while (!r && (r = csv_next_row(&in)) == 1) {
			struct series *s = series_get(&conns, csv_field(&in, cc[1].idx),
						      csv_field(&in, cc[2].idx));
			double t, v;
			struct bin *b;
			size_t k;

			r = 0;
			if (!s) {
				r = -ENOMEM;
				break;
			}
			k = (size_t)(s - conns.v);
			if (k >= nprev) {
				double *a = realloc(prev_t, (k + 16) * sizeof(*a)), *bb;

				if (a)
					prev_t = a;
				bb = a ? realloc(prev_v, (k + 16) * sizeof(*bb)) : NULL;
				if (!bb) {
					r = -ENOMEM;
					break;
				}
				prev_v = bb;
				for (; nprev < k + 16; nprev++)
					prev_t[nprev] = prev_v[nprev] = NAN;
			}
			if (!csv_field_double(&in, cc[0].idx, &t))
				continue;
			b = bin_at(d, t);
			if (b && csv_field_double(&in, cc[3].idx, &v)) {
				b->cw += v;
				b->ncw++;
			}
			if (!csv_field_double(&in, cc[4].idx, &v) || v <= 0)
				continue;
			if (b) {
				b->sr += v / 1000;
				b->nsr++;
			}
			if (!isnan(prev_t[k]) && t >= prev_t[k])
				r = push_weighted(d, prev_v[k], t - prev_t[k]);
			prev_t[k] = t;
			prev_v[k] = v / 1000;
		}
		csv_reader_close(&in);
	}
	free(prev_t);
	free(prev_v);
	series_list_free(&conns);
	if (r < 0 && r != -ENOENT)
		return log_err_errno(r, "read %s", path);

	snprintf(path, sizeof(path), "%s/timeline/throughput.csv", run);
	r = csv_reader_open(&in, path);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_err_errno(r, "open %s", path);
	r = csv_read_header(&in, tc, 3);
	while (!r && (r = csv_next_row(&in)) == 1) {
		double t, v;
		struct bin *b;

		r = 0;
		if (!csv_field_double(&in, tc[0].idx, &t) || !csv_field_double(&in, tc[2].idx, &v))
			continue;
		/* Rows of one time hold the flows' shares: their sum is one sample of the
		 * run's goodput. An interval ending at t belongs to the bin before t. */
		b = bin_at(d, t - 1e-9);
		if (!b)
			continue;
		b->gp += v;
		if (t != last_t)
			b->ngp++;
		last_t = t;
	}
	csv_reader_close(&in);
	return r < 0 ? log_err_errno(r, "read %s", path) : 0;
}

struct wv {
	double v, w;
};

static int wv_cmp(const void *a, const void *b)
{
	const struct wv *p = a, *q = b;

	return (p->v > q->v) - (p->v < q->v);
}

/* Chart 3: the CDF of each group's srtt samples, pooled over its runs, time-weighted. */
static int chart_cdf(const struct cmp *c, struct run_data *rd, const char *formats)
{
	const char *sep = "plot \\\n";
	struct gpout o = {0};
	int r;

	r = gp_begin(c, &o, "srtt_cdf",
		     "CDF of the smoothed RTT per group, time-weighted samples pooled over the "
		     "group's runs",
		     1200, 750, formats);
	if (r < 0)
		return r;
	fputs("set title 'smoothed RTT per group: share of the time (every sender connection "
	      "of the group''s runs pooled)'\n"
	      "set xlabel 'smoothed RTT (ms)'\nset ylabel 'CDF (fraction of time)'\n"
	      "set xrange [*:*]\nset yrange [0:1.02]\n",
	      o.gp);
	for (int g = 0; g < c->ngroups; g++) {
		struct wv *a;
		size_t n = 0;
		double total = 0, cum = 0, next = 0;
		int b;

		for (size_t i = 0; i < c->nruns; i++)
			if (c->r[i].group == g)
				n += rd[i].n;
		if (!n)
			continue;
		a = malloc(n * sizeof(*a));
		if (!a) {
			r = -ENOMEM;
			break;
		}
		n = 0;
		for (size_t i = 0; i < c->nruns; i++)
			for (size_t k = 0; c->r[i].group == g && k < rd[i].n; k++) {
				a[n].v = rd[i].v[k];
				a[n++].w = rd[i].w[k];
				total += rd[i].w[k];
			}
		qsort(a, n, sizeof(*a), wv_cmp);
		b = gp_block(&o, "group %d: srtt_ms cumulative_share", g);
		fprintf(o.dat, "%.6f 0\n", a[0].v);
		for (size_t k = 0; k < n; k++) {
			cum += a[k].w;
			if (k + 1 == n || (total > 0 && cum / total >= next)) {
				fprintf(o.dat, "%.6f %.6f\n", a[k].v,
					total > 0 ? cum / total : 1.0);
				next = cum / total + 1.0 / CDF_POINTS;
			}
		}
		free(a);
		fprintf(o.gp, "%s\tdata index %d using 1:2 with steps lt %d title '", sep, b,
			lt((size_t)g));
		put_q(o.gp, c->g[g].label, '\'');
		fprintf(o.gp, " (n=%zu runs)'", c->g[g].nruns);
		sep = ", \\\n";
	}
	if (!strcmp(sep, "plot \\\n"))
		fputs("set label 1 'no srtt samples in the runs' at graph 0.5, 0.5 center\n"
		      "plot NaN notitle",
		      o.gp);
	fputc('\n', o.gp);
	return gp_end(&o, r);
}

/* Chart 4: goodput, cwnd and srtt over time, per group the median over its runs of each
 * bin's mean with the 25th-75th percentile band, in three panels on one time axis. */
static int chart_timeseries(const struct cmp *c, struct run_data *rd, const char *formats)
{
	static const char *const what[3] = {"goodput (Mbit/s)", "cwnd (segments)",
					    "smoothed RTT (ms)"};
	size_t nb = 0, kmax = 1; /* bins in the longest run; 1 + the last with data */
	double *x = malloc((c->nruns + 1) * sizeof(*x));
	struct gpout o = {0};
	int r, blk[3][256];

	if (!x)
		return -ENOMEM;
	for (size_t i = 0; i < c->nruns; i++)
		nb = rd[i].nb > nb ? rd[i].nb : nb;
	/* No run has a timeline (folders kept without their CSV files): no chart. */
	if (!nb) {
		free(x);
		return 1;
	}
	r = gp_begin(c, &o, "timeseries",
		     "goodput, cwnd and srtt over time per group: median over the repeats, "
		     "25th-75th percentile band",
		     1200, 1100, formats);
	if (r < 0) {
		free(x);
		return r;
	}
	for (int m = 0; m < 3; m++)
		for (int g = 0; g < c->ngroups && g < 256; g++) {
			bool any = false;

			blk[m][g] = -1;
			for (size_t k = 0; k < nb; k++) {
				size_t n = 0;

				for (size_t i = 0; i < c->nruns; i++) {
					const struct bin *b = &rd[i].b[k];

					if (c->r[i].group != g || k >= rd[i].nb)
						continue;
					if (m == 0 && b->ngp)
						x[n++] = b->gp / b->ngp;
					else if (m == 1 && b->ncw)
						x[n++] = b->cw / b->ncw;
					else if (m == 2 && b->nsr)
						x[n++] = b->sr / b->nsr;
				}
				if (!n)
					continue;
				if (k + 1 > kmax)
					kmax = k + 1;
				if (!any)
					blk[m][g] =
					    gp_block(&o, "%s of group %d: t_s median p25 p75 runs",
						     what[m], g);
				any = true;
				fprintf(o.dat, "%.3f %.6f %.6f %.6f %zu\n", (k + 1) * SERIES_BIN_S,
					stats_percentile(x, n, 50), stats_percentile(x, n, 25),
					stats_percentile(x, n, 75), n);
			}
		}
	free(x);
	fprintf(
	    o.gp,
	    "set multiplot layout 3,1 title \"goodput (sum of the flows), cwnd (mean per "
	    "connection) and smoothed RTT per group:\\nmedian over its runs of each %.0f ms bin, "
	    "band: 25th-75th percentile of the runs\"\n"
	    "set lmargin at screen 0.09\nset rmargin at screen 0.97\n"
	    "# one time axis for the three panels, whatever each one's data covers\n"
	    "set xrange [0:%.3f]\nset key off\n",
	    SERIES_BIN_S * 1000, (double)kmax * SERIES_BIN_S);
	for (int m = 0; m < 3; m++) {
		const char *sep = "plot \\\n";

		fprintf(o.gp, "set tmargin at screen %.3f\nset bmargin at screen %.3f\n",
			0.93 - m * 0.22, 0.93 - m * 0.22 - 0.19);
		fprintf(o.gp, "set ylabel '%s'\nset xlabel '%s'\nset format x '%s'\n", what[m],
			m == 2 ? "time since the experiment start (s)" : "", m == 2 ? "% g" : "");
		if (m == 2)
			fputs("set key at screen 0.5, screen 0.22 center top horizontal maxcols 2 "
			      "Left reverse\n",
			      o.gp);
		for (int g = 0; g < c->ngroups && g < 256; g++) {
			if (blk[m][g] < 0)
				continue;
			fprintf(o.gp,
				"%s\tdata index %d using 1:3:4 with filledcurves lt %d fs "
				"transparent solid 0.25 noborder notitle, \\\n"
				"\tdata index %d using 1:2 with lines lt %d title '",
				sep, blk[m][g], lt((size_t)g), blk[m][g], lt((size_t)g));
			put_q(o.gp, c->g[g].label, '\'');
			fprintf(o.gp, " (n=%zu runs)'", c->g[g].nruns);
			sep = ", \\\n";
		}
		/* A panel no run has data for says so (a NaN plot is an error to gnuplot). */
		if (!strcmp(sep, "plot \\\n"))
			fputs("set label 99 'no data' at graph 0.5, graph 0.5 center\n"
			      "set yrange [0:1]\nplot 2 notitle\nunset label 99\nset yrange [*:*]",
			      o.gp);
		fputc('\n', o.gp);
	}
	fputs("unset multiplot\n", o.gp);
	return gp_end(&o, 0);
}

/* Chart 5: box plots of each group and flow's goodput over its runs (compare.csv, flow
 * scope), the runs as dots on top. Returns 1 when there is nothing to draw. */
static int chart_box(const struct cmp *c, const char *formats)
{
	const struct table *t = &c->compare;
	int cg = col(t, "group"), cs = col(t, "scope"), cf = col(t, "flow"), cm = col(t, "metric"),
	    cv = col(t, "value");
	char **boxes = NULL, *plot = NULL;
	size_t nboxes = 0, plotlen = 0;
	const char *sep = "plot \\\n";
	struct gpout o = {0};
	FILE *pf = NULL;
	int r = 0;

	for (size_t i = 0; i < t->nrows; i++) {
		char key[512];

		if (strcmp(cell(t, i, cs), "flow") || strcmp(cell(t, i, cm), "goodput_mbit"))
			continue;
		snprintf(key, sizeof(key), "%s\n%s", cell(t, i, cg), cell(t, i, cf));
		if (label_index(&boxes, &nboxes, key) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (!nboxes) {
		r = 1;
		goto out;
	}
	r = gp_begin(c, &o, "goodput_box", "goodput per group and flow over its runs", 1200, 800,
		     formats);
	pf = r ? NULL : open_memstream(&plot, &plotlen);
	if (!r && !pf)
		r = -ENOMEM;
	if (r)
		goto out;
	fputs("set ylabel 'goodput (Mbit/s)'\nset key off\nset yrange [0:*]\n"
	      "set boxwidth 0.5\nset xtics (",
	      o.gp);
	for (size_t k = 0; k < nboxes; k++) {
		char *nl = strchr(boxes[k], '\n');
		int g = atoi(boxes[k]), b, q;
		double vals[1024];
		size_t n = 0;

		b = gp_block(&o, "goodput_mbit of group %d, flow %s: x goodput_mbit", g, nl + 1);
		for (size_t i = 0; i < t->nrows; i++) {
			double v;

			if (strcmp(cell(t, i, cs), "flow") ||
			    strcmp(cell(t, i, cm), "goodput_mbit") ||
			    strcmp(cell(t, i, cf), nl + 1) || atoi(cell(t, i, cg)) != g ||
			    !parse_num(cell(t, i, cv), &v))
				continue;
			fprintf(o.dat, "%zu %.6f\n", k + 1, v);
			if (n < sizeof(vals) / sizeof(vals[0]))
				vals[n] = v;
			n++;
		}
		if (!n)
			fprintf(o.dat, "%zu NaN\n", k + 1);
		/* gnuplot's own boxplot draws fewer than a handful of points as outliers only:
		 * the box is computed here, quartiles as numpy's default. */
		n = n < sizeof(vals) / sizeof(vals[0]) ? n : sizeof(vals) / sizeof(vals[0]);
		q = gp_block(&o, "box of group %d, flow %s: x min p25 median p75 max n", g, nl + 1);
		if (n)
			fprintf(o.dat, "%zu %.6f %.6f %.6f %.6f %.6f %zu\n", k + 1,
				stats_percentile(vals, n, 0), stats_percentile(vals, n, 25),
				stats_percentile(vals, n, 50), stats_percentile(vals, n, 75),
				stats_percentile(vals, n, 100), n);
		else
			fprintf(o.dat, "%zu NaN NaN NaN NaN NaN 0\n", k + 1);
		fprintf(o.gp, "%s\"", k ? ", " : "");
		for (int s = 0; g < c->ngroups && s < c->nset; s++) {
			put_q(o.gp, c->g[g].vals[s], '"');
			fputs("\\n", o.gp);
		}
		/* The title says which line is which; "flow " on each would run into the next. */
		put_q(o.gp, nl + 1, '"');
		fprintf(o.gp, "\\nn=%zu\" %zu", n, k + 1);
		fprintf(pf,
			"%s\tdata index %d using 1:3:2:6:5 with candlesticks whiskerbars 0.6 lt %d "
			"fs transparent solid 0.3 notitle, \\\n"
			"\tdata index %d using 1:4:4:4:4 with candlesticks lt %d lw 3 notitle, \\\n"
			"\tdata index %d using 1:2 with points pt 7 ps 1.1 lc rgb 'black' notitle",
			sep, q, lt(k), q, lt(k), b);
		sep = ", \\\n";
	}
	fprintf(o.gp, ")\nset xrange [0.4:%zu.6]\nset bmargin %d\n", nboxes, c->nset + 4);
	/* Many boxes: smaller labels, so that neighbours do not touch. */
	if (nboxes > 10)
		fputs("set xtics font ',10'\n", o.gp);
	fputs("set title \"goodput per group and flow over its runs: box: 25th-75th percentile, "
	      "bar: median, whiskers: min-max, dots: the runs\\nunder each box: ",
	      o.gp);
	for (int s = 0; s < c->nset; s++) {
		put_q(o.gp, c->groups.hdr[c->set0 + s], '"');
		fputs(", ", o.gp);
	}
	fputs("flow, runs (n)\"\n", o.gp);
	if (fclose(pf) != 0)
		r = -ENOMEM;
	pf = NULL;
	if (!r)
		fprintf(o.gp, "%s\n", plot);
out:
	if (pf)
		fclose(pf);
	free(plot);
	labels_free(boxes, nboxes);
	return o.gp ? gp_end(&o, r) : r;
}

/* Notes what became of a chart. */
static void note(struct plot_report *rep, const char *name, bool drawn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(struct plot_report *rep, const char *name, bool drawn, const char *fmt, ...)
{
	struct plot_chart *pc;
	va_list ap;

	if (rep->n == PLOT_MAX_CHARTS)
		return;
	pc = &rep->chart[rep->n++];
	snprintf(pc->name, sizeof(pc->name), "%s", name);
	pc->drawn = drawn;
	va_start(ap, fmt);
	vsnprintf(pc->reason, sizeof(pc->reason), fmt, ap);
	va_end(ap);
}

static const char *const terminal_of[][2] = {
    {"png", "pngcairo"},
    {"svg", "svg"},
    {"pdf", "pdfcairo"},
};

/* Whether this gnuplot has the terminal of each format: a script that only selects it. */
static int check_terminals(const struct cmp *c, const char *gnuplot, const char *const *fmts,
			   size_t nfmts, char *why, size_t whylen)
{
	for (size_t i = 0; i < nfmts; i++) {
		const char *term = NULL;
		char path[PATH_MAX], msg[256];
		FILE *f;
		int r;

		for (size_t k = 0; k < sizeof(terminal_of) / sizeof(terminal_of[0]); k++)
			if (!strcmp(fmts[i], terminal_of[k][0]))
				term = terminal_of[k][1];
		snprintf(path, sizeof(path), "%s/.terminal-check.gp", c->dir);
		f = fopen(path, "we");
		if (!f)
			return log_err_errno(-errno, "create %s", path);
		fprintf(f, "set terminal %s\n", term);
		if (fclose(f) != 0) {
			unlink(path);
			return log_err_errno(-errno, "write %s", path);
		}
		r = gnuplot_run(gnuplot, c->dir, ".terminal-check.gp", msg, sizeof(msg));
		unlink(path);
		if (r < 0) {
			snprintf(why, whylen, "gnuplot cannot draw %s: no terminal %s here (%s)",
				 fmts[i], term, msg);
			log_err("%s; leave out that format", why);
			return -ENOTSUP;
		}
	}
	return 0;
}

int compare_plot(const char *outdir, const char *const *formats, struct plot_report *rep)
{
	static const char *const png_only[] = {"png", NULL};
	const char *fmts[8];
	char gnuplot[PATH_MAX], fmtlist[64] = "", why[256] = "";
	struct run_data *rd = NULL;
	struct cmp c = {0};
	size_t nfmts = 0;
	const char *names[PLOT_MAX_CHARTS];
	int ncharts = 0, r, ret = 0;

	rep->n = 0;
	if (!formats || !formats[0])
		formats = png_only;
	for (; *formats; formats++) {
		bool known = false, dup = false;

		for (size_t k = 0; k < sizeof(terminal_of) / sizeof(terminal_of[0]); k++)
			known |= !strcmp(*formats, terminal_of[k][0]);
		for (size_t k = 0; k < nfmts; k++)
			dup |= !strcmp(*formats, fmts[k]);
		if (!known) {
			log_err("chart format '%s': not one of png, svg, pdf", *formats);
			note(rep, "all", false, "unknown format '%s'", *formats);
			return -EINVAL;
		}
		if (dup || nfmts == sizeof(fmts) / sizeof(fmts[0]))
			continue;
		fmts[nfmts++] = *formats;
		snprintf(fmtlist + strlen(fmtlist), sizeof(fmtlist) - strlen(fmtlist), "%s%s",
			 nfmts > 1 ? " " : "", *formats);
	}
	r = cmp_load(&c, outdir);
	if (r < 0)
		goto out;
	if (snprintf(c.dir, sizeof(c.dir), "%s/charts", outdir) >= (int)sizeof(c.dir)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if (mkdir(c.dir, 0755) < 0 && errno != EEXIST) {
		r = log_err_errno(-errno, "create %s", c.dir);
		goto out;
	}
	if (gnuplot_find("gnuplot", gnuplot, sizeof(gnuplot)) < 0) {
		log_err("gnuplot is not on PATH: no charts in %s (Debian/Ubuntu: apt install "
			"gnuplot-nox)",
			c.dir);
		snprintf(why, sizeof(why), "gnuplot is not on PATH");
		r = -ENOENT;
		goto out;
	}
	r = check_terminals(&c, gnuplot, fmts, nfmts, why, sizeof(why));
	if (r < 0)
		goto out;
	rd = calloc(c.nruns + 1, sizeof(*rd));
	if (!rd) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c.nruns && !r; i++)
		r = run_read(c.r[i].path, &rd[i]);
	if (r < 0)
		goto out;

	/* A chart without data (no numeric or varied setting, no flow rows) is not listed. */
	{
		struct {
			const char *name;
			int r;
		} made[] = {
		    {"goodput_vs_setting", chart_metric(&c, "goodput_vs_setting", "goodput_mbit",
							"goodput (Mbit/s)", fmtlist)},
		    {"srtt_p95_vs_setting", chart_metric(&c, "srtt_p95_vs_setting", "srtt_p95_ms",
							 "p95 smoothed RTT (ms)", fmtlist)},
		    {"goodput_delay", chart_tput_delay(&c, fmtlist)},
		    {"srtt_cdf", chart_cdf(&c, rd, fmtlist)},
		    {"timeseries", chart_timeseries(&c, rd, fmtlist)},
		    {"goodput_box", chart_box(&c, fmtlist)},
		};

		for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
			if (made[i].r < 0) {
				note(rep, made[i].name, false, "writing its script: %s",
				     strerror(-made[i].r));
				ret = ret ?: made[i].r;
			} else if (made[i].r == 0) {
				names[ncharts++] = made[i].name;
			}
		}
	}
	for (int i = 0; i < ncharts; i++) {
		char script[64], file[PATH_MAX], shown[96];
		bool ok = true;

		for (size_t k = 0; k < nfmts; k++) {
			snprintf(file, sizeof(file), "%s/%s.%s", c.dir, names[i], fmts[k]);
			unlink(file); /* an old file would pass for the new one */
		}
		snprintf(script, sizeof(script), "%s.gp", names[i]);
		r = gnuplot_run(gnuplot, c.dir, script, why, sizeof(why));
		for (size_t k = 0; k < nfmts && ok; k++) {
			snprintf(file, sizeof(file), "%s/%s.%s", c.dir, names[i], fmts[k]);
			snprintf(shown, sizeof(shown), "%s.%s", names[i], fmts[k]);
			if (!r && gnuplot_output_complete(file, shown, why, sizeof(why)) < 0) {
				log_err("%s/%s (gnuplot exited 0)", c.dir, why);
				r = -EIO;
			}
			ok = !r;
		}
		if (!ok) {
			/* What a failed gnuplot left is no chart. */
			for (size_t k = 0; k < nfmts; k++) {
				snprintf(file, sizeof(file), "%s/%s.%s", c.dir, names[i], fmts[k]);
				unlink(file);
			}
			note(rep, names[i], false, "%s", why);
			ret = ret ?: -EIO;
		} else {
			note(rep, names[i], true, "%s", "");
			log_info("%s/%s: %s", c.dir, names[i], fmtlist);
		}
	}
	r = 0;
out:
	if (r < 0 && !plot_report_failed(rep))
		note(rep, "all", false, "%s", why[0] ? why : strerror(-r));
	for (size_t i = 0; rd && i < c.nruns; i++)
		run_data_free(&rd[i]);
	free(rd);
	cmp_free(&c);
	return ret ?: r;
}
