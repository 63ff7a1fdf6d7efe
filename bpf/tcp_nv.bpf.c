/* TCP-NV ("New Vegas", Brakmo) as a BPF struct_ops congestion control: delay-based congestion
 * avoidance that sizes cwnd from the measured rate times the minimum RTT. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "ccx_fill.h"

char LICENSE[] SEC("license") = "GPL";

/* The parameters documented for tcp_nv. */
#define NV_PAD			   10 /* packets of queue allowed above the ideal cwnd */
#define NV_PAD_BUFFER		   2  /* packets under the pad where cwnd holds */
#define NV_RESET_PERIOD_NS	   (5ull * 1000000000ull)
#define NV_MIN_CWND		   2
#define NV_RTT_FACTOR		   128		    /* weight of a new RTT sample, out of 256 */
#define NV_CONG_DEC_MULT	   (30 * 128 / 100) /* share of the excess removed, out of 128 */
#define NV_SSTHRESH_FACTOR	   8		    /* ssthresh at slow-start exit, ideal * x/8 */
#define NV_LOSS_DEC_FACTOR	   512		    /* cwnd kept on loss, out of 1024 */
#define NV_CWND_GROWTH_RATE_NEG	   8
#define NV_CWND_GROWTH_RATE_POS	   0
#define NV_DEC_EVAL_MIN_CALLS	   60
#define NV_INC_EVAL_MIN_CALLS	   20
#define NV_SSTHRESH_EVAL_MIN_CALLS 30
#define NV_STOP_RTT_CNT		   10
#define NV_RTT_MIN_CNT		   2
#define NV_MIN_GROWTH_FACTOR	   (-8)

/* The CCXNV_NAME_SLOT bytes are overwritten in a copy of the object by the loader before it
 * opens it (libbpf 1.1 cannot rename a struct_ops map). Exactly 15 characters. */
#define CCXNV_NAME_SLOT "ccxnv?nameslot_"

/* Per-socket state in icsk_ca_priv. */
struct nv_ca {
	__u64 min_rtt_reset_ns; /* when min_rtt_new replaces min_rtt */
	__u64 epoch_rtt_sum_us; /* sum of smoothed RTTs over this RTT's ACKs */
	__u32 min_rtt_us;	/* current generation */
	__u32 min_rtt_new_us;	/* generation being collected */
	__u32 base_rtt_us;	/* configured through sk_infos; 0: none */
	__u32 lower_bound_rtt_us;
	__u32 avg_rtt_us; /* EWMA of the RTT samples */
	__u32 epoch_end_seq;
	__u32 last_snd_una;
	__u32 epoch_bytes_acked;
	__u32 epoch_rtt_samples;
	__u32 rtt_cnt;	     /* RTTs evaluated since the last reset */
	__u32 eval_call_cnt; /* ACKs since the last cwnd decision */
	__u32 no_cong_cnt;   /* RTTs without congestion */
	__u32 loss_cwnd;
	__s8 growth_factor; /* <0: slower than Reno */
	__u8 allow_growth;
	__u8 reset; /* reset the RTT state when back to Open */
	__u8 ca_state;
};
_Static_assert(sizeof(struct nv_ca) <= 13 * sizeof(__u64), "nv_ca fits in icsk_ca_priv");

static __always_inline struct nv_ca *nv_ca(struct sock *sk)
{
	return (struct nv_ca *)((struct inet_connection_sock *)sk)->icsk_ca_priv;
}

