/* Structs and constants shared by the BPF programs and the ccexp toolkit. */
#ifndef CCX_EVENTS_H
#define CCX_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CCX_CC_NAME_MAX 16
#define CCX_MAX_FLOWS	64

enum ccx_side {
	CCX_SIDE_SENDER = 0,
	CCX_SIDE_RECEIVER = 1,
};

enum ccx_event_type {
	CCX_EV_RTO = 0,		/* RTO_CB: args retransmits, rto_jiffies, expired */
	CCX_EV_RETRANS = 1,	/* RETRANS_CB: args seq, segs, result */
	CCX_EV_STATE = 2,	/* STATE_CB: args old, new */
	CCX_EV_SAMPLE = 3,	/* periodic snapshot from RTT_CB, one per sample interval */
	CCX_EV_CONNECT = 4,	/* TCP_CONNECT_CB: the first event of an active connection */
	CCX_EV_ESTABLISHED = 5, /* ACTIVE/PASSIVE_ESTABLISHED: args op */
	CCX_EV_PARAM = 6,	/* a reply or bpf_setsockopt: args knob, value asked, result */
	CCX_EV_MAX = 7,
};

/* Knobs that ccexp applies through sockops, recorded in CCX_EV_PARAM events. */
enum ccx_knob {
	CCX_KNOB_CC = 0,
	CCX_KNOB_SYN_RTO = 1,
	CCX_KNOB_INIT_RWND = 2,
	CCX_KNOB_INIT_CWND = 3,
	CCX_KNOB_ECN = 4,
	CCX_KNOB_MAX = 5,
};

/* Per-flow parameters, keyed in the flow map by the flow's server port. A value of 0
 * means "leave the kernel default". */
struct ccx_flow_cfg {
	__u32 flow_id;
	__u32 syn_rto_jiffies;
	__u32 init_rwnd_pkts;
	__u32 init_cwnd_pkts;
	__u32 ecn;
	__u32 pad;
	char cc[CCX_CC_NAME_MAX];
};
_Static_assert(sizeof(struct ccx_flow_cfg) == 40, "ccx_flow_cfg layout");

/* One record in the ring buffer; the TCP snapshot is taken from bpf_sock_ops. */
struct ccx_event {
	__u64 ts_ns;  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cookie; /* socket cookie, also readable with SO_COOKIE */
	__u32 type;   /* enum ccx_event_type */
	__u32 flow_id;
	__u16 lport; /* host order */
	__u16 rport; /* host order */
	__u8 side;   /* enum ccx_side */
	__u8 state;  /* TCP state at the event */
	__u16 pad;
	__u32 args[4];
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
	__u32 srtt_us; /* smoothed RTT in us (already >> 3) */
	__u32 packets_out;
	__u32 retrans_out;
	__u32 total_retrans;
	__u64 bytes_acked;
	__u64 bytes_received;
};
_Static_assert(sizeof(struct ccx_event) == 88, "ccx_event layout");

/* Per-CPU counters, indexed by enum ccx_event_type. */
struct ccx_counter {
	__u64 seen;    /* events the program produced */
	__u64 dropped; /* ring-buffer reserve failures */
};

#endif
