/* sockops: applies each flow's TCP parameters and turns TCP callbacks into ring-buffer events. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ccx_events.h"

/* Socket option constants are macros, so vmlinux.h does not carry them. */
#define SOL_TCP		 6
#define TCP_CONGESTION	 13
#define TCP_BPF_IW	 1001
#define TCP_LISTEN_STATE 10

/* Sample interval for CCX_EV_SAMPLE, set by the loader before load. */
const volatile __u64 sample_interval_ns = 10000000;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the loader from the config */
} events SEC(".maps");

/* Flow parameters keyed by the flow's server port (host order). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CCX_MAX_FLOWS);
	__type(key, __u16);
	__type(value, struct ccx_flow_cfg);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CCX_EV_MAX);
	__type(key, __u32);
	__type(value, struct ccx_counter);
} counters SEC(".maps");

struct ccx_sk_info {
	__u64 last_sample_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ccx_sk_info);
} sk_infos SEC(".maps");

static __always_inline struct ccx_flow_cfg *lookup_flow(struct bpf_sock_ops *skops, __u8 *side)
{
	__u16 lport = (__u16)skops->local_port;
	__u16 rport = (__u16)bpf_ntohl(skops->remote_port);
	struct ccx_flow_cfg *cfg;

	/* The receiver listens on the flow's port; the sender connects to it. */
	cfg = bpf_map_lookup_elem(&flows, &lport);
	if (cfg) {
		*side = CCX_SIDE_RECEIVER;
		return cfg;
	}
	cfg = bpf_map_lookup_elem(&flows, &rport);
	if (cfg) {
		*side = CCX_SIDE_SENDER;
		return cfg;
	}
	return NULL;
}

static __always_inline void emit(struct bpf_sock_ops *skops, __u32 type, __u32 flow_id, __u8 side,
				 __u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	struct ccx_counter *cnt;
	struct ccx_event *e;
	__u32 key = type;

	cnt = bpf_map_lookup_elem(&counters, &key);
	if (cnt)
		cnt->seen++;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if (cnt)
			cnt->dropped++;
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = bpf_get_socket_cookie(skops);
	e->type = type;
	e->flow_id = flow_id;
	e->lport = (__u16)skops->local_port;
	e->rport = (__u16)bpf_ntohl(skops->remote_port);
	e->side = side;
	e->state = (__u8)skops->state;
	e->pad = 0;
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = a2;
	e->args[3] = a3;
	/* For request sockets these read as 0: the kernel only fills them for full sockets. */
	e->snd_cwnd = skops->snd_cwnd;
	e->snd_ssthresh = skops->snd_ssthresh;
	e->srtt_us = skops->srtt_us >> 3;
	e->packets_out = skops->packets_out;
	e->retrans_out = skops->retrans_out;
	e->total_retrans = skops->total_retrans;
	e->bytes_acked = skops->bytes_acked;
	e->bytes_received = skops->bytes_received;
	bpf_ringbuf_submit(e, 0);
}

/* bpf_sock_ops_cb_flags_set() replaces the set, so OR in what is already there. */
static __always_inline void enable_callbacks(struct bpf_sock_ops *skops, __u8 side)
{
	__u32 want =
	    BPF_SOCK_OPS_RTO_CB_FLAG | BPF_SOCK_OPS_RETRANS_CB_FLAG | BPF_SOCK_OPS_STATE_CB_FLAG;

	if (side == CCX_SIDE_SENDER)
		want |= BPF_SOCK_OPS_RTT_CB_FLAG;
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | want);
}

static __always_inline void set_cc(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg, __u8 side)
{
	char name[CCX_CC_NAME_MAX];
	long r;

	if (!cfg->cc[0])
		return;
	__builtin_memcpy(name, cfg->cc, sizeof(name));
	r = bpf_setsockopt(skops, SOL_TCP, TCP_CONGESTION, name, sizeof(name));
	emit(skops, CCX_EV_PARAM, cfg->flow_id, side, CCX_KNOB_CC, 0, (__u32)r, 0);
}