static __always_inline struct tcp_sock *nv_tp(struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

/* The period is jittered to 75-125% of 5 s so that flows sharing a link do not all drop their
 * min RTT at the same time. */
static __always_inline __u64 nv_next_reset(__u64 now)
{
	return now + NV_RESET_PERIOD_NS * (768 + bpf_get_prandom_u32() % 512) / 1024;
}

/* A new RTT measurement period starts at the current snd_nxt. */
static __always_inline void nv_start_epoch(struct nv_ca *ca, const struct tcp_sock *tp)
{
	ca->epoch_end_seq = tp->snd_nxt;
	ca->epoch_bytes_acked = 0;
	ca->epoch_rtt_sum_us = 0;
	ca->epoch_rtt_samples = 0;
}

static __always_inline void nv_reset(struct nv_ca *ca, const struct tcp_sock *tp)
{
	ca->reset = 0;
	ca->loss_cwnd = 0;
	ca->no_cong_cnt = 0;
	ca->rtt_cnt = 0;
	ca->avg_rtt_us = 0;
	ca->eval_call_cnt = 0;
	ca->last_snd_una = tp->snd_una;
	nv_start_epoch(ca, tp);
}

SEC("struct_ops/ccxnv_init")
void BPF_PROG(ccxnv_init, struct sock *sk)
{
	struct tcp_sock *tp = nv_tp(sk);
	struct nv_ca *ca = nv_ca(sk);

	nv_reset(ca, tp);
	ca->allow_growth = 1;
	ca->growth_factor = 0;
	ca->ca_state = CCX_TCP_CA_OPEN;
	ca->min_rtt_reset_ns = nv_next_reset(bpf_ktime_get_ns());
	ca->min_rtt_new_us = CCX_RTT_NONE;
	/* A configured base RTT is the path's known RTT: the min RTT starts there, and samples
	 * under 80% of it are taken for noise. */
	ca->base_rtt_us = ccx_configured_base_rtt(sk);
	if (ca->base_rtt_us) {
		ca->min_rtt_us = ca->base_rtt_us;
		ca->lower_bound_rtt_us = ca->base_rtt_us * 4 / 5;
	} else {
		ca->min_rtt_us = CCX_RTT_NONE;
		ca->lower_bound_rtt_us = 0;
	}
}

/* Called once per RTT: compares cwnd with what the rate over the last RTT needs at the min RTT,
 * and decides to grow, hold or decrease. */
static __always_inline void nv_evaluate(struct sock *sk, struct nv_ca *ca, struct tcp_sock *tp)
{
	__u32 mss = tp->mss_cache ? tp->mss_cache : 1;
	__u32 cwnd = tp->snd_cwnd;
	__u32 decision, epoch_avg_us, ideal, dec;
	__u64 rate_bps = 0;
	bool in_ss = ccx_in_slow_start(tp);

	decision = in_ss ? CCX_CC_SLOW_START : CCX_CC_GROW;
	if (!ca->epoch_rtt_samples || ca->min_rtt_us == CCX_RTT_NONE)
		goto out;
	ca->rtt_cnt++;
	epoch_avg_us = ca->epoch_rtt_sum_us / ca->epoch_rtt_samples;
	if (!epoch_avg_us)
		epoch_avg_us = 1;
	/* Rate: what the last RTT delivered over its average RTT. The ideal cwnd delivers the
	 * same rate at the minimum RTT, without a queue. */
	rate_bps = (__u64)ca->epoch_bytes_acked * 8 * 1000000 / epoch_avg_us;
	ideal = (__u64)ca->epoch_bytes_acked * ca->min_rtt_us / epoch_avg_us / mss;

	if (cwnd > ideal + NV_PAD) {
		/* Congestion: the queue exceeds the pad. */
		ca->no_cong_cnt = 0;
		if (ca->rtt_cnt < NV_RTT_MIN_CNT)
			goto out;
		if (in_ss) {
			if (ca->eval_call_cnt < NV_SSTHRESH_EVAL_MIN_CALLS)
				goto out;
		} else if (ca->eval_call_cnt < NV_DEC_EVAL_MIN_CALLS) {
			/* Not enough evidence to decrease yet: stop growing once past the
			 * start-up RTTs. */
			if (ca->rtt_cnt > NV_STOP_RTT_CNT && ca->allow_growth)
				ca->allow_growth = 0;
			decision = ca->allow_growth ? CCX_CC_GROW : CCX_CC_HOLD;
			goto out;
		}
		/* Decrease by a share of the excess over the ideal cwnd, at least 2. */
		dec = (__u64)(cwnd - ideal) * NV_CONG_DEC_MULT >> 7;
		if (dec < 2)
			dec = 2;
		cwnd = cwnd > dec + NV_MIN_CWND ? cwnd - dec : NV_MIN_CWND;
		if (in_ss) {
			tp->snd_ssthresh = (__u64)ideal * NV_SSTHRESH_FACTOR >> 3;
			if (tp->snd_ssthresh < NV_MIN_CWND)
				tp->snd_ssthresh = NV_MIN_CWND;
		}
		/* Stay in congestion avoidance after the decrease. */
		if (tp->snd_ssthresh > cwnd)
			tp->snd_ssthresh = cwnd;
		tp->snd_cwnd = cwnd;
		tp->snd_cwnd_cnt = 0;
		ca->allow_growth = 0;
		ca->eval_call_cnt = 0;
		decision = CCX_CC_DECREASE;
	} else if (cwnd <= ideal + NV_PAD - NV_PAD_BUFFER) {
		/* No congestion: growth resumes after enough ACKs agree. */
		ca->no_cong_cnt++;
		if (ca->eval_call_cnt >= NV_INC_EVAL_MIN_CALLS) {
			ca->allow_growth = 1;
			ca->eval_call_cnt = 0;
		}
		/* Growth that was slowed down by losses recovers after quiet RTTs. */
		if (NV_CWND_GROWTH_RATE_NEG > 0 && ca->growth_factor < 0 &&
		    ca->no_cong_cnt > NV_CWND_GROWTH_RATE_NEG) {
			ca->growth_factor++;
			ca->no_cong_cnt = 0;
		} else if (NV_CWND_GROWTH_RATE_POS > 0 && ca->growth_factor >= 0 &&
			   ca->no_cong_cnt > NV_CWND_GROWTH_RATE_POS) {
			ca->growth_factor++;
			ca->no_cong_cnt = 0;
		}
		if (!ca->allow_growth)
			decision = CCX_CC_HOLD;
	} else {
		/* Within pad_buffer of the limit: hold. */
		ca->allow_growth = 0;
		decision = CCX_CC_HOLD;
	}
out:
	ccx_cc_emit(sk, CCX_CC_NV, decision, ca->min_rtt_us, ca->base_rtt_us,
		    (__u32)(rate_bps / 1000));
	nv_start_epoch(ca, tp);
}

SEC("struct_ops/ccxnv_pkts_acked")
void BPF_PROG(ccxnv_pkts_acked, struct sock *sk, const struct ack_sample *sample)
{
	struct tcp_sock *tp = nv_tp(sk);
	struct nv_ca *ca = nv_ca(sk);
	__u32 bytes_acked, rtt_us, avg_us;
	__s32 rtt = sample->rtt_us;
	__u64 now;

	if (rtt < 0)
		return;
	if (ca->ca_state != CCX_TCP_CA_OPEN && ca->ca_state != CCX_TCP_CA_DISORDER)
		return;
	bytes_acked = tp->snd_una - ca->last_snd_una;
	ca->last_snd_una = tp->snd_una;
	if (!sample->in_flight)
		return;
	rtt_us = rtt ? rtt : 1;

	avg_us = ca->avg_rtt_us
		     ? (rtt_us * NV_RTT_FACTOR + ca->avg_rtt_us * (256 - NV_RTT_FACTOR)) >> 8
		     : rtt_us;
	ca->avg_rtt_us = avg_us;

	/* Two generations of min RTT: the one in use, and the one collected since the last
	 * reset, which replaces it every period so that route changes are followed. */
	now = bpf_ktime_get_ns();
	if (now > ca->min_rtt_reset_ns) {
		if (ca->min_rtt_new_us != CCX_RTT_NONE)
			ca->min_rtt_us = ca->min_rtt_new_us;
		if (ca->base_rtt_us && ca->min_rtt_us > ca->base_rtt_us)
			ca->min_rtt_us = ca->base_rtt_us;
		ca->min_rtt_new_us = CCX_RTT_NONE;
		ca->min_rtt_reset_ns = nv_next_reset(now);
	}
	if (avg_us >= ca->lower_bound_rtt_us) {
		if (avg_us < ca->min_rtt_us)
			ca->min_rtt_us = avg_us;
		if (avg_us < ca->min_rtt_new_us)
			ca->min_rtt_new_us = avg_us;
	}

	ca->eval_call_cnt++;
	ca->epoch_bytes_acked += bytes_acked;
	ca->epoch_rtt_sum_us += avg_us;
	ca->epoch_rtt_samples++;
	if (ccx_before(tp->snd_una, ca->epoch_end_seq))
		return;
	nv_evaluate(sk, ca, tp);
}

SEC("struct_ops/ccxnv_cong_avoid")
void BPF_PROG(ccxnv_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = nv_tp(sk);
	struct nv_ca *ca = nv_ca(sk);
	__u32 per_pkts;

	if (!ca->allow_growth || !ccx_cwnd_limited(tp))
		return;
	if (ccx_in_slow_start(tp)) {
		acked = ccx_slow_start(tp, acked);
		if (!acked)
			return;
	}
	if (ca->growth_factor < 0)
		per_pkts = tp->snd_cwnd << -ca->growth_factor;
	else
		per_pkts = tp->snd_cwnd >> ca->growth_factor;
	if (per_pkts < 4)
		per_pkts = 4;
	ccx_additive_increase(tp, per_pkts, acked);
}

SEC("struct_ops/ccxnv_ssthresh")
__u32 BPF_PROG(ccxnv_ssthresh, struct sock *sk)
{
	struct tcp_sock *tp = nv_tp(sk);
	__u32 cwnd = (__u64)tp->snd_cwnd * NV_LOSS_DEC_FACTOR >> 10;

	nv_ca(sk)->loss_cwnd = tp->snd_cwnd;
	return cwnd > 2 ? cwnd : 2;
}

SEC("struct_ops/ccxnv_undo_cwnd")
__u32 BPF_PROG(ccxnv_undo_cwnd, struct sock *sk)
{
	struct tcp_sock *tp = nv_tp(sk);
	__u32 loss_cwnd = nv_ca(sk)->loss_cwnd;

	return tp->snd_cwnd > loss_cwnd ? tp->snd_cwnd : loss_cwnd;
}

SEC("struct_ops/ccxnv_set_state")
void BPF_PROG(ccxnv_set_state, struct sock *sk, __u8 new_state)
{
	struct nv_ca *ca = nv_ca(sk);

	ca->ca_state = new_state;
	if (new_state == CCX_TCP_CA_OPEN && ca->reset) {
		nv_reset(ca, nv_tp(sk));
	} else if (new_state == CCX_TCP_CA_LOSS || new_state == CCX_TCP_CA_CWR ||
		   new_state == CCX_TCP_CA_RECOVERY) {
		/* RTTs measured during recovery say nothing about the queue. */
		ca->reset = 1;
		ca->allow_growth = 0;
		if (new_state == CCX_TCP_CA_LOSS) {
			/* A timeout: grow more slowly from now on. */
			if (ca->growth_factor > 0)
				ca->growth_factor = 0;
			if (NV_CWND_GROWTH_RATE_NEG > 0 && ca->growth_factor > NV_MIN_GROWTH_FACTOR)
				ca->growth_factor--;
		}
	}
}

SEC(".struct_ops")
struct tcp_congestion_ops ccx_nv = {
    .init = (void *)ccxnv_init,
    .ssthresh = (void *)ccxnv_ssthresh,
    .cong_avoid = (void *)ccxnv_cong_avoid,
    .set_state = (void *)ccxnv_set_state,
    .pkts_acked = (void *)ccxnv_pkts_acked,
    .undo_cwnd = (void *)ccxnv_undo_cwnd,
    .name = CCXNV_NAME_SLOT,
};
