/* Loads the sockops program, attaches it to the run's cgroup, drains its ring buffer into
 * the event CSV files and keeps per-connection state for the results. */
#include "collect.h"
#include "log.h"
#include "sys.h"

#include "sockops.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCP_STATE_CLOSE 7

static const char *const tcp_state_names[] = {
    "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",	   "TIME_WAIT",
    "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV", "BOUND_INACTIVE",
};

static const char *state_name(uint32_t s)
{
	return s < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]) ? tcp_state_names[s]
									: "UNKNOWN";
}

static const char *const side_names[] = {"sender", "receiver"};

const char *collect_event_name(int type)
{
	static const char *const names[CCX_EV_MAX] = {
	    [CCX_EV_RTO] = "rto",	  [CCX_EV_RETRANS] = "retrans",
	    [CCX_EV_STATE] = "state",	  [CCX_EV_SAMPLE] = "sample",
	    [CCX_EV_CONNECT] = "connect", [CCX_EV_ESTABLISHED] = "established",
	    [CCX_EV_PARAM] = "sockops",
	};

	return type >= 0 && type < CCX_EV_MAX ? names[type] : "unknown";
}

struct csv_spec {
	const char *path;
	const char *const *cols;
};

static const char *const rto_cols[] = {"t_s",	      "flow",	"conn",	   "side",
				       "retransmits", "rto_ms", "expired", NULL};
static const char *const retrans_cols[] = {"t_s",	    "flow",    "conn",	 "side",
					   "seq",	    "segs",    "result", "cwnd_pkts",
					   "ssthresh_pkts", "srtt_us", NULL};
static const char *const state_cols[] = {"t_s",	      "flow",	   "conn", "side",
					 "old_state", "new_state", NULL};
static const char *const cwnd_cols[] = {"t_s",		 "flow",    "conn",	   "cwnd_pkts",
					"ssthresh_pkts", "srtt_us", "packets_out", "total_retrans",
					"bytes_acked",	 NULL};
static const char *const handshake_cols[] = {"t_s",   "flow",	     "conn",	    "side",
					     "event", "client_port", "server_port", NULL};
static const char *const sockops_cols[] = {"t_s",  "flow",  "conn",   "side",
					   "knob", "value", "result", NULL};

static const struct csv_spec csv_specs[CSV_COUNT] = {
    [CSV_RTO] = {"events/rto.csv", rto_cols},
    [CSV_RETRANS] = {"events/retrans.csv", retrans_cols},
    [CSV_STATE] = {"events/state.csv", state_cols},
    [CSV_CWND] = {"timeline/cwnd.csv", cwnd_cols},
    [CSV_HANDSHAKE] = {"events/handshake.csv", handshake_cols},
    [CSV_SOCKOPS] = {"events/sockops.csv", sockops_cols},
};

static struct conn_track *find_conn(struct collector *c, uint32_t flow_id, uint16_t client_port)
{
	int in_flow = 0;

	for (int i = 0; i < c->nconns; i++) {
		struct conn_track *t = &c->conns[i];

		if (t->flow_id != flow_id)
			continue;
		if (t->client_port == client_port)
			return t;
		in_flow++;
	}
	if (c->nconns >= CFG_MAX_CONNS)
		return NULL;
	struct conn_track *t = &c->conns[c->nconns++];

	memset(t, 0, sizeof(*t));
	t->flow_id = flow_id;
	t->client_port = client_port;
	t->index = in_flow;
	return t;
}

static void add_point(struct collector *c, struct conn_track *t, double t_s, uint64_t acked)
{
	if (t->npoints == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1024;
		double *ts = realloc(t->t_s, cap * sizeof(*ts));

		if (!ts) {
			c->write_error = -ENOMEM;
			return;
		}
		t->t_s = ts;
		uint64_t *ac = realloc(t->acked, cap * sizeof(*ac));

		if (!ac) {
			c->write_error = -ENOMEM;
			return;
		}
		t->acked = ac;
		t->cap = cap;
	}
	t->t_s[t->npoints] = t_s;
	t->acked[t->npoints] = acked;
	t->npoints++;
}

