/* The link emulator's model, one direction at a time: loss, a queue (droptail or CoDel), a
 * rate server (constant rate or a mahimahi trace) and a delay line with optional jitter.
 * Pure computation on caller-supplied times, so it runs the same under test as on TUN. */
#ifndef CCX_LINK_EMU_H
#define CCX_LINK_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_MAX_PKT 2048 /* bytes a slot holds: an MTU-1500 IP packet, its tag and room */

enum emu_loss_model {
	EMU_LOSS_BERNOULLI = 0,
	EMU_LOSS_GILBERT_ELLIOTT = 1,
};

enum emu_aqm {
	EMU_AQM_DROPTAIL = 0,
	EMU_AQM_CODEL = 1,
};

enum emu_verdict {
	EMU_ACCEPTED = 0,
	EMU_DROP_LOSS = 1,  /* the random loss model */
	EMU_DROP_QUEUE = 2, /* the queue was full (droptail, or CoDel's hard limit) */
	EMU_DROP_AQM = 3,   /* CoDel dropped it at dequeue */
	EMU_DROP_NOBUF = 4, /* the slot pool ran out: a sizing bug, counted to be seen */
};

/* A packet the model dropped, as on_drop is told of it. */
struct emu_drop {
	uint64_t index; /* which arrival it was, counting from 0 */
	enum emu_verdict why;
	uint64_t now_ns;     /* when it was dropped */
	uint64_t arrival_ns; /* when it arrived: now_ns but for CoDel's drops at dequeue */
	const void *pkt;     /* prefix and packet as enqueued; valid during the call only */
	uint32_t len;	     /* bytes at pkt, the prefix counted */
};

struct emu_params {
	/* Rate: a trace when trace_ms is set, else rate_bps (0: no limit). */
	double rate_bps;
	const uint32_t *trace_ms; /* mahimahi: one delivery opportunity of 1500 bytes per entry */
	size_t trace_len;	  /* emu_dir_new copies the entries: the caller may free them */
	uint32_t trace_period_ms; /* the trace repeats with this period (its last timestamp; 0:
				   * take the last entry); no entry may exceed it */
	uint64_t delay_ns;	  /* one-way propagation delay */
	uint64_t jitter_ns;	  /* standard deviation of a normal delay variation, cut at 3x */
	bool allow_reorder;	  /* false: a packet never leaves before the one ahead of it */
	/* Packets may carry an extra delay of their own (emu_dir_enqueue_extra): a flow's
	 * access path. It is added after the rate server, so the queue serves packets in the
	 * order they arrive; the delay line then orders by release, and "the one ahead" of
	 * allow_reorder = false is ahead on the link's own delay, before the extra. */
	bool extra_delays;
	enum emu_loss_model loss_model;
	double loss;	   /* Bernoulli: per-packet probability */
	double ge_p, ge_r; /* Gilbert-Elliott: P(good->bad), P(bad->good) per packet */
	double ge_loss_good, ge_loss_bad; /* loss probability in each state */
	uint64_t seed; /* same seed and same arrivals -> same losses and jitter */
	/* Bytes of the caller's own in front of every packet (a tag saying how to hand it on):
	 * stored and handed back with it, but not on the wire, so neither the rate, the queue
	 * limits nor the stats count them. */
	uint32_t prefix_bytes;
	/* Queue limits count what waits in the buffer. The packet the constant-rate server is
	 * sending is on the wire and not counted; with a trace, the head waits for its
	 * opportunity and counts until the opportunity that finishes it. */
	uint32_t queue_pkts;  /* queue limit in packets (0: none) */
	uint64_t queue_bytes; /* queue limit in bytes (0: none); both may be set */
	/* CoDel judges a packet when the rate server takes it (the link falls free, or the
	 * first opportunity that gives it bytes); its sojourn is that time less its arrival. */
	enum emu_aqm aqm;
	uint64_t codel_target_ns;   /* 5 ms when 0 */
	uint64_t codel_interval_ns; /* 100 ms when 0 */
	/* Called for every dropped packet. May be NULL. Called from emu_dir_enqueue and
	 * emu_dir_run (CoDel drops happen in either, as both advance the rate server); it must
	 * not call back into the same emu_dir. */
	void (*on_drop)(void *ctx, const struct emu_drop *drop);
	void *drop_ctx;
};

