/* The bottleneck between the hosts: picks a backend for the config's link section, builds
 * it on the run's topology, and reports what it did. */
#include "link/link.h"
#include "link/capture.h"
#include "core/log.h"
#include "kernel/collect.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX_PKTS (1u << 18)

int link_choose(struct link_runtime *lr, const struct link_spec *l, char *err, size_t errlen)
{
	const char *lacks;
	char msg[256];
	int r;

	memset(lr, 0, sizeof(*lr));
	switch (l->backend) {
	case LINK_BACKEND_AUTO:
		lr->backend = LINK_BACKEND_TUN;
		lr->why = lr->why_buf;
		lacks = link_netem_lacks(l);
		if (lacks) {
			snprintf(lr->why_buf, sizeof(lr->why_buf), "auto: netem + tbf %s", lacks);
			return 0;
		}
		/* The kernel's qdiscs cost no CPU of ours and no context switch per packet: use
		 * them where they can do it all. */
		r = qdisc_probe_netem(msg, sizeof(msg));
		if (r == 0) {
			lr->backend = LINK_BACKEND_NETEM;
			snprintf(lr->why_buf, sizeof(lr->why_buf), "auto: this kernel has netem");
		} else {
			snprintf(lr->why_buf, sizeof(lr->why_buf), "auto: %s (%s)",
				 r == -ENOENT ? "this kernel has no netem qdisc"
					      : "netem could not be tried",
				 msg[0] ? msg : strerror(-r));
		}
		return 0;
	case LINK_BACKEND_NETEM:
		r = qdisc_probe_netem(msg, sizeof(msg));
		if (r == -ENOENT) {
			snprintf(err, errlen,
				 "link.backend \"netem\": this kernel has no netem qdisc (%s); use "
				 "backend = \"tun\" (the same settings, emulated in userspace) or "
				 "\"auto\"",
				 msg);
			return r;
		}
		if (r < 0) {
			snprintf(err, errlen,
				 "link.backend \"netem\": netem could not be tried: %s",
				 msg[0] ? msg : strerror(-r));
			return r;
		}
		lr->why = "asked for";
		break;
	case LINK_BACKEND_TUN:
	case LINK_BACKEND_TC:
	case LINK_BACKEND_NONE:
		lr->why = "asked for";
		break;
	default:
		snprintf(err, errlen, "unknown link backend %d", (int)l->backend);
		return -EINVAL;
	}
	lr->backend = l->backend;
	return 0;
}

enum topo_kind link_topology_kind(const struct link_runtime *lr)
{
	switch (lr->backend) {
	case LINK_BACKEND_TUN:
		return TOPO_TUN;
	case LINK_BACKEND_NONE:
		return TOPO_DIRECT;
	default:
		return TOPO_ROUTED;
	}
}

static int load_trace(struct link_runtime *lr, int d, const char *path)
{
	char err[512];
	int r;

	if (!path[0])
		return 0;
	r = emu_trace_load(path, &lr->trace[d], &lr->trace_len[d], &lr->trace_period_ms[d], err,
			   sizeof(err));
	if (r < 0)
		log_err("%s", err);
	return r;
}

/* Slots for every packet the direction may hold at once: its queue, and what is in flight
 * on the delay line at the rate (10 Gbit/s when unlimited), for data and for small ACKs. */
static uint32_t pool_size(const struct link_runtime *lr, double rate_mbit, double delay_ms,
			  double jitter_ms)
{
	double rate = rate_mbit > 0 ? rate_mbit * 1e6 : 10e9;
	double in_flight = rate * (delay_ms + 4 * jitter_ms + 5) / 1000 / (8 * 1500);
	double queue = lr->queue_pkts ? lr->queue_pkts : lr->queue_bytes / 64.0;
	double n = queue + 4 * in_flight + 4096;

	return n > POOL_MAX_PKTS ? POOL_MAX_PKTS : (uint32_t)n;
}

/* Builds the plan's qdiscs and starts sampling their counters into link.csv. */
static int setup_qdiscs(struct link_runtime *lr, const struct experiment *exp, const char *outdir)
{
	int r = qdisc_link_setup(&lr->qd);

	if (r < 0)
		return r;
	r = qdisc_link_start(&lr->qd, exp->collect.sample_interval_ms, outdir);
	if (r == 0)
		lr->qd_started = true;
	return r;
}

static int setup_netem(struct link_runtime *lr, const struct experiment *exp,
		       const struct topology *t, const char *outdir)
{
	const struct link_spec *l = &exp->link;
	/* netem's limit counts its delay line: sized as the tun emulator's packet pool. */
	uint32_t limit[2] = {pool_size(lr, l->rate_mbit, l->delay_ms, l->jitter_ms),
			     pool_size(lr, l->rate_down_mbit, l->delay_down_ms, l->jitter_ms)};

	qdisc_plan_netem(&lr->qd.plan, l, exp->seed, lr->queue_pkts, lr->queue_bytes, limit,
			 t->ns_router, t->if_rtr_r, t->if_rtr_s);
	return setup_qdiscs(lr, exp, outdir);
}

