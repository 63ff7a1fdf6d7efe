/* Loads the sockops program, attaches it to the run's cgroup, drains its ring buffer into
 * the event CSV files and keeps per-connection state for the results. */
#ifndef CCX_COLLECT_H
#define CCX_COLLECT_H

#include "ccx_events.h"
#include "core/config.h"
#include "core/csv.h"
#include "core/stats.h"

#include <stdbool.h>
#include <stdint.h>

#define CCX_PORT_BASE 20000 /* flow i's receiver listens on CCX_PORT_BASE + i */

/* One TCP connection, identified by its flow and the sender's (client) port. */
struct conn_track {
	uint32_t flow_id;
	uint16_t client_port;
	int index;		       /* 0-based, in connect order within the flow */
	unsigned int rtos;	       /* RTO_CB events on the sender side */
	uint64_t final_bytes_received; /* receiver side, at CLOSE */
	double first_t_s, close_t_s;   /* first event (the connect); sender CLOSE, or NaN */
	double srtt_sum_us;	       /* over the samples, for the mean */
	uint32_t srtt_n, srtt_min_us, srtt_max_us;
	uint64_t retrans_segs; /* sum of segs over sender RETRANS_CB rows with result 0 */
	uint64_t
	    retrans_cause_segs[CCX_RETRANS_CAUSES]; /* retrans_segs by enum ccx_retrans_cause */
	bool closed[2];				    /* per side: STATE_CB reached CLOSE */
	bool established; /* either side reached ESTABLISHED: the handshake completed */
	uint32_t final_total_retrans;
	uint64_t final_bytes_acked;
	uint64_t cookie;      /* watch: the socket's; a watch row is one socket */
	uint16_t server_port; /* from the first event of the connection */
	/* The sender's latest (t_s, bytes_acked), for the throughput timeline */
	double last_t_s;
	uint64_t last_acked;
	bool have_point;
	/* What limited the sender (docs/diagnosis.md): its latest snapshot (sample or state
	 * change), in the kernel's units; why_t_s NaN before the first. */
	double established_t_s; /* the sender reached ESTABLISHED; NaN before */
	double why_t_s;
	uint32_t chrono_j[3]; /* busy, rwnd limited, sndbuf limited (jiffies) */
	uint32_t dsack_dups, reord_seen, delivered_ce;
};

enum collect_csv {
	CSV_RTO,
	CSV_RETRANS,
	CSV_STATE,
	CSV_CWND,
	CSV_HANDSHAKE,
	CSV_SOCKOPS,
	CSV_CA_STATE,
	CSV_RTT,   /* only with collect.rtt_samples */
	CSV_NV,	   /* opened at the first event of a bundled NV */
	CSV_VEGAS, /* likewise for the bundled Vegas */
	CSV_COUNT,
};

struct collector {
	struct ccx_sockops *skel;
	struct bpf_link *link;		 /* sockops on the run's cgroup */
	struct bpf_link *trace_links[2]; /* tp_btf tcp_probe and tcp_cong_state_set */
	struct ring_buffer *rb;
	const struct experiment *exp;
	uint64_t t0_ns; /* experiment start, CLOCK_MONOTONIC; t_s counts from here */
	int hz;
	size_t ringbuf_bytes;
	struct csv csv[CSV_COUNT];
	bool csv_open[CSV_COUNT];
	uint64_t received[CCX_EV_MAX]; /* events taken off the ring buffer */
	uint64_t rows[CCX_EV_MAX];     /* rows written for them */
	uint64_t ignored;	       /* events that matched no flow (should stay 0) */
	struct conn_track *conns;      /* max_conns of them, from the config */
	int nconns, max_conns;
	int flow_conns[CFG_MAX_FLOWS]; /* connections seen per flow */
	int *conn_slots; /* open addressing on (flow, client port): index into conns, or -1 */
	uint32_t slots_mask;
	/* timeline/throughput.csv, written as its intervals leave the window */
	struct stats_bins goodput;
	struct csv goodput_csv;
	bool goodput_open;
	double newest_t_s; /* the latest point of any connection */
	int write_error;
	uint64_t last_flush_ns;
	char outdir[4096]; /* "" without files */
	/* ccexp watch (collect_open_watch): every socket of the cgroup is a connection of its
	 * own, keyed by cookie. watch_event sees each event first and turns its flow_id (the
	 * server port) into an index of exp's flows; it returns nonzero to drop the event. */
	bool watch;
	int (*watch_event)(void *arg, struct ccx_event *e);
	void *watch_arg;
	struct bpf_link *iter_link;
	unsigned int existing_flags_refused; /* sockets found open that got no callbacks */
};

