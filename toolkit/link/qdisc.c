/* The qdisc link backends, tc and netem: qdiscs on the router's two egresses, built through
 * rtnetlink, and a sampler process that turns their statistics into timeline/link.csv. */
#include "link/qdisc.h"
#include "core/path.h"
#include "core/csv.h"
#include "core/log.h"
#include "kernel/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/pkt_sched.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* tbf needs a bucket of at least one full frame; more than ~1 ms of line rate blurs the
 * rate over short intervals. */
#define BURST_MIN_BYTES (2 * 1514)
#define STOP_WAIT_MS	3000
#define QDISC_READY_MS	10000

static const char *const dir_names[2] = {"up", "down"};

/* --- plans ----------------------------------------------------------------------------------- */

/* The mass of a standard normal below x. */
static double normal_cdf(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

void qdisc_normal_table(int16_t *t, int n)
{
	double lo = normal_cdf(-QDISC_DIST_CUT), hi = normal_cdf(QDISC_DIST_CUT);

	for (int i = 0; i < n; i++) {
		double want = lo + (hi - lo) * (i + 0.5) / n, a = -QDISC_DIST_CUT,
		       b = QDISC_DIST_CUT;

		/* libm has no inverse: bisect the CDF, to far below one table step. */
		for (int k = 0; k < 60; k++) {
			double mid = (a + b) / 2;

			if (normal_cdf(mid) < want)
				a = mid;
			else
				b = mid;
		}
		t[i] = (int16_t)lrint((a + b) / 2 * NETEM_DIST_SCALE);
	}
}

static uint32_t burst_bytes(double rate_mbit)
{
	double b = rate_mbit * 1e6 / 8 / 1000; /* 1 ms at the rate */

	return b < BURST_MIN_BYTES ? BURST_MIN_BYTES : (uint32_t)b;
}

/* tbf at the rate and the queue's FIFO below it, from handle `major` on. */
static void add_shaper(struct qdisc_dir_plan *dp, uint32_t parent, uint32_t major, double rate_mbit,
		       uint32_t queue_pkts, uint64_t queue_bytes)
{
	struct netlink_qdisc *tbf = &dp->q[dp->n++], *fifo = &dp->q[dp->n++];

	tbf->kind = NETLINK_TBF;
	tbf->handle = NETLINK_HANDLE(major, 0);
	tbf->parent = parent;
	tbf->tbf.rate_bytes_ps = (uint64_t)llround(rate_mbit * 1e6 / 8);
	tbf->tbf.burst_bytes = burst_bytes(rate_mbit);
	/* No queue of tbf's own: the FIFO below is the queue, counted as the config says. */
	tbf->tbf.limit_bytes = 0;
	fifo->kind = queue_pkts ? NETLINK_PFIFO : NETLINK_BFIFO;
	fifo->handle = NETLINK_HANDLE(major + 1, 0);
	fifo->parent = NETLINK_HANDLE(major, 1);
	fifo->fifo_limit = queue_pkts
			       ? queue_pkts
			       : (queue_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)queue_bytes);
	dp->queue_handle = tbf->handle;
	dp->capacity_mbit = rate_mbit;
}

static void dir_begin(struct qdisc_dir_plan *dp, const char *ifname)
{
	memset(dp, 0, sizeof(*dp));
	dp->present = true;
	snprintf(dp->ifname, sizeof(dp->ifname), "%s", ifname);
}

void qdisc_plan_tc(struct qdisc_plan *p, const struct link_spec *l, uint32_t queue_pkts,
		   uint64_t queue_bytes, const char *ns, const char *if_up)
{
	struct qdisc_dir_plan *up = &p->dir[QDISC_UP];

	memset(p, 0, sizeof(*p));
	p->backend = LINK_BACKEND_TC;
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	/* The egress towards the sender keeps the veth's default, noqueue, which counts
	 * nothing: the tc backend reports the uplink only. */
	dir_begin(up, if_up);
	add_shaper(up, NETLINK_ROOT, 1, l->rate_mbit, queue_pkts, queue_bytes);
	/* Rates, byte limits and counters in IP bytes, as the tun backend counts them. */
	up->q[0].size_overhead = -QDISC_ETH_HEADER;
}

