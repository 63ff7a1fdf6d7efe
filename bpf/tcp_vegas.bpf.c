/* TCP Vegas (Brakmo & Peterson) as a BPF struct_ops congestion control: keeps between alpha
 * and beta packets queued, judged once per RTT from the expected and actual rates. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "ccx_fill.h"

char LICENSE[] SEC("license") = "GPL";

#define VEGAS_ALPHA    2 /* packets queued: grow below this */
#define VEGAS_BETA     4 /* packets queued: shrink above this */
#define VEGAS_GAMMA    1 /* packets queued: leave slow start above this */
#define VEGAS_MIN_CWND 2
/* Vegas needs more than this many RTT samples in an RTT to trust its minimum (delayed ACKs
 * give few); with fewer it behaves as Reno for that RTT. */
#define VEGAS_MIN_SAMPLES 2

/* The loader overwrites these bytes in a copy of the object before opening it. Exactly 15
 * characters. */
#define CCXVG_NAME_SLOT "ccxvg?nameslot_"

struct vegas_ca {
	__u32 beg_snd_nxt;	  /* the RTT in progress ends when this is acked */
	__u32 base_rtt_us;	  /* minimum over the connection (or configured) */
	__u32 cfg_base_rtt_us;	  /* from sk_infos; 0: none */
	__u32 lower_bound_rtt_us; /* samples under this are ignored */
	__u32 min_rtt_us;	  /* minimum over the RTT in progress */
	__u32 cnt_rtt;		  /* samples in the RTT in progress */
	__u8 enabled;		  /* only in the Open state */
	__u8 ss_hold;		  /* slow start: this RTT measures, the next one grows */
};
_Static_assert(sizeof(struct vegas_ca) <= 13 * sizeof(__u64), "vegas_ca fits in icsk_ca_priv");

static __always_inline struct vegas_ca *vegas_ca(struct sock *sk)
{
	return (struct vegas_ca *)((struct inet_connection_sock *)sk)->icsk_ca_priv;
}

