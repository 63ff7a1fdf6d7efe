/* Probe programs for `ccexp check`: a reno-like struct_ops congestion control and two no-op
 * tcp_probe hooks, loaded only to learn whether this kernel accepts them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* The struct_ops context promotes `struct sock *` to a tcp_sock, so this cast is what the
 * verifier sees as well. */
static __always_inline struct tcp_sock *ccxchk_tcp_sk(struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

SEC("struct_ops/ccxchk_ssthresh")
__u32 BPF_PROG(ccxchk_ssthresh, struct sock *sk)
{
	const struct tcp_sock *tp = ccxchk_tcp_sk(sk);
	__u32 half = tp->snd_cwnd >> 1;

	return half > 2 ? half : 2;
}

SEC("struct_ops/ccxchk_undo_cwnd")
__u32 BPF_PROG(ccxchk_undo_cwnd, struct sock *sk)
{
	const struct tcp_sock *tp = ccxchk_tcp_sk(sk);

	return tp->snd_cwnd > tp->prior_cwnd ? tp->snd_cwnd : tp->prior_cwnd;
}

/* Slow start below ssthresh, then one packet per window: enough for the kernel to accept the
 * algorithm; nothing ever runs a real flow over it. */
SEC("struct_ops/ccxchk_cong_avoid")
void BPF_PROG(ccxchk_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = ccxchk_tcp_sk(sk);

	if (tp->snd_cwnd < tp->snd_ssthresh) {
		tp->snd_cwnd += acked;
		return;
	}
	if (++tp->snd_cwnd_cnt >= tp->snd_cwnd) {
		tp->snd_cwnd_cnt = 0;
		if (tp->snd_cwnd < tp->snd_cwnd_clamp)
			tp->snd_cwnd++;
	}
}

/* CCXCHK_NAME_SLOT marks the name so that check.c can find these exact bytes in a copy of the
 * object and write a per-process name over them before opening it (libbpf 1.1 gives no API
 * to change a struct_ops map's data). It must stay exactly 15 characters. */
#define CCXCHK_NAME_SLOT "ccxchk?nameslot"

SEC(".struct_ops")
struct tcp_congestion_ops ccxchk = {
    .ssthresh = (void *)ccxchk_ssthresh,
    .undo_cwnd = (void *)ccxchk_undo_cwnd,
    .cong_avoid = (void *)ccxchk_cong_avoid,
    .name = CCXCHK_NAME_SLOT,
};

SEC("tp_btf/tcp_probe")
int BPF_PROG(ccxchk_tp_btf, struct sock *sk, struct sk_buff *skb)
{
	return 0;
}

SEC("tracepoint/tcp/tcp_probe")
int ccxchk_tracepoint(void *ctx)
{
	return 0;
}