static int setup_tun(struct link_runtime *lr, const struct experiment *exp,
		     const struct topology *t, const char *outdir)
{
	const struct link_spec *l = &exp->link;
	struct tun_link_config cfg = {
	    .sample_interval_ms = exp->collect.sample_interval_ms,
	    .outdir = outdir,
	    .ns = {t->ns_sender, t->ns_receiver},
	    .ifname = t->if_tun,
	    .addr = {CCX_ADDR_SENDER, CCX_ADDR_RECEIVER},
	    .peer_net = {"198.19.0.0/24", "198.18.0.0/24"},
	    .capture = l->capture != LINK_CAPTURE_NONE,
	    .capture_snaplen_bytes =
		l->capture == LINK_CAPTURE_HEADERS ? LINK_CAPTURE_HEADERS_BYTES : 0,
	};
	int r;

	r = load_trace(lr, TUN_UP, l->trace_up);
	if (!r)
		r = load_trace(lr, TUN_DOWN, l->trace_down);
	if (r < 0)
		return r;
	uint64_t extra_ns[2][CFG_MAX_FLOWS];
	double extra_max_ms[2] = {0, 0};

	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *f = &exp->flows[i];
		double ms[2] = {f->extra_delay_ms, f->extra_delay_down_ms};

		for (int d = 0; d < 2; d++) {
			extra_ns[d][i] = (uint64_t)llround(ms[d] * 1e6);
			if (ms[d] > extra_max_ms[d])
				extra_max_ms[d] = ms[d];
		}
	}
	if (l->flow_delay) {
		cfg.flow_extra_ns[TUN_UP] = extra_ns[TUN_UP];
		cfg.flow_extra_ns[TUN_DOWN] = extra_ns[TUN_DOWN];
		cfg.nflows = exp->nflows;
		cfg.flow_port_base = CCX_PORT_BASE;
	}
	for (int d = 0; d < 2; d++) {
		struct emu_params *p = &cfg.dir[d];
		bool up = d == TUN_UP;

		p->rate_bps = (up ? l->rate_mbit : l->rate_down_mbit) * 1e6;
		if (lr->trace[d]) {
			p->rate_bps = 0;
			p->trace_ms = lr->trace[d];
			p->trace_len = lr->trace_len[d];
			p->trace_period_ms = lr->trace_period_ms[d];
		}
		p->delay_ns = (uint64_t)llround((up ? l->delay_ms : l->delay_down_ms) * 1e6);
		p->jitter_ns = (uint64_t)llround(l->jitter_ms * 1e6);
		p->allow_reorder = l->jitter_reorder;
		p->loss_model = up && l->loss_model == LINK_LOSS_GILBERT_ELLIOTT
				    ? EMU_LOSS_GILBERT_ELLIOTT
				    : EMU_LOSS_BERNOULLI;
		p->loss = up ? l->loss : l->loss_down;
		p->ge_p = l->ge_p;
		p->ge_r = l->ge_r;
		p->ge_loss_good = l->ge_loss_good;
		p->ge_loss_bad = l->ge_loss_bad;
		/* One stream per direction, both fixed by the experiment's seed. */
		p->seed = (uint64_t)exp->seed * 2 + d;
		p->queue_pkts = lr->queue_pkts;
		p->queue_bytes = lr->queue_bytes;
		p->aqm = l->queue == LINK_QUEUE_CODEL ? EMU_AQM_CODEL : EMU_AQM_DROPTAIL;
		p->codel_target_ns = (uint64_t)llround(l->codel_target_ms * 1e6);
		p->codel_interval_ns = (uint64_t)llround(l->codel_interval_ms * 1e6);
		cfg.pool_pkts[d] = pool_size(
		    lr, up ? l->rate_mbit : l->rate_down_mbit,
		    (up ? l->delay_ms : l->delay_down_ms) + extra_max_ms[d], l->jitter_ms);
	}
	r = tun_link_start(&lr->tun, &cfg);
	if (r == 0)
		lr->tun_started = true;
	return r;
}