/* The first four columns every event file shares. */
static void row_start(struct csv *f, double t_s, const struct collector *c,
		      const struct ccx_event *e, const struct conn_track *t, bool with_side)
{
	csv_double(f, t_s, 6);
	csv_str(f, c->exp->flows[e->flow_id].name);
	if (t)
		csv_i64(f, t->index);
	else
		csv_str(f, "");
	if (with_side)
		csv_str(f, side_names[e->side & 1]);
}

static void end_row(struct collector *c, enum collect_csv which, uint32_t type)
{
	int r = csv_end_row(&c->csv[which]);

	if (r < 0 && !c->write_error)
		c->write_error = r;
	c->rows[type]++;
}

static void write_param(struct collector *c, const struct ccx_event *e, struct conn_track *t,
			double t_s)
{
	const struct flow_spec *fs = &c->exp->flows[e->flow_id];
	struct csv *f = &c->csv[CSV_SOCKOPS];

	row_start(f, t_s, c, e, t, true);
	switch (e->args[0]) {
	case CCX_KNOB_CC:
		csv_str(f, "cc");
		csv_str(f, fs->cc);
		break;
	case CCX_KNOB_SYN_RTO:
		/* The reply is in jiffies; the row keeps the unit the config used. */
		csv_str(f, "syn_rto_ms");
		csv_u64(f, c->hz ? (uint64_t)e->args[1] * 1000 / c->hz : 0);
		break;
	case CCX_KNOB_INIT_RWND:
		csv_str(f, "init_rwnd_pkts");
		csv_u64(f, e->args[1]);
		break;
	case CCX_KNOB_INIT_CWND:
		csv_str(f, "init_cwnd_pkts");
		csv_u64(f, e->args[1]);
		break;
	case CCX_KNOB_ECN:
		csv_str(f, "ecn");
		csv_u64(f, e->args[1]);
		break;
	default:
		csv_str(f, "unknown");
		csv_u64(f, e->args[1]);
		break;
	}
	csv_i64(f, (int32_t)e->args[2]);
	end_row(c, CSV_SOCKOPS, e->type);
	if ((int32_t)e->args[2] != 0)
		log_err("warning: flow %s: the kernel refused sockops knob %u (error %d)", fs->name,
			e->args[0], (int32_t)e->args[2]);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct ccx_event *e = data;
	struct conn_track *t = NULL;
	uint16_t client_port;
	struct csv *f;
	double t_s;

	if (size < sizeof(*e) || e->type >= CCX_EV_MAX)
		return 0;
	c->received[e->type]++;
	if (e->flow_id >= (uint32_t)c->exp->nflows) {
		c->ignored++;
		return 0;
	}
	t_s = ((double)e->ts_ns - (double)c->t0_ns) / 1e9;
	client_port = e->side == CCX_SIDE_SENDER ? e->lport : e->rport;
	if (client_port)
		t = find_conn(c, e->flow_id, client_port);
	if (!c->csv_open[0]) {
		/* No files: keep the bookkeeping, count the rows as if written. */
		if (t && e->type == CCX_EV_STATE && e->args[1] == TCP_STATE_CLOSE)
			t->closed[e->side & 1] = true;
		c->rows[e->type]++;
		return 0;
	}

	switch (e->type) {
	case CCX_EV_RTO:
		f = &c->csv[CSV_RTO];
		row_start(f, t_s, c, e, t, true);
		csv_u64(f, e->args[0]);
		csv_u64(f, c->hz ? (uint64_t)e->args[1] * 1000 / c->hz : 0);
		csv_u64(f, e->args[2]);
		end_row(c, CSV_RTO, e->type);
		if (t && e->side == CCX_SIDE_SENDER)
			t->rtos++;
		break;
	case CCX_EV_RETRANS:
		f = &c->csv[CSV_RETRANS];
		row_start(f, t_s, c, e, t, true);
		csv_u64(f, e->args[0]);
		csv_u64(f, e->args[1]);
		csv_i64(f, (int32_t)e->args[2]);
		csv_u64(f, e->snd_cwnd);
		csv_u64(f, e->snd_ssthresh);
		csv_u64(f, e->srtt_us);
		end_row(c, CSV_RETRANS, e->type);
		if (t && e->side == CCX_SIDE_SENDER && e->args[2] == 0)
			t->retrans_segs += e->args[1];
		break;
	case CCX_EV_STATE:
		f = &c->csv[CSV_STATE];
		row_start(f, t_s, c, e, t, true);
		csv_str(f, state_name(e->args[0]));
		csv_str(f, state_name(e->args[1]));
		end_row(c, CSV_STATE, e->type);
		if (t && e->side == CCX_SIDE_SENDER)
			add_point(c, t, t_s, e->bytes_acked);
		if (t && e->args[1] == TCP_STATE_CLOSE) {
			t->closed[e->side & 1] = true;
			if (e->side == CCX_SIDE_SENDER) {
				t->final_total_retrans = e->total_retrans;
				t->final_bytes_acked = e->bytes_acked;
			}
		}
		break;
	case CCX_EV_SAMPLE:
		f = &c->csv[CSV_CWND];
		/* cwnd.csv has no side column: samples come from senders only. */
		row_start(f, t_s, c, e, t, false);
		csv_u64(f, e->snd_cwnd);
		csv_u64(f, e->snd_ssthresh);
		csv_u64(f, e->srtt_us);
		csv_u64(f, e->packets_out);
		csv_u64(f, e->total_retrans);
		csv_u64(f, e->bytes_acked);
		end_row(c, CSV_CWND, e->type);
		if (t)
			add_point(c, t, t_s, e->bytes_acked);
		break;
	case CCX_EV_CONNECT:
	case CCX_EV_ESTABLISHED:
		f = &c->csv[CSV_HANDSHAKE];
		row_start(f, t_s, c, e, t, true);
		csv_str(f, e->type == CCX_EV_CONNECT	? "connect"
			   : e->side == CCX_SIDE_SENDER ? "active_established"
							: "passive_established");
		csv_u64(f, client_port);
		csv_u64(f, e->side == CCX_SIDE_SENDER ? e->rport : e->lport);
		end_row(c, CSV_HANDSHAKE, e->type);
		break;
	case CCX_EV_PARAM:
		write_param(c, e, t, t_s);
		break;
	}
	return 0;
}

