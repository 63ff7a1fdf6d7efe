/* sockops: applies each flow's TCP parameters and turns TCP callbacks into ring-buffer events;
 * two tp_btf programs add per-interval samples and congestion-state changes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "ccx_events.h"
/* The ring buffer, counters and per-socket storage, shared with the bundled algorithms. */
#include "ccx_fill.h"

/* Socket option constants are macros, so vmlinux.h does not carry them. */
#define SOL_SOCKET	      1
#define SO_SNDBUF	      7
#define SO_RCVBUF	      8
#define SO_MAX_PACING_RATE    47
#define SOL_TCP		      6
#define TCP_WINDOW_CLAMP      10
#define TCP_CONGESTION	      13
#define TCP_NOTSENT_LOWAT     25
#define TCP_BPF_IW	      1001
#define TCP_BPF_SNDCWND_CLAMP 1002
#define TCP_BPF_DELACK_MAX    1003
#define TCP_BPF_RTO_MIN	      1004
#define TCP_LISTEN_STATE      10
/* include/net/inet_connection_sock.h: icsk_pending while the loss-probe timer is armed */
#define ICSK_TIME_LOSS_PROBE 5

/* watch: the callback flags set by setsockopt (Linux >= 6.12), and two TCP states. */
#define TCP_BPF_CB_FLAGS 1008 /* TCP_BPF_SOCK_OPS_CB_FLAGS */
#define TCP_SYN_RECV_ST	 3
#define TCP_CLOSE_ST	 7

/* Sample interval for CCX_EV_SAMPLE, set by the loader before load. */
const volatile __u64 sample_interval_ns = 10000000;
/* collect.level = "none": only what tracks the connections (state changes, handshake) and
 * applies the knobs; no samples, no RTO/retransmission/RTT callbacks. Set before load. */
const volatile bool collect_none = false;

/* ccexp watch: every connection of the cgroup is followed and none is changed. The flow
 * map then holds one knob-less entry per server port, its flow_id the port (0: the table
 * was full), made here on first sight. Set before load. */
const volatile bool watch_all = false;
/* watch: the cgroup whose sockets the iterator marks (its id and depth under the root). */
const volatile __u64 watch_cgroup_id = 0;
const volatile __u32 watch_cgroup_level = 0;
/* watch: 0 = the iterator notes listening ports, 1 = it marks connections. Set between
 * the two passes by the loader. */
__u32 iter_pass = 0;
/* watch: sockets found open whose callback flags the kernel refused (before Linux 6.12). */
__u32 iter_flags_refused = 0;

/* Flow parameters keyed by the flow's server port (host order). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CCX_MAX_FLOWS);
	__type(key, __u16);
	__type(value, struct ccx_flow_cfg);
} flows SEC(".maps");

/* watch: the ports sockets of the cgroup listened on when the iterator ran (pass 0), to
 * tell a connection it finds open as accepted (local port listened) or connected. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u16);
	__type(value, __u8);
} listen_ports SEC(".maps");

/* watch: addresses and algorithm of each followed connection, by socket cookie, written
 * before its first event; the loader deletes an entry when it sees the CLOSE. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct ccx_watch_conn);
} watch_conns SEC(".maps");

/* Fills the event from the connection's tcp_sock; tp may be NULL (a request socket). */
static __always_inline void fill(struct ccx_event *e, struct tcp_sock *tp, __u32 type,
				 __u32 flow_id, __u8 side, __u64 cookie, __u16 lport, __u16 rport,
				 __u8 state)
{
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = cookie;
	e->type = type;
	e->flow_id = flow_id;
	e->lport = lport;
	e->rport = rport;
	e->side = side;
	e->state = state;
	e->pad = 0;
	if (!tp) {
		__builtin_memset(&e->snd_cwnd, 0,
				 sizeof(*e) - __builtin_offsetof(struct ccx_event, snd_cwnd));
		return;
	}
	ccx_fill_tcp(e, tp);
}

/* watch: the entry of a server port, made on first sight (flow_id = the port); entry 0,
 * stored by the loader, takes the ports that find the table full. */
