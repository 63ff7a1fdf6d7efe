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
	CCX_EV_RTO = 0,	      /* RTO_CB: args retransmits, rto_jiffies, expired */
	CCX_EV_RETRANS = 1,   /* RETRANS_CB: args seq, segs, result, cause */
	CCX_EV_STATE = 2,     /* STATE_CB: args old, new */
	CCX_EV_SAMPLE = 3,    /* tp_btf/tcp_probe, at most one per sample interval */
	CCX_EV_HANDSHAKE = 4, /* connect, listen, established and the init requests:
			       * args op, reply */
	CCX_EV_PARAM = 5,     /* a knob applied: args knob, value (low 32 bits), result,
			       * value (high 32 bits) */
	CCX_EV_RTT = 6,	      /* RTT_CB, when asked for: args mrtt_us, srtt_us */
	CCX_EV_CA_STATE = 7,  /* tp_btf/tcp_cong_state_set: args old, new */
	CCX_EV_CC = 8,	      /* a bundled algorithm's decision: pad = enum ccx_cc_algo,
			       * args decision, min_rtt_us, base_rtt_us, rate_kbit */
	CCX_EV_MAX = 9,
};

/* Why the kernel retransmitted, inferred from the socket at RETRANS_CB (args[3]); how each
 * is recognised, and which TcpExt counter it matches, is in docs/csv-format.md. */
enum ccx_retrans_cause {
	CCX_RETRANS_OTHER = 0, /* none of the signs below (e.g. out of Recovery, no probe due) */
	CCX_RETRANS_FAST = 1,  /* in Recovery: fast retransmit, RACK or SACK recovery */
	CCX_RETRANS_RTO = 2,   /* in Loss: the timeout's own retransmit and the ones after it */
	CCX_RETRANS_TLP = 3,   /* the loss-probe timer is due: a tail loss probe */
	CCX_RETRANS_CAUSES = 4,
};

/* The congestion controls ccexp bundles as BPF struct_ops. */
enum ccx_cc_algo {
	CCX_CC_NV = 1,
	CCX_CC_VEGAS = 2,
};

/* What a bundled algorithm decided for cwnd at a CCX_EV_CC event. */
enum ccx_cc_decision {
	CCX_CC_SLOW_START = 0,
	CCX_CC_GROW = 1,
	CCX_CC_HOLD = 2,
	CCX_CC_DECREASE = 3,
};

/* Per-socket state the sockops program keeps in its BPF_MAP_TYPE_SK_STORAGE map
 * `sk_infos`, created at ESTABLISHED for the run's sockets. The bundled algorithms share
 * the map: ESTABLISHED runs before the algorithm's init, which reads base_rtt_us there. */
struct ccx_sk_info {
	__u32 flow_id;
	__u8 side;
	__u8 ca_state;
	__u16 pad;
	__u64 last_sample_ns;
	__u32 base_rtt_us; /* the flow's base_rtt_us knob on this side; 0: not set */
	__u32 pad2;
};
_Static_assert(sizeof(struct ccx_sk_info) == 24, "ccx_sk_info layout");

/* Knobs that ccexp applies through sockops, recorded in CCX_EV_PARAM events. The order is
 * the table order in toolkit/knobs.c. */
enum ccx_knob {
	CCX_KNOB_CC = 0,	     /* TCP_CONGESTION at TCP_CONNECT / LISTEN */
	CCX_KNOB_SYN_RTO = 1,	     /* TIMEOUT_INIT reply, jiffies */
	CCX_KNOB_INIT_RWND = 2,	     /* RWND_INIT reply, packets */
	CCX_KNOB_INIT_CWND = 3,	     /* TCP_BPF_IW at ESTABLISHED, packets */
	CCX_KNOB_CWND_CLAMP = 4,     /* TCP_BPF_SNDCWND_CLAMP at ESTABLISHED, packets */
	CCX_KNOB_RTO_MIN = 5,	     /* TCP_BPF_RTO_MIN at ESTABLISHED, us */
	CCX_KNOB_DELACK_MAX = 6,     /* TCP_BPF_DELACK_MAX at ESTABLISHED, us */
	CCX_KNOB_SNDBUF = 7,	     /* SO_SNDBUF at TCP_CONNECT / LISTEN, bytes */
	CCX_KNOB_RCVBUF = 8,	     /* SO_RCVBUF at TCP_CONNECT / LISTEN, bytes */
	CCX_KNOB_MAX_PACING = 9,     /* SO_MAX_PACING_RATE at ESTABLISHED, bytes/s */
	CCX_KNOB_WINDOW_CLAMP = 10,  /* TCP_WINDOW_CLAMP at ESTABLISHED, bytes */
	CCX_KNOB_NOTSENT_LOWAT = 11, /* TCP_NOTSENT_LOWAT at ESTABLISHED, bytes */
	CCX_KNOB_ECN = 12,	     /* NEEDS_ECN reply, 1 */
	CCX_KNOB_BASE_RTT = 13,	     /* BASE_RTT reply, us */
	CCX_KNOB_MAX = 14,
};

