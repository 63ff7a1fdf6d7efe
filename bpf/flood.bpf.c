/* A synthetic event source for the event-throughput benchmark and the drop test: each run
 * (BPF_PROG_TEST_RUN) reserves and submits `count` sample events through the collector's
 * own maps and accounting, as fast as the ring buffer takes them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ccx_fill.h"
#include "ccx_flood.h"

char LICENSE[] SEC("license") = "GPL";

struct flood_state {
	struct ccx_flood_args a;
};

static long emit_one(__u32 i, void *data)
{
	struct flood_state *st = data;
	__u64 n = st->a.seq + i;
	struct ccx_event *e;
	__u32 port = st->a.nports ? (__u32)(n % st->a.nports) : 0;

	/* Every attempt goes through ccx_reserve: a failure is counted as a drop there, and
	 * the loop goes on so that the offered count is exact. */
	e = ccx_reserve(CCX_EV_SAMPLE);
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = port + 1;
	e->type = CCX_EV_SAMPLE;
	e->flow_id = st->a.flow_id;
	e->lport = st->a.lport_base + port;
	e->rport = st->a.rport;
	e->side = CCX_SIDE_SENDER;
	e->state = 1; /* ESTABLISHED */
	e->pad = 0;
	e->args[0] = e->args[1] = e->args[2] = e->args[3] = 0;
	/* Values of a bulk flow's size, so rows are as wide as a real run's. */
	e->snd_cwnd = 10 + (__u32)(n & 255);
	e->snd_ssthresh = 2147483647;
	e->srtt_us = 20000 + (__u32)(n & 1023);
	e->rtt_min_us = 20000;
	e->packets_out = e->snd_cwnd;
	e->retrans_out = 0;
	e->lost_out = 0;
	e->sacked_out = 0;
	e->total_retrans = (__u32)(n >> 12);
	e->delivered = (__u32)n;
	e->bytes_acked = n * 1448;
	e->bytes_received = 0;
	e->pacing_rate = 125000000 + (n & 4095) * 1000;
	e->mss_cache = 1448;
	e->pad2 = 0;
	e->chrono_busy_j = (__u32)(n >> 2);
	e->chrono_rwnd_j = e->chrono_sndbuf_j = 0;
	e->app_limited = e->delivered_ce = e->dsack_dups = e->reord_seen = e->pad3 = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("syscall")
int ccx_flood(struct ccx_flood_args *ctx)
{
	struct flood_state st;

	st.a = *ctx;
	return bpf_loop(st.a.count, emit_one, &st, 0);
}