void qdisc_plan_netem(struct qdisc_plan *p, const struct link_spec *l, unsigned long seed,
		      uint32_t queue_pkts, uint64_t queue_bytes, const uint32_t limit_pkts[2],
		      const char *ns, const char *if_up, const char *if_down)
{
	memset(p, 0, sizeof(*p));
	p->backend = LINK_BACKEND_NETEM;
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	qdisc_normal_table(p->dist, QDISC_DIST_LEN);
	for (int d = 0; d < 2; d++) {
		struct qdisc_dir_plan *dp = &p->dir[d];
		struct netlink_qdisc *root = &dp->q[0];
		struct netlink_netem *n = &root->netem;
		bool up = d == QDISC_UP;
		double rate_mbit = up ? l->rate_mbit : l->rate_down_mbit;

		dir_begin(dp, up ? if_up : if_down);
		dp->n = 1;
		root->kind = NETLINK_NETEM;
		root->handle = NETLINK_HANDLE(1, 0);
		root->parent = NETLINK_ROOT;
		root->size_overhead = -QDISC_ETH_HEADER;
		n->latency_ns = (uint64_t)llround((up ? l->delay_ms : l->delay_down_ms) * 1e6);
		n->jitter_ns = (uint64_t)llround(l->jitter_ms * 1e6);
		if (n->jitter_ns) {
			n->dist = p->dist;
			n->dist_len = QDISC_DIST_LEN;
			if (!l->jitter_reorder)
				n->rate_bytes_ps = QDISC_ORDER_RATE_BYTES_PS;
		}
		n->limit_pkts = limit_pkts[d];
		n->gilbert_elliott = up && l->loss_model == LINK_LOSS_GILBERT_ELLIOTT;
		n->loss = up ? l->loss : l->loss_down;
		n->ge_p = l->ge_p;
		n->ge_r = l->ge_r;
		n->ge_loss_good = l->ge_loss_good;
		n->ge_loss_bad = l->ge_loss_bad;
		/* One stream per direction, both fixed by the experiment's seed, as tun's. */
		n->have_seed = true;
		n->seed = (uint64_t)seed * 2 + (uint64_t)d;
		/* netem first, the queue after: the queue then holds only what waits for the
		 * rate, not the packets on the delay line, whose length limit_pkts bounds. */
		if (rate_mbit > 0)
			add_shaper(dp, NETLINK_HANDLE(1, 1), 2, rate_mbit, queue_pkts, queue_bytes);
	}
}

/* --- building ------------------------------------------------------------------------------ */

int qdisc_link_setup(struct qdisc_link *ql)
{
	struct netlink nl;
	char err[NETLINK_ERR_MAX], h[16];
	int r;

	r = netlink_open(&nl, ql->plan.ns, err, sizeof(err));
	if (r < 0) {
		log_err("rtnetlink in %s: %s", ql->plan.ns, err);
		return r;
	}
	for (int d = 0; d < 2; d++) {
		const struct qdisc_dir_plan *dp = &ql->plan.dir[d];
		int ifindex;

		if (!dp->present)
			continue;
		ifindex = netlink_ifindex(&nl, dp->ifname, err, sizeof(err));
		if (ifindex < 0) {
			r = ifindex;
			log_err("find %s in %s: %s", dp->ifname, ql->plan.ns, err);
			break;
		}
		for (int i = 0; i < dp->n && r == 0; i++) {
			r = netlink_qdisc_add(&nl, ifindex, &dp->q[i], err, sizeof(err));
			if (r < 0) {
				netlink_handle_str(dp->q[i].handle, h, sizeof(h));
				log_err("add %s qdisc %s on %s in %s: %s (%s)",
					netlink_kind_name(dp->q[i].kind), h, dp->ifname,
					ql->plan.ns, err, strerror(-r));
			}
		}
		if (r < 0)
			break;
	}
	netlink_close(&nl);
	return r;
}

/* --- the sampler process ------------------------------------------------------------------ */

struct sampler {
	const struct qdisc_plan *plan;
	struct qdisc_shared *sh;
	struct netlink nl;
	int ifindex[2];
	struct csv csv;
	uint64_t t0_ns, last_ns;
	struct netlink_qdisc_stats base[2][QDISC_PER_DIR], last[2][QDISC_PER_DIR];
	int nbase[2];
};