/* Which hosts a knob applies on: a mask of (1 << enum ccx_side). */
#define CCX_SIDES_SENDER   (1u << CCX_SIDE_SENDER)
#define CCX_SIDES_RECEIVER (1u << CCX_SIDE_RECEIVER)
#define CCX_SIDES_BOTH	   (CCX_SIDES_SENDER | CCX_SIDES_RECEIVER)

#define CCX_FLOW_RTT_SAMPLES 1u /* emit CCX_EV_RTT for every RTT_CB */

/* Per-flow parameters, keyed in the flow map by the flow's server port. A knob applies on
 * the sides in sides[knob] (CCX_SIDES_*), with value[knob] in the kernel's unit. */
struct ccx_flow_cfg {
	__u32 flow_id;
	__u32 flags;
	__u64 value[CCX_KNOB_MAX];
	__u8 sides[CCX_KNOB_MAX];
	__u8 pad[2];
	char cc[CCX_CC_NAME_MAX];
};
_Static_assert(sizeof(struct ccx_flow_cfg) == 152, "ccx_flow_cfg layout");

/* A handshake event's op for a connection `ccexp watch` found already open (not a
 * BPF_SOCK_OPS_* value). */
#define CCX_OP_EXISTING 1000

/* ccexp watch: what the live table shows of a connection besides the event snapshot. */
struct ccx_watch_conn {
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 lport, rport;
	__u8 existing; /* found open by the iterator when watch started */
	__u8 pad;
	__u8 laddr[16], raddr[16]; /* network order; the first 4 bytes for AF_INET */
	char cc[CCX_CC_NAME_MAX];
};
_Static_assert(sizeof(struct ccx_watch_conn) == 56, "ccx_watch_conn layout");

/* One record in the ring buffer, with a snapshot of the connection's tcp_sock. */
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
	/* zero for request sockets, which have no tcp_sock yet */
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
	__u32 srtt_us; /* smoothed RTT in us (already >> 3) */
	__u32 rtt_min_us;
	__u32 packets_out;
	__u32 retrans_out;
	__u32 lost_out;
	__u32 sacked_out;
	__u32 total_retrans;
	__u32 delivered;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u64 pacing_rate; /* bytes/s */
	__u32 mss_cache;   /* the current MSS (bytes), for SACKed data in bytes */
	__u32 pad2;
	/* What limited the sender (docs/diagnosis.md), zero for request sockets. The kernel's
	 * chrono accounting in jiffies, the running chrono included, as tcp_get_info_chrono_stats
	 * sums it: busy with no other limit, receive-window limited, send-buffer limited (their
	 * sum is tcpi_busy_time). */
	__u32 chrono_busy_j;
	__u32 chrono_rwnd_j;
	__u32 chrono_sndbuf_j;
	__u32 app_limited;  /* tp->app_limited: nonzero while the rate sampler marks app-limited */
	__u32 delivered_ce; /* packets delivered with an ECN CE mark */
	__u32 dsack_dups;   /* DSACKed segments: spurious retransmissions */
	__u32 reord_seen;   /* reordering events seen */
	__u32 pad3;
};
_Static_assert(sizeof(struct ccx_event) == 152, "ccx_event layout");

/* Per-CPU counters, indexed by enum ccx_event_type. */
struct ccx_counter {
	__u64 seen;    /* events the program produced */
	__u64 dropped; /* ring-buffer reserve failures */
};

#endif