static size_t ringbuf_size(const struct experiment *exp)
{
	/* Room for one second of samples from every connection, plus slack for bursts of
	 * retransmission events; a power of two, as the kernel requires. */
	double per_s = (double)experiment_conns(exp) * (1000.0 / exp->collect.sample_interval_ms);
	double want = per_s * sizeof(struct ccx_event) * 2 + (1 << 20);
	size_t sz = 1 << 20;

	while (sz < want && sz < (256u << 20))
		sz <<= 1;
	return sz;
}

int collect_open(struct collector *c, const struct experiment *exp, int hz, const char *cgroup,
		 const char *outdir)
{
	char path[PATH_MAX];
	int cg_fd = -1, r;

	memset(c, 0, sizeof(*c));
	c->exp = exp;
	c->hz = hz;
	c->t0_ns = sys_mono_ns();

	if (outdir) {
		snprintf(path, sizeof(path), "%s/events", outdir);
		r = sys_mkdir_p(path, 0755);
		snprintf(path, sizeof(path), "%s/timeline", outdir);
		if (!r)
			r = sys_mkdir_p(path, 0755);
		if (r < 0)
			return log_err_errno(r, "create %s", path);
		for (int i = 0; i < CSV_COUNT; i++) {
			snprintf(path, sizeof(path), "%s/%s", outdir, csv_specs[i].path);
			r = csv_open(&c->csv[i], path, csv_specs[i].cols);
			if (r < 0) {
				log_err_errno(r, "create %s", path);
				goto fail;
			}
			c->csv_open[i] = true;
		}
	}

	c->skel = ccx_sockops__open();
	if (!c->skel) {
		r = log_err_errno(-errno, "open the sockops BPF object");
		goto fail;
	}
	c->skel->rodata->sample_interval_ns = (uint64_t)exp->collect.sample_interval_ms * 1000000;
	c->ringbuf_bytes = ringbuf_size(exp);
	r = bpf_map__set_max_entries(c->skel->maps.events, c->ringbuf_bytes);
	if (r < 0) {
		log_err_errno(r, "size the ring buffer");
		goto fail;
	}
	r = ccx_sockops__load(c->skel);
	if (r < 0) {
		log_err_errno(r, "load the sockops BPF program (run with -v for the verifier log)");
		goto fail;
	}

	for (int i = 0; i < exp->nflows; i++) {
		const struct flow_spec *fs = &exp->flows[i];
		struct ccx_flow_cfg cfg = {.flow_id = i};
		uint16_t port = CCX_PORT_BASE + i;

		snprintf(cfg.cc, sizeof(cfg.cc), "%s", fs->cc);
		if (fs->sockops.syn_rto_ms != CFG_UNSET) {
			/* Round up: a shorter RTO than asked would retransmit early. */
			uint64_t j = ((uint64_t)fs->sockops.syn_rto_ms * hz + 999) / 1000;

			cfg.syn_rto_jiffies = j ? j : 1;
		}
		if (fs->sockops.init_rwnd_pkts != CFG_UNSET)
			cfg.init_rwnd_pkts = fs->sockops.init_rwnd_pkts;
		if (fs->sockops.init_cwnd_pkts != CFG_UNSET)
			cfg.init_cwnd_pkts = fs->sockops.init_cwnd_pkts;
		cfg.ecn = fs->sockops.ecn == 1;
		r = bpf_map__update_elem(c->skel->maps.flows, &port, sizeof(port), &cfg,
					 sizeof(cfg), BPF_ANY);
		if (r < 0) {
			log_err_errno(r, "store the parameters of flow %s", fs->name);
			goto fail;
		}
	}

	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_event, c, NULL);
	if (!c->rb) {
		r = log_err_errno(-errno, "open the ring buffer");
		goto fail;
	}

	cg_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		r = log_err_errno(-errno, "open cgroup %s", cgroup);
		goto fail;
	}
	/* The run's own cgroup only: the host's other connections never see this program. */
	c->link = bpf_program__attach_cgroup(c->skel->progs.ccx_sockops, cg_fd);
	if (!c->link) {
		r = log_err_errno(-errno, "attach sockops to %s", cgroup);
		goto fail;
	}
	close(cg_fd);
	return 0;
