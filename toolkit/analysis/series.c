/* The data side of the charts: series found by name, samples kept for the derived data
 * files plots/<chart>.dat, per-flow medians and bands, sums on a time grid. */
#include "analysis/series.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

void series_list_free(struct series_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].flow);
		free(l->v[i].conn);
	}
	free(l->v);
	free(l->slot);
	memset(l, 0, sizeof(*l));
}

/* FNV-1a of flow and conn: a run's rows name hundreds of connections, too many to compare
 * every row with every one. */
static size_t series_hash(const char *flow, const char *conn)
{
	size_t h = 2166136261u;

	for (const char *p = flow; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0x1f) * 16777619u;
	for (const char *p = conn ? conn : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static bool series_is(const struct series *s, const char *flow, const char *conn)
{
	return strcmp(s->flow, flow) == 0 &&
	       (conn ? s->conn && strcmp(s->conn, conn) == 0 : !s->conn);
}

/* Finds the series, or appends it: charts list series in their order of first appearance.
 * *added tells which. */
static struct series *series_find(struct series_list *l, const char *flow, const char *conn,
				  bool *added)
{
	size_t mask, h;
	struct series *s;

	*added = false;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct series *p = realloc(l->v, cap * sizeof(*p));
		unsigned int *slot = calloc(2 * cap, sizeof(*slot));

		if (!p || !slot) {
			if (p)
				l->v = p;
			free(slot);
			return NULL;
		}
		l->v = p;
		l->cap = cap;
		free(l->slot);
		l->slot = slot;
		for (size_t i = 0; i < l->n; i++) {
			h = series_hash(l->v[i].flow, l->v[i].conn) & (2 * cap - 1);
			while (slot[h])
				h = (h + 1) & (2 * cap - 1);
			slot[h] = (unsigned int)i + 1;
		}
	}
	mask = 2 * l->cap - 1;
	for (h = series_hash(flow, conn) & mask; l->slot[h]; h = (h + 1) & mask)
		if (series_is(&l->v[l->slot[h] - 1], flow, conn))
			return &l->v[l->slot[h] - 1];
	s = &l->v[l->n];
	memset(s, 0, sizeof(*s));
	s->flow = strdup(flow);
	s->conn = conn ? strdup(conn) : NULL;
	if (!s->flow || (conn && !s->conn)) {
		free(s->flow);
		free(s->conn);
		return NULL;
	}
	l->slot[h] = (unsigned int)++l->n;
	*added = true;
	return s;
}

struct series *series_get(struct series_list *l, const char *flow, const char *conn)
{
	bool added;

	return series_find(l, flow, conn, &added);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median step between the first flow's sample times: its sample interval. */
double median_step(double *t, size_t n)
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

int push_sample(struct sample **v, size_t *n, size_t *cap, const struct sample *s)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 4096;
		struct sample *p = realloc(*v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = *s;
	return 0;
}

int dat_open(struct datfile *d, const char *rundir, const char *chart)
{
	memset(d, 0, sizeof(*d));
	if (snprintf(d->path, sizeof(d->path), "%s/plots/%s.dat", rundir, chart) >=
		(int)sizeof(d->path) ||
	    snprintf(d->tmp, sizeof(d->tmp), "%s.tmp", d->path) >= (int)sizeof(d->tmp))
		return -ENAMETOOLONG;
	d->f = fopen(d->tmp, "we");
	if (!d->f)
		return log_err_errno(-errno, "create %s", d->tmp);
	return 0;
}

/* Writes a name into a comment line, which a line end in it would end. */
void put_comment_name(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
}

/* Starts a block with a comment naming it; returns its index. */
int dat_block(struct datfile *d, const char *what, const char *flow, const char *conn)
{
	fprintf(d->f, "%s# %s", d->blocks ? "\n\n" : "", what);
	if (flow) {
		fputc(' ', d->f);
		put_comment_name(d->f, flow);
	}
	if (conn) {
		fputc('#', d->f);
		put_comment_name(d->f, conn);
	}
	fputc('\n', d->f);
	return d->blocks++;
}

/* Renames the file into place (a reader sees it whole or not at all), or removes it. */
int dat_close(struct datfile *d, int r)
{
	if (!d->f)
		return r;
	if (!r && fflush(d->f) != 0)
		r = -errno;
	else if (!r && ferror(d->f))
		r = -EIO;
	if (fclose(d->f) != 0 && !r)
		r = -errno;
	d->f = NULL;
	if (!r && rename(d->tmp, d->path) != 0)
		r = -errno;
	if (r) {
		unlink(d->tmp);
		return log_err_errno(r, "write %s", d->path);
	}
	return 0;
}

float sample_value(const struct sample *s, bool srtt)
{
	return srtt ? s->srtt_ms : s->v;
}

/* Sorts samples by series, keeping their order of time within a series (a stable
 * counting sort): each series' rows then form one block. `first` gets nseries + 1 offsets. */
int group_by(const struct sample *v, size_t n, size_t nkeys, const unsigned int *key_of,
	     struct sample **out, size_t **first)
{
	size_t *pos = calloc(nkeys + 1, sizeof(*pos));
	struct sample *o = malloc((n ? n : 1) * sizeof(*o));

	if (!pos || !o) {
		free(pos);
		free(o);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		pos[key_of[v[i].series] + 1]++;
	for (size_t k = 0; k < nkeys; k++)
		pos[k + 1] += pos[k];
	*first = malloc((nkeys + 1) * sizeof(**first));
	if (!*first) {
		free(pos);
		free(o);
		return -ENOMEM;
	}
	memcpy(*first, pos, (nkeys + 1) * sizeof(*pos));
	for (size_t i = 0; i < n; i++)
		o[pos[key_of[v[i].series]]++] = v[i];
	free(pos);
	*out = o;
	return 0;
}

/* The k-th smallest of v[0..n) (0-based), leaving smaller ones before it and larger after
 * (quickselect): a bin's quantiles in linear time, where sorting the whole flow was
 * O(n log n) and most of a many-connection chart's time. */
static float select_kth(float *v, size_t n, size_t k)
{
	long lo = 0, hi = (long)n - 1;

	while (lo < hi) {
		float a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
		float pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		long i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				float t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if ((long)k <= j)
			hi = j;
		else if ((long)k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/* Linear-interpolated quantile of the values, as from sorted ones; reorders v. */
static double quantile(float *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t lo = (size_t)pos;
	float below, above;

	if (lo + 1 >= n)
		return select_kth(v, n, n - 1);
	below = select_kth(v, n, lo);
	above = v[lo + 1];
	for (size_t i = lo + 2; i < n; i++)
		if (v[i] < above)
			above = v[i];
	return below + (above - below) * (pos - (double)lo);
}

struct binned {
	long long bin;
	float v;
};

static int cmp_binned(const void *a, const void *b)
{
	const struct binned *x = a, *y = b;

	if (x->bin != y->bin)
		return (x->bin > y->bin) - (x->bin < y->bin);
	return (x->v > y->v) - (x->v < y->v);
}

/* flow_bins for times too scattered for a counting sort. */
static long flow_bins_sorted(FILE *f, const long long *bin, float *vals, size_t m, double dt_s)
{
	struct binned *b = malloc(m * sizeof(*b));
	long lines = 0;

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++)
		b[i] = (struct binned){.bin = bin[i], .v = vals[i]};
	qsort(b, m, sizeof(*b), cmp_binned);
	for (size_t i = 0; i < m;) {
		size_t j = i, k = 0;

		while (j < m && b[j].bin == b[i].bin)
			vals[k++] = b[j++].v;
		fprintf(f, "%.6g %.6g %.6g %.6g %zu\n", (double)b[i].bin * dt_s,
			quantile(vals, k, 0.5), quantile(vals, k, 0.1), quantile(vals, k, 0.9), k);
		lines++;
		i = j;
	}
	free(b);
	return lines;
}

/* Writes a flow's block: per bin of dt_s, "t median p10 p90 connections". The values go
 * into their bins by a counting sort (a flow's samples span few bins per sample), or by
 * a sort when times are so scattered that the bins would outnumber the samples by far.
 * Returns the number of lines written, or -ENOMEM. */
long flow_bins(FILE *f, const struct sample *v, size_t n, bool srtt, double dt_s)
{
	long long *bin = malloc((n ? n : 1) * sizeof(*bin));
	float *vals = malloc((n ? n : 1) * sizeof(*vals));
	size_t m = 0, *first = NULL, span = 0;
	long long lo = 0, hi = 0;
	long lines = 0;

	if (!bin || !vals)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		float x = sample_value(&v[i], srtt);

		if (isnan(x))
			continue;
		bin[m] = llround(v[i].t_s / dt_s);
		if (!m || bin[m] < lo)
			lo = bin[m];
		if (!m || bin[m] > hi)
			hi = bin[m];
		vals[m++] = x;
	}
	/* In unsigned arithmetic: the distance of far-apart bins does not fit a long long. */
	if (m && (unsigned long long)hi - (unsigned long long)lo < 4 * (unsigned long long)m + 4096)
		span = (size_t)((unsigned long long)hi - (unsigned long long)lo) + 1;
	first = calloc(span + 1, sizeof(*first));
	if (!first)
		goto nomem;
	if (m && !span) {
		lines = flow_bins_sorted(f, bin, vals, m, dt_s);
		goto out;
	}
	{
		float *by_bin = malloc((m ? m : 1) * sizeof(*by_bin));

		if (!by_bin)
			goto nomem;
		for (size_t i = 0; i < m; i++)
			first[bin[i] - lo + 1]++;
		for (size_t b = 0; b < span; b++)
			first[b + 1] += first[b];
		for (size_t i = 0; i < m; i++)
			by_bin[first[bin[i] - lo]++] = vals[i];
		/* first[b] is now the end of bin b, and so the start of bin b + 1. */
		for (size_t b = 0, start = 0; b < span; start = first[b++]) {
			size_t k = first[b] - start;
			float *x = by_bin + start;

			if (!k)
				continue;
			fprintf(f, "%.6g %.6g %.6g %.6g %zu\n", (double)(lo + (long long)b) * dt_s,
				quantile(x, k, 0.5), quantile(x, k, 0.1), quantile(x, k, 0.9), k);
			lines++;
		}
		free(by_bin);
	}
out:
	free(first);
	free(bin);
	free(vals);
	return lines;
nomem:
	free(first);
	free(bin);
	free(vals);
	return -ENOMEM;
}

/* The sum of all flows' goodput per sample interval: times go on a grid of dt_s (the median
 * sample interval) so that small timer jitter does not split one interval's rows. */
int write_total(FILE *f, const struct sample *v, size_t n, double dt_s)
{
	struct binned *b = malloc((n ? n : 1) * sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		b[i].bin = llround(v[i].t_s / dt_s);
		b[i].v = v[i].v;
	}
	qsort(b, n, sizeof(*b), cmp_binned);
	for (size_t i = 0; i < n;) {
		double sum = 0;
		size_t j;

		for (j = i; j < n && b[j].bin == b[i].bin; j++)
			sum += b[j].v;
		fprintf(f, "%.6g %.6g\n", (double)b[i].bin * dt_s, sum);
		i = j;
	}
	free(b);
	return 0;
}

void smooth_centred(struct sample *v, size_t n, size_t w)
{
	size_t half = w / 2;
	double sum = 0, *raw;

	if (n < 2 || half == 0)
		return;
	raw = malloc(n * sizeof(*raw));
	if (!raw)
		return; /* unsmoothed: the chart stays right, only noisier */
	for (size_t i = 0; i < n; i++)
		raw[i] = v[i].v;
	/* The window [i - half, i + half], cut at both ends, slid one value at a time. */
	for (size_t i = 0; i <= half && i < n; i++)
		sum += raw[i];
	for (size_t i = 0; i < n; i++) {
		size_t lo = i > half ? i - half : 0, hi = i + half < n ? i + half : n - 1;

		v[i].v = (float)(sum / (double)(hi - lo + 1));
		if (i + half + 1 < n)
			sum += raw[i + half + 1];
		if (i >= half)
			sum -= raw[i - half];
	}
	free(raw);
}

void gp_quote_inner(FILE *f, const char *s)
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