int link_setup(struct link_runtime *lr, const struct experiment *exp, const struct topology *t,
	       const char *outdir)
{
	int r = link_queue_limits(&exp->link, &lr->queue_pkts, &lr->queue_bytes);

	if (r < 0)
		return r;
	switch (lr->backend) {
	case LINK_BACKEND_TC:
		qdisc_plan_tc(&lr->qd.plan, &exp->link, lr->queue_pkts, lr->queue_bytes,
			      t->ns_router, t->if_rtr_r);
		return setup_qdiscs(lr, exp, outdir);
	case LINK_BACKEND_NETEM:
		return setup_netem(lr, exp, t, outdir);
	case LINK_BACKEND_TUN:
		return setup_tun(lr, exp, t, outdir);
	case LINK_BACKEND_NONE:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

void link_set_t0(struct link_runtime *lr, uint64_t t0_ns)
{
	if (lr->tun_started)
		tun_link_set_t0(&lr->tun, t0_ns);
	if (lr->qd_started)
		qdisc_link_set_t0(&lr->qd, t0_ns);
}

/* Only the tun emulator carries packets: the qdiscs work on without their sampler, which
 * qdisc_link_stop() reports if it died. */
bool link_alive(struct link_runtime *lr)
{
	return !lr->tun_started || tun_link_alive(&lr->tun);
}

int link_stop(struct link_runtime *lr)
{
	int r = 0;

	if (lr->qd_started && qdisc_link_stop(&lr->qd) < 0) {
		r = -EIO;
		snprintf(lr->error, sizeof(lr->error), "%s", lr->qd.error);
	}
	if (!lr->tun_started)
		return r;
	if (tun_link_stop(&lr->tun) < 0) {
		r = -EIO;
		snprintf(lr->error, sizeof(lr->error), "%s", lr->tun.error);
	}
	for (int d = 0; d < 2 && lr->tun.shared; d++)
		if (lr->tun.shared->device_drops[d] > 0)
			log_err(
			    "warning: the %s direction lost %lld packets in the host's TUN queue "
			    "before the emulator read them (the emulator fell behind): they are "
			    "not in link.csv or link_drops.csv",
			    d == TUN_UP ? "up" : "down",
			    (long long)lr->tun.shared->device_drops[d]);
	return r;
}

/* A quantile of how late the emulator released packets, from its histogram: the upper edge
 * of the bucket it falls in (so never an underestimate), the maximum past the last one. */
static double late_quantile_us(const struct emu_stats *s, double q)
{
	uint64_t total = 0, acc = 0;

	for (int i = 0; i <= EMU_LATE_BUCKETS; i++)
		total += s->late[i];
	if (!total)
		return 0;
	for (int i = 0; i < EMU_LATE_BUCKETS; i++) {
		acc += s->late[i];
		if ((double)acc >= q * (double)total)
			return (i + 1) * EMU_LATE_STEP_NS / 1e3;
	}
	return s->late_max_ns / 1e3;
}

static void write_direction(struct json *j, const char *name, const struct link_runtime *lr,
			    const struct link_spec *l, int d)
{
	bool up = d == TUN_UP;

	json_key(j, name);
	json_object_begin(j);
	if (lr->trace[d]) {
		json_kv_str(j, "trace", up ? l->trace_up : l->trace_down);
		json_kv_double(j, "trace_mean_mbit",
			       lr->trace_len[d] * 1500.0 * 8 / (lr->trace_period_ms[d] / 1e3) /
				   1e6);
	} else {
		json_kv_double(j, "rate_mbit", up ? l->rate_mbit : l->rate_down_mbit);
	}
	json_kv_double(j, "delay_ms", up ? l->delay_ms : l->delay_down_ms);
	json_kv_double(j, "jitter_ms", l->jitter_ms);
	json_kv_str(j, "loss_model", up ? link_loss_model_name(l->loss_model) : "bernoulli");
	json_kv_double(j, "loss", up ? l->loss : l->loss_down);
	if (lr->tun_started && lr->tun.shared) {
		const struct emu_stats *s = &lr->tun.shared->stats[d];

		json_key(j, "totals");
		json_object_begin(j);
		json_kv_uint(j, "arrived_pkts", s->arrived);
		json_kv_uint(j, "delivered_pkts", s->delivered);
		json_kv_uint(j, "delivered_bytes", s->bytes_delivered);
		json_kv_uint(j, "dropped_loss_pkts", s->dropped_loss);
		json_kv_uint(j, "dropped_queue_pkts", s->dropped_queue);
		json_kv_uint(j, "dropped_aqm_pkts", s->dropped_aqm);
		json_kv_uint(j, "dropped_nobuf_pkts", s->dropped_nobuf);
		json_kv_uint(j, "max_queue_pkts", lr->tun.shared->max_queue_pkts[d]);
		json_kv_uint(j, "max_queue_bytes", lr->tun.shared->max_queue_bytes[d]);
		json_kv_uint(j, "unsplit_dropped", lr->tun.shared->unsplit[d]);
		json_kv_uint(j, "write_errors", lr->tun.shared->write_errors[d]);
		if (lr->tun.shared->device_drops[d] >= 0)
			json_kv_uint(j, "device_drops", (uint64_t)lr->tun.shared->device_drops[d]);
		else
			json_kv_null(j, "device_drops");
		json_object_end(j);
		/* The emulator's own share of the delay error: past each packet's release time. */
		json_key(j, "release_late_us");
		json_object_begin(j);
		json_kv_double(j, "p50", late_quantile_us(s, 0.5));
		json_kv_double(j, "p99", late_quantile_us(s, 0.99));
		json_kv_double(j, "p999", late_quantile_us(s, 0.999));
		json_kv_double(j, "max", s->late_max_ns / 1e3);
		json_object_end(j);
	}
	json_object_end(j);
}

/* What link.capture wrote: the files, their records, and the clock their times are on. */
static void write_capture(struct json *j, const struct link_runtime *lr, const struct link_spec *l)
{
	const struct tun_shared *sh = lr->tun.shared;

	json_key(j, "capture");
	json_object_begin(j);
	json_kv_str(j, "mode", link_capture_name(l->capture));
	if (l->capture != LINK_CAPTURE_NONE) {
		json_kv_uint(j, "snaplen_bytes",
			     l->capture == LINK_CAPTURE_HEADERS ? LINK_CAPTURE_HEADERS_BYTES
								: 65535);
		json_kv_str(j, "file", CAPTURE_FILE);
		json_kv_str(j, "drops_file", CAPTURE_DROPS_FILE);
		if (sh && sh->done) {
			json_kv_uint(j, "packets", sh->capture_pkts);
			json_kv_uint(j, "drop_packets", sh->capture_drop_pkts);
			json_kv_uint(j, "not_captured", sh->capture_lost_pkts);
			json_kv_bool(j, "complete", sh->capture_ok && !sh->capture_lost_pkts);
			json_kv_uint(j, "t0_unix_ns", sh->capture_t0_unix_ns);
		} else {
			json_kv_null(j, "packets");
			json_kv_null(j, "drop_packets");
			json_kv_null(j, "not_captured");
			json_kv_bool(j, "complete", false);
		}
	}
	json_object_end(j);
}

void link_write_meta(struct json *j, const struct link_runtime *lr, const struct link_spec *l)
{
	json_key(j, "link");
	json_object_begin(j);
	json_kv_str(j, "backend", link_backend_name(lr->backend));
	json_kv_str(j, "backend_asked", link_backend_name(l->backend));
	json_kv_str(j, "backend_why", lr->why ? lr->why : "");
	json_kv_str(j, "queue", link_queue_name(l->queue));
	json_kv_uint(j, "queue_pkts", lr->queue_pkts);
	json_kv_uint(j, "queue_bytes", lr->queue_bytes);
	/* link.csv and the totals cover the whole run only when the emulator or sampler ended
	 * cleanly; error says what cut them short. */
	if (lr->backend != LINK_BACKEND_NONE) {
		json_kv_bool(j, "timeline_complete", !lr->error[0]);
		if (lr->error[0])
			json_kv_str(j, "error", lr->error);
	}
	if (l->queue == LINK_QUEUE_CODEL) {
		json_kv_double(j, "codel_target_ms", l->codel_target_ms);
		json_kv_double(j, "codel_interval_ms", l->codel_interval_ms);
	}
	switch (lr->backend) {
	case LINK_BACKEND_TC:
		json_kv_str(j, "qdisc", "tbf + fifo on the router's egress towards the receiver");
		json_kv_double(j, "rate_mbit", l->rate_mbit);
		qdisc_link_write_meta(j, &lr->qd);
		break;
	case LINK_BACKEND_NETEM:
		json_kv_str(j, "qdisc",
			    "netem (+ tbf + fifo with a rate) on each of the router's egresses");
		json_kv_bool(j, "jitter_reorder", l->jitter_reorder);
		qdisc_link_write_meta(j, &lr->qd);
		break;
	case LINK_BACKEND_TUN:
		json_kv_str(j, "emulator", "ccexp tun: a TUN device per host, userspace model");
		json_kv_bool(j, "jitter_reorder", l->jitter_reorder);
		json_kv_bool(j, "tso", lr->tun.shared && lr->tun.shared->offload);
		write_direction(j, "up", lr, l, TUN_UP);
		write_direction(j, "down", lr, l, TUN_DOWN);
		write_capture(j, lr, l);
		break;
	default:
		break;
	}
	json_object_end(j);
}

void link_free(struct link_runtime *lr)
{
	tun_link_free(&lr->tun);
	qdisc_link_free(&lr->qd);
	for (int d = 0; d < 2; d++) {
		free(lr->trace[d]);
		lr->trace[d] = NULL;
	}
}
