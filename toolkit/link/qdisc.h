/* The qdisc link backends, tc and netem: qdiscs on the router's two egresses, built through
 * rtnetlink, and a sampler process that turns their statistics into timeline/link.csv. */
#ifndef CCX_LINK_QDISC_H
#define CCX_LINK_QDISC_H

#include "core/config.h"
#include "core/json.h"
#include "kernel/child.h"
#include "kernel/netlink.h"

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define QDISC_UP	 0 /* the router's egress towards the receiver: the data */
#define QDISC_DOWN	 1 /* towards the sender: the ACKs */
#define QDISC_PER_DIR	 3 /* netem, tbf, fifo */
#define QDISC_DIST_LEN	 4096
#define QDISC_DIST_CUT	 3 /* the jitter's normal distribution is cut at 3 sigma, as tun's */
#define QDISC_ETH_HEADER 14
/* netem's own rate when it only has to keep packets in order: 8 Pbit/s adds 0 ns per packet
 * (sch_netem.c packet_time_ns() rounds down), but any rate makes netem schedule a packet no
 * earlier than the one ahead of it. */
#define QDISC_ORDER_RATE_BYTES_PS 1000000000000000ull

struct qdisc_dir_plan {
	bool present; /* false: nothing of ours on this egress, and no rows for it */
	char ifname[IFNAMSIZ];
	int n;
	struct netlink_qdisc q[QDISC_PER_DIR]; /* the root first: added in this order */
	uint32_t queue_handle;		       /* the tbf whose FIFO is the queue; 0: none */
	double capacity_mbit;		       /* the tbf's rate; 0: not limited */
};

struct qdisc_plan {
	enum link_backend backend; /* LINK_BACKEND_TC or LINK_BACKEND_NETEM */
	char ns[32];		   /* the router's namespace */
	struct qdisc_dir_plan dir[2];
	int16_t dist[QDISC_DIST_LEN]; /* netem's jitter distribution (both directions) */
};

/* What one direction did from t0 on, from the kernel's counters. */
struct qdisc_totals {
	uint64_t delivered_pkts, delivered_bytes; /* left the root qdisc */
	uint64_t dropped_pkts;			  /* every drop in the tree */
	uint64_t dropped_queue_pkts;		  /* of those, at the tbf (its FIFO full) */
	uint32_t max_queue_pkts;		  /* the largest queue at a sample */
	uint64_t max_queue_bytes;
	uint64_t rows; /* link.csv rows written */
	int nq;	       /* the kernel's counters at the end, since each qdisc was made */
	struct netlink_qdisc_stats end[QDISC_PER_DIR];
};

/* Shared with the sampler process (MAP_SHARED): what it reports. */
struct qdisc_shared {
	struct qdisc_totals dir[2];
	volatile int done; /* the sampler wrote its last row and these totals */
	char error[256];   /* why the sampler stopped early, "" when it did not */
};

struct qdisc_link {
	struct qdisc_plan plan;
	struct child proc; /* the sampler: reads t0 from its control pipe, whose EOF ends it */
	bool started, stopped;
	bool failed; /* the sampler did not finish its timeline */
	struct qdisc_shared *shared;
	char error[CHILD_WHY_MAX + 64]; /* why the timeline is incomplete, "" when it is not */
};

/* tbf at rate_mbit with a FIFO of the queue limit (packets or bytes) as its child, on the
 * egress towards the receiver only. */
void qdisc_plan_tc(struct qdisc_plan *p, const struct link_spec *l, uint32_t queue_pkts,
		   uint64_t queue_bytes, const char *ns, const char *if_up);
/* On each egress: netem (delay, jitter, loss of that direction, seeded by seed), and where
 * the direction has a rate, tbf with the queue's FIFO below it. limit_pkts: how many packets
 * netem's delay line may hold, per direction. */
void qdisc_plan_netem(struct qdisc_plan *p, const struct link_spec *l, unsigned long seed,
		      uint32_t queue_pkts, uint64_t queue_bytes, const uint32_t limit_pkts[2],
		      const char *ns, const char *if_up, const char *if_down);
/* A normal distribution cut at +-QDISC_DIST_CUT sigma as netem's table: entry i is the
 * quantile (i + 0.5) / n of it, in 1/NETEM_DIST_SCALE of a sigma. */
void qdisc_normal_table(int16_t *t, int n);

/* Adds the plan's qdiscs in its namespace. Returns 0 or -errno (logged, with the kernel's
 * message). */
int qdisc_link_setup(struct qdisc_link *ql);
/* Starts the sampler: timeline/link.csv in outdir, a row per direction every interval from
 * t0 on. Returns 0 or -errno. */
int qdisc_link_start(struct qdisc_link *ql, int sample_interval_ms, const char *outdir);
void qdisc_link_set_t0(struct qdisc_link *ql, uint64_t t0_ns);
/* Ends the sampling (a last row for the part interval) and waits for the totals. Returns 0,
 * or -errno when the timeline is incomplete (ql->error says why). Safe to call twice. */
int qdisc_link_stop(struct qdisc_link *ql);
void qdisc_link_free(struct qdisc_link *ql);
/* meta.json's link.up and link.down: every qdisc with its parameters, the totals, the
 * kernel's counters. */
void qdisc_link_write_meta(struct json *j, const struct qdisc_link *ql);

/* Tries netem on lo of a scratch network namespace, through netlink. Returns 0, -ENOENT when
 * the kernel has no netem qdisc, or another -errno; msg says what happened. */
int qdisc_probe_netem(char *msg, size_t len);

#endif