static __always_inline struct tcp_sock *vegas_tp(struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

static __always_inline void vegas_start_rtt(struct vegas_ca *ca, const struct tcp_sock *tp)
{
	ca->beg_snd_nxt = tp->snd_nxt;
	ca->min_rtt_us = CCX_RTT_NONE;
	ca->cnt_rtt = 0;
}

SEC("struct_ops/ccxvg_init")
void BPF_PROG(ccxvg_init, struct sock *sk)
{
	struct vegas_ca *ca = vegas_ca(sk);

	ca->cfg_base_rtt_us = ccx_configured_base_rtt(sk);
	if (ca->cfg_base_rtt_us) {
		ca->base_rtt_us = ca->cfg_base_rtt_us;
		ca->lower_bound_rtt_us = ca->cfg_base_rtt_us * 4 / 5;
	} else {
		ca->base_rtt_us = CCX_RTT_NONE;
		ca->lower_bound_rtt_us = 0;
	}
	ca->enabled = 1;
	vegas_start_rtt(ca, vegas_tp(sk));
}

SEC("struct_ops/ccxvg_pkts_acked")
void BPF_PROG(ccxvg_pkts_acked, struct sock *sk, const struct ack_sample *sample)
{
	struct vegas_ca *ca = vegas_ca(sk);
	__s32 rtt = sample->rtt_us;
	__u32 rtt_us;

	if (rtt < 0)
		return;
	/* Never zero, so that a division by it is safe. */
	rtt_us = (__u32)rtt + 1;
	if (rtt_us < ca->lower_bound_rtt_us)
		return;
	if (rtt_us < ca->base_rtt_us)
		ca->base_rtt_us = rtt_us;
	if (rtt_us < ca->min_rtt_us)
		ca->min_rtt_us = rtt_us;
	ca->cnt_rtt++;
}

SEC("struct_ops/ccxvg_set_state")
void BPF_PROG(ccxvg_set_state, struct sock *sk, __u8 new_state)
{
	struct vegas_ca *ca = vegas_ca(sk);

	/* RTTs during recovery are not queueing measurements: Reno until Open again. */
	if (new_state == CCX_TCP_CA_OPEN) {
		if (!ca->enabled) {
			ca->enabled = 1;
			vegas_start_rtt(ca, vegas_tp(sk));
		}
	} else {
		ca->enabled = 0;
	}
}

SEC("struct_ops/ccxvg_cwnd_event")
void BPF_PROG(ccxvg_cwnd_event, struct sock *sk, enum tcp_ca_event ev)
{
	/* After idle the RTT in progress is meaningless; the base RTT is kept. */
	if (ev == CA_EVENT_CWND_RESTART || ev == CA_EVENT_TX_START)
		vegas_start_rtt(vegas_ca(sk), vegas_tp(sk));
}

static __always_inline __u32 vegas_rate_kbit(const struct tcp_sock *tp, __u32 base_rtt_us)
{
	if (!base_rtt_us || base_rtt_us == CCX_RTT_NONE)
		return 0;
	return (__u64)tp->snd_cwnd * tp->mss_cache * 8 * 1000 / base_rtt_us;
}

SEC("struct_ops/ccxvg_cong_avoid")
void BPF_PROG(ccxvg_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = vegas_tp(sk);
	struct vegas_ca *ca = vegas_ca(sk);
	__u32 cwnd, rtt, base, target, diff, decision;
	bool in_ss;

	if (!ca->enabled) {
		ccx_reno_cong_avoid(tp, acked);
		return;
	}
	if (!ccx_before(ca->beg_snd_nxt, ack)) {
		/* Mid-RTT: only slow start moves cwnd, and only every other RTT, as Vegas
		 * does: the RTT without growth sees the queue the doubling built, so the
		 * exit check compares like with like. */
		if (ccx_in_slow_start(tp) && !ca->ss_hold)
			ccx_slow_start(tp, acked);
		return;
	}

	/* One RTT is over: decide once for it. */
	in_ss = ccx_in_slow_start(tp);
	rtt = ca->min_rtt_us;
	base = ca->base_rtt_us;
	if (ca->cnt_rtt <= VEGAS_MIN_SAMPLES || rtt == CCX_RTT_NONE || base == CCX_RTT_NONE) {
		ccx_reno_cong_avoid(tp, acked);
		decision = in_ss ? CCX_CC_SLOW_START : CCX_CC_GROW;
		goto out;
	}
	cwnd = tp->snd_cwnd;
	if (rtt < base)
		rtt = base;
	/* Packets the path holds beyond what the base RTT needs: cwnd * (rtt - base) / rtt,
	 * i.e. (expected - actual rate) * base RTT. */
	diff = (__u64)cwnd * (rtt - base) / rtt;
	target = (__u64)cwnd * base / rtt;

	if (in_ss && diff > VEGAS_GAMMA) {
		/* Leave slow start: the window to the rate actually achieved. */
		if (cwnd > target + 1)
			cwnd = target + 1;
		if (tp->snd_ssthresh > cwnd - 1)
			tp->snd_ssthresh = cwnd > VEGAS_MIN_CWND ? cwnd - 1 : VEGAS_MIN_CWND;
		decision = CCX_CC_DECREASE;
	} else if (in_ss) {
		if (ca->ss_hold)
			ccx_slow_start(tp, acked);
		ca->ss_hold = !ca->ss_hold;
		cwnd = tp->snd_cwnd;
		decision = CCX_CC_SLOW_START;
	} else if (diff > VEGAS_BETA) {
		cwnd--;
		if (tp->snd_ssthresh > cwnd)
			tp->snd_ssthresh = cwnd;
		decision = CCX_CC_DECREASE;
	} else if (diff < VEGAS_ALPHA) {
		cwnd++;
		decision = CCX_CC_GROW;
	} else {
		decision = CCX_CC_HOLD;
	}
	if (cwnd < VEGAS_MIN_CWND)
		cwnd = VEGAS_MIN_CWND;
	if (cwnd > tp->snd_cwnd_clamp)
		cwnd = tp->snd_cwnd_clamp;
	if (tp->snd_ssthresh < VEGAS_MIN_CWND)
		tp->snd_ssthresh = VEGAS_MIN_CWND;
	tp->snd_cwnd = cwnd;
out:
	ccx_cc_emit(sk, CCX_CC_VEGAS, decision, ca->min_rtt_us, base == CCX_RTT_NONE ? 0 : base,
		    vegas_rate_kbit(tp, base));
	vegas_start_rtt(ca, tp);
}

/* Loss: Reno's halving. */
SEC("struct_ops/ccxvg_ssthresh")
__u32 BPF_PROG(ccxvg_ssthresh, struct sock *sk)
{
	__u32 half = vegas_tp(sk)->snd_cwnd >> 1;

	return half > 2 ? half : 2;
}

SEC("struct_ops/ccxvg_undo_cwnd")
__u32 BPF_PROG(ccxvg_undo_cwnd, struct sock *sk)
{
	const struct tcp_sock *tp = vegas_tp(sk);

	return tp->snd_cwnd > tp->prior_cwnd ? tp->snd_cwnd : tp->prior_cwnd;
}

SEC(".struct_ops")
struct tcp_congestion_ops ccx_vegas = {
    .init = (void *)ccxvg_init,
    .ssthresh = (void *)ccxvg_ssthresh,
    .cong_avoid = (void *)ccxvg_cong_avoid,
    .set_state = (void *)ccxvg_set_state,
    .cwnd_event = (void *)ccxvg_cwnd_event,
    .pkts_acked = (void *)ccxvg_pkts_acked,
    .undo_cwnd = (void *)ccxvg_undo_cwnd,
    .name = CCXVG_NAME_SLOT,
};