static const struct netlink_qdisc_stats *find(const struct netlink_qdisc_stats *s, int n,
					      uint32_t handle)
{
	for (int i = 0; i < n; i++)
		if (s[i].handle == handle)
			return &s[i];
	return NULL;
}

/* This direction's qdiscs, in the plan's order; the kernel may list others (none here). */
static int read_dir(struct sampler *s, int d, struct netlink_qdisc_stats *out, char *err,
		    size_t errlen)
{
	const struct qdisc_dir_plan *dp = &s->plan->dir[d];
	struct netlink_qdisc_stats all[8];
	int n = netlink_qdisc_stats(&s->nl, s->ifindex[d], all, 8, err, errlen);

	if (n < 0)
		return n;
	for (int i = 0; i < dp->n; i++) {
		const struct netlink_qdisc_stats *q = find(all, n < 8 ? n : 8, dp->q[i].handle);

		if (!q) {
			snprintf(err, errlen, "qdisc %x: is gone from %s", dp->q[i].handle >> 16,
				 dp->ifname);
			return -ENOENT;
		}
		out[i] = *q;
	}
	return dp->n;
}

/* The counters move on from their value at t0; u32 ones may wrap once between samples. */
static uint64_t since(uint64_t now, uint64_t then)
{
	return now - then;
}

static uint32_t since32(uint32_t now, uint32_t then)
{
	return now - then;
}

/* Reads both directions at `now` and writes their rows for the interval since the last. */
static int sample(struct sampler *s, uint64_t now, char *err, size_t errlen)
{
	double dt = ((double)now - (double)s->last_ns) / 1e9;

	for (int d = 0; d < 2; d++) {
		const struct qdisc_dir_plan *dp = &s->plan->dir[d];
		struct qdisc_totals *tot = &s->sh->dir[d];
		struct netlink_qdisc_stats cur[QDISC_PER_DIR];
		const struct netlink_qdisc_stats *root = &cur[0], *queue, *lroot = &s->last[d][0];
		uint32_t qpkts = 0;
		uint64_t qbytes = 0;
		int r;

		if (!dp->present)
			continue;
		r = read_dir(s, d, cur, err, errlen);
		if (r < 0)
			return r;
		queue = dp->queue_handle ? find(cur, dp->n, dp->queue_handle) : NULL;
		if (queue) {
			qpkts = queue->qlen;
			qbytes = queue->backlog;
		}
		csv_double(&s->csv, ((double)now - (double)s->t0_ns) / 1e9, 3);
		csv_str(&s->csv, dir_names[d]);
		csv_u64(&s->csv, qpkts);
		csv_u64(&s->csv, qbytes);
		csv_u64(&s->csv, since(root->packets, lroot->packets));
		csv_double(&s->csv, dt > 0 ? since(root->bytes, lroot->bytes) * 8 / dt / 1e6 : NAN,
			   3);
		csv_u64(&s->csv, since32(root->drops, lroot->drops));
		csv_double(&s->csv, dp->capacity_mbit, 3);
		csv_end_row(&s->csv);
		tot->rows++;

		tot->delivered_pkts = since(root->packets, s->base[d][0].packets);
		tot->delivered_bytes = since(root->bytes, s->base[d][0].bytes);
		tot->dropped_pkts = since32(root->drops, s->base[d][0].drops);
		if (queue) {
			const struct netlink_qdisc_stats *bq =
			    find(s->base[d], s->nbase[d], dp->queue_handle);

			tot->dropped_queue_pkts = since32(queue->drops, bq ? bq->drops : 0);
		}
		if (qpkts > tot->max_queue_pkts)
			tot->max_queue_pkts = qpkts;
		if (qbytes > tot->max_queue_bytes)
			tot->max_queue_bytes = qbytes;
		tot->nq = dp->n;
		memcpy(tot->end, cur, sizeof(cur[0]) * dp->n);
		memcpy(s->last[d], cur, sizeof(cur[0]) * dp->n);
	}
	s->last_ns = now;
	return 0;
}

