/* The link emulator's model of one direction: loss, queue, AQM, rate server and delay line. */
#include "link/emu.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NS_PER_MS	  1000000ULL
#define TRACE_OPP_BYTES	  1500 /* mahimahi: each trace line lets one MTU through */
#define CODEL_TARGET_NS	  (5 * NS_PER_MS)
#define CODEL_INTERVAL_NS (100 * NS_PER_MS)
#define U53		  (1ULL << 53) /* probabilities compare against the top 53 bits of a draw */
#define JITTER_CUT_SD	  3.0

enum server {
	SERVER_NONE,  /* no rate limit: a packet leaves the queue as it arrives */
	SERVER_RATE,  /* constant rate, exact serialization */
	SERVER_TRACE, /* mahimahi delivery opportunities */
};

/* xoshiro256**: small, fast and good enough for loss and jitter draws. */
struct rng {
	uint64_t s[4];
};

struct slot_meta {
	uint64_t arrival_ns;
	uint64_t index;	   /* which arrival it was, for on_drop */
	uint32_t len;	   /* on the wire: without the caller's prefix */
	uint64_t extra_ns; /* its own delay after the link's (extra_delays) */
};

/* One packet in the delay line; seq breaks ties between equal release times (heap). */
struct dl_entry {
	uint64_t release_ns;
	uint32_t slot;
	uint32_t seq;
};

struct emu_dir {
	/* What the caller asked for, in the forms the hot path wants. */
	enum server server;
	double ns_per_byte;
	double rate_bps;
	uint32_t *trace_ms;
	size_t trace_len;
	uint64_t period_ns;
	uint64_t delay_ns;
	double jitter_ns;
	bool reorder;
	bool extra;   /* packets carry their own extra delay */
	bool dl_heap; /* the delay line is a heap: reorder or extra */
	enum emu_loss_model loss_model;
	uint64_t loss_u53, ge_p_u53, ge_r_u53, ge_good_u53, ge_bad_u53;
	uint32_t limit_pkts;  /* UINT32_MAX when unlimited, so the check needs no branch on 0 */
	uint64_t limit_bytes; /* UINT64_MAX likewise */
	bool codel;
	uint64_t target_ns, interval_ns;
	uint32_t prefix;
	void (*on_drop)(void *ctx, const struct emu_drop *drop);
	void *drop_ctx;

	/* Packet slots: data, what we know of each, and a stack of free ones (LIFO keeps the
	 * cache warm). */
	uint8_t *data;
	size_t data_len;
	struct slot_meta *meta;
	uint32_t *free_slots;
	uint32_t n_free;
	uint32_t ring_mask; /* rings are a power of two long, at least the pool */

	/* The FIFO in front of the rate server; its head is the packet being served. */
	uint32_t *q;
	uint32_t q_head, q_n;
	uint64_t q_bytes;

	/* Constant rate: when the head finishes, with the sub-ns remainder carried so that
	 * back-to-back packets do not accumulate rounding. */
	uint64_t done_ns;
	double done_frac;

	/* Trace: the next opportunity, and how much of the head is still to be sent. */
	size_t opp_i;
	uint64_t opp_rep_ns; /* start of the repetition opp_i belongs to */
	uint64_t opp_next_ns;
	bool in_transit;
	uint32_t transit_left;

	/* Delay line: a FIFO ring when order is kept (releases never decrease), else a
	 * min-heap on (release, seq). */
	struct dl_entry *dl;
	uint32_t dl_head, dl_n;
	uint32_t dl_seq;
	uint64_t last_release_ns;

	/* CoDel (RFC 8289). */
	uint64_t first_above_ns, drop_next_ns;
	uint32_t count, lastcount;
	bool dropping;
	uint32_t maxpacket;

	struct rng loss_rng, jitter_rng;
	bool ge_bad;
	bool have_spare;
	double spare;

