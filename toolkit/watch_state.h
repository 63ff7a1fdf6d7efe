/* `ccexp watch`'s live state: per connection and per flow counters kept from the events, for
 * the live table and for any other reader (a metrics endpoint reads the same struct).
 * Single-threaded: watch's main loop updates it from collect_poll(); a reader in another
 * thread needs a lock around both, or runs from the same loop. */
#ifndef CCX_WATCH_STATE_H
#define CCX_WATCH_STATE_H

#include "ccx_events.h"
#include "core/config.h"
#include "kernel/collect.h"

#include <stdbool.h>
#include <stdint.h>

#define WATCH_STATE_MAX_CONNS 65536

/* The srtt histogram's upper bounds in us (a last bucket, +Inf, is implied). */
#define WATCH_SRTT_BUCKETS 12
extern const uint32_t watch_srtt_bucket_us[WATCH_SRTT_BUCKETS];

/* The kernel's limit accounting (docs/diagnosis.md): busy with no other limit (the congestion
 * window), receive-window limited, send-buffer limited. */
enum watch_limit { WATCH_LIMIT_CWND, WATCH_LIMIT_RWND, WATCH_LIMIT_SNDBUF, WATCH_LIMITS };

/* One watched socket (a connection seen from the watched cgroup's end). */
struct watch_conn {
	uint64_t cookie;
	int flow;	  /* index into watch_state.flows (and the experiment's flows) */
	uint8_t side;	  /* CCX_SIDE_SENDER: it connected; CCX_SIDE_RECEIVER: it was accepted */
	bool existing;	  /* open before watch started: found by the iterator */
	bool closed;	  /* reached CLOSE */
	bool have_addr;	  /* local, remote and cc are filled */
	bool have_chrono; /* chrono_j holds a snapshot */
	char local[64], remote[64]; /* "addr:port", IPv6 in brackets */
	char cc[CCX_CC_NAME_MAX];
	uint8_t state;	  /* TCP state at the latest event */
	uint8_t ca_state; /* congestion state (Open, Disorder, CWR, Recovery, Loss) */
	uint32_t cwnd_pkts, ssthresh_pkts, srtt_us;
	uint64_t bytes_acked, bytes_received; /* the kernel's counters at the latest event */
	uint32_t total_retrans;		      /* likewise, tcp_sock.total_retrans */
	uint64_t retrans_segs;		      /* segments of RETRANS_CB events sent (result 0) */
	uint64_t rtos;			      /* RTO_CB events */
	double first_t_s, last_t_s;	 /* the first and latest event, CLOCK_MONOTONIC seconds */
	uint32_t chrono_j[WATCH_LIMITS]; /* the latest snapshot's chronos, jiffies */
	double goodput_mbit; /* bytes both ways over the latest watch_state_tick interval */
	uint64_t tick_bytes; /* bytes_acked + bytes_received at the latest tick */
};

/* One flow: the connections to one server port ("other" once the table is full). Counters
 * are totals over the watch, never decreasing. */
struct watch_flow {
	uint16_t server_port; /* 0 for "other" */
	uint64_t conns_opened, conns_existing, conns_closed;
	uint64_t retrans_segs; /* segments of RETRANS_CB events sent (result 0) */
	uint64_t rtos, state_changes;
	/* every RETRANS_CB's segments, sent or not, by enum ccx_retrans_cause; of them refused
	 * by the local queue or device (RETRANS_CB result not 0) */
	uint64_t retrans_cause_segs[CCX_RETRANS_CAUSES], retrans_unsent_segs;
	uint64_t bytes_acked, bytes_received; /* of connections at their latest event */
	uint64_t limited_j[WATCH_LIMITS];     /* chrono time while watched, jiffies */
	/* srtt of the samples: count per bucket (not cumulative), sum in us */
	uint64_t srtt_buckets[WATCH_SRTT_BUCKETS + 1], srtt_count;
	double srtt_sum_us;
};

struct watch_state {
	struct experiment *exp;	  /* flows are added to it as they are seen */
	struct collector *col;	  /* for the addresses of a connection (collect_watch_conn) */
	int16_t port_flow[65536]; /* server port -> flow index, -1: none yet */
	struct watch_flow flows[CFG_MAX_FLOWS];
	struct watch_conn *conns; /* WATCH_STATE_MAX_CONNS of them, nconns used */
	int nconns;
	int *slots; /* open addressing on the cookie: index into conns, or -1 */
	uint32_t slots_mask;
	uint64_t events[CCX_EV_MAX]; /* events seen, by type */
	uint64_t untracked;	     /* events of connections beyond the table */
	double last_tick_s;
};

/* exp must outlive the state; its flows start empty. Returns 0 or -ENOMEM. */
int watch_state_init(struct watch_state *s, struct experiment *exp);
/* The collector's watch_event hook (collect.h): updates the state from one event and turns
 * its flow_id (the server port) into a flow index. arg is the watch_state. */
int watch_state_event(void *arg, struct ccx_event *e);
/* Per-interval values (goodput) as of t_s. */
void watch_state_tick(struct watch_state *s, double t_s);
/* The connection of a cookie, NULL when not seen. */
struct watch_conn *watch_state_conn(struct watch_state *s, uint64_t cookie);
void watch_state_free(struct watch_state *s);

#endif
