/* The per-run summary: summary.json and summary.csv from a results folder's saved files. */
#include "analysis/summary.h"

#include "core/config.h"
#include "core/csv.h"
#include "core/diagnosis.h"
#include "core/json.h"
#include "core/log.h"
#include "core/path.h"
#include "core/stats.h"
#include "core/summary_stats.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The latest end the buckets go to: experiment.duration_s at most 86400 s, and some slack. */
#define SUMMARY_END_MAX_S 90000.0

/* rtt_min_us before the socket's first RTT sample. */
#define RTT_MIN_NONE 4294967295.0

static const char *const ca_names[] = {"Open", "Disorder", "CWR", "Recovery", "Loss"};
static const char *const ca_metrics[] = {"ca_open_s", "ca_disorder_s", "ca_cwr_s", "ca_recovery_s",
					 "ca_loss_s"};
#define NCA 5

/* One connection: its flows.csv row, then its cwnd.csv samples and congestion states. */
struct sconn {
	int flow;  /* index in summary.flows */
	long conn; /* -1: the row of a cmd flow that saw no connection */
	char cc[CFG_CC_MAX];
	double start_s, end_s; /* NaN when empty */
	double bytes, goodput_mbit, retrans, rtos;
	/* flows.csv's limit accounting (docs/diagnosis.md); life_ms NaN in older folders */
	struct diag_ms why;
	double spurious_retrans;
	size_t n, cap; /* cwnd.csv samples */
	double *t_s, *srtt_ms;
	uint64_t *acked; /* bytes_acked */
	double rtt_min_ms;
	double delivered_pkts; /* at the last sample; NaN without samples */
	double ca_s[NCA];
	int ca_cur;	 /* -1 before the first sample or ca_state row */
	double ca_since; /* when ca_cur began */
	/* Per fairness bucket: goodput in Mbit/s and whether the connection covers it. */
	double *bucket_mbit;
	bool *active;
};

struct sflow {
	char name[CFG_NAME_MAX];
	double start_s, data_end_s; /* earliest start, latest sample */
	double end_s;		    /* the latest conn_end() */
	double extra_rtt_ms;	    /* its own access path's extra delay, up + down (config) */
	/* Its connections by index (conn -> summary.conns, -1: none), for the rows of big
	 * files: a scan over every connection per row would cost n x rows. */
	long *by_conn;
	long nby;
};

struct summary {
	const char *rundir;
	double warmup_s;
	double base_rtt_ms; /* the link's configured delay up + down, else the run's min RTT */
	bool base_from_link;
	/* Each configured flow's extra_delay_ms + extra_delay_down_ms, by name. */
	char cfg_name[CFG_MAX_FLOWS][CFG_NAME_MAX];
	double cfg_extra_ms[CFG_MAX_FLOWS];
	int ncfg;
	struct sflow flows[CFG_MAX_FLOWS];
	int nflows;
	struct sconn *conns;
	size_t nconns, cap_conns;
	size_t nb; /* fairness buckets [b, b + 1) x SUMMARY_BUCKET_S */
	/* The two outputs, written side by side. */
	struct json j;
	struct csv c;
	const char *scope, *flow;
	long conn; /* -1: none */
};

/* Keeps the smaller (larger) of *m and v; a NaN v (no value) changes nothing, a NaN *m
 * (none yet) takes v. */
static void keep_min(double *m, double v)
{
	if (!isnan(v) && !(*m <= v))
		*m = v;
}

static void keep_max(double *m, double v)
{
	if (!isnan(v) && !(*m >= v))
		*m = v;
}

static double num_setting(const config_t *cfg, const char *path, double dflt)
{
	long long i;
	double d;

	if (config_lookup_float(cfg, path, &d) == CONFIG_TRUE)
		return d;
	if (config_lookup_int64(cfg, path, &i) == CONFIG_TRUE)
		return (double)i;
	return dflt;
}

/* The flows' own extra delays (extra_delay_ms, extra_delay_down_ms defaulting to it). */
static void read_flow_extras(struct summary *s, const config_setting_t *flows)
{
	int n = flows ? config_setting_length(flows) : 0;

	for (int i = 0; i < n && s->ncfg < CFG_MAX_FLOWS; i++) {
		const config_setting_t *f = config_setting_get_elem(flows, i);
		const char *name = NULL;
		double up = 0, down;

		if (!config_setting_lookup_string(f, "name", &name) || strlen(name) >= CFG_NAME_MAX)
			continue;
		if (!config_setting_lookup_float(f, "extra_delay_ms", &up)) {
			int iv;

			up = config_setting_lookup_int(f, "extra_delay_ms", &iv) ? iv : 0;
		}
		down = up;
		if (!config_setting_lookup_float(f, "extra_delay_down_ms", &down)) {
			int iv;

			if (config_setting_lookup_int(f, "extra_delay_down_ms", &iv))
				down = iv;
		}
		snprintf(s->cfg_name[s->ncfg], CFG_NAME_MAX, "%s", name);
		s->cfg_extra_ms[s->ncfg++] = up + down;
	}
}