	uint64_t start_ns, now_ns;
	struct emu_stats st;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

static inline uint64_t rng_u53(struct rng *r)
{
	return rng_next(r) >> 11;
}

/* A standard normal, cut at +-3 by drawing again (a clamp would pile mass on the cut). The
 * polar method yields two at a time; the second waits in spare. */
static double jitter_normal(struct emu_dir *d)
{
	double u, v, s, f;

	if (d->have_spare) {
		d->have_spare = false;
		return d->spare;
	}
	for (;;) {
		do {
			u = (double)rng_u53(&d->jitter_rng) * (2.0 / U53) - 1.0;
			v = (double)rng_u53(&d->jitter_rng) * (2.0 / U53) - 1.0;
			s = u * u + v * v;
		} while (s >= 1.0 || s == 0.0);
		f = sqrt(-2.0 * log(s) / s);
		u *= f;
		v *= f;
		if (fabs(u) <= JITTER_CUT_SD) {
			d->have_spare = fabs(v) <= JITTER_CUT_SD;
			d->spare = v;
			return u;
		}
		if (fabs(v) <= JITTER_CUT_SD)
			return v;
	}
}

static uint64_t prob_u53(double p)
{
	return (uint64_t)(p * (double)U53);
}

/* The loss decision for the next arrival. It draws the same number of values whatever
 * happens to the packet later, so the n-th decision depends on the seed and n only. */
static inline bool loss_draw(struct emu_dir *d)
{
	uint64_t u, lost_below;

	if (d->loss_model == EMU_LOSS_BERNOULLI)
		return d->loss_u53 && rng_u53(&d->loss_rng) < d->loss_u53;
	/* Gilbert-Elliott: the packet sees the current state, then the state moves on. */
	lost_below = d->ge_bad ? d->ge_bad_u53 : d->ge_good_u53;
	u = rng_u53(&d->loss_rng);
	if (d->ge_bad)
		d->ge_bad = rng_u53(&d->loss_rng) >= d->ge_r_u53;
	else
		d->ge_bad = rng_u53(&d->loss_rng) < d->ge_p_u53;
	return u < lost_below;
}

static inline uint8_t *slot_data(const struct emu_dir *d, uint32_t slot)
{
	return d->data + (size_t)slot * EMU_MAX_PKT;
}

static inline uint32_t q_head_slot(const struct emu_dir *d)
{
	return d->q[d->q_head];
}

static void drop_report(struct emu_dir *d, const struct emu_drop *drop)
{
	if (d->on_drop)
		d->on_drop(d->drop_ctx, drop);
}

/* Takes the head off the FIFO, returning its slot to the caller. */
static inline uint32_t q_pop(struct emu_dir *d)
{
	uint32_t slot = d->q[d->q_head];

	d->q_head = (d->q_head + 1) & d->ring_mask;
	d->q_n--;
	d->q_bytes -= d->meta[slot].len;
	return slot;
}

/* Equal releases leave in the order they entered; seq wraps, so compare its difference. */
static inline bool dl_before(const struct dl_entry *a, const struct dl_entry *b)
{
	return a->release_ns < b->release_ns ||
	       (a->release_ns == b->release_ns && (int32_t)(a->seq - b->seq) < 0);
}

static void dl_heap_push(struct emu_dir *d, struct dl_entry e)
{
	uint32_t i = d->dl_n++;

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (!dl_before(&e, &d->dl[parent]))
			break;
		d->dl[i] = d->dl[parent];
		i = parent;
	}
	d->dl[i] = e;
}

static struct dl_entry dl_heap_pop(struct emu_dir *d)
{
	struct dl_entry top = d->dl[0], last = d->dl[--d->dl_n];
	uint32_t i = 0, n = d->dl_n;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && dl_before(&d->dl[c + 1], &d->dl[c]))
			c++;
		if (!dl_before(&d->dl[c], &last))
			break;
		d->dl[i] = d->dl[c];
		i = c;
	}
	d->dl[i] = last;
	return top;
}