static __always_inline void sample(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg, __u8 side,
				   int force)
{
	struct bpf_sock *sk = skops->sk;
	struct ccx_sk_info *info;
	__u64 now;

	if (!sk)
		return;
	info = bpf_sk_storage_get(&sk_infos, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!info)
		return;
	now = bpf_ktime_get_ns();
	if (!force && now - info->last_sample_ns < sample_interval_ns)
		return;
	info->last_sample_ns = now;
	emit(skops, CCX_EV_SAMPLE, cfg->flow_id, side, 0, 0, 0, 0);
}

SEC("sockops")
int ccx_sockops(struct bpf_sock_ops *skops)
{
	struct ccx_flow_cfg *cfg;
	__u32 op = skops->op;
	__u8 side = 0;
	int reply = 0;
	long r;

	cfg = lookup_flow(skops, &side);
	if (!cfg)
		return 1;

	switch (op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		emit(skops, CCX_EV_CONNECT, cfg->flow_id, side, 0, 0, 0, 0);
		/* From here on, so that SYN retransmissions and RTOs are seen too. */
		enable_callbacks(skops, side);
		set_cc(skops, cfg, side);
		break;
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		/* Passive children inherit the listener's callback flags and cc. */
		enable_callbacks(skops, side);
		set_cc(skops, cfg, side);
		break;
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		if (cfg->syn_rto_jiffies) {
			reply = cfg->syn_rto_jiffies;
			emit(skops, CCX_EV_PARAM, cfg->flow_id, side, CCX_KNOB_SYN_RTO, reply, 0,
			     0);
		}
		break;
	case BPF_SOCK_OPS_RWND_INIT:
		/* The window the receiver advertises is the one that limits a bulk sender. */
		if (cfg->init_rwnd_pkts && side == CCX_SIDE_RECEIVER) {
			reply = cfg->init_rwnd_pkts;
			emit(skops, CCX_EV_PARAM, cfg->flow_id, side, CCX_KNOB_INIT_RWND, reply, 0,
			     0);
		}
		break;
	case BPF_SOCK_OPS_NEEDS_ECN:
		if (cfg->ecn) {
			reply = 1;
			emit(skops, CCX_EV_PARAM, cfg->flow_id, side, CCX_KNOB_ECN, 1, 0, 0);
		}
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		enable_callbacks(skops, side);
		emit(skops, CCX_EV_ESTABLISHED, cfg->flow_id, side, op, 0, 0, 0);
		/* TCP_BPF_IW only works before any data has been sent. */
		if (cfg->init_cwnd_pkts && side == CCX_SIDE_SENDER) {
			int iw = cfg->init_cwnd_pkts;

			r = bpf_setsockopt(skops, SOL_TCP, TCP_BPF_IW, &iw, sizeof(iw));
			emit(skops, CCX_EV_PARAM, cfg->flow_id, side, CCX_KNOB_INIT_CWND, iw,
			     (__u32)r, 0);
		}
		if (side == CCX_SIDE_SENDER)
			sample(skops, cfg, side, 1);
		break;
	case BPF_SOCK_OPS_RTO_CB:
		emit(skops, CCX_EV_RTO, cfg->flow_id, side, skops->args[0], skops->args[1],
		     skops->args[2], 0);
		break;
	case BPF_SOCK_OPS_RETRANS_CB:
		emit(skops, CCX_EV_RETRANS, cfg->flow_id, side, skops->args[0], skops->args[1],
		     skops->args[2], 0);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		/* A listener closing is not a connection's state change. */
		if (skops->args[0] == TCP_LISTEN_STATE)
			break;
		emit(skops, CCX_EV_STATE, cfg->flow_id, side, skops->args[0], skops->args[1], 0, 0);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		if (side == CCX_SIDE_SENDER)
			sample(skops, cfg, side, 0);
		break;
	default:
		break;
	}
	/* One write at the end: early writes can become a ctx access the verifier rejects. */
	skops->reply = reply;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