/* summary.warmup_s and the link's delay from the saved config (checked when it was run). */
static void read_config(struct summary *s)
{
	char path[PATH_MAX];
	const char *backend = "";
	double up, down;
	config_t cfg;

	s->warmup_s = SUMMARY_WARMUP_S_DEFAULT;
	s->base_rtt_ms = NAN;
	if (path_fmt(path, sizeof(path), "%s/config.cfg", s->rundir) < 0)
		return;
	config_init(&cfg);
	if (config_read_file(&cfg, path) == CONFIG_TRUE) {
		s->warmup_s = num_setting(&cfg, "summary.warmup_s", SUMMARY_WARMUP_S_DEFAULT);
		up = num_setting(&cfg, "link.delay_ms", 0);
		down = num_setting(&cfg, "link.delay_down_ms", up);
		config_lookup_string(&cfg, "link.backend", &backend);
		read_flow_extras(s, config_lookup(&cfg, "flows"));
		/* backend none emulates nothing, whatever the delay says. */
		if (up + down > 0 && strcmp(backend, "none") != 0) {
			s->base_rtt_ms = up + down;
			s->base_from_link = true;
		}
	} else {
		log_info("%s: not readable (%s): the summary uses its defaults", path,
			 config_error_text(&cfg) ? config_error_text(&cfg) : "no such file");
	}
	config_destroy(&cfg);
}

static int open_csv(struct summary *s, struct csv_reader *in, const char *rel, struct csv_col *cols,
		    int ncols)
{
	char path[PATH_MAX];
	int r;

	if (path_fmt(path, sizeof(path), "%s/%s", s->rundir, rel) < 0)
		return log_err_errno(-ENAMETOOLONG, "open %s/%s", s->rundir, rel);
	r = csv_reader_open(in, path);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return log_err_errno(r, "open %s", path);
	r = csv_read_header(in, cols, ncols);
	if (r < 0)
		csv_reader_close(in);
	return r;
}

static double field_num(const struct csv_reader *in, int i)
{
	double v;

	return csv_field_double(in, i, &v) ? v : NAN;
}

static int flow_index(struct summary *s, const char *name, bool add)
{
	for (int i = 0; i < s->nflows; i++)
		if (!strcmp(s->flows[i].name, name))
			return i;
	if (!add || s->nflows == CFG_MAX_FLOWS || strlen(name) >= CFG_NAME_MAX)
		return -1;
	snprintf(s->flows[s->nflows].name, CFG_NAME_MAX, "%s", name);
	s->flows[s->nflows].start_s = NAN;
	s->flows[s->nflows].data_end_s = NAN;
	s->flows[s->nflows].end_s = NAN;
	s->flows[s->nflows].extra_rtt_ms = 0;
	for (int i = 0; i < s->ncfg; i++)
		if (!strcmp(s->cfg_name[i], name))
			s->flows[s->nflows].extra_rtt_ms = s->cfg_extra_ms[i];
	return s->nflows++;
}

/* The connection of a row: (flow, conn) of flows.csv, or NULL. */
static struct sconn *find_conn(struct summary *s, const struct csv_reader *in, int fcol, int ccol)
{
	int f = flow_index(s, csv_field(in, fcol), false);
	double conn;

	if (f < 0 || !csv_field_double(in, ccol, &conn) || !(conn >= 0) ||
	    conn >= s->flows[f].nby || s->flows[f].by_conn[(long)conn] < 0)
		return NULL;
	return &s->conns[s->flows[f].by_conn[(long)conn]];
}

static int index_conns(struct summary *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		struct sflow *f = &s->flows[s->conns[i].flow];
		long c = s->conns[i].conn;

		if (c < 0 || c >= CFG_MAX_CONNS)
			continue;
		if (c >= f->nby) {
			long *p = realloc(f->by_conn, (c + 1) * sizeof(*p));

			if (!p)
				return -ENOMEM;
			for (long k = f->nby; k <= c; k++)
				p[k] = -1;
			f->by_conn = p;
			f->nby = c + 1;
		}
		f->by_conn[c] = (long)i;
	}
	return 0;
}

static int read_flows_csv(struct summary *s)
{
	struct csv_col cols[] = {
	    {"flow"},
	    {"conn"},
	    {"cc"},
	    {"start_s"},
	    {"end_s"},
	    {"bytes"},
	    {"goodput_mbit"},
	    {"retrans"},
	    {"rtos"},
	    /* what limited it, absent in folders from before docs/diagnosis.md */
	    {"busy_ms", .optional = true},
	    {"rwnd_limited_ms", .optional = true},
	    {"sndbuf_limited_ms", .optional = true},
	    {"app_limited_ms", .optional = true},
	    {"spurious_retrans", .optional = true}};
	struct csv_reader in;
	int r;

	r = open_csv(s, &in, "flows.csv", cols, 14);
	if (r == 1)
		log_info("%s has no flows.csv: no summary", s->rundir);
	if (r)
		return r;
	while ((r = csv_next_row(&in)) == 1) {
		struct sconn *c;
		double conn;
		int f = flow_index(s, csv_field(&in, cols[0].idx), true);

		if (f < 0) {
			r = log_err_errno(-EINVAL,
					  "%s:%lu: flow \"%s\": a bad name or too many flows",
					  in.path, in.line, csv_field(&in, cols[0].idx));
			break;
		}
		if (s->nconns == s->cap_conns) {
			size_t cap = s->cap_conns ? 2 * s->cap_conns : 16;
			struct sconn *p = realloc(s->conns, cap * sizeof(*p));

			if (!p) {
				r = -ENOMEM;
				break;
			}
			s->conns = p;
			s->cap_conns = cap;
		}
		c = &s->conns[s->nconns++];
		memset(c, 0, sizeof(*c));
		c->flow = f;
		c->conn =
		    csv_field_double(&in, cols[1].idx, &conn) && conn >= 0 && conn < CFG_MAX_CONNS
			? (long)conn
			: -1;
		snprintf(c->cc, sizeof(c->cc), "%s", csv_field(&in, cols[2].idx));
		c->start_s = field_num(&in, cols[3].idx);
		c->end_s = field_num(&in, cols[4].idx);
		c->bytes = field_num(&in, cols[5].idx);
		/* From its parts: the column is rounded to 3 decimals. */
		c->goodput_mbit = c->end_s > c->start_s && !isnan(c->bytes)
				      ? c->bytes * 8 / (c->end_s - c->start_s) / 1e6
				      : field_num(&in, cols[6].idx);
		c->retrans = field_num(&in, cols[7].idx);
		c->rtos = field_num(&in, cols[8].idx);
		c->why.busy_ms = field_num(&in, cols[9].idx);
		c->why.rwnd_ms = field_num(&in, cols[10].idx);
		c->why.sndbuf_ms = field_num(&in, cols[11].idx);
		c->why.life_ms = c->why.busy_ms + field_num(&in, cols[12].idx);
		c->why.retrans = c->retrans;
		c->spurious_retrans = field_num(&in, cols[13].idx);
		c->rtt_min_ms = NAN;
		c->delivered_pkts = NAN;
		c->ca_cur = -1;
		keep_min(&s->flows[f].start_s, c->start_s);
	}
	csv_reader_close(&in);
	return r;
}