fail:
	if (cg_fd >= 0)
		close(cg_fd);
	collect_close(c);
	collect_free(c);
	return r;
}

int collect_poll(struct collector *c, int timeout_ms)
{
	int n = ring_buffer__poll(c->rb, timeout_ms);
	uint64_t now = sys_mono_ns();

	/* Keep the files readable while the run goes on, without a write per event. */
	if (now - c->last_flush_ns > 500000000ull) {
		for (int i = 0; i < CSV_COUNT; i++)
			if (c->csv_open[i])
				fflush(c->csv[i].f);
		c->last_flush_ns = now;
	}
	if (n == -EINTR)
		return 0;
	return n;
}

bool collect_all_closed(const struct collector *c)
{
	for (int i = 0; i < c->nconns; i++)
		if (!c->conns[i].closed[0] || !c->conns[i].closed[1])
			return false;
	return true;
}

int collect_counters(const struct collector *c, struct ccx_counter out[CCX_EV_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct ccx_counter *percpu;
	int r = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (uint32_t k = 0; k < CCX_EV_MAX; k++) {
		out[k].seen = out[k].dropped = 0;
		r = bpf_map__lookup_elem(c->skel->maps.counters, &k, sizeof(k), percpu,
					 ncpu * sizeof(*percpu), 0);
		if (r < 0)
			break;
		for (int i = 0; i < ncpu; i++) {
			out[k].seen += percpu[i].seen;
			out[k].dropped += percpu[i].dropped;
		}
	}
	free(percpu);
	return r;
}

int collect_close(struct collector *c)
{
	int r = c->write_error;

	bpf_link__destroy(c->link);
	c->link = NULL;
	ring_buffer__free(c->rb);
	c->rb = NULL;
	ccx_sockops__destroy(c->skel);
	c->skel = NULL;
	for (int i = 0; i < CSV_COUNT; i++) {
		if (!c->csv_open[i])
			continue;
		int cr = csv_close(&c->csv[i]);

		if (cr < 0 && !r)
			r = cr;
		c->csv_open[i] = false;
	}
	return r;
}

void collect_free(struct collector *c)
{
	for (int i = 0; i < c->nconns; i++) {
		free(c->conns[i].t_s);
		free(c->conns[i].acked);
		c->conns[i].t_s = NULL;
		c->conns[i].acked = NULL;
	}
	c->nconns = 0;
}