/* How late emu_dir_run handed packets out, past their release times: the caller's share of
 * the delay error (the model's own is none). EMU_LATE_BUCKETS of EMU_LATE_STEP_NS each, and
 * one more for everything later. */
#define EMU_LATE_STEP_NS 5000
#define EMU_LATE_BUCKETS 200

struct emu_stats {
	uint64_t arrived, delivered, bytes_delivered;
	uint64_t dropped_loss, dropped_queue, dropped_aqm, dropped_nobuf;
	uint32_t queue_pkts; /* now, waiting in the buffer (not the one being sent) */
	uint64_t queue_bytes;
	uint32_t in_service_pkts;   /* now, being sent by the constant-rate server: 0 or 1 */
	uint32_t delay_line_pkts;   /* now, past the rate server, in propagation */
	uint64_t opportunity_bytes; /* capacity offered so far (trace or rate x time; 0 when
				     * there is no rate limit) */
	uint64_t late[EMU_LATE_BUCKETS + 1];
	uint64_t late_max_ns;
};

struct emu_dir;

/* pool_pkts: how many packets may be held at once (queue + delay line); every slot is
 * allocated here, none per packet (pool_pkts x EMU_MAX_PKT bytes, touched lazily). Size it
 * as the queue limit in packets (queue_bytes / smallest packet when only bytes are limited)
 * plus the delay line: the highest packet rate x (delay + 3 jitter), plus a margin; ACK
 * directions need the packet rate of small packets. Opportunity times of a trace count from
 * now_ns. Returns NULL with errno set (EINVAL: bad parameters). */
struct emu_dir *emu_dir_new(const struct emu_params *p, uint32_t pool_pkts, uint64_t now_ns);
void emu_dir_free(struct emu_dir *d);
/* A packet that arrived at now_ns (non-decreasing across calls); the data (prefix_bytes of
 * tag, then the packet) is copied.
 * Everything due up to now_ns happens first (departures free queue space; a trace
 * opportunity at now_ns exactly is missed by this packet), but nothing is handed out: that
 * is emu_dir_run's job. Longer than EMU_MAX_PKT, or shorter than the prefix: EMU_DROP_NOBUF. */
enum emu_verdict emu_dir_enqueue(struct emu_dir *d, const void *pkt, uint32_t len, uint64_t now_ns);
/* As emu_dir_enqueue, for a packet that takes extra_ns more than the link's delay to arrive
 * (its flow's access path); extra_ns is ignored unless the params set extra_delays. */
enum emu_verdict emu_dir_enqueue_extra(struct emu_dir *d, const void *pkt, uint32_t len,
				       uint64_t now_ns, uint64_t extra_ns);
/* Advances the model to now_ns and hands every packet whose release time has come to
 * out(), in release order, with its prefix (len counts it). Returns how many were handed
 * out. pkt stays valid until the next emu_dir_enqueue or emu_dir_free on d, so the caller
 * may gather a batch and write it after the run; out may be NULL (packets are counted and
 * discarded) and must not call back into d. */
unsigned int emu_dir_run(struct emu_dir *d, uint64_t now_ns,
			 void (*out)(void *ctx, const void *pkt, uint32_t len), void *ctx);
/* When the next thing happens (a departure from the queue, the next opportunity of a trace
 * while packets wait, or a release from the delay line); UINT64_MAX when idle. After
 * emu_dir_run(t) it is > t; after an enqueue it may be <= now: run at once. O(1). */
uint64_t emu_dir_next_ns(const struct emu_dir *d);
void emu_dir_stats(const struct emu_dir *d, struct emu_stats *s);
/* emu_dir_stats's queue_pkts and queue_bytes alone, for a caller watching the queue as
 * packets arrive (the stats carry the lateness histogram, too much to copy that often). */
void emu_dir_queue(const struct emu_dir *d, uint32_t *pkts, uint64_t *bytes);

/* Reads a mahimahi trace: one non-decreasing integer (ms) per line. The period is the last
 * timestamp. Returns 0, or -errno with "file:line: what" in err. */
int emu_trace_load(const char *path, uint32_t **ms, size_t *n, uint32_t *period_ms, char *err,
		   size_t errlen);

#endif