static int add_sample(struct sconn *c, double t, double srtt_ms, uint64_t acked)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		double *t2 = realloc(c->t_s, cap * sizeof(*t2));

		if (t2)
			c->t_s = t2;
		double *s2 = realloc(c->srtt_ms, cap * sizeof(*s2));

		if (s2)
			c->srtt_ms = s2;
		uint64_t *a2 = realloc(c->acked, cap * sizeof(*a2));

		if (a2)
			c->acked = a2;
		if (!t2 || !s2 || !a2)
			return -ENOMEM;
		c->cap = cap;
	}
	c->t_s[c->n] = t;
	c->srtt_ms[c->n] = srtt_ms;
	c->acked[c->n] = acked;
	c->n++;
	return 0;
}

/* The time a connection's data ends: its last sample. */
static double data_end(const struct sconn *c)
{
	return c->n ? c->t_s[c->n - 1] : NAN;
}

/* When it ended: flows.csv end_s, else its last sample. A connection in RTO backoff has no
 * samples for seconds, and is still there, getting nothing. */
static double conn_end(const struct sconn *c)
{
	return isnan(c->end_s) ? data_end(c) : c->end_s;
}

static int read_cwnd_csv(struct summary *s)
{
	struct csv_col cols[] = {{"t_s"},	 {"flow"},	  {"conn"},	     {"srtt_us"},
				 {"rtt_min_us"}, {"bytes_acked"}, {"delivered_pkts"}};
	struct csv_reader in;
	int r;

	r = open_csv(s, &in, "timeline/cwnd.csv", cols, 7);
	if (r)
		return r == 1 ? 0 : r;
	while ((r = csv_next_row(&in)) == 1) {
		struct sconn *c = find_conn(s, &in, cols[1].idx, cols[2].idx);
		double t, srtt = field_num(&in, cols[3].idx), mn = field_num(&in, cols[4].idx);
		uint64_t acked;

		if (!c || !csv_field_double(&in, cols[0].idx, &t) ||
		    !csv_field_u64(&in, cols[5].idx, &acked))
			continue;
		/* Rows of a connection are in time order but for a swap of a few us. */
		if (c->n && t < c->t_s[c->n - 1])
			t = c->t_s[c->n - 1];
		r = add_sample(c, t, srtt > 0 ? srtt / 1000 : NAN, acked);
		if (r < 0)
			break;
		if (mn > 0 && mn < RTT_MIN_NONE)
			keep_min(&c->rtt_min_ms, mn / 1000);
		c->delivered_pkts = field_num(&in, cols[6].idx);
	}
	csv_reader_close(&in);
	for (size_t i = 0; i < s->nconns; i++) {
		struct sconn *c = &s->conns[i];
		struct sflow *f = &s->flows[c->flow];

		if (c->n)
			keep_max(&f->data_end_s, c->t_s[c->n - 1]);
		keep_max(&f->end_s, conn_end(c));
		/* Without an emulated delay the connections share one path: its base RTT is the
		 * smallest any of them saw, less its flow's own access path. */
		if (!s->base_from_link)
			keep_min(&s->base_rtt_ms, c->rtt_min_ms - f->extra_rtt_ms);
	}
	return r;
}

static void ca_advance(struct sconn *c, double t)
{
	if (c->ca_cur >= 0 && t > c->ca_since)
		c->ca_s[c->ca_cur] += t - c->ca_since;
	if (t > c->ca_since || c->ca_cur < 0)
		c->ca_since = t;
}

static int ca_index(const char *name)
{
	for (int i = 0; i < NCA; i++)
		if (!strcmp(ca_names[i], name))
			return i;
	return -1;
}

/* Time in each congestion state: Open from the first sample (ESTABLISHED) on, then as the
 * sender's ca_state.csv rows say, until end_s (else the last sample). */
