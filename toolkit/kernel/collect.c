/* Loads the sockops program, attaches it to the run's cgroup, drains its ring buffer into
 * the event CSV files and keeps per-connection state for the results. */
#include "kernel/collect.h"
#include "core/knobs.h"
#include "core/log.h"
#include "core/path.h"
#include "kernel/sys.h"

#include "sockops.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCP_STATE_ESTABLISHED 1
#define TCP_STATE_CLOSE	      7

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
	    [CCX_EV_RTO] = "rto",
	    [CCX_EV_RETRANS] = "retrans",
	    [CCX_EV_STATE] = "state",
	    [CCX_EV_SAMPLE] = "sample",
	    [CCX_EV_HANDSHAKE] = "handshake",
	    [CCX_EV_PARAM] = "sockops",
	    [CCX_EV_RTT] = "rtt",
	    [CCX_EV_CA_STATE] = "ca_state",
	    [CCX_EV_CC] = "cc",
	};

	return type >= 0 && type < CCX_EV_MAX ? names[type] : "unknown";
}

static const char *op_name(uint32_t op)
{
	switch (op) {
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		return "TIMEOUT_INIT";
	case BPF_SOCK_OPS_RWND_INIT:
		return "RWND_INIT";
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		return "TCP_CONNECT";
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		return "ACTIVE_ESTABLISHED";
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		return "PASSIVE_ESTABLISHED";
	case BPF_SOCK_OPS_NEEDS_ECN:
		return "NEEDS_ECN";
	case BPF_SOCK_OPS_BASE_RTT:
		return "BASE_RTT";
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		return "TCP_LISTEN";
	case CCX_OP_EXISTING:
		return "EXISTING";
	default:
		return "UNKNOWN";
	}
}

/* The callback a knob event came from: fixed by the knob and the side (see sockops.bpf.c). */
static const char *knob_op(uint32_t knob, uint8_t side)
{
	bool sender = side == CCX_SIDE_SENDER;

	switch (knob) {
	case CCX_KNOB_CC:
	case CCX_KNOB_SNDBUF:
	case CCX_KNOB_RCVBUF:
		return sender ? "TCP_CONNECT" : "TCP_LISTEN";
	case CCX_KNOB_SYN_RTO:
		return "TIMEOUT_INIT";
	case CCX_KNOB_INIT_RWND:
		return "RWND_INIT";
	case CCX_KNOB_ECN:
		return "NEEDS_ECN";
	case CCX_KNOB_BASE_RTT:
		return "BASE_RTT";
	default:
		return sender ? "ACTIVE_ESTABLISHED" : "PASSIVE_ESTABLISHED";
	}
}