static __always_inline struct ccx_flow_cfg *watch_flow_cfg(__u16 port)
{
	struct ccx_flow_cfg *cfg, fresh = {};
	__u16 other = 0;

	cfg = bpf_map_lookup_elem(&flows, &port);
	if (cfg)
		return cfg;
	fresh.flow_id = port;
	bpf_map_update_elem(&flows, &port, &fresh, BPF_NOEXIST);
	cfg = bpf_map_lookup_elem(&flows, &port);
	return cfg ? cfg : bpf_map_lookup_elem(&flows, &other);
}

/* watch: which end of its connection a socket is, from the callback (connect and listen
 * say it), else from its mark; the flow is the server's port. NULL: a request socket
 * before it is a connection, which watch leaves alone. */
static __always_inline struct ccx_flow_cfg *watch_lookup(struct bpf_sock_ops *skops, __u8 *side)
{
	__u16 lport = (__u16)skops->local_port;
	__u16 rport = (__u16)bpf_ntohl(skops->remote_port);
	struct bpf_sock *sk = skops->sk;
	struct ccx_sk_info *info;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		*side = CCX_SIDE_SENDER;
		return watch_flow_cfg(rport);
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		*side = CCX_SIDE_RECEIVER;
		return watch_flow_cfg(lport);
	}
	if (!sk)
		return NULL;
	info = bpf_sk_storage_get(&sk_infos, sk, 0, 0);
	if (info)
		*side = info->side;
	else if (skops->op == BPF_SOCK_OPS_STATE_CB && skops->args[0] == TCP_SYN_RECV_ST)
		*side = CCX_SIDE_RECEIVER; /* an accepted child, before PASSIVE_ESTABLISHED */
	else
		return NULL;
	return watch_flow_cfg(*side == CCX_SIDE_SENDER ? rport : lport);
}

/* The flow of a sockops socket: the receiver listens on the flow's port, the sender
 * connects to it. */
static __always_inline struct ccx_flow_cfg *lookup_flow(struct bpf_sock_ops *skops, __u8 *side)
{
	__u16 lport = (__u16)skops->local_port;
	__u16 rport = (__u16)bpf_ntohl(skops->remote_port);
	struct ccx_flow_cfg *cfg;

	if (watch_all)
		return watch_lookup(skops, side);
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
	struct bpf_sock *sk = skops->sk;
	struct tcp_sock *tp = NULL;
	struct ccx_event *e;

	e = ccx_reserve(type);
	if (!e)
		return;
	if (sk)
		tp = bpf_skc_to_tcp_sock(sk);
	fill(e, tp, type, flow_id, side, bpf_get_socket_cookie(skops), (__u16)skops->local_port,
	     (__u16)bpf_ntohl(skops->remote_port), (__u8)skops->state);
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = a2;
	e->args[3] = a3;
	bpf_ringbuf_submit(e, 0);
}

/* RETRANS_CB comes from __tcp_retransmit_skb with no word on who called it; the socket tells.
 * tcp_send_loss_probe runs from the write timer while icsk_pending still says LOSS_PROBE and
 * the timer is due (the RTO path clears icsk_pending first; an armed, not yet due probe
 * timer can be pending while ACK processing retransmits). Otherwise tcp_enter_loss (an RTO)
 * leaves the socket in Loss until the lost data is repaired, and tcp_xmit_retransmit_queue
 * retransmits in Recovery after fast retransmit or RACK marked segments lost. */
static __always_inline __u32 retrans_cause(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct tcp_sock *tp;
	__u8 pending, ca_state;
	__u64 due;

	if (!sk)
		return CCX_RETRANS_OTHER;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return CCX_RETRANS_OTHER;
	pending = tp->inet_conn.icsk_pending;
	due = tp->inet_conn.icsk_retransmit_timer.expires;
	if (pending == ICSK_TIME_LOSS_PROBE && (__s64)(bpf_jiffies64() - due) >= 0)
		return CCX_RETRANS_TLP;
	ca_state = tp->inet_conn.icsk_ca_state;
	if (ca_state == CCX_TCP_CA_LOSS)
		return CCX_RETRANS_RTO;
	if (ca_state == CCX_TCP_CA_RECOVERY)
		return CCX_RETRANS_FAST;
	return CCX_RETRANS_OTHER;
}