static int read_ca_csv(struct summary *s)
{
	struct csv_col cols[] = {{"t_s"}, {"flow"}, {"conn"}, {"side"}, {"new_ca_state"}};
	struct csv_reader in;
	int r;

	for (size_t i = 0; i < s->nconns; i++) {
		struct sconn *c = &s->conns[i];

		if (c->n) {
			c->ca_cur = 0;
			c->ca_since = c->t_s[0];
		}
	}
	r = open_csv(s, &in, "events/ca_state.csv", cols, 5);
	if (r < 0)
		return r;
	while (r == 0 && (r = csv_next_row(&in)) == 1) {
		struct sconn *c = find_conn(s, &in, cols[1].idx, cols[2].idx);
		double t;

		r = 0;
		if (!c || strcmp(csv_field(&in, cols[3].idx), "sender") != 0 ||
		    !csv_field_double(&in, cols[0].idx, &t))
			continue;
		if (c->ca_cur < 0) {
			c->ca_cur = 0;
			c->ca_since = t;
		}
		ca_advance(c, t);
		c->ca_cur = ca_index(csv_field(&in, cols[4].idx));
	}
	/* r is 1 only when there is no such file. */
	if (r != 1)
		csv_reader_close(&in);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->nconns; i++) {
		struct sconn *c = &s->conns[i];
		double end = conn_end(c);

		if (c->ca_cur < 0) {
			/* Neither a sample nor a row (collect.level = "none"): not known. */
			for (int k = 0; k < NCA; k++)
				c->ca_s[k] = NAN;
		} else if (!isnan(end)) {
			ca_advance(c, end);
		}
	}
	return 0;
}

/* Bytes acknowledged in (from_s, to_s] x 8 / the span / 10^6. */
static double acked_mbit(const struct sconn *c, double from_s, double to_s)
{
	if (!c->n || !(to_s > from_s))
		return NAN;
	return (stats_cum_at(c->t_s, c->acked, c->n, to_s) -
		stats_cum_at(c->t_s, c->acked, c->n, from_s)) *
	       8 / (to_s - from_s) / 1e6;
}

static int make_buckets(struct summary *s)
{
	double end = 0;

	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i].n && conn_end(&s->conns[i]) > end)
			end = conn_end(&s->conns[i]);
	/* A run lasts at most a day and its stop grace: a later end is a broken file. */
	if (end > SUMMARY_END_MAX_S)
		end = SUMMARY_END_MAX_S;
	s->nb = (size_t)ceil(end / SUMMARY_BUCKET_S);
	for (size_t i = 0; i < s->nconns; i++) {
		struct sconn *c = &s->conns[i];

		c->bucket_mbit = calloc(s->nb + 1, sizeof(*c->bucket_mbit));
		c->active = calloc(s->nb + 1, sizeof(*c->active));
		if (!c->bucket_mbit || !c->active)
			return -ENOMEM;
		for (size_t b = 0; b < s->nb; b++) {
			double lo = b * SUMMARY_BUCKET_S, hi = lo + SUMMARY_BUCKET_S;

			/* A bucket counts for a connection that covers 90% of it or more: one that
			 * starts at t0 + 0.4 ms or ends 5 ms short of a whole second still does. */
			c->active[b] =
			    c->n &&
			    c->start_s <= lo + (1 - SUMMARY_BUCKET_COVER) * SUMMARY_BUCKET_S &&
			    hi - (1 - SUMMARY_BUCKET_COVER) * SUMMARY_BUCKET_S <= conn_end(c);
			c->bucket_mbit[b] = c->active[b] ? acked_mbit(c, lo, hi) : 0;
		}
	}
	return 0;
}

/* The outputs: one call writes a metric to the open JSON object and a row of summary.csv. */
static void put(struct summary *s, const char *metric, double v)
{
	/* Counts as integers, in both files. */
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		json_kv_int(&s->j, metric, (int64_t)v);
	else
		json_kv_double(&s->j, metric, v);
	csv_str(&s->c, s->scope);
	csv_str(&s->c, s->flow ? s->flow : "");
	if (s->conn >= 0)
		csv_i64(&s->c, s->conn);
	else
		csv_str(&s->c, "");
	csv_str(&s->c, metric);
	/* Enough digits for bytes and for ratios alike. */
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		csv_i64(&s->c, (int64_t)v);
	else
		csv_double(&s->c, v, 6);
	csv_end_row(&s->c);
}

/* srtt and queueing delay percentiles over the samples of the connections of flow `flow`
 * among conns[0..nconns-1], each sample weighted by the time until the connection's next. */