/* A packet leaves the rate server at t and enters propagation. */
static void dl_push(struct emu_dir *d, uint32_t slot, uint64_t t)
{
	uint64_t release = t + d->delay_ns;
	struct dl_entry e;

	if (d->jitter_ns > 0) {
		double x = (double)d->delay_ns + jitter_normal(d) * d->jitter_ns;

		release = t + (x > 0 ? (uint64_t)(x + 0.5) : 0);
	}
	e.slot = slot;
	e.seq = d->dl_seq++;
	if (d->reorder) {
		e.release_ns = release + d->meta[slot].extra_ns;
		dl_heap_push(d, e);
		return;
	}
	if (release < d->last_release_ns)
		release = d->last_release_ns;
	d->last_release_ns = release;
	/* Each flow's extra is constant, so its packets keep their order while a flow with
	 * less of it passes them: no packet waits behind another flow's access path. */
	if (d->extra) {
		e.release_ns = release + d->meta[slot].extra_ns;
		dl_heap_push(d, e);
		return;
	}
	e.release_ns = release;
	d->dl[(d->dl_head + d->dl_n) & d->ring_mask] = e;
	d->dl_n++;
}

/* The packet the constant-rate server is sending is on the wire, not in the buffer: like a
 * router's interface queue, the limits and the reported queue count only what waits. */
static inline uint32_t in_service_pkts(const struct emu_dir *d)
{
	return d->server == SERVER_RATE && d->q_n;
}

static inline uint64_t in_service_bytes(const struct emu_dir *d)
{
	return in_service_pkts(d) ? d->meta[q_head_slot(d)].len : 0;
}

static void depart(struct emu_dir *d, uint64_t t)
{
	dl_push(d, q_pop(d), t);
}

/* RFC 8289's dodequeue() for the packet at the head, which the server is about to take:
 * -1 when there is none, else whether CoDel may drop it. The head stays queued while it is
 * served, so "bytes still queued" excludes it. */
static int codel_ok_to_drop(struct emu_dir *d, uint64_t now)
{
	const struct slot_meta *m;

	if (!d->q_n) {
		d->first_above_ns = 0;
		return -1;
	}
	m = &d->meta[q_head_slot(d)];
	if (now - m->arrival_ns < d->target_ns || d->q_bytes - m->len <= d->maxpacket) {
		d->first_above_ns = 0;
		return 0;
	}
	if (!d->first_above_ns) {
		d->first_above_ns = now + d->interval_ns;
		return 0;
	}
	return now >= d->first_above_ns;
}

static uint64_t codel_control_law(const struct emu_dir *d, uint64_t t)
{
	return t + (uint64_t)((double)d->interval_ns / sqrt((double)d->count));
}

static void codel_drop_head(struct emu_dir *d, uint64_t now)
{
	uint32_t slot = q_pop(d);
	const struct slot_meta *m = &d->meta[slot];
	struct emu_drop drop = {.index = m->index,
				.why = EMU_DROP_AQM,
				.now_ns = now,
				.arrival_ns = m->arrival_ns,
				.pkt = slot_data(d, slot),
				.len = m->len + d->prefix};

	d->st.dropped_aqm++;
	drop_report(d, &drop);
	d->free_slots[d->n_free++] = slot;
}

/* RFC 8289's dequeue(): the server is free at now and wants the head. Drops what CoDel
 * says to; returns whether a packet is left to serve. */