static __always_inline bool knob_on(struct ccx_flow_cfg *cfg, int knob, __u8 side)
{
	return cfg->sides[knob] & (1u << side);
}

static __always_inline void param(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg, __u8 side,
				  int knob, __u64 value, long result)
{
	emit(skops, CCX_EV_PARAM, cfg->flow_id, side, knob, (__u32)value, (__u32)result,
	     (__u32)(value >> 32));
}

/* A knob that is a bpf_setsockopt with an int value; every result is recorded. */
static __always_inline void set_int(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg, __u8 side,
				    int knob, int level, int optname)
{
	int val;
	long r;

	if (!knob_on(cfg, knob, side))
		return;
	val = (int)cfg->value[knob];
	r = bpf_setsockopt(skops, level, optname, &val, sizeof(val));
	param(skops, cfg, side, knob, cfg->value[knob], r);
}

/* A knob answered with the callback's reply; returns the reply (0: kernel default). */
static __always_inline __u32 reply_for(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg,
				       __u8 side, int knob, __u32 op)
{
	__u32 reply = 0;

	if (knob_on(cfg, knob, side)) {
		reply = (__u32)cfg->value[knob];
		param(skops, cfg, side, knob, reply, 0);
	}
	emit(skops, CCX_EV_HANDSHAKE, cfg->flow_id, side, op, reply, 0, 0);
	return reply;
}

/* bpf_sock_ops_cb_flags_set() replaces the set, so OR in what is already there. */
static __always_inline void enable_callbacks(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg)
{
	__u32 want = BPF_SOCK_OPS_STATE_CB_FLAG;

	/* STATE_CB alone: the CLOSE snapshot gives flows.csv its bytes and retransmissions. */
	if (!collect_none)
		want |= BPF_SOCK_OPS_RTO_CB_FLAG | BPF_SOCK_OPS_RETRANS_CB_FLAG;
	if (cfg->flags & CCX_FLOW_RTT_SAMPLES)
		want |= BPF_SOCK_OPS_RTT_CB_FLAG;
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | want);
}

/* Marks one of the run's sockets (the tracing programs act only on marked ones) with its
 * flow, side and base RTT. A bundled NV reads base_rtt_us in its init: on the sender that
 * runs when TCP_CONGESTION is set at TCP_CONNECT, so the mark comes before it. The kernel's
 * tcp_nv asks BASE_RTT instead. */
static __always_inline struct ccx_sk_info *tag_socket(struct bpf_sock_ops *skops,
						      struct ccx_flow_cfg *cfg, __u8 side)
{
	struct bpf_sock *sk = skops->sk;
	struct ccx_sk_info *info;

	if (!sk)
		return NULL;
	info = bpf_sk_storage_get(&sk_infos, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!info)
		return NULL;
	info->flow_id = cfg->flow_id;
	info->side = side;
	if (knob_on(cfg, CCX_KNOB_BASE_RTT, side))
		info->base_rtt_us = (__u32)cfg->value[CCX_KNOB_BASE_RTT];
	return info;
}

/* Before the handshake: the algorithm, and the buffers (the window scale is chosen from the
 * receive buffer when the SYN is built). */
static __always_inline void before_handshake(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg,
					     __u8 side)
{
	char name[CCX_CC_NAME_MAX];
	long r;

	enable_callbacks(skops, cfg);
	if (side == CCX_SIDE_SENDER)
		tag_socket(skops, cfg, side);
	if (cfg->cc[0]) {
		__builtin_memcpy(name, cfg->cc, sizeof(name));
		r = bpf_setsockopt(skops, SOL_TCP, TCP_CONGESTION, name, sizeof(name));
		param(skops, cfg, side, CCX_KNOB_CC, 0, r);
	}
	set_int(skops, cfg, side, CCX_KNOB_SNDBUF, SOL_SOCKET, SO_SNDBUF);
	set_int(skops, cfg, side, CCX_KNOB_RCVBUF, SOL_SOCKET, SO_RCVBUF);
}