static int put_delays(struct summary *s, const struct sconn *conns, size_t nconns, int flow)
{
	double *v = NULL, *q = NULL, *w = NULL, *wq = NULL;
	size_t n = 0, k = 0;
	int r = 0;

	for (size_t i = 0; i < nconns; i++)
		if (conns[i].flow == flow)
			n += conns[i].n;
	v = malloc((n + 1) * sizeof(*v));
	q = malloc((n + 1) * sizeof(*q));
	w = malloc((n + 1) * sizeof(*w));
	wq = malloc((n + 1) * sizeof(*wq));
	if (!v || !q || !w || !wq) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nconns; i++) {
		const struct sconn *c = &conns[i];

		if (c->flow != flow || !c->n)
			continue;
		/* Weights in wq for now; the last sample holds for no known time: it weighs 0. */
		stats_time_weights(c->t_s, c->n, c->t_s[c->n - 1], wq);
		for (size_t j = 0; j < c->n; j++) {
			if (isnan(c->srtt_ms[j]))
				continue;
			v[k] = c->srtt_ms[j];
			q[k] = v[k] - s->base_rtt_ms - s->flows[c->flow].extra_rtt_ms;
			w[k++] = wq[j];
		}
	}
	/* Each sort keeps a value with its weight, so each series gets its own weights. */
	memcpy(wq, w, k * sizeof(*w));
	put(s, "srtt_p50_ms", stats_wpercentile(v, w, k, 50));
	put(s, "srtt_p95_ms", stats_wpercentile(v, w, k, 95));
	put(s, "srtt_p99_ms", stats_wpercentile(v, w, k, 99));
	/* No base RTT (no delay set, no RTT sample at all): no queueing delay either. */
	put(s, "qdelay_p50_ms", isnan(s->base_rtt_ms) ? NAN : stats_wpercentile(q, wq, k, 50));
	put(s, "qdelay_p95_ms", isnan(s->base_rtt_ms) ? NAN : stats_wpercentile(q, wq, k, 95));
out:
	free(v);
	free(q);
	free(w);
	free(wq);
	return r;
}

/* Retransmitted segments per segment sent, sent taken as delivered + retransmitted. */
static double retrans_pct(double retrans, double delivered)
{
	return retrans + delivered > 0 ? 100 * retrans / (retrans + delivered) : NAN;
}

static void put_ca(struct summary *s, const double *ca_s)
{
	for (int i = 0; i < NCA; i++)
		put(s, ca_metrics[i], ca_s[i]);
}

/* A sum that stays NaN until a first known value. */
static void add_known(double *sum, double v)
{
	*sum = (isnan(*sum) ? 0 : *sum) + v;
}

/* Shares of what limited it (docs/diagnosis.md): of its life for app_limited_pct, of busy
 * time for the others; its limit in summary.json. */
static void put_why(struct summary *s, const struct diag_ms *d, double spurious)
{
	double busy = d->busy_ms, pct;
	enum diag_limit l = diag_classify(d, &pct);

	put(s, "busy_ms", busy);
	put(s, "rwnd_limited_pct", busy > 0 ? 100 * d->rwnd_ms / busy : NAN);
	put(s, "sndbuf_limited_pct", busy > 0 ? 100 * d->sndbuf_ms / busy : NAN);
	put(s, "cwnd_limited_pct", busy > 0 ? 100 * diag_cwnd_ms(d) / busy : NAN);
	put(s, "app_limited_pct", d->life_ms > 0 ? 100 * diag_idle_ms(d) / d->life_ms : NAN);
	put(s, "spurious_retrans", spurious);
	char verdict[192] = "";

	if (!isnan(d->life_ms))
		diag_verdict(d, verdict, sizeof(verdict));
	json_kv_str(&s->j, "limit", isnan(d->life_ms) ? "" : diag_limit_name(l));
	json_kv_str(&s->j, "verdict", verdict);
}

static int put_conn(struct summary *s, const struct sconn *c)
{
	double from = c->start_s + s->warmup_s;
	int r;

	json_object_begin(&s->j);
	json_kv_str(&s->j, "flow", s->flows[c->flow].name);
	if (c->conn >= 0)
		json_kv_int(&s->j, "conn", c->conn);
	else
		json_kv_null(&s->j, "conn");
	json_kv_str(&s->j, "cc", c->cc);
	s->scope = "connection";
	s->flow = s->flows[c->flow].name;
	s->conn = c->conn;
	put(s, "bytes", c->bytes);
	put(s, "goodput_mbit", c->goodput_mbit);
	put(s, "goodput_steady_mbit", acked_mbit(c, from, data_end(c)));
	r = put_delays(s, c, 1, c->flow);
	if (r < 0)
		return r;
	put(s, "retrans_pkts", c->retrans);
	put(s, "retrans_rate_pct", retrans_pct(c->retrans, c->delivered_pkts));
	put(s, "rtos", c->rtos);
	put_ca(s, c->ca_s);
	put_why(s, &c->why, c->spurious_retrans);
	json_object_end(&s->j);
	return 0;
}

/* Whether any connection of flow `f` covers bucket b, and their goodput there. */
static bool flow_bucket(const struct summary *s, int f, size_t b, double *mbit)
{
	bool any = false;

	*mbit = 0;
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i].flow == f && s->conns[i].active[b]) {
			any = true;
			*mbit += s->conns[i].bucket_mbit[b];
		}
	return any;
}

/* Bucket b of the connections: goodputs and who is active, for Jain and convergence. */
static size_t conn_bucket(const struct summary *s, size_t b, double *x, bool *act)
{
	size_t k = 0;

	for (size_t i = 0; i < s->nconns; i++) {
		x[i] = s->conns[i].bucket_mbit[b];
		act[i] = s->conns[i].active[b];
		k += act[i];
	}
	return k;
}

/* Jain's index over the active entries of x, NaN with fewer than 2. */
static double jain_active(const double *x, const bool *act, size_t n, double *tmp)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (act[i])
			tmp[k++] = x[i];
	return k >= 2 ? stats_jain(tmp, k) : NAN;
}

struct fairness {
	double *t_s, *jain_conns, *jain_flows;
	bool *conv;	 /* the connections within the band of their fair share */
	bool overlap;	 /* some bucket has two connections */
	double *x, *tmp; /* scratch, nconns or nflows long */
	bool *act;
};

