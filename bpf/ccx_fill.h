/* Maps, event reservation and the tcp_sock snapshot shared by the bundled struct_ops
 * congestion controls; the map definitions must stay identical to sockops.bpf.c's so that
 * userspace can share them with bpf_map__reuse_fd(). */
#ifndef CCX_FILL_H
#define CCX_FILL_H

#include "ccx_events.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the loader from the config */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CCX_EV_MAX);
	__type(key, __u32);
	__type(value, struct ccx_counter);
} counters SEC(".maps");

/* Created by the sockops program for the run's own sockets (the tracing programs and the
 * algorithms act only on sockets that have it); the algorithms only
 * look it up (no create), so its absence means "not a ccexp socket". */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ccx_sk_info);
} sk_infos SEC(".maps");

#define CCX_TCP_CA_OPEN	    0
#define CCX_TCP_CA_DISORDER 1
#define CCX_TCP_CA_CWR	    2
#define CCX_TCP_CA_RECOVERY 3
#define CCX_TCP_CA_LOSS	    4

#define CCX_RTT_NONE 0x7fffffffu

/* Every attempt is seen, failures dropped. The counters are per CPU, but a program in process
 * context (sockops at connect, a struct_ops call) can be interrupted on its CPU by one in
 * softirq (an ACK's tcp_probe): the adds are atomic so that neither loses the other's. */
static __always_inline struct ccx_event *ccx_reserve(__u32 type)
{
	struct ccx_counter *cnt;
	struct ccx_event *e;
	__u32 key = type;

	cnt = bpf_map_lookup_elem(&counters, &key);
	if (cnt)
		__sync_fetch_and_add(&cnt->seen, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e && cnt)
		__sync_fetch_and_add(&cnt->dropped, 1);
	return e;
}

#define CCX_TCP_CHRONO_BUSY	      1
#define CCX_TCP_CHRONO_RWND_LIMITED   2
#define CCX_TCP_CHRONO_SNDBUF_LIMITED 3

/* The limit accounting: chrono_stat[] holds finished periods only, so the one running since
 * chrono_start is added, in the kernel's tcp_jiffies32 (the low 32 bits of jiffies). */
static __always_inline void ccx_fill_why(struct ccx_event *e, const struct tcp_sock *tp)
{
	__u32 running = (__u32)bpf_jiffies64() - tp->chrono_start;
	__u8 type = tp->chrono_type;

	e->chrono_busy_j = tp->chrono_stat[0];
	e->chrono_rwnd_j = tp->chrono_stat[1];
	e->chrono_sndbuf_j = tp->chrono_stat[2];
	if (type == CCX_TCP_CHRONO_BUSY)
		e->chrono_busy_j += running;
	else if (type == CCX_TCP_CHRONO_RWND_LIMITED)
		e->chrono_rwnd_j += running;
	else if (type == CCX_TCP_CHRONO_SNDBUF_LIMITED)
		e->chrono_sndbuf_j += running;
	e->app_limited = tp->app_limited;
	e->delivered_ce = tp->delivered_ce;
	e->dsack_dups = tp->dsack_dups;
	e->reord_seen = tp->reord_seen;
	e->pad3 = 0;
}

static __always_inline void ccx_fill_tcp(struct ccx_event *e, const struct tcp_sock *tp)
{
	e->snd_cwnd = tp->snd_cwnd;
	e->snd_ssthresh = tp->snd_ssthresh;
	e->srtt_us = tp->srtt_us >> 3;
	e->rtt_min_us = tp->rtt_min.s[0].v;
	e->packets_out = tp->packets_out;
	e->retrans_out = tp->retrans_out;
	e->lost_out = tp->lost_out;
	e->sacked_out = tp->sacked_out;
	e->total_retrans = tp->total_retrans;
	e->delivered = tp->delivered;
	e->bytes_acked = tp->bytes_acked;
	e->bytes_received = tp->bytes_received;
	e->pacing_rate = tp->inet_conn.icsk_inet.sk.sk_pacing_rate;
	e->mss_cache = tp->mss_cache;
	e->pad2 = 0;
	ccx_fill_why(e, tp);
}