static const char *ca_state_name(uint32_t s)
{
	static const char *const names[] = {"Open", "Disorder", "CWR", "Recovery", "Loss"};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *collect_retrans_cause_name(uint32_t cause)
{
	static const char *const names[CCX_RETRANS_CAUSES] = {
	    [CCX_RETRANS_OTHER] = "other",
	    [CCX_RETRANS_FAST] = "fast",
	    [CCX_RETRANS_RTO] = "rto",
	    [CCX_RETRANS_TLP] = "tlp",
	};

	return cause < CCX_RETRANS_CAUSES ? names[cause] : "other";
}

struct csv_spec {
	const char *path;
	const char *const *cols;
};

static const char *const rto_cols[] = {"t_s",	      "flow",	"conn",	   "side",
				       "retransmits", "rto_ms", "expired", NULL};
static const char *const retrans_cols[] = {"t_s",	    "flow",    "conn",	 "side",
					   "seq",	    "segs",    "result", "cwnd_pkts",
					   "ssthresh_pkts", "srtt_us", "cause",	 NULL};
static const char *const state_cols[] = {"t_s",	      "flow",	   "conn", "side",
					 "old_state", "new_state", NULL};
static const char *const cwnd_cols[] = {
    "t_s", "flow", "conn", "cwnd_pkts", "ssthresh_pkts", "srtt_us", "rtt_min_us", "packets_out",
    "retrans_out", "lost_out", "sacked_out", "delivered_pkts", "bytes_acked", "total_retrans",
    "pacing_rate_mbit",
    /* what limited it (docs/diagnosis.md): cumulative since the connection began */
    "busy_ms", "rwnd_limited_ms", "sndbuf_limited_ms", "app_limited_mark", "spurious_retrans",
    "reordering_seen", "delivered_ce", NULL};
static const char *const handshake_cols[] = {"t_s",   "flow",	     "conn",	    "side", "op",
					     "reply", "client_port", "server_port", NULL};
static const char *const sockops_cols[] = {"t_s",	  "flow",   "conn",  "side",
					   "op",	  "knob",   "value", "kernel_value",
					   "kernel_unit", "result", NULL};
static const char *const ca_state_cols[] = {"t_s",	    "flow",	    "conn",	 "side",
					    "old_ca_state", "new_ca_state", "cwnd_pkts", NULL};
static const char *const rtt_cols[] = {"t_s", "flow", "conn", "side", "rtt_us", "srtt_us", NULL};
static const char *const cc_cols[] = {"t_s",	   "flow",	    "conn",	   "side",
				      "decision",  "min_rtt_us",    "base_rtt_us", "rate_mbit",
				      "cwnd_pkts", "ssthresh_pkts", "srtt_us",	   NULL};

static const char *const goodput_cols[] = {"t_s", "flow", "goodput_mbit", NULL};

static const struct csv_spec csv_specs[CSV_COUNT] = {
    [CSV_RTO] = {"events/rto.csv", rto_cols},
    [CSV_RETRANS] = {"events/retrans.csv", retrans_cols},
    [CSV_STATE] = {"events/state.csv", state_cols},
    [CSV_CWND] = {"timeline/cwnd.csv", cwnd_cols},
    [CSV_HANDSHAKE] = {"events/handshake.csv", handshake_cols},
    [CSV_SOCKOPS] = {"events/sockops.csv", sockops_cols},
    [CSV_CA_STATE] = {"events/ca_state.csv", ca_state_cols},
    [CSV_RTT] = {"events/rtt.csv", rtt_cols},
    [CSV_NV] = {"timeline/nv.csv", cc_cols},
    [CSV_VEGAS] = {"timeline/vegas.csv", cc_cols},
};

/* collect_poll() flushes every 500 ms: at high event rates, fewer and larger writes. */
#define EVENT_CSV_FLUSH_BYTES (64 << 10)

#define GOODPUT_WINDOW_S 2.0 /* a point may arrive this late and still land in its interval */

/* watch: sockets it keeps a row for, and server ports the BPF flow table holds. */
#define WATCH_MAX_CONNS	     65536
#define WATCH_MAX_FLOW_PORTS 1024

static uint32_t conn_slot(const struct collector *c, uint32_t flow_id, uint16_t client_port,
			  uint64_t cookie)
{
	if (c->watch)
		return (uint32_t)((cookie * 0x9e3779b97f4a7c15ull) >> 32) & c->slots_mask;
	return ((flow_id << 16 | client_port) * 2654435761u) & c->slots_mask;
}

/* A run's connection is its flow and client port; a watch's, its socket's cookie. */
static struct conn_track *find_conn(struct collector *c, uint32_t flow_id, uint16_t client_port,
				    uint64_t cookie)
{
	uint32_t i = conn_slot(c, flow_id, client_port, cookie);

	for (; c->conn_slots[i] >= 0; i = (i + 1) & c->slots_mask) {
		struct conn_track *t = &c->conns[c->conn_slots[i]];

		if (c->watch ? t->cookie == cookie
			     : t->flow_id == flow_id && t->client_port == client_port)
			return t;
	}
	if (c->nconns >= c->max_conns)
		return NULL;
	c->conn_slots[i] = c->nconns;
	struct conn_track *t = &c->conns[c->nconns++];

	memset(t, 0, sizeof(*t));
	t->flow_id = flow_id;
	t->client_port = client_port;
	t->cookie = cookie;
	t->index = c->flow_conns[flow_id]++; /* in order of first event */
	t->first_t_s = NAN;
	t->close_t_s = NAN;
	t->established_t_s = NAN;
	t->why_t_s = NAN;
	return t;
}

static int write_goodput(void *arg, long bin, const double *bytes)
{
	struct collector *c = arg;
	double dt = c->exp->collect.sample_interval_ms / 1000.0;
	int r = 0;

	for (int fl = 0; fl < c->exp->nflows && !r; fl++) {
		csv_double(&c->goodput_csv, (bin + 1) * dt, 3);
		csv_str(&c->goodput_csv, c->exp->flows[fl].name);
		csv_double(&c->goodput_csv, bytes[fl] * 8 / dt / 1e6, 3);
		r = csv_end_row(&c->goodput_csv);
	}
	return r;
}

/* The data a sender knows delivered: cumulatively ACKed plus SACKed now, in bytes, as
 * tcp_info's delivered counts segments. A cumulative ACK after loss recovery moves bytes that
 * were already SACKed from one term to the other, so it makes no jump. */
static uint64_t delivered_bytes(const struct ccx_event *e)
{
	return e->bytes_acked + (uint64_t)e->sacked_out * e->mss_cache;
}

/* A (t_s, delivered bytes) point of a sender: the bytes since its previous point go to the
 * throughput intervals between the two, and the intervals older than the window are written.
 * A point below the last (SACKed data reneged, or a late event) adds nothing. */
static void add_point(struct collector *c, struct conn_track *t, double t_s, uint64_t acked)
{
	if (!t->have_point) {
		t->have_point = true;
		t->last_t_s = t_s;
		t->last_acked = acked;
	} else if (acked > t->last_acked) {
		/* A point that left the ring buffer after a later one counts at the later time. */
		double from = t->last_t_s, to = t_s > from ? t_s : from;

		stats_bins_add(&c->goodput, (int)t->flow_id, from, to,
			       (double)(acked - t->last_acked));
		t->last_t_s = to;
		t->last_acked = acked;
	} else if (t_s > t->last_t_s) {
		t->last_t_s = t_s;
	}
	if (t_s > c->newest_t_s) {
		c->newest_t_s = t_s;
		if (stats_bins_emit_to(&c->goodput, t_s - GOODPUT_WINDOW_S) < 0 && !c->write_error)
			c->write_error = c->goodput.err;
	}
}

static double chrono_ms(const struct collector *c, uint32_t j)
{
	return chrono_jiffies_s(j, c->hz) * 1e3;
}

/* Whose retransmissions, RTOs and delivered data a connection's row counts: a run's
 * sender; in watch, every socket (its row is that socket's). */
static bool own_end(const struct collector *c, const struct ccx_event *e)
{
	return c->watch || e->side == CCX_SIDE_SENDER;
}

/* The sender's latest limit accounting; a late event (older than the snapshot) is ignored. */
static void keep_why(const struct collector *c, struct conn_track *t, const struct ccx_event *e,
		     double t_s)
{
	if (!own_end(c, e) || (!isnan(t->why_t_s) && t_s < t->why_t_s))
		return;
	t->why_t_s = t_s;
	t->chrono_j[0] = e->chrono_busy_j;
	t->chrono_j[1] = e->chrono_rwnd_j;
	t->chrono_j[2] = e->chrono_sndbuf_j;
	t->dsack_dups = e->dsack_dups;
	t->reord_seen = e->reord_seen;
	t->delivered_ce = e->delivered_ce;
}

bool collect_why_ms(const struct collector *c, const struct conn_track *t, double *life_ms,
		    double *busy_ms, double *rwnd_ms, double *sndbuf_ms)
{
	double end = isnan(t->close_t_s) ? t->why_t_s : t->close_t_s;

	if (isnan(t->established_t_s) || isnan(t->why_t_s))
		return false;
	*life_ms = (end - t->established_t_s) * 1e3;
	*rwnd_ms = chrono_ms(c, t->chrono_j[1]);
	*sndbuf_ms = chrono_ms(c, t->chrono_j[2]);
	*busy_ms = chrono_ms(c, t->chrono_j[0]) + *rwnd_ms + *sndbuf_ms;
	return true;
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
	uint32_t knob = e->args[0];
	uint64_t kernel_value = (uint64_t)e->args[3] << 32 | e->args[1];
	int32_t result = (int32_t)e->args[2];

	if (knob >= CCX_KNOB_MAX)
		knob = CCX_KNOB_CC;
	row_start(f, t_s, c, e, t, true);
	csv_str(f, knob_op(knob, e->side));
	if (knob == CCX_KNOB_CC) {
		csv_str(f, "cc");
		csv_str(f, fs->cc);
		csv_str(f, fs->cc);
	} else {
		csv_str(f, knob_table[knob].name);
		if (knob_table[knob].is_float)
			csv_double(f, fs->sockops.value[knob], 3);
		else
			csv_i64(f, (int64_t)fs->sockops.value[knob]);
		csv_u64(f, kernel_value);
	}
	csv_str(f, knob_table[knob].kernel_unit);
	csv_i64(f, result);
	end_row(c, CSV_SOCKOPS, e->type);
	if (result != 0)
		log_err("warning: flow %s (%s): the kernel refused %s: %s", fs->name,
			e->side == CCX_SIDE_SENDER ? "sender" : "receiver",
			knob == CCX_KNOB_CC ? "cc" : knob_table[knob].name, strerror(-result));
}

static const char *decision_name(uint32_t d)
{
	static const char *const names[] = {"slow_start", "grow", "hold", "decrease"};

	return d < sizeof(names) / sizeof(names[0]) ? names[d] : "unknown";
}

/* A bundled algorithm's decision, into its own timeline, opened at its first event. */
static void write_cc(struct collector *c, const struct ccx_event *e, struct conn_track *t,
		     double t_s)
{
	enum collect_csv which = e->pad == CCX_CC_VEGAS ? CSV_VEGAS : CSV_NV;
	struct csv *f = &c->csv[which];

	if (!c->csv_open[which]) {
		char path[PATH_MAX + 64];
		int r;

		r = path_fmt(path, sizeof(path), "%s/%s", c->outdir, csv_specs[which].path);
		if (!r)
			r = csv_open(f, path, csv_specs[which].cols);
		if (r < 0) {
			if (!c->write_error)
				c->write_error = r;
			c->rows[e->type]++; /* counted, so the loss shows as a write error */
			return;
		}
		c->csv_open[which] = true;
		csv_set_flush_bytes(f, EVENT_CSV_FLUSH_BYTES);
	}
	row_start(f, t_s, c, e, t, true);
	csv_str(f, decision_name(e->args[0]));
	csv_u64(f, e->args[1]);
	csv_u64(f, e->args[2]);
	csv_double(f, e->args[3] / 1000.0, 3);
	csv_u64(f, e->snd_cwnd);
	csv_u64(f, e->snd_ssthresh);
	csv_u64(f, e->srtt_us);
	end_row(c, which, e->type);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct ccx_event *e = data;
	struct conn_track *t = NULL;
	struct ccx_event copy;
	uint16_t client_port;
	struct csv *f;
	double t_s;

	if (size < sizeof(*e) || e->type >= CCX_EV_MAX)
		return 0;
	c->received[e->type]++;
	if (c->watch_event) {
		copy = *e;
		if (c->watch_event(c->watch_arg, &copy))
			return 0;
		e = &copy;
	}
	if (e->flow_id >= (uint32_t)c->exp->nflows) {
		c->ignored++;
		return 0;
	}
	t_s = ((double)e->ts_ns - (double)c->t0_ns) / 1e9;
	client_port = e->side == CCX_SIDE_SENDER ? e->lport : e->rport;
	if (client_port)
		t = find_conn(c, e->flow_id, client_port, e->cookie);
	if (t && isnan(t->first_t_s))
		t->first_t_s = t_s;
	if (t && !t->server_port)
		t->server_port = e->side == CCX_SIDE_SENDER ? e->rport : e->lport;
	/* watch: a connection found open was established before it started. */
	if (t && e->type == CCX_EV_HANDSHAKE && e->args[0] == CCX_OP_EXISTING)
		t->established = true;
	if (t && e->type == CCX_EV_STATE && e->args[1] == TCP_STATE_ESTABLISHED)
		t->established = true;
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
		if (t && own_end(c, e))
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
		csv_str(f, collect_retrans_cause_name(e->args[3]));
		end_row(c, CSV_RETRANS, e->type);
		if (t && own_end(c, e) && e->args[2] == 0) {
			t->retrans_segs += e->args[1];
			t->retrans_cause_segs[e->args[3] < CCX_RETRANS_CAUSES ? e->args[3] : 0] +=
			    e->args[1];
		}
		break;
	case CCX_EV_STATE:
		f = &c->csv[CSV_STATE];
		row_start(f, t_s, c, e, t, true);
		csv_str(f, state_name(e->args[0]));
		csv_str(f, state_name(e->args[1]));
		end_row(c, CSV_STATE, e->type);
		if (t && own_end(c, e))
			add_point(c, t, t_s, delivered_bytes(e));
		if (t && own_end(c, e) && e->args[1] == TCP_STATE_ESTABLISHED)
			t->established_t_s = t_s;
		if (t)
			keep_why(c, t, e, t_s);
		if (t && e->args[1] == TCP_STATE_CLOSE) {
			t->closed[e->side & 1] = true;
			if (e->side == CCX_SIDE_SENDER) {
				t->close_t_s = t_s;
				t->final_total_retrans = e->total_retrans;
				t->final_bytes_acked = e->bytes_acked;
			} else {
				t->final_bytes_received = e->bytes_received;
			}
			/* watch: one socket per row, which may send, receive or both. */
			if (c->watch) {
				t->close_t_s = t_s;
				t->final_total_retrans = e->total_retrans;
				t->final_bytes_acked = e->bytes_acked;
				/* flows.csv's bytes: what the socket carried, both ways */
				t->final_bytes_received = e->bytes_received + e->bytes_acked;
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
		csv_u64(f, e->rtt_min_us);
		csv_u64(f, e->packets_out);
		csv_u64(f, e->retrans_out);
		csv_u64(f, e->lost_out);
		csv_u64(f, e->sacked_out);
		csv_u64(f, e->delivered);
		csv_u64(f, e->bytes_acked);
		csv_u64(f, e->total_retrans);
		csv_double(f, e->pacing_rate * 8 / 1e6, 3);
		csv_double(
		    f, chrono_ms(c, e->chrono_busy_j + e->chrono_rwnd_j + e->chrono_sndbuf_j), 3);
		csv_double(f, chrono_ms(c, e->chrono_rwnd_j), 3);
		csv_double(f, chrono_ms(c, e->chrono_sndbuf_j), 3);
		csv_u64(f, e->app_limited != 0);
		csv_u64(f, e->dsack_dups);
		csv_u64(f, e->reord_seen);
		csv_u64(f, e->delivered_ce);
		end_row(c, CSV_CWND, e->type);
		if (t) {
			add_point(c, t, t_s, delivered_bytes(e));
			keep_why(c, t, e, t_s);
		}
		if (t && e->srtt_us) {
			if (!t->srtt_n || e->srtt_us < t->srtt_min_us)
				t->srtt_min_us = e->srtt_us;
			if (e->srtt_us > t->srtt_max_us)
				t->srtt_max_us = e->srtt_us;
			t->srtt_sum_us += e->srtt_us;
			t->srtt_n++;
		}
		break;
	case CCX_EV_HANDSHAKE:
		f = &c->csv[CSV_HANDSHAKE];
		row_start(f, t_s, c, e, t, true);
		csv_str(f, op_name(e->args[0]));
		csv_u64(f, e->args[1]);
		csv_u64(f, client_port);
		csv_u64(f, e->side == CCX_SIDE_SENDER ? e->rport : e->lport);
		end_row(c, CSV_HANDSHAKE, e->type);
		break;
	case CCX_EV_CA_STATE:
		f = &c->csv[CSV_CA_STATE];
		row_start(f, t_s, c, e, t, true);
		csv_str(f, ca_state_name(e->args[0]));
		csv_str(f, ca_state_name(e->args[1]));
		csv_u64(f, e->snd_cwnd);
		end_row(c, CSV_CA_STATE, e->type);
		break;
	case CCX_EV_CC:
		write_cc(c, e, t, t_s);
		break;
	case CCX_EV_RTT:
		if (!c->csv_open[CSV_RTT])
			break;
		f = &c->csv[CSV_RTT];
		row_start(f, t_s, c, e, t, true);
		csv_u64(f, e->args[0]);
		csv_u64(f, e->args[1]);
		end_row(c, CSV_RTT, e->type);
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
	size_t sz = 4096;

	if (exp->collect.rtt_samples) /* RTT_CB: about one per RTT per connection */
		want += (double)experiment_conns(exp) * 1000 * sizeof(struct ccx_event);
	if (exp->collect.ringbuf_kb > 0)
		want = (double)exp->collect.ringbuf_kb * 1024;
	while (sz < want && sz < (1u << 30))
		sz <<= 1;
	return sz;
}

/* Reads the iterator once in each namespace (it walks the sockets of the namespace it was
 * created in). */
static int iterate_netns(struct collector *c, const struct collect_watch *w)
{
	int self = -1, r = 0;

	if (w->nns) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return -errno;
	}
	for (int i = 0; i < (w->nns ? w->nns : 1) && !r; i++) {
		char buf[256];
		ssize_t n;
		int fd;

		if (w->nns && setns(w->netns_fds[i], CLONE_NEWNET) < 0) {
			r = -errno;
			break;
		}
		fd = bpf_iter_create(bpf_link__fd(c->iter_link));
		if (fd < 0)
			r = -errno;
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) != 0)
			if (n < 0 && errno != EINTR) {
				r = -errno;
				break;
			}
		if (fd >= 0)
			close(fd);
	}
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) < 0 && !r)
			r = -errno;
		close(self);
	}
	return r;
}