static void fairness_free(struct fairness *fa)
{
	free(fa->t_s);
	free(fa->jain_conns);
	free(fa->jain_flows);
	free(fa->conv);
	free(fa->x);
	free(fa->tmp);
	free(fa->act);
}

static int fairness_compute(const struct summary *s, struct fairness *fa)
{
	size_t n = (s->nconns > CFG_MAX_FLOWS ? s->nconns : CFG_MAX_FLOWS) + 1;

	memset(fa, 0, sizeof(*fa));
	fa->t_s = calloc(s->nb + 1, sizeof(double));
	fa->jain_conns = calloc(s->nb + 1, sizeof(double));
	fa->jain_flows = calloc(s->nb + 1, sizeof(double));
	fa->conv = calloc(s->nb + 1, sizeof(bool));
	fa->x = calloc(n, sizeof(double));
	fa->tmp = calloc(n, sizeof(double));
	fa->act = calloc(n, sizeof(bool));
	if (!fa->t_s || !fa->jain_conns || !fa->jain_flows || !fa->conv || !fa->x || !fa->tmp ||
	    !fa->act)
		return -ENOMEM;
	for (size_t b = 0; b < s->nb; b++) {
		fa->t_s[b] = b * SUMMARY_BUCKET_S;
		fa->overlap |= conn_bucket(s, b, fa->x, fa->act) >= 2;
		fa->conv[b] = stats_bucket_converged(fa->x, fa->act, s->nconns);
		fa->jain_conns[b] = jain_active(fa->x, fa->act, s->nconns, fa->tmp);
		for (int f = 0; f < s->nflows; f++)
			fa->act[f] = flow_bucket(s, f, b, &fa->x[f]);
		fa->jain_flows[b] = jain_active(fa->x, fa->act, s->nflows, fa->tmp);
	}
	return 0;
}

/* Where the buckets of a stretch that ends at end_s stop: the last one counted is the last
 * its connections can still cover (SUMMARY_BUCKET_COVER of it). Else the bucket in which a
 * connection leaves would count, with one connection fewer, as converged. */
static double buckets_until(double end_s)
{
	return end_s - SUMMARY_BUCKET_COVER * SUMMARY_BUCKET_S;
}

/* The smallest of v over the buckets that start in [from_s, until_s); NaN when from_s is NaN
 * or none has a value. */
static double min_in(const struct summary *s, const struct fairness *fa, const double *v,
		     double from_s, double until_s)
{
	double m = NAN;

	for (size_t b = 0; b < s->nb; b++)
		if (fa->t_s[b] >= from_s && fa->t_s[b] < until_s && !isnan(v[b]))
			keep_min(&m, v[b]);
	return m;
}

/* A flow joins when another flow is sending at its start. Its convergence is looked for up
 * to the next flow's start or its own last sample, whichever comes first. */
static double join_convergence_s(const struct summary *s, const struct fairness *fa, int f)
{
	double at = s->flows[f].start_s, until = NAN;
	bool joins = false;

	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i].flow == f)
			keep_max(&until, conn_end(&s->conns[i]));
	if (!fa->overlap || isnan(at) || isnan(until))
		return NAN;
	for (int g = 0; g < s->nflows; g++) {
		const struct sflow *o = &s->flows[g];

		if (g == f)
			continue;
		if (o->start_s < at && o->end_s > at)
			joins = true;
		if (o->start_s > at && o->start_s < until)
			until = o->start_s;
	}
	return joins ? stats_convergence_s(fa->t_s, fa->conv, s->nb, at, buckets_until(until))
		     : NAN;
}

static int put_flow(struct summary *s, int f, const struct fairness *fa)
{
	const struct sflow *fl = &s->flows[f];
	double bytes = 0, retrans = 0, delivered = 0, rtos = 0, ca_s[NCA], steady = 0;
	double end = NAN, from = fl->start_s + s->warmup_s, spurious = NAN;
	/* The flow's accounting: its connections' summed */
	struct diag_ms why = {.life_ms = NAN, .busy_ms = NAN, .rwnd_ms = NAN, .sndbuf_ms = NAN};
	long nconn = 0;
	int r;

	for (int k = 0; k < NCA; k++)
		ca_s[k] = NAN;
	for (size_t i = 0; i < s->nconns; i++) {
		const struct sconn *c = &s->conns[i];

		if (c->flow != f)
			continue;
		nconn += c->conn >= 0;
		bytes += isnan(c->bytes) ? 0 : c->bytes;
		retrans += isnan(c->retrans) ? 0 : c->retrans;
		delivered += isnan(c->delivered_pkts) ? 0 : c->delivered_pkts;
		rtos += isnan(c->rtos) ? 0 : c->rtos;
		for (int k = 0; k < NCA; k++)
			if (!isnan(c->ca_s[k]))
				ca_s[k] = isnan(ca_s[k]) ? c->ca_s[k] : ca_s[k] + c->ca_s[k];
		if (!isnan(c->why.life_ms)) {
			add_known(&why.life_ms, c->why.life_ms);
			add_known(&why.busy_ms, c->why.busy_ms);
			add_known(&why.rwnd_ms, c->why.rwnd_ms);
			add_known(&why.sndbuf_ms, c->why.sndbuf_ms);
			add_known(&spurious, c->spurious_retrans);
		}
		keep_max(&end, c->end_s);
		if (c->n && fl->data_end_s > from)
			steady += acked_mbit(c, from, fl->data_end_s);
	}
	json_object_begin(&s->j);
	json_kv_str(&s->j, "flow", fl->name);
	s->scope = "flow";
	s->flow = fl->name;
	s->conn = -1;
	put(s, "connections", nconn);
	put(s, "bytes", bytes);
	put(s, "goodput_mbit", end > fl->start_s ? bytes * 8 / (end - fl->start_s) / 1e6 : NAN);
	put(s, "goodput_steady_mbit", fl->data_end_s > from ? steady : NAN);
	r = put_delays(s, s->conns, s->nconns, f);
	if (r < 0)
		return r;
	put(s, "retrans_pkts", retrans);
	put(s, "retrans_rate_pct", retrans_pct(retrans, delivered));
	put(s, "rtos", rtos);
	put_ca(s, ca_s);
	why.retrans = retrans;
	put_why(s, &why, spurious);
	put(s, "convergence_s", join_convergence_s(s, fa, f));
	json_object_end(&s->j);
	return 0;
}