static __always_inline void established(struct bpf_sock_ops *skops, struct ccx_flow_cfg *cfg,
					__u8 side)
{
	struct ccx_sk_info *info;

	enable_callbacks(skops, cfg);
	info = tag_socket(skops, cfg, side);
	/* The ESTABLISHED sample below is the first of the timeline. */
	if (info)
		info->last_sample_ns = bpf_ktime_get_ns();
	/* TCP_BPF_IW only works before any data has been sent: now. */
	set_int(skops, cfg, side, CCX_KNOB_INIT_CWND, SOL_TCP, TCP_BPF_IW);
	set_int(skops, cfg, side, CCX_KNOB_CWND_CLAMP, SOL_TCP, TCP_BPF_SNDCWND_CLAMP);
	set_int(skops, cfg, side, CCX_KNOB_RTO_MIN, SOL_TCP, TCP_BPF_RTO_MIN);
	set_int(skops, cfg, side, CCX_KNOB_DELACK_MAX, SOL_TCP, TCP_BPF_DELACK_MAX);
	set_int(skops, cfg, side, CCX_KNOB_MAX_PACING, SOL_SOCKET, SO_MAX_PACING_RATE);
	set_int(skops, cfg, side, CCX_KNOB_WINDOW_CLAMP, SOL_TCP, TCP_WINDOW_CLAMP);
	set_int(skops, cfg, side, CCX_KNOB_NOTSENT_LOWAT, SOL_TCP, TCP_NOTSENT_LOWAT);
}

/* watch: the connection's addresses and algorithm, for the live table. */
static __always_inline void watch_note_conn(struct bpf_sock_ops *skops)
{
	struct ccx_watch_conn wc = {};
	__u64 cookie = bpf_get_socket_cookie(skops);

	wc.family = skops->family;
	wc.lport = (__u16)skops->local_port;
	wc.rport = (__u16)bpf_ntohl(skops->remote_port);
	if (wc.family == 2 /* AF_INET */) {
		__builtin_memcpy(wc.laddr, &skops->local_ip4, 4);
		__builtin_memcpy(wc.raddr, &skops->remote_ip4, 4);
	} else {
		__u32 a[4];

		a[0] = skops->local_ip6[0];
		a[1] = skops->local_ip6[1];
		a[2] = skops->local_ip6[2];
		a[3] = skops->local_ip6[3];
		__builtin_memcpy(wc.laddr, a, 16);
		a[0] = skops->remote_ip6[0];
		a[1] = skops->remote_ip6[1];
		a[2] = skops->remote_ip6[2];
		a[3] = skops->remote_ip6[3];
		__builtin_memcpy(wc.raddr, a, 16);
	}
	bpf_getsockopt(skops, SOL_TCP, TCP_CONGESTION, wc.cc, sizeof(wc.cc));
	bpf_map_update_elem(&watch_conns, &cookie, &wc, BPF_ANY);
}