static bool codel_dequeue(struct emu_dir *d, uint64_t now)
{
	int ok = codel_ok_to_drop(d, now);

	if (d->dropping) {
		if (ok <= 0)
			d->dropping = false;
		while (d->dropping && now >= d->drop_next_ns) {
			codel_drop_head(d, now);
			d->count++;
			ok = codel_ok_to_drop(d, now);
			if (ok <= 0)
				d->dropping = false;
			else
				d->drop_next_ns = codel_control_law(d, d->drop_next_ns);
		}
	} else if (ok > 0) {
		uint32_t delta;

		codel_drop_head(d, now);
		codel_ok_to_drop(d, now);
		d->dropping = true;
		/* Linux's variant: if the last dropping cycle ended recently, resume near the
		 * drop rate it had reached. */
		delta = d->count - d->lastcount;
		d->count = 1;
		if (delta > 1 && (int64_t)(now - d->drop_next_ns) < (int64_t)(16 * d->interval_ns))
			d->count = delta;
		d->drop_next_ns = codel_control_law(d, now);
		d->lastcount = d->count;
	}
	return d->q_n > 0;
}

/* Constant rate: the server takes the head at t, frac ns past t. */
static void rate_start(struct emu_dir *d, uint64_t t, double frac)
{
	double x;
	uint64_t whole;

	if (d->codel && !codel_dequeue(d, t))
		return;
	x = frac + d->meta[q_head_slot(d)].len * d->ns_per_byte;
	whole = (uint64_t)x;
	d->done_ns = t + whole;
	d->done_frac = x - (double)whole;
}

static void rate_advance(struct emu_dir *d, uint64_t now)
{
	while (d->q_n && d->done_ns <= now) {
		uint64_t t = d->done_ns;

		depart(d, t);
		if (d->q_n)
			rate_start(d, t, d->done_frac);
	}
}