/* What collect_open_watch needs besides a run's: the cgroup's id and depth for the iterator,
 * the hook, and the network namespaces (open fds) in which to look for connections already
 * open; nns 0: only the caller's. */
struct collect_watch {
	uint64_t cgroup_id;
	int cgroup_level;
	int (*event)(void *arg, struct ccx_event *e);
	void *arg;
	const int *netns_fds;
	int nns;
};

/*
 * Opens the event CSVs under outdir/events and outdir/timeline (outdir NULL: no files,
 * for tests that only want the kernel effects), loads the sockops program with the flows'
 * parameters and attaches it to `cgroup`. Returns 0 or -errno.
 */
int collect_open(struct collector *c, const struct experiment *exp, int hz, const char *cgroup,
		 const char *outdir);
/* `ccexp watch`: like collect_open, but the program follows every connection of the cgroup
 * and applies no knob (exp gives collect settings and the flows seen so far, which the
 * hook adds), and connections already open are found by an iterator. */
int collect_open_watch(struct collector *c, const struct experiment *exp, int hz,
		       const char *cgroup, const char *outdir, const struct collect_watch *w);
/* watch: the addresses and algorithm of a connection by cookie; forgets it when `forget`. */
int collect_watch_conn(struct collector *c, uint64_t cookie, struct ccx_watch_conn *out,
		       bool forget);
/* Sets the algorithm the sockops program selects for a flow (e.g. a bundled algorithm's
 * per-run registered name). */
int collect_set_flow_cc(struct collector *c, int flow_id, const char *cc);
/* The maps a bundled algorithm shares with the sockops program: events, counters, sk_infos. */
void collect_shared_fds(const struct collector *c, int fds[3]);
/* Drains the ring buffer, waiting up to timeout_ms. Returns events handled or -errno. */
int collect_poll(struct collector *c, int timeout_ms);
/* True when every connection seen has reached CLOSE on both sides. */
bool collect_all_closed(const struct collector *c);
/* The kernel's run count and run time of one of the collector's programs; run_time_ns stays
 * 0 unless kernel.bpf_stats_enabled is 1. */
struct collect_prog_stat {
	char name[16];
	uint64_t run_cnt, run_time_ns;
};
/* Fills up to max entries, one per loaded program; returns how many. */
int collect_prog_stats(const struct collector *c, struct collect_prog_stat *out, int max);
/* Sums the per-CPU counters of the BPF program. */
int collect_counters(const struct collector *c, struct ccx_counter out[CCX_EV_MAX]);
/* Detaches, closes the CSVs (returns their first write error) and frees the program. */
int collect_close(struct collector *c);
/* Writes the rest of timeline/throughput.csv, up to the run's duration or its last point,
 * and closes it. Returns 0 or the first write error. */
int collect_finish_goodput(struct collector *c);
/* Frees the per-connection table (and a throughput.csv left unfinished). */
void collect_free(struct collector *c);
const char *collect_event_name(int type);
/* A connection's limit accounting in ms (life from established to close or its latest
 * snapshot); false when the sender was never seen established. */
bool collect_why_ms(const struct collector *c, const struct conn_track *t, double *life_ms,
		    double *busy_ms, double *rwnd_ms, double *sndbuf_ms);

/* "fast", "rto", "tlp" or "other": the cause column of events/retrans.csv. */
const char *collect_retrans_cause_name(uint32_t cause);

#endif