/* watch: marks the connections already open (two passes: listeners, then connections). */
static int watch_existing(struct collector *c, const struct collect_watch *w)
{
	int r;

	c->iter_link = bpf_program__attach_iter(c->skel->progs.ccx_watch_existing, NULL);
	if (!c->iter_link)
		return log_err_errno(-errno, "attach the iter/tcp program");
	r = iterate_netns(c, w);
	if (!r) {
		c->skel->bss->iter_pass = 1;
		r = iterate_netns(c, w);
	}
	if (r < 0)
		return log_err_errno(r, "walk the sockets already open");
	c->existing_flags_refused = c->skel->bss->iter_flags_refused;
	if (c->existing_flags_refused)
		log_err("warning: the kernel refused the callbacks for %u connection(s) already "
			"open (Linux < 6.12?): only their samples and congestion states are seen",
			c->existing_flags_refused);
	return 0;
}

static int open_collector(struct collector *c, const struct experiment *exp, int hz,
			  const char *cgroup, const char *outdir, const struct collect_watch *w)
{
	char path[PATH_MAX];
	int cg_fd = -1, r;

	memset(c, 0, sizeof(*c));
	c->exp = exp;
	c->hz = hz;
	c->t0_ns = sys_mono_ns();
	c->watch = w != NULL;
	c->watch_event = w ? w->event : NULL;
	c->watch_arg = w ? w->arg : NULL;
	/* Room for a cmd flow's program to open more connections than its count of one. */
	c->max_conns = w ? WATCH_MAX_CONNS : experiment_conns(exp) + 256;
	uint32_t nslots = 1;

	while (nslots < 2u * (uint32_t)c->max_conns) /* at most half full: short probes */
		nslots <<= 1;
	c->slots_mask = nslots - 1;
	c->conns = calloc(c->max_conns, sizeof(*c->conns));
	c->conn_slots = malloc(nslots * sizeof(*c->conn_slots));
	if (!c->conns || !c->conn_slots) {
		collect_free(c);
		return log_err_errno(-ENOMEM, "allocate the table of %d connections", c->max_conns);
	}
	memset(c->conn_slots, 0xff, nslots * sizeof(*c->conn_slots)); /* all -1: free */
	/* watch: flows are added as server ports show up. */
	r = stats_bins_init(&c->goodput, w ? CFG_MAX_FLOWS : exp->nflows,
			    exp->collect.sample_interval_ms / 1000.0, GOODPUT_WINDOW_S,
			    write_goodput, c);
	if (r < 0) {
		collect_free(c);
		return log_err_errno(r, "allocate the throughput window");
	}

	if (outdir) {
		r = path_fmt(path, sizeof(path), "%s/events", outdir);
		if (!r)
			r = sys_mkdir_p(path, 0755);
		if (!r)
			r = path_fmt(path, sizeof(path), "%s/timeline", outdir);
		if (!r)
			r = sys_mkdir_p(path, 0755);
		if (!r)
			r = path_fmt(c->outdir, sizeof(c->outdir), "%s", outdir);
		if (r < 0)
			return log_err_errno(r, "create %s", path);
		for (int i = 0; i < CSV_COUNT; i++) {
			if ((i == CSV_RTT && !exp->collect.rtt_samples) || i == CSV_NV ||
			    i == CSV_VEGAS)
				continue;
			r = path_fmt(path, sizeof(path), "%s/%s", outdir, csv_specs[i].path);
			if (!r)
				r = csv_open(&c->csv[i], path, csv_specs[i].cols);
			if (r < 0) {
				log_err_errno(r, "create %s", path);
				goto fail;
			}
			c->csv_open[i] = true;
			csv_set_flush_bytes(&c->csv[i], EVENT_CSV_FLUSH_BYTES);
		}
		r = path_fmt(path, sizeof(path), "%s/timeline/throughput.csv", outdir);
		if (!r)
			r = csv_open(&c->goodput_csv, path, goodput_cols);
		if (r < 0) {
			log_err_errno(r, "create %s", path);
			goto fail;
		}
		c->goodput_open = true;
	}

	c->skel = ccx_sockops__open();
	if (!c->skel) {
		r = log_err_errno(-errno, "open the sockops BPF object");
		goto fail;
	}
	c->skel->rodata->sample_interval_ns = (uint64_t)exp->collect.sample_interval_ms * 1000000;
	c->skel->rodata->collect_none = exp->collect.level == COLLECT_NONE;
	c->skel->rodata->watch_all = w != NULL;
	if (w) {
		c->skel->rodata->watch_cgroup_id = w->cgroup_id;
		c->skel->rodata->watch_cgroup_level = (uint32_t)w->cgroup_level;
	} else {
		bpf_program__set_autoload(c->skel->progs.ccx_watch_existing, false);
	}
	/* Level "none": the tracing programs are not even loaded, so no ACK pays for them. */
	if (exp->collect.level == COLLECT_NONE) {
		bpf_program__set_autoload(c->skel->progs.ccx_tcp_probe, false);
		bpf_program__set_autoload(c->skel->progs.ccx_cong_state, false);
	}
	/* One entry per flow: the table is the config's size, not the program's default. */
	r = bpf_map__set_max_entries(c->skel->maps.flows, w ? WATCH_MAX_FLOW_PORTS : exp->nflows);
	if (r < 0) {
		log_err_errno(r, "size the flow table");
		goto fail;
	}
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

	if (w) {
		/* Port 0, flow 0: where server ports go once the table is full. */
		struct ccx_flow_cfg none = {0};
		uint16_t port = 0;

		r = bpf_map__update_elem(c->skel->maps.flows, &port, sizeof(port), &none,
					 sizeof(none), BPF_ANY);
		if (r < 0) {
			log_err_errno(r, "store the watch's flow entry");
			goto fail;
		}
	}
	for (int i = 0; !w && i < exp->nflows; i++) {
		const struct flow_spec *fs = &exp->flows[i];
		struct ccx_flow_cfg cfg = {.flow_id = i};
		uint16_t port = CCX_PORT_BASE + i;

		snprintf(cfg.cc, sizeof(cfg.cc), "%s", fs->cc);
		if (exp->collect.rtt_samples)
			cfg.flags |= CCX_FLOW_RTT_SAMPLES;
		for (int k = 0; k < CCX_KNOB_MAX; k++) {
			if (k == CCX_KNOB_CC || !fs->sockops.sides[k])
				continue;
			cfg.sides[k] = fs->sockops.sides[k];
			cfg.value[k] = knob_kernel_value(k, fs->sockops.value[k], hz);
		}
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
	cg_fd = -1;
	/* The tracing programs see every socket but act only on those the sockops program
	 * marked; they add the fixed-interval samples and the congestion states. */
	if (exp->collect.level == COLLECT_NONE)
		return 0;
	c->trace_links[0] = bpf_program__attach(c->skel->progs.ccx_tcp_probe);
	if (!c->trace_links[0]) {
		r = log_err_errno(-errno, "attach tp_btf/tcp_probe");
		goto fail;
	}
	c->trace_links[1] = bpf_program__attach(c->skel->progs.ccx_cong_state);
	if (!c->trace_links[1]) {
		r = log_err_errno(-errno, "attach tp_btf/tcp_cong_state_set");
		goto fail;
	}
	if (w) {
		r = watch_existing(c, w);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	if (cg_fd >= 0)
		close(cg_fd);
	collect_close(c);
	collect_free(c);
	return r;
}

int collect_open(struct collector *c, const struct experiment *exp, int hz, const char *cgroup,
		 const char *outdir)
{
	return open_collector(c, exp, hz, cgroup, outdir, NULL);
}

int collect_open_watch(struct collector *c, const struct experiment *exp, int hz,
		       const char *cgroup, const char *outdir, const struct collect_watch *w)
{
	return open_collector(c, exp, hz, cgroup, outdir, w);
}

int collect_watch_conn(struct collector *c, uint64_t cookie, struct ccx_watch_conn *out,
		       bool forget)
{
	int r = bpf_map__lookup_elem(c->skel->maps.watch_conns, &cookie, sizeof(cookie), out,
				     sizeof(*out), 0);

	if (!r && forget)
		bpf_map__delete_elem(c->skel->maps.watch_conns, &cookie, sizeof(cookie), 0);
	return r;
}

int collect_set_flow_cc(struct collector *c, int flow_id, const char *cc)
{
	struct ccx_flow_cfg cfg;
	uint16_t port = CCX_PORT_BASE + flow_id;
	int r;

	r = bpf_map__lookup_elem(c->skel->maps.flows, &port, sizeof(port), &cfg, sizeof(cfg), 0);
	if (r < 0)
		return r;
	snprintf(cfg.cc, sizeof(cfg.cc), "%s", cc);
	return bpf_map__update_elem(c->skel->maps.flows, &port, sizeof(port), &cfg, sizeof(cfg),
				    BPF_EXIST);
}

void collect_shared_fds(const struct collector *c, int fds[3])
{
	fds[0] = bpf_map__fd(c->skel->maps.events);
	fds[1] = bpf_map__fd(c->skel->maps.counters);
	fds[2] = bpf_map__fd(c->skel->maps.sk_infos);
}

int collect_poll(struct collector *c, int timeout_ms)
{
	int n = ring_buffer__poll(c->rb, timeout_ms);
	uint64_t now = sys_mono_ns();

	/* Keep the files readable while the run goes on, without a write per event. */
	if (now - c->last_flush_ns > 500000000ull) {
		for (int i = 0; i < CSV_COUNT; i++)
			if (c->csv_open[i])
				csv_flush(&c->csv[i]);
		if (c->goodput_open)
			csv_flush(&c->goodput_csv);
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

int collect_prog_stats(const struct collector *c, struct collect_prog_stat *out, int max)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, c->skel->obj)
	{
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (n >= max || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", info.name);
		out[n].run_cnt = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
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
	bpf_link__destroy(c->iter_link);
	c->iter_link = NULL;
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(c->trace_links[i]);
		c->trace_links[i] = NULL;
	}
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

int collect_finish_goodput(struct collector *c)
{
	double end = c->exp->duration_s;
	int r;

	if (!c->goodput_open)
		return 0;
	/* Every interval up to the run's end, or its last point when that came later. */
	if (c->newest_t_s > end)
		end = c->newest_t_s;
	r = stats_bins_emit_to(&c->goodput, end);
	int cr = csv_close(&c->goodput_csv);

	c->goodput_open = false;
	return r < 0 ? r : cr;
}

void collect_free(struct collector *c)
{
	if (c->goodput_open) {
		csv_close(&c->goodput_csv);
		c->goodput_open = false;
	}
	stats_bins_free(&c->goodput);
	free(c->conns);
	free(c->conn_slots);
	c->conns = NULL;
	c->conn_slots = NULL;
	c->nconns = 0;
}