static void sleep_until(uint64_t at_ns)
{
	struct timespec ts = {.tv_sec = at_ns / 1000000000ull, .tv_nsec = at_ns % 1000000000ull};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Waits for t0 (or the end), then samples every interval until the control pipe closes. */
static int sample_loop(struct sampler *s, int ctl_fd, uint64_t interval_ns, char *err,
		       size_t errlen)
{
	struct itimerspec its = {0};
	ssize_t n;
	int tfd, r;

	do
		n = read(ctl_fd, &s->t0_ns, sizeof(s->t0_ns));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(s->t0_ns))
		return 0; /* the run ended before its flows started: nothing to count */
	sleep_until(s->t0_ns);
	/* The baseline: the counters at t0, which the rows and totals count from. */
	for (int d = 0; d < 2; d++) {
		if (!s->plan->dir[d].present)
			continue;
		r = read_dir(s, d, s->base[d], err, errlen);
		if (r < 0)
			return r;
		s->nbase[d] = r;
		memcpy(s->last[d], s->base[d], sizeof(s->base[d][0]) * (size_t)r);
	}
	s->last_ns = s->t0_ns;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (tfd < 0)
		return -errno;
	its.it_value.tv_sec = (s->t0_ns + interval_ns) / 1000000000ull;
	its.it_value.tv_nsec = (s->t0_ns + interval_ns) % 1000000000ull;
	its.it_interval.tv_sec = interval_ns / 1000000000ull;
	its.it_interval.tv_nsec = interval_ns % 1000000000ull;
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		r = -errno;
		close(tfd);
		return r;
	}
	for (;;) {
		struct pollfd pfd[2] = {{.fd = tfd, .events = POLLIN},
					{.fd = ctl_fd, .events = POLLIN}};
		uint64_t ticks;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (pfd[1].revents) {
			/* The end: the part interval since the last row. */
			uint64_t now = sys_mono_ns();

			r = now > s->last_ns ? sample(s, now, err, errlen) : 0;
			break;
		}
		/* Late by more than an interval: one row for all of it, not several at once. */
		if (pfd[0].revents && read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
			r = sample(s, sys_mono_ns(), err, errlen);
			if (r < 0)
				break;
		}
	}
	close(tfd);
	return r;
}

struct sampler_arg {
	const struct qdisc_plan *plan;
	int interval_ms;
	const char *outdir;
};

static void sampler_main(void *arg, void *shared, int ctl_fd, int ready_fd)
{
	static const char *const cols[] = {"t_s",	   "direction",	     "queue_pkts",
					   "queue_bytes",  "delivered_pkts", "delivered_mbit",
					   "dropped_pkts", "capacity_mbit",  NULL};
	const struct sampler_arg *sa = arg;
	struct qdisc_shared *sh = shared;
	struct sampler s = {.plan = sa->plan, .sh = sh};
	char path[PATH_MAX], err[NETLINK_ERR_MAX] = "";
	int r;

	prctl(PR_SET_TIMERSLACK, 1UL); /* rows on time, not 50 us late */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);

	r = netlink_open(&s.nl, sa->plan->ns, err, sizeof(err));
	for (int d = 0; d < 2 && r == 0; d++) {
		if (!sa->plan->dir[d].present)
			continue;
		s.ifindex[d] = netlink_ifindex(&s.nl, sa->plan->dir[d].ifname, err, sizeof(err));
		if (s.ifindex[d] < 0)
			r = s.ifindex[d];
	}
	if (r < 0)
		child_fail(ready_fd, "%s", err);
	if (path_fmt(path, sizeof(path), "%s/timeline", sa->outdir) < 0)
		child_fail(ready_fd, "%s/timeline: %s", sa->outdir, strerror(ENAMETOOLONG));
	sys_mkdir_p(path, 0755);
	r = path_fmt(path, sizeof(path), "%s/timeline/link.csv", sa->outdir);
	if (!r)
		r = csv_open(&s.csv, path, cols);
	if (r < 0)
		child_fail(ready_fd, "create %s/timeline/link.csv: %s", sa->outdir, strerror(-r));
	child_ready(ready_fd);
	r = sample_loop(&s, ctl_fd, (uint64_t)sa->interval_ms * 1000000ull, err, sizeof(err));
	if (r < 0)
		snprintf(sh->error, sizeof(sh->error), "%s", err[0] ? err : strerror(-r));
	int cr = csv_close(&s.csv);

	if (cr < 0 && r == 0) {
		r = cr;
		snprintf(sh->error, sizeof(sh->error), "write timeline/link.csv: %s",
			 strerror(-cr));
	}
	netlink_close(&s.nl);
	sh->done = r == 0;
	_exit(r < 0 ? 1 : 0);
}