/* The run: totals, Jain's index over whole-run goodputs, convergence after the last start. */
static void put_run(struct summary *s, const struct fairness *fa)
{
	double bytes = 0, first = NAN, last = NAN, last_start = NAN, until = NAN, conv;
	double *g = fa->tmp;
	size_t k = 0;

	s->scope = "run";
	s->flow = NULL;
	s->conn = -1;
	for (size_t i = 0; i < s->nconns; i++) {
		const struct sconn *c = &s->conns[i];

		bytes += isnan(c->bytes) ? 0 : c->bytes;
		keep_min(&first, c->start_s);
		keep_max(&last, c->end_s);
		keep_max(&last_start, c->start_s);
		if (!isnan(c->goodput_mbit))
			g[k++] = c->goodput_mbit;
	}
	put(s, "warmup_s", s->warmup_s);
	put(s, "connections", (double)s->nconns);
	put(s, "flows", s->nflows);
	put(s, "goodput_mbit", last > first ? bytes * 8 / (last - first) / 1e6 : NAN);
	put(s, "jain_conns", k >= 2 ? stats_jain(g, k) : NAN);
	k = 0;
	for (int f = 0; f < s->nflows; f++) {
		double fb = 0, fend = NAN;

		for (size_t i = 0; i < s->nconns; i++)
			if (s->conns[i].flow == f) {
				fb += isnan(s->conns[i].bytes) ? 0 : s->conns[i].bytes;
				keep_max(&fend, s->conns[i].end_s);
			}
		if (fend > s->flows[f].start_s)
			g[k++] = fb * 8 / (fend - s->flows[f].start_s) / 1e6;
	}
	put(s, "jain_flows", k >= 2 ? stats_jain(g, k) : NAN);
	/* All together: from the last start until the first connection ends after it. */
	for (size_t i = 0; i < s->nconns; i++)
		if (conn_end(&s->conns[i]) > last_start)
			keep_min(&until, conn_end(&s->conns[i]));
	until = buckets_until(until);
	conv = fa->overlap ? stats_convergence_s(fa->t_s, fa->conv, s->nb, last_start, until) : NAN;
	put(s, "convergence_s", conv);
	put(s, "jain_conns_1s_min", min_in(s, fa, fa->jain_conns, last_start + conv, until));
	put(s, "jain_flows_1s_min", min_in(s, fa, fa->jain_flows, last_start + conv, until));
}

static void put_buckets(struct summary *s, const struct fairness *fa)
{
	const double *cols[] = {fa->t_s, fa->jain_conns, fa->jain_flows};
	const char *names[] = {"t_s", "jain_conns", "jain_flows"};

	json_key(&s->j, "fairness_1s");
	json_object_begin(&s->j);
	for (int k = 0; k < 3; k++) {
		json_key(&s->j, names[k]);
		json_array_begin(&s->j);
		for (size_t b = 0; b < s->nb; b++)
			json_double(&s->j, cols[k][b]);
		json_array_end(&s->j);
	}
	json_object_end(&s->j);
}

/* One direction of timeline/link.csv. */
struct link_dir {
	double last_t, delivered, capacity, span, cap_span, drops, queue_max;
	double *queue;
	size_t n, cap;
};

static int read_link_csv(struct summary *s, struct link_dir dir[2], bool *have)
{
	struct csv_col cols[] = {{"t_s"},	   {"direction"},
				 {"queue_pkts"},   {"delivered_mbit"},
				 {"dropped_pkts"}, {"capacity_mbit"}};
	struct csv_reader in;
	int r;

	*have = false;
	r = open_csv(s, &in, "timeline/link.csv", cols, 6);
	if (r)
		return r == 1 ? 0 : r;
	*have = true;
	while ((r = csv_next_row(&in)) == 1) {
		const char *d = csv_field(&in, cols[1].idx);
		struct link_dir *l = !strcmp(d, "up")	  ? &dir[0]
				     : !strcmp(d, "down") ? &dir[1]
							  : NULL;
		double t, q, cap, dt;

		if (!l || !csv_field_double(&in, cols[0].idx, &t))
			continue;
		/* A row covers the time since the previous row of its direction (from t0). */
		dt = t - l->last_t;
		l->last_t = t;
		if (!(dt > 0))
			continue;
		cap = field_num(&in, cols[5].idx);
		l->span += dt;
		l->delivered += field_num(&in, cols[3].idx) * dt;
		if (cap > 0) {
			l->capacity += cap * dt;
			l->cap_span += dt;
		}
		l->drops += field_num(&in, cols[4].idx);
		q = field_num(&in, cols[2].idx);
		if (l->n == l->cap) {
			size_t nc = l->cap ? 2 * l->cap : 1024;
			double *p = realloc(l->queue, nc * sizeof(*p));

			if (!p) {
				r = -ENOMEM;
				break;
			}
			l->queue = p;
			l->cap = nc;
		}
		l->queue[l->n++] = q;
		keep_max(&l->queue_max, q);
	}
	csv_reader_close(&in);
	return r;
}

