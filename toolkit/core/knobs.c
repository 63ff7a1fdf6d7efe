/* The sockops knobs: config name, unit, range, default side, and where the kernel applies
 * each. One table serves config validation, the BPF loader, the CSV writer and the docs. */
#include "core/knobs.h"

#include <math.h>
#include <string.h>

const struct knob_info knob_table[CCX_KNOB_MAX] = {
    [CCX_KNOB_CC] = {CCX_KNOB_CC, NULL, 0, 0, false, false, CCX_SIDES_BOTH,
		     "TCP_CONNECT_CB / TCP_LISTEN_CB", "bpf_setsockopt(TCP_CONGESTION)", "name",
		     "the algorithm must be in tcp_available_congestion_control"},
    [CCX_KNOB_SYN_RTO] = {CCX_KNOB_SYN_RTO, "syn_rto_ms", 1, 120000, false, false, CCX_SIDES_BOTH,
			  "TIMEOUT_INIT", "reply", "jiffies",
			  "the SYN (sender) and SYN-ACK (receiver) RTO; rounded up to whole "
			  "jiffies of the kernel's HZ"},
    [CCX_KNOB_INIT_RWND] = {CCX_KNOB_INIT_RWND, "init_rwnd_pkts", 1, 65535, false, false,
			    CCX_SIDES_RECEIVER, "RWND_INIT", "reply", "packets",
			    "the window in the SYN / SYN-ACK, in MSS; bounded by the receive "
			    "buffer"},
    [CCX_KNOB_INIT_CWND] = {CCX_KNOB_INIT_CWND, "init_cwnd_pkts", 1, 65535, false, false,
			    CCX_SIDES_SENDER, "ACTIVE/PASSIVE_ESTABLISHED",
			    "bpf_setsockopt(TCP_BPF_IW)", "packets",
			    "only before any data has been sent (-EINVAL after)"},
    [CCX_KNOB_CWND_CLAMP] = {CCX_KNOB_CWND_CLAMP, "cwnd_clamp_pkts", 1, 1000000, false, false,
			     CCX_SIDES_SENDER, "ACTIVE/PASSIVE_ESTABLISHED",
			     "bpf_setsockopt(TCP_BPF_SNDCWND_CLAMP)", "packets",
			     "also sets ssthresh to the clamp"},
    [CCX_KNOB_RTO_MIN] = {CCX_KNOB_RTO_MIN, "rto_min_ms", 1, 200, false, false, CCX_SIDES_SENDER,
			  "ACTIVE/PASSIVE_ESTABLISHED", "bpf_setsockopt(TCP_BPF_RTO_MIN)", "us",
			  "between 2 jiffies and TCP_RTO_MIN (200 ms), else -EINVAL"},
    [CCX_KNOB_DELACK_MAX] = {CCX_KNOB_DELACK_MAX, "delack_max_ms", 1, 200, false, false,
			     CCX_SIDES_RECEIVER, "ACTIVE/PASSIVE_ESTABLISHED",
			     "bpf_setsockopt(TCP_BPF_DELACK_MAX)", "us",
			     "between 2 jiffies and TCP_DELACK_MAX (200 ms), else -EINVAL"},
    [CCX_KNOB_SNDBUF] = {CCX_KNOB_SNDBUF, "sndbuf_bytes", 1024, 1073741824, false, false,
			 CCX_SIDES_SENDER, "TCP_CONNECT_CB / TCP_LISTEN_CB",
			 "bpf_setsockopt(SO_SNDBUF)", "bytes",
			 "the kernel doubles it, caps it at net.core.wmem_max and turns send "
			 "buffer autotuning off"},
    [CCX_KNOB_RCVBUF] = {CCX_KNOB_RCVBUF, "rcvbuf_bytes", 1024, 1073741824, false, false,
			 CCX_SIDES_RECEIVER, "TCP_CONNECT_CB / TCP_LISTEN_CB",
			 "bpf_setsockopt(SO_RCVBUF)", "bytes",
			 "the kernel doubles it, caps it at net.core.rmem_max and turns receive "
			 "buffer autotuning off; set before the handshake, so the window scale "
			 "fits it"},
    [CCX_KNOB_MAX_PACING] = {CCX_KNOB_MAX_PACING, "max_pacing_mbit", 0.001, 34000, false, true,
			     CCX_SIDES_SENDER, "ACTIVE/PASSIVE_ESTABLISHED",
			     "bpf_setsockopt(SO_MAX_PACING_RATE)", "bytes/s",
			     "a 32-bit value (up to 34 Gbit/s); without the fq qdisc TCP paces by "
			     "itself (internal pacing)"},
    [CCX_KNOB_WINDOW_CLAMP] = {CCX_KNOB_WINDOW_CLAMP, "window_clamp_bytes", 2048, 1073741824, false,
			       false, CCX_SIDES_RECEIVER, "ACTIVE/PASSIVE_ESTABLISHED",
			       "bpf_setsockopt(TCP_WINDOW_CLAMP)", "bytes",
			       "at least half of SOCK_MIN_RCVBUF; kernels since 6.7 recompute "
			       "the clamp from the receive buffer when the first data changes "
			       "the window scaling ratio, which undoes it"},
    [CCX_KNOB_NOTSENT_LOWAT] = {CCX_KNOB_NOTSENT_LOWAT, "notsent_lowat_bytes", 1, 1073741824, false,
				false, CCX_SIDES_SENDER, "ACTIVE/PASSIVE_ESTABLISHED",
				"bpf_setsockopt(TCP_NOTSENT_LOWAT)", "bytes",
				"the built-in sender sets its own, about 10 ms of link time, "
				"unless this is given"},
    [CCX_KNOB_ECN] = {CCX_KNOB_ECN, "ecn", 0, 1, true, false, CCX_SIDES_BOTH, "NEEDS_ECN", "reply",
		      "1 = on",
		      "ECN is negotiated: the peer must accept it (net.ipv4.tcp_ecn >= 1 "
		      "there, or this knob on its side too)"},
    [CCX_KNOB_BASE_RTT] = {CCX_KNOB_BASE_RTT, "base_rtt_us", 1, 10000000, false, false,
			   CCX_SIDES_SENDER, "BASE_RTT", "reply", "us",
			   "asked only by TCP-NV, once, when the algorithm initialises"},
};

const struct knob_info *knob_by_name(const char *name)
{
	for (int i = 0; i < CCX_KNOB_MAX; i++)
		if (knob_table[i].name && strcmp(knob_table[i].name, name) == 0)
			return &knob_table[i];
	return NULL;
}

unsigned long long knob_kernel_value(enum ccx_knob id, double v, int hz)
{
	switch (id) {
	case CCX_KNOB_SYN_RTO: {
		/* Round up: a shorter RTO than asked would retransmit early. */
		unsigned long long j = (unsigned long long)ceil(v * hz / 1000.0 - 1e-9);

		return j ? j : 1;
	}
	case CCX_KNOB_RTO_MIN:
	case CCX_KNOB_DELACK_MAX:
		return (unsigned long long)llround(v * 1000);
	case CCX_KNOB_MAX_PACING:
		return (unsigned long long)llround(v * 1e6 / 8);
	default:
		return (unsigned long long)llround(v);
	}
}

double chrono_jiffies_s(uint64_t j, int hz)
{
	return hz > 0 ? (double)j * (1000000 / hz) / 1e6 : NAN;
}