int qdisc_link_start(struct qdisc_link *ql, int sample_interval_ms, const char *outdir)
{
	struct sampler_arg sa = {
	    .plan = &ql->plan, .interval_ms = sample_interval_ms, .outdir = outdir};
	int r;

	r = child_start(&ql->proc, "the link's statistics sampler", "ccexp-qstats",
			sizeof(struct qdisc_shared), sampler_main, &sa, QDISC_READY_MS);
	ql->shared = ql->proc.shared;
	if (r < 0) {
		ql->failed = true;
		snprintf(ql->error, sizeof(ql->error), "the statistics sampler did not start: %s",
			 ql->proc.why);
		return r;
	}
	ql->started = true;
	return 0;
}

void qdisc_link_set_t0(struct qdisc_link *ql, uint64_t t0_ns)
{
	/* A sampler that died is reported at the end, by qdisc_link_stop(). */
	if (ql->started && child_send(&ql->proc, &t0_ns, sizeof(t0_ns)) < 0)
		ql->failed = true;
}

int qdisc_link_stop(struct qdisc_link *ql)
{
	int r;

	if (!ql->started || ql->stopped)
		return ql->failed ? -EIO : 0;
	/* Its last row takes one netlink round trip; a sampler stuck past that is killed. */
	r = child_stop(&ql->proc, STOP_WAIT_MS);
	ql->stopped = true;
	if (r == 0 && ql->shared->done && !ql->failed)
		return 0;
	ql->failed = true;
	snprintf(ql->error, sizeof(ql->error), "the statistics sampler stopped early: %s",
		 ql->shared->error[0] ? ql->shared->error
		 : ql->proc.why[0]    ? ql->proc.why
				      : "it could not be told t0");
	log_err("the link: %s; timeline/link.csv and meta.json's link totals are incomplete",
		ql->error);
	return r < 0 ? r : -EIO;
}

void qdisc_link_free(struct qdisc_link *ql)
{
	child_free(&ql->proc);
	ql->shared = NULL;
}

/* --- meta.json ----------------------------------------------------------------------------- */

static void write_qdisc(struct json *j, const struct netlink_qdisc *q)
{
	char h[16];

	json_object_begin(j);
	netlink_handle_str(q->handle, h, sizeof(h));
	json_kv_str(j, "handle", h);
	netlink_handle_str(q->parent, h, sizeof(h));
	json_kv_str(j, "parent", h);
	json_kv_str(j, "kind", netlink_kind_name(q->kind));
	if (q->size_overhead)
		json_kv_int(j, "size_overhead_bytes", q->size_overhead);
	switch (q->kind) {
	case NETLINK_TBF:
		json_kv_double(j, "rate_mbit", (double)q->tbf.rate_bytes_ps * 8 / 1e6);
		json_kv_uint(j, "burst_bytes", q->tbf.burst_bytes);
		break;
	case NETLINK_PFIFO:
		json_kv_uint(j, "limit_pkts", q->fifo_limit);
		break;
	case NETLINK_BFIFO:
		json_kv_uint(j, "limit_bytes", q->fifo_limit);
		break;
	case NETLINK_NETEM: {
		const struct netlink_netem *n = &q->netem;

		json_kv_double(j, "delay_ms", (double)n->latency_ns / 1e6);
		json_kv_double(j, "jitter_ms", (double)n->jitter_ns / 1e6);
		if (n->jitter_ns) {
			json_kv_str(j, "jitter_distribution", "normal, cut at 3 sigma");
			json_kv_bool(j, "jitter_keeps_order", n->rate_bytes_ps != 0);
		}
		json_kv_str(j, "loss_model", n->gilbert_elliott ? "gilbert-elliott" : "bernoulli");
		if (n->gilbert_elliott) {
			json_kv_double(j, "ge_p", n->ge_p);
			json_kv_double(j, "ge_r", n->ge_r);
			json_kv_double(j, "ge_loss_good", n->ge_loss_good);
			json_kv_double(j, "ge_loss_bad", n->ge_loss_bad);
		} else {
			json_kv_double(j, "loss", n->loss);
		}
		json_kv_uint(j, "limit_pkts", n->limit_pkts);
		json_kv_uint(j, "seed", n->seed);
		break;
	}
	}
	json_object_end(j);
}