/* One CCX_EV_CC event for a ccexp socket (one with an sk_infos entry). bpf_get_socket_cookie()
 * is not available to struct_ops, but the sockops program asked for the cookie at connect /
 * listen, which stored it in the socket: reading it back gives the same value (0 if never
 * generated). */
static __always_inline void ccx_cc_emit(struct sock *sk, __u16 algo, __u32 decision,
					__u32 min_rtt_us, __u32 base_rtt_us, __u32 rate_kbit)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct ccx_sk_info *info;
	struct ccx_event *e;

	info = bpf_sk_storage_get(&sk_infos, sk, 0, 0);
	if (!info)
		return;
	e = ccx_reserve(CCX_EV_CC);
	if (!e)
		return;
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = sk->__sk_common.skc_cookie.counter;
	e->type = CCX_EV_CC;
	e->flow_id = info->flow_id;
	e->lport = sk->__sk_common.skc_num;
	e->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	e->side = info->side;
	e->state = sk->__sk_common.skc_state;
	e->pad = algo;
	e->args[0] = decision;
	e->args[1] = min_rtt_us == CCX_RTT_NONE ? 0 : min_rtt_us;
	e->args[2] = base_rtt_us;
	e->args[3] = rate_kbit;
	ccx_fill_tcp(e, tp);
	bpf_ringbuf_submit(e, 0);
}

/* The configured base RTT of a ccexp socket (us), 0 when none. */
static __always_inline __u32 ccx_configured_base_rtt(struct sock *sk)
{
	struct ccx_sk_info *info = bpf_sk_storage_get(&sk_infos, sk, 0, 0);

	return info ? info->base_rtt_us : 0;
}

static __always_inline bool ccx_before(__u32 seq1, __u32 seq2)
{
	return (__s32)(seq1 - seq2) < 0;
}

static __always_inline bool ccx_in_slow_start(const struct tcp_sock *tp)
{
	return tp->snd_cwnd < tp->snd_ssthresh;
}

/* Growth only makes sense when cwnd is what limits the sender: in slow start while less than
 * twice the largest flight, afterwards the kernel's own per-window verdict. */
static __always_inline bool ccx_cwnd_limited(const struct tcp_sock *tp)
{
	if (ccx_in_slow_start(tp))
		return tp->snd_cwnd < 2 * tp->max_packets_out;
	return tp->is_cwnd_limited;
}

/* Slow start: one packet per packet acked, up to ssthresh; returns the acks left over. */
static __always_inline __u32 ccx_slow_start(struct tcp_sock *tp, __u32 acked)
{
	__u32 cwnd = tp->snd_cwnd + acked;

	if (cwnd > tp->snd_ssthresh)
		cwnd = tp->snd_ssthresh;
	acked -= cwnd - tp->snd_cwnd;
	tp->snd_cwnd = cwnd < tp->snd_cwnd_clamp ? cwnd : tp->snd_cwnd_clamp;
	return acked;
}

/* Additive increase: one packet per `per_pkts` packets acked. */
static __always_inline void ccx_additive_increase(struct tcp_sock *tp, __u32 per_pkts, __u32 acked)
{
	__u32 delta;

	if (!per_pkts)
		per_pkts = 1;
	if (tp->snd_cwnd_cnt >= per_pkts) {
		tp->snd_cwnd_cnt = 0;
		tp->snd_cwnd++;
	}
	tp->snd_cwnd_cnt += acked;
	if (tp->snd_cwnd_cnt >= per_pkts) {
		delta = tp->snd_cwnd_cnt / per_pkts;
		tp->snd_cwnd_cnt -= delta * per_pkts;
		tp->snd_cwnd += delta;
	}
	if (tp->snd_cwnd > tp->snd_cwnd_clamp)
		tp->snd_cwnd = tp->snd_cwnd_clamp;
}

/* Reno's congestion avoidance, the fallback of both algorithms. */
static __always_inline void ccx_reno_cong_avoid(struct tcp_sock *tp, __u32 acked)
{
	if (!ccx_cwnd_limited(tp))
		return;
	if (ccx_in_slow_start(tp)) {
		acked = ccx_slow_start(tp, acked);
		if (!acked)
			return;
	}
	ccx_additive_increase(tp, tp->snd_cwnd, acked);
}

#endif