static size_t trace_upper_bound(const uint32_t *ms, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ms[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline void trace_set_next(struct emu_dir *d)
{
	d->opp_next_ns = d->opp_rep_ns + d->trace_ms[d->opp_i] * NS_PER_MS;
}

/* A packet found the queue empty at t: opportunities up to t were wasted, the next one is
 * the first strictly after t (events at an instant come before arrivals at it). */
static void trace_seek(struct emu_dir *d, uint64_t t)
{
	uint64_t rep = d->opp_rep_ns;

	if (d->opp_next_ns > t)
		return;
	if (t - rep >= d->period_ns)
		rep += (t - rep) / d->period_ns * d->period_ns;
	d->opp_i = trace_upper_bound(d->trace_ms, d->trace_len, (t - rep) / NS_PER_MS);
	if (d->opp_i == d->trace_len) {
		d->opp_i = 0;
		rep += d->period_ns;
	}
	d->opp_rep_ns = rep;
	trace_set_next(d);
}

/* One opportunity at t, mahimahi style: its bytes go to the head, then the next; a packet
 * it cannot finish keeps what it got; bytes that find the queue empty are lost. */
static void trace_opportunity(struct emu_dir *d, uint64_t t)
{
	uint32_t bytes = TRACE_OPP_BYTES;

	for (;;) {
		if (!d->in_transit) {
			if (d->codel ? !codel_dequeue(d, t) : !d->q_n)
				return;
			d->transit_left = d->meta[q_head_slot(d)].len;
			d->in_transit = true;
		}
		if (d->transit_left > bytes) {
			d->transit_left -= bytes;
			return;
		}
		bytes -= d->transit_left;
		d->in_transit = false;
		depart(d, t);
		if (!bytes)
			return;
	}
}

static void trace_advance(struct emu_dir *d, uint64_t now)
{
	while (d->q_n && d->opp_next_ns <= now) {
		trace_opportunity(d, d->opp_next_ns);
		if (++d->opp_i == d->trace_len) {
			d->opp_i = 0;
			d->opp_rep_ns += d->period_ns;
		}
		trace_set_next(d);
	}
}

/* Moves the rate server to now; the delay line is emptied by emu_dir_run only. */
static inline void server_advance(struct emu_dir *d, uint64_t now)
{
	if (d->server == SERVER_RATE)
		rate_advance(d, now);
	else if (d->server == SERVER_TRACE)
		trace_advance(d, now);
}

static bool prob_ok(double p)
{
	return p >= 0 && p <= 1; /* false for NaN too */
}

static int set_trace(struct emu_dir *d, const struct emu_params *p)
{
	uint32_t period = p->trace_period_ms ? p->trace_period_ms : p->trace_ms[p->trace_len - 1];

	if (!period)
		return -EINVAL;
	for (size_t i = 0; i < p->trace_len; i++)
		if (p->trace_ms[i] > period || (i && p->trace_ms[i] < p->trace_ms[i - 1]))
			return -EINVAL;
	/* Copied so the caller may free its array. */
	d->trace_ms = malloc(p->trace_len * sizeof(*d->trace_ms));
	if (!d->trace_ms)
		return -ENOMEM;
	memcpy(d->trace_ms, p->trace_ms, p->trace_len * sizeof(*d->trace_ms));
	d->trace_len = p->trace_len;
	d->period_ns = period * NS_PER_MS;
	d->server = SERVER_TRACE;
	return 0;
}

static int check_params(const struct emu_params *p, uint32_t pool_pkts)
{
	if (!p || !pool_pkts || pool_pkts > (1U << 30))
		return -EINVAL;
	if (!(p->rate_bps >= 0) || isinf(p->rate_bps))
		return -EINVAL;
	if (p->trace_ms && !p->trace_len)
		return -EINVAL;
	if (p->loss_model != EMU_LOSS_BERNOULLI && p->loss_model != EMU_LOSS_GILBERT_ELLIOTT)
		return -EINVAL;
	if (p->loss_model == EMU_LOSS_BERNOULLI && !prob_ok(p->loss))
		return -EINVAL;
	if (p->loss_model == EMU_LOSS_GILBERT_ELLIOTT &&
	    (!prob_ok(p->ge_p) || !prob_ok(p->ge_r) || !prob_ok(p->ge_loss_good) ||
	     !prob_ok(p->ge_loss_bad)))
		return -EINVAL;
	if (p->aqm != EMU_AQM_DROPTAIL && p->aqm != EMU_AQM_CODEL)
		return -EINVAL;
	return 0;
}

struct emu_dir *emu_dir_new(const struct emu_params *p, uint32_t pool_pkts, uint64_t now_ns)
{
	struct emu_dir *d;
	uint64_t sm;
	uint32_t ring = 1;
	int r;

	r = check_params(p, pool_pkts);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (p->trace_ms) {
		r = set_trace(d, p);
		if (r < 0)
			goto fail;
	} else if (p->rate_bps > 0) {
		d->server = SERVER_RATE;
		d->rate_bps = p->rate_bps;
		d->ns_per_byte = 8e9 / p->rate_bps;
	}
	d->delay_ns = p->delay_ns;
	d->jitter_ns = (double)p->jitter_ns;
	d->reorder = p->allow_reorder;
	d->extra = p->extra_delays;
	d->dl_heap = d->reorder || d->extra;
	d->loss_model = p->loss_model;
	d->loss_u53 = prob_u53(p->loss);
	d->ge_p_u53 = prob_u53(p->ge_p);
	d->ge_r_u53 = prob_u53(p->ge_r);
	d->ge_good_u53 = prob_u53(p->ge_loss_good);
	d->ge_bad_u53 = prob_u53(p->ge_loss_bad);
	d->limit_pkts = p->queue_pkts ? p->queue_pkts : UINT32_MAX;
	d->limit_bytes = p->queue_bytes ? p->queue_bytes : UINT64_MAX;
	d->codel = p->aqm == EMU_AQM_CODEL;
	d->target_ns = p->codel_target_ns ? p->codel_target_ns : CODEL_TARGET_NS;
	d->interval_ns = p->codel_interval_ns ? p->codel_interval_ns : CODEL_INTERVAL_NS;
	d->on_drop = p->on_drop;
	d->drop_ctx = p->drop_ctx;
	d->prefix = p->prefix_bytes;

	/* Two streams from one seed, so drawing jitter never shifts the loss decisions. */
	sm = p->seed;
	for (int i = 0; i < 4; i++)
		d->loss_rng.s[i] = splitmix64(&sm);
	for (int i = 0; i < 4; i++)
		d->jitter_rng.s[i] = splitmix64(&sm);

	while (ring < pool_pkts)
		ring <<= 1;
	d->ring_mask = ring - 1;
	/* Mapped, not allocated: the pool's pages are touched only as packets use them, and no
	 * allocator fills them up front (glibc's calloc does under MALLOC_PERTURB_). */
	d->data_len = (size_t)pool_pkts * EMU_MAX_PKT;
	d->data = mmap(NULL, d->data_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (d->data == MAP_FAILED)
		d->data = NULL;
	d->meta = calloc(pool_pkts, sizeof(*d->meta));
	d->free_slots = calloc(pool_pkts, sizeof(*d->free_slots));
	d->q = calloc(ring, sizeof(*d->q));
	d->dl = calloc(ring, sizeof(*d->dl));
	if (!d->data || !d->meta || !d->free_slots || !d->q || !d->dl) {
		r = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < pool_pkts; i++)
		d->free_slots[i] = pool_pkts - 1 - i;
	d->n_free = pool_pkts;

	d->start_ns = now_ns;
	d->now_ns = now_ns;
	d->opp_rep_ns = now_ns;
	if (d->server == SERVER_TRACE)
		trace_set_next(d);
	return d;
fail:
	emu_dir_free(d);
	errno = -r;
	return NULL;
}

void emu_dir_free(struct emu_dir *d)
{
	if (!d)
		return;
	free(d->trace_ms);
	if (d->data)
		munmap(d->data, d->data_len);
	free(d->meta);
	free(d->free_slots);
	free(d->q);
	free(d->dl);
	free(d);
}

enum emu_verdict emu_dir_enqueue(struct emu_dir *d, const void *pkt, uint32_t len, uint64_t now_ns)
{
	return emu_dir_enqueue_extra(d, pkt, len, now_ns, 0);
}

enum emu_verdict emu_dir_enqueue_extra(struct emu_dir *d, const void *pkt, uint32_t len,
				       uint64_t now_ns, uint64_t extra_ns)
{
	uint64_t index = d->st.arrived++;
	struct slot_meta *m;
	enum emu_verdict why;
	uint32_t slot, wire;

	if (now_ns < d->now_ns)
		now_ns = d->now_ns;
	/* Departures due by now free queue space before the limit is checked. */
	server_advance(d, now_ns);
	d->now_ns = now_ns;

	if (loss_draw(d)) {
		d->st.dropped_loss++;
		why = EMU_DROP_LOSS;
		goto drop;
	}
	wire = len >= d->prefix ? len - d->prefix : 0;
	if (d->q_n - in_service_pkts(d) >= d->limit_pkts ||
	    d->q_bytes - in_service_bytes(d) + wire > d->limit_bytes) {
		d->st.dropped_queue++;
		why = EMU_DROP_QUEUE;
		goto drop;
	}
	if (!d->n_free || len > EMU_MAX_PKT || len < d->prefix) {
		d->st.dropped_nobuf++;
		why = EMU_DROP_NOBUF;
		goto drop;
	}

	slot = d->free_slots[--d->n_free];
	memcpy(slot_data(d, slot), pkt, len);
	m = &d->meta[slot];
	m->arrival_ns = now_ns;
	m->index = index;
	m->len = wire;
	m->extra_ns = d->extra ? extra_ns : 0;
	if (wire > d->maxpacket)
		d->maxpacket = wire;

	if (d->server == SERVER_NONE) {
		dl_push(d, slot, now_ns);
		return EMU_ACCEPTED;
	}
	d->q[(d->q_head + d->q_n) & d->ring_mask] = slot;
	d->q_n++;
	d->q_bytes += wire;
	if (d->q_n == 1) {
		/* The server was idle. */
		if (d->server == SERVER_RATE)
			rate_start(d, now_ns, 0);
		else
			trace_seek(d, now_ns);
	}
	return EMU_ACCEPTED;
drop:
	drop_report(d, &(struct emu_drop){.index = index,
					  .why = why,
					  .now_ns = now_ns,
					  .arrival_ns = now_ns,
					  .pkt = pkt,
					  .len = len});
	return why;
}

unsigned int emu_dir_run(struct emu_dir *d, uint64_t now_ns,
			 void (*out)(void *ctx, const void *pkt, uint32_t len), void *ctx)
{
	unsigned int n = 0;

	if (now_ns < d->now_ns)
		now_ns = d->now_ns;
	/* Every release up to now comes from a departure up to now, so advancing the server
	 * first and then draining the delay line keeps time order. */
	server_advance(d, now_ns);
	d->now_ns = now_ns;
	while (d->dl_n && d->dl[d->dl_head].release_ns <= now_ns) {
		struct dl_entry e;
		uint64_t late;
		uint32_t len;

		if (d->dl_heap) {
			e = dl_heap_pop(d);
		} else {
			e = d->dl[d->dl_head];
			d->dl_head = (d->dl_head + 1) & d->ring_mask;
			d->dl_n--;
		}
		late = (now_ns - e.release_ns) / EMU_LATE_STEP_NS;
		d->st.late[late < EMU_LATE_BUCKETS ? late : EMU_LATE_BUCKETS]++;
		if (now_ns - e.release_ns > d->st.late_max_ns)
			d->st.late_max_ns = now_ns - e.release_ns;
		len = d->meta[e.slot].len;
		if (out)
			out(ctx, slot_data(d, e.slot), len + d->prefix);
		d->free_slots[d->n_free++] = e.slot;
		d->st.delivered++;
		d->st.bytes_delivered += len;
		n++;
	}
	return n;
}

uint64_t emu_dir_next_ns(const struct emu_dir *d)
{
	uint64_t t = UINT64_MAX;

	if (d->q_n)
		t = d->server == SERVER_RATE ? d->done_ns : d->opp_next_ns;
	if (d->dl_n && d->dl[d->dl_head].release_ns < t)
		t = d->dl[d->dl_head].release_ns;
	return t;
}

/* Opportunities at or before t since the start: whole periods plus a binary search. */
static uint64_t trace_opps_until(const struct emu_dir *d, uint64_t t)
{
	uint64_t off, k;

	if (t < d->start_ns)
		return 0;
	off = t - d->start_ns;
	k = off / d->period_ns;
	off -= k * d->period_ns;
	return k * d->trace_len + trace_upper_bound(d->trace_ms, d->trace_len, off / NS_PER_MS);
}

void emu_dir_queue(const struct emu_dir *d, uint32_t *pkts, uint64_t *bytes)
{
	*pkts = d->q_n - in_service_pkts(d);
	*bytes = d->q_bytes - in_service_bytes(d);
}

void emu_dir_stats(const struct emu_dir *d, struct emu_stats *s)
{
	*s = d->st;
	emu_dir_queue(d, &s->queue_pkts, &s->queue_bytes);
	s->in_service_pkts = in_service_pkts(d);
	s->delay_line_pkts = d->dl_n;
	if (d->server == SERVER_RATE)
		s->opportunity_bytes =
		    (uint64_t)(d->rate_bps * (double)(d->now_ns - d->start_ns) / 8e9);
	else if (d->server == SERVER_TRACE)
		s->opportunity_bytes = trace_opps_until(d, d->now_ns) * TRACE_OPP_BYTES;
	else
		s->opportunity_bytes = 0;
}