static void write_counters(struct json *j, const struct netlink_qdisc_stats *s)
{
	char h[16];

	json_object_begin(j);
	netlink_handle_str(s->handle, h, sizeof(h));
	json_kv_str(j, "handle", h);
	json_kv_str(j, "kind", s->kind);
	json_kv_uint(j, "packets", s->packets);
	json_kv_uint(j, "bytes", s->bytes);
	json_kv_uint(j, "drops", s->drops);
	json_kv_uint(j, "overlimits", s->overlimits);
	json_kv_uint(j, "requeues", s->requeues);
	json_kv_uint(j, "qlen", s->qlen);
	json_kv_uint(j, "backlog", s->backlog);
	json_object_end(j);
}

void qdisc_link_write_meta(struct json *j, const struct qdisc_link *ql)
{
	for (int d = 0; d < 2; d++) {
		const struct qdisc_dir_plan *dp = &ql->plan.dir[d];
		const struct qdisc_totals *t = ql->shared ? &ql->shared->dir[d] : NULL;

		if (!dp->present)
			continue;
		json_key(j, dir_names[d]);
		json_object_begin(j);
		json_kv_str(j, "device", dp->ifname);
		json_kv_double(j, "rate_mbit", dp->capacity_mbit);
		json_key(j, "qdiscs");
		json_array_begin(j);
		for (int i = 0; i < dp->n; i++)
			write_qdisc(j, &dp->q[i]);
		json_array_end(j);
		if (t) {
			json_key(j, "totals");
			json_object_begin(j);
			json_kv_bool(j, "complete", !ql->failed);
			json_kv_uint(j, "rows", t->rows);
			json_kv_uint(j, "delivered_pkts", t->delivered_pkts);
			json_kv_uint(j, "delivered_bytes", t->delivered_bytes);
			json_kv_uint(j, "dropped_pkts", t->dropped_pkts);
			json_kv_uint(j, "dropped_queue_pkts", t->dropped_queue_pkts);
			/* netem counts its child's drops as its own; the rest are its loss. */
			if (ql->plan.backend == LINK_BACKEND_NETEM)
				json_kv_uint(j, "dropped_loss_pkts",
					     t->dropped_pkts > t->dropped_queue_pkts
						 ? t->dropped_pkts - t->dropped_queue_pkts
						 : 0);
			json_kv_uint(j, "max_queue_pkts", t->max_queue_pkts);
			json_kv_uint(j, "max_queue_bytes", t->max_queue_bytes);
			json_object_end(j);
			json_key(j, "kernel_counters");
			json_array_begin(j);
			for (int i = 0; i < t->nq; i++)
				write_counters(j, &t->end[i]);
			json_array_end(j);
		}
		json_object_end(j);
	}
}

/* --- the netem probe ----------------------------------------------------------------------- */

static int scratch_netem(const void *arg, char *msg, size_t len)
{
	struct netlink_qdisc q = {
	    .kind = NETLINK_NETEM,
	    .handle = NETLINK_HANDLE(1, 0),
	    .parent = NETLINK_ROOT,
	    .netem = {.latency_ns = 10000000, .loss = 0.01, .limit_pkts = 1000}};
	char err[NETLINK_ERR_MAX];
	struct netlink nl;
	int ifindex, r;

	r = netlink_open(&nl, NULL, err, sizeof(err));
	if (r < 0) {
		snprintf(msg, len, "%s", err);
		return r;
	}
	ifindex = netlink_ifindex(&nl, "lo", err, sizeof(err));
	r = ifindex < 0 ? ifindex : netlink_qdisc_add(&nl, ifindex, &q, err, sizeof(err));
	netlink_close(&nl);
	if (r < 0)
		snprintf(msg, len, "RTM_NEWQDISC netem: %s", err);
	else
		snprintf(msg, len, "netem qdisc added through rtnetlink on lo of a scratch netns");
	return r;
}

int qdisc_probe_netem(char *msg, size_t len)
{
	return sys_in_scratch_ns(CLONE_NEWNET, scratch_netem, NULL, msg, len);
}