static int put_link(struct summary *s)
{
	struct link_dir dir[2] = {{.queue_max = NAN}, {.queue_max = NAN}};
	const char *names[] = {"up", "down"};
	bool have;
	int r = read_link_csv(s, dir, &have);

	if (r < 0 || !have)
		goto out;
	json_key(&s->j, "link");
	json_object_begin(&s->j);
	s->scope = "link";
	s->conn = -1;
	for (int d = 0; d < 2; d++) {
		struct link_dir *l = &dir[d];

		if (!l->n)
			continue;
		/* The flow column holds the direction. */
		s->flow = names[d];
		json_key(&s->j, names[d]);
		json_object_begin(&s->j);
		put(s, "utilisation_pct", l->capacity > 0 ? 100 * l->delivered / l->capacity : NAN);
		put(s, "delivered_mbit", l->delivered / l->span);
		put(s, "capacity_mbit", l->cap_span > 0 ? l->capacity / l->cap_span : NAN);
		put(s, "drops_pkts", l->drops);
		put(s, "queue_p50_pkts", stats_percentile(l->queue, l->n, 50));
		put(s, "queue_p95_pkts", stats_percentile(l->queue, l->n, 95));
		put(s, "queue_max_pkts", l->queue_max);
		json_object_end(&s->j);
	}
	json_object_end(&s->j);
out:
	free(dir[0].queue);
	free(dir[1].queue);
	return r;
}

static const char *const summary_cols[] = {"scope", "flow", "conn", "metric", "value", NULL};

static int write_outputs(struct summary *s)
{
	struct fairness fa;
	char *text = NULL, path[PATH_MAX];
	size_t len = 0;
	FILE *f;
	int r;

	r = fairness_compute(s, &fa);
	if (r < 0)
		goto out;
	f = open_memstream(&text, &len);
	if (!f) {
		r = -errno;
		goto out;
	}
	r = csv_open_mem(&s->c, summary_cols);
	if (r < 0) {
		fclose(f);
		goto out;
	}
	json_init(&s->j, f);
	json_object_begin(&s->j);
	json_kv_int(&s->j, "format_version", 1);
	json_kv_str(&s->j, "base_rtt", s->base_from_link ? "link_delay" : "min_rtt");
	json_kv_double(&s->j, "base_rtt_ms", s->base_rtt_ms);
	json_kv_double(&s->j, "bucket_s", SUMMARY_BUCKET_S);
	json_kv_double(&s->j, "converged_band", STATS_CONVERGED_BAND);
	json_key(&s->j, "run");
	json_object_begin(&s->j);
	put_run(s, &fa);
	json_object_end(&s->j);
	json_key(&s->j, "flows");
	json_array_begin(&s->j);
	for (int i = 0; r == 0 && i < s->nflows; i++)
		r = put_flow(s, i, &fa);
	json_array_end(&s->j);
	json_key(&s->j, "connections");
	json_array_begin(&s->j);
	for (size_t i = 0; r == 0 && i < s->nconns; i++)
		r = put_conn(s, &s->conns[i]);
	json_array_end(&s->j);
	if (r == 0)
		r = put_link(s);
	put_buckets(s, &fa);
	json_object_end(&s->j);
	if (r == 0)
		r = json_finish(&s->j);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0)
		r = path_fmt(path, sizeof(path), "%s/summary.json", s->rundir)
			?: path_replace_file(path, text, len);
	if (r == 0)
		r = path_fmt(path, sizeof(path), "%s/summary.csv", s->rundir)
			?: path_replace_file(path, s->c.buf, s->c.row_start);
	if (r < 0)
		log_err_errno(r, "write %s/summary.json and summary.csv", s->rundir);
	csv_close(&s->c);
out:
	free(text);
	fairness_free(&fa);
	return r;
}

int summary_write(const char *rundir)
{
	struct summary *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->rundir = rundir;
	read_config(s);
	/* 1 from here: no flows.csv, nothing to summarise. */
	r = read_flows_csv(s);
	if (r == 0)
		r = index_conns(s);
	if (r == 0)
		r = read_cwnd_csv(s);
	if (r == 0)
		r = read_ca_csv(s);
	if (r == 0)
		r = make_buckets(s);
	if (r == 0)
		r = write_outputs(s);
	for (size_t i = 0; i < s->nconns; i++) {
		free(s->conns[i].t_s);
		free(s->conns[i].srtt_ms);
		free(s->conns[i].acked);
		free(s->conns[i].bucket_mbit);
		free(s->conns[i].active);
	}
	for (int f = 0; f < s->nflows; f++)
		free(s->flows[f].by_conn);
	free(s->conns);
	free(s);
	return r;
}