SEC("sockops")
int ccx_sockops(struct bpf_sock_ops *skops)
{
	struct ccx_flow_cfg *cfg;
	__u32 op = skops->op;
	__u8 side = 0;
	__u32 reply = 0;

	cfg = lookup_flow(skops, &side);
	if (!cfg)
		return 1;

	switch (op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		/* The first event of an active connection; callbacks from here on, so SYN
		 * retransmissions and SYN RTOs are seen too. */
		emit(skops, CCX_EV_HANDSHAKE, cfg->flow_id, side, op, 0, 0, 0);
		before_handshake(skops, cfg, side);
		break;
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		/* Passive children inherit the listener's flags, algorithm and buffers. */
		emit(skops, CCX_EV_HANDSHAKE, cfg->flow_id, side, op, 0, 0, 0);
		before_handshake(skops, cfg, side);
		break;
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		reply = reply_for(skops, cfg, side, CCX_KNOB_SYN_RTO, op);
		break;
	case BPF_SOCK_OPS_RWND_INIT:
		reply = reply_for(skops, cfg, side, CCX_KNOB_INIT_RWND, op);
		break;
	case BPF_SOCK_OPS_NEEDS_ECN:
		reply = reply_for(skops, cfg, side, CCX_KNOB_ECN, op);
		break;
	case BPF_SOCK_OPS_BASE_RTT:
		reply = reply_for(skops, cfg, side, CCX_KNOB_BASE_RTT, op);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		emit(skops, CCX_EV_HANDSHAKE, cfg->flow_id, side, op, 0, 0, 0);
		established(skops, cfg, side);
		if (watch_all)
			watch_note_conn(skops);
		/* watch: either end may be the one sending, so both have a timeline. */
		if ((side == CCX_SIDE_SENDER || watch_all) && !collect_none)
			emit(skops, CCX_EV_SAMPLE, cfg->flow_id, side, 0, 0, 0, 0);
		break;
	case BPF_SOCK_OPS_RTO_CB:
		emit(skops, CCX_EV_RTO, cfg->flow_id, side, skops->args[0], skops->args[1],
		     skops->args[2], 0);
		break;
	case BPF_SOCK_OPS_RETRANS_CB:
		emit(skops, CCX_EV_RETRANS, cfg->flow_id, side, skops->args[0], skops->args[1],
		     skops->args[2], retrans_cause(skops));
		break;
	case BPF_SOCK_OPS_STATE_CB:
		/* A listener closing is not a connection's state change. */
		if (skops->args[0] == TCP_LISTEN_STATE)
			break;
		emit(skops, CCX_EV_STATE, cfg->flow_id, side, skops->args[0], skops->args[1], 0, 0);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		emit(skops, CCX_EV_RTT, cfg->flow_id, side, skops->args[0], skops->args[1] >> 3, 0,
		     0);
		break;
	default:
		break;
	}
	/* One write at the end: early writes can become a ctx access the verifier rejects. */
	skops->reply = reply;
	return 1;
}

static __always_inline void emit_traced(struct sock *sk, struct ccx_sk_info *info, __u32 type,
					__u32 a0, __u32 a1)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct ccx_event *e;

	e = ccx_reserve(type);
	if (!e)
		return;
	fill(e, tp, type, info->flow_id, info->side, bpf_get_socket_cookie(sk),
	     sk->__sk_common.skc_num, bpf_ntohs(sk->__sk_common.skc_dport),
	     sk->__sk_common.skc_state);
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = 0;
	e->args[3] = 0;
	bpf_ringbuf_submit(e, 0);
}

/* Every segment a sender receives (its ACKs) passes here: the timeline is sampled at a fixed
 * interval instead of once per RTT as RTT_CB would give. */
SEC("tp_btf/tcp_probe")
int BPF_PROG(ccx_tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	struct ccx_sk_info *info;
	__u64 now;

	info = bpf_sk_storage_get(&sk_infos, sk, 0, 0);
	if (!info || (info->side != CCX_SIDE_SENDER && !watch_all))
		return 0;
	now = bpf_ktime_get_ns();
	if (now - info->last_sample_ns < sample_interval_ns)
		return 0;
	info->last_sample_ns = now;
	emit_traced(sk, info, CCX_EV_SAMPLE, 0, 0);
	return 0;
}

SEC("tp_btf/tcp_cong_state_set")
int BPF_PROG(ccx_cong_state, struct sock *sk, const __u8 ca_state)
{
	struct ccx_sk_info *info;
	__u8 old;

	info = bpf_sk_storage_get(&sk_infos, sk, 0, 0);
	if (!info)
		return 0;
	old = info->ca_state;
	if (old == ca_state)
		return 0;
	info->ca_state = ca_state;
	emit_traced(sk, info, CCX_EV_CA_STATE, old, ca_state);
	return 0;
}

/* watch: whether a socket's cgroup is the watched one or below it. */
static __always_inline bool in_watched_cgroup(struct sock *sk)
{
	struct cgroup *cg = sk->sk_cgrp_data.cgroup, *anc = NULL;
	struct kernfs_node *kn = NULL;
	__u64 id = 0;

	if (!cg || cg->level < (int)watch_cgroup_level)
		return false;
	if (bpf_probe_read_kernel(&anc, sizeof(anc), &cg->ancestors[watch_cgroup_level & 0xff]) ||
	    !anc)
		return false;
	if (bpf_probe_read_kernel(&kn, sizeof(kn), &anc->kn) || !kn)
		return false;
	if (bpf_probe_read_kernel(&id, sizeof(id), &kn->id))
		return false;
	return id == watch_cgroup_id;
}

/* watch: the connections of the cgroup that were open before it started. sockops marks a
 * socket only at connect, listen and establishment, so these are found here instead: each
 * gets the mark and the RTO, retransmission and state callbacks (a setsockopt of the flags,
 * which an iterator may do since Linux 6.12), an EXISTING handshake event and a first
 * sample. Pass 0 notes the listening ports, pass 1 tells accepted from connected sockets
 * by them. Listeners get the callbacks too, which their future children inherit. */
SEC("iter/tcp")
int ccx_watch_existing(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ccx_watch_conn wc = {};
	struct ccx_flow_cfg *cfg;
	struct ccx_sk_info *info;
	struct tcp_sock *tp;
	struct sock *sk;
	__u8 one = 1, side;
	__u64 cookie;
	int flags;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0; /* time-wait and request sockets: no tcp_sock */
	sk = (struct sock *)tp;
	if (!in_watched_cgroup(sk))
		return 0;
	flags = tp->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RTO_CB_FLAG |
		BPF_SOCK_OPS_RETRANS_CB_FLAG;
	wc.lport = skc->skc_num;
	wc.rport = bpf_ntohs(skc->skc_dport);
	if (skc->skc_state == TCP_LISTEN_STATE) {
		if (iter_pass == 0)
			bpf_map_update_elem(&listen_ports, &wc.lport, &one, BPF_ANY);
		else
			bpf_setsockopt(sk, SOL_TCP, TCP_BPF_CB_FLAGS, &flags, sizeof(flags));
		return 0;
	}
	if (iter_pass == 0 || skc->skc_state == TCP_CLOSE_ST)
		return 0;
	if (bpf_sk_storage_get(&sk_infos, sk, 0, 0))
		return 0; /* already followed: sockops saw it established */
	side = bpf_map_lookup_elem(&listen_ports, &wc.lport) ? CCX_SIDE_RECEIVER : CCX_SIDE_SENDER;
	cfg = watch_flow_cfg(side == CCX_SIDE_SENDER ? wc.rport : wc.lport);
	if (!cfg)
		return 0;
	info = bpf_sk_storage_get(&sk_infos, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!info)
		return 0;
	info->flow_id = cfg->flow_id;
	info->side = side;
	info->ca_state = tp->inet_conn.icsk_ca_state;
	info->last_sample_ns = bpf_ktime_get_ns();
	if (bpf_setsockopt(sk, SOL_TCP, TCP_BPF_CB_FLAGS, &flags, sizeof(flags)))
		__sync_fetch_and_add(&iter_flags_refused, 1);

	cookie = bpf_get_socket_cookie(sk);
	wc.family = skc->skc_family;
	wc.existing = 1;
	if (wc.family == 2 /* AF_INET */) {
		__builtin_memcpy(wc.laddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(wc.raddr, &skc->skc_daddr, 4);
	} else {
		__builtin_memcpy(wc.laddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(wc.raddr, &skc->skc_v6_daddr, 16);
	}
	bpf_getsockopt(sk, SOL_TCP, TCP_CONGESTION, wc.cc, sizeof(wc.cc));
	bpf_map_update_elem(&watch_conns, &cookie, &wc, BPF_ANY);
	emit_traced(sk, info, CCX_EV_HANDSHAKE, CCX_OP_EXISTING, 0);
	emit_traced(sk, info, CCX_EV_SAMPLE, 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
