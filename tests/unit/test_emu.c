/* Unit tests of the link emulator's model (link/emu.c, link/trace.c) on a simulated clock. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ccx_test.h"
#include "link/emu.h"

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL
/* The emulator starts here, not at 0, so that absolute and relative times differ. */
#define T0 (7 * NS_PER_S + 123)

static const char *source_dir;

/* What every test packet carries, read back at the exit. */
struct tag {
	uint64_t index;
	uint64_t arrival_ns;
};

/* The receiving end: counts, order and delay of what comes out. */
struct sink {
	uint64_t now_ns; /* the simulated time of the emu_dir_run in progress */
	uint64_t n, bytes;
	uint64_t last_index;
	uint64_t reorders;
	uint64_t from_ns; /* delay statistics only for arrivals from here on */
	uint64_t n_stat;
	double sum_delay_ns, sum_delay2_ns;
	uint64_t min_delay_ns, max_delay_ns;
	uint64_t *exit_ns; /* when set, exit times by arrival index */
	size_t exit_cap;
};

static void sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->min_delay_ns = UINT64_MAX;
}

static void sink_out(void *ctx, const void *pkt, uint32_t len)
{
	struct sink *s = ctx;
	struct tag t;
	uint64_t delay;

	memcpy(&t, pkt, sizeof(t));
	if (s->n && t.index < s->last_index)
		s->reorders++;
	s->last_index = t.index;
	s->n++;
	s->bytes += len;
	if (s->exit_ns && t.index < s->exit_cap)
		s->exit_ns[t.index] = s->now_ns;
	if (t.arrival_ns < s->from_ns)
		return;
	delay = s->now_ns - t.arrival_ns;
	s->n_stat++;
	s->sum_delay_ns += (double)delay;
	s->sum_delay2_ns += (double)delay * (double)delay;
	if (delay < s->min_delay_ns)
		s->min_delay_ns = delay;
	if (delay > s->max_delay_ns)
		s->max_delay_ns = delay;
}

static double sink_mean(const struct sink *s)
{
	return s->n_stat ? s->sum_delay_ns / (double)s->n_stat : 0;
}

static double sink_sd(const struct sink *s)
{
	double m = sink_mean(s);

	return s->n_stat > 1 ? sqrt(s->sum_delay2_ns / (double)s->n_stat - m * m) : 0;
}

/* Drops as on_drop reports them, in order. */
struct drops {
	uint64_t *index;
	size_t n, cap;
	uint64_t why[5];
	bool loss_only; /* record indices of EMU_DROP_LOSS only */
	/* The packets carry a struct tag (one source from index 0): check that each drop hands
	 * back that packet, with its arrival time. */
	bool tagged;
	uint64_t bad_pkt;
};

static void on_drop(void *ctx, const struct emu_drop *drop)
{
	struct drops *dr = ctx;
	enum emu_verdict why = drop->why;
	struct tag tag;

	if (dr->tagged) {
		memcpy(&tag, drop->pkt, sizeof(tag));
		dr->bad_pkt += tag.index != drop->index || tag.arrival_ns != drop->arrival_ns ||
			       drop->arrival_ns > drop->now_ns ||
			       (why != EMU_DROP_AQM && drop->arrival_ns != drop->now_ns);
	}

	dr->why[why]++;
	if (dr->loss_only && why != EMU_DROP_LOSS)
		return;
	if (dr->n == dr->cap) {
		uint64_t *grown;

		dr->cap = dr->cap ? 2 * dr->cap : 1024;
		grown = realloc(dr->index, dr->cap * sizeof(*grown));
		if (!grown) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		dr->index = grown;
	}
	dr->index[dr->n++] = drop->index;
}

/* Arrivals every gap_ns from next_ns until end_ns, lengths cycling through lens[]; gaps are
 * drawn from [0, 2 gap_ns) when random is set. */
struct source {
	uint64_t next_ns, gap_ns, end_ns;
	const uint32_t *lens;
	size_t nlens;
	bool random;
	uint64_t lcg;
	uint64_t sent;
	uint32_t max_q_pkts;
	uint64_t max_q_bytes;
	uint64_t stuck; /* times run(t) left an event at or before t */
};

static uint8_t pkt_buf[EMU_MAX_PKT];

static uint64_t lcg_next(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 33;
}

static void source_send(struct emu_dir *d, struct source *src, uint64_t t)
{
	struct tag tag = {src->sent, t};
	uint32_t len = src->lens[src->sent % src->nlens];
	struct emu_stats st;

	memcpy(pkt_buf, &tag, sizeof(tag));
	emu_dir_enqueue(d, pkt_buf, len, t);
	src->sent++;
	emu_dir_stats(d, &st);
	if (st.queue_pkts > src->max_q_pkts)
		src->max_q_pkts = st.queue_pkts;
	if (st.queue_bytes > src->max_q_bytes)
		src->max_q_bytes = st.queue_bytes;
	if (src->random)
		src->next_ns += lcg_next(&src->lcg) % (2 * src->gap_ns);
	else
		src->next_ns += src->gap_ns;
}

/* The event loop a TUN front end would run: sleep until the next arrival or next_ns. */
static void drive(struct emu_dir *d, struct source *src, struct sink *s, uint64_t until_ns)
{
	for (;;) {
		uint64_t next = emu_dir_next_ns(d);
		bool arrive = src && src->next_ns < src->end_ns && src->next_ns <= next;
		uint64_t t = arrive ? src->next_ns : next;

		if (t > until_ns)
			break;
		s->now_ns = t;
		emu_dir_run(d, t, sink_out, s);
		if (emu_dir_next_ns(d) <= t && src)
			src->stuck++;
		if (arrive)
			source_send(d, src, t);
	}
	s->now_ns = until_ns;
	emu_dir_run(d, until_ns, sink_out, s);
}

static const uint32_t len1500[] = {1500};

static void test_rate(double rate_bps)
{
	struct emu_params p = {.rate_bps = rate_bps, .queue_pkts = 100};
	uint64_t ser_ns = (uint64_t)(1500 * 8e9 / rate_bps);
	struct source src = {.next_ns = T0,
			     .gap_ns = ser_ns / 2,
			     .end_ns = T0 + 10 * NS_PER_S,
			     .lens = len1500,
			     .nlens = 1};
	struct emu_dir *d = emu_dir_new(&p, 256, T0);
	double want = rate_bps * 10 / 8, ratio;
	struct emu_stats st;
	struct sink s;

	CHECK(d);
	if (!d)
		return;
	sink_init(&s);
	drive(d, &src, &s, T0 + 10 * NS_PER_S);
	ratio = (double)s.bytes / want;
	printf("rate %g Mbit/s: delivered %.4f Mbit/s over 10 s (ratio %.5f)\n", rate_bps / 1e6,
	       (double)s.bytes * 8 / 10 / 1e6, ratio);
	CHECK_MSG(fabs(ratio - 1) < 0.005, "rate %.0f: ratio %.5f", rate_bps, ratio);
	CHECK(src.stuck == 0);
	CHECK(s.reorders == 0);
	emu_dir_stats(d, &st);
	CHECK(fabs((double)st.opportunity_bytes - want) <= 1);
	CHECK(st.dropped_queue > 0);
	CHECK(st.arrived == st.delivered + st.dropped_queue + st.queue_pkts + st.in_service_pkts +
				st.delay_line_pkts);
	emu_dir_free(d);
}

/* Exact serialization, with sub-ns remainders carried between back-to-back packets. */
static void test_serialization(void)
{
	struct emu_params p = {.rate_bps = 12e6, .delay_ns = 10 * NS_PER_MS};
	struct emu_dir *d = emu_dir_new(&p, 8, T0);
	struct emu_stats st;
	struct sink s;

	CHECK(d);
	if (!d)
		return;
	sink_init(&s);
	CHECK(emu_dir_next_ns(d) == UINT64_MAX);
	memset(pkt_buf, 0, sizeof(pkt_buf));
	CHECK(emu_dir_enqueue(d, pkt_buf, 1500, T0) == EMU_ACCEPTED);
	CHECK(emu_dir_enqueue(d, pkt_buf, 100, T0) == EMU_ACCEPTED);
	CHECK(emu_dir_enqueue(d, pkt_buf, 100, T0) == EMU_ACCEPTED);
	emu_dir_stats(d, &st);
	/* The one in service is on the wire, not in the buffer. */
	CHECK(st.queue_pkts == 2 && st.queue_bytes == 200 && st.in_service_pkts == 1);
	CHECK(emu_dir_next_ns(d) == T0 + NS_PER_MS);
	CHECK(emu_dir_run(d, T0 + NS_PER_MS, sink_out, &s) == 0);
	emu_dir_stats(d, &st);
	CHECK(st.queue_pkts == 1 && st.in_service_pkts == 1 && st.delay_line_pkts == 1);
	/* 100 bytes at 12 Mbit/s: 66666.67 ns; two of them 133333.33 ns. */
	CHECK(emu_dir_next_ns(d) == T0 + NS_PER_MS + 66666);
	CHECK(emu_dir_run(d, T0 + NS_PER_MS + 66666, sink_out, &s) == 0);
	CHECK(emu_dir_next_ns(d) == T0 + NS_PER_MS + 133333);
	CHECK(emu_dir_run(d, T0 + NS_PER_MS + 133333, sink_out, &s) == 0);
	CHECK(emu_dir_next_ns(d) == T0 + 11 * NS_PER_MS);
	CHECK(emu_dir_run(d, T0 + 11 * NS_PER_MS + 133333, sink_out, &s) == 3);
	CHECK(emu_dir_next_ns(d) == UINT64_MAX);
	emu_dir_free(d);
}

static void test_delay(void)
{
	struct emu_params p = {.delay_ns = 30 * NS_PER_MS};
	struct source src = {.next_ns = T0,
			     .gap_ns = 100 * NS_PER_US,
			     .end_ns = T0 + NS_PER_S,
			     .lens = len1500,
			     .nlens = 1,
			     .random = true,
			     .lcg = 1};
	struct emu_dir *d = emu_dir_new(&p, 1024, T0);
	struct sink s;

	CHECK(d);
	if (!d)
		return;
	sink_init(&s);
	drive(d, &src, &s, UINT64_MAX - 1);
	printf("delay 30 ms: %llu packets, delay min %llu max %llu ns\n", (unsigned long long)s.n,
	       (unsigned long long)s.min_delay_ns, (unsigned long long)s.max_delay_ns);
	CHECK(s.n == src.sent && s.n > 9000);
	CHECK(s.min_delay_ns == 30 * NS_PER_MS && s.max_delay_ns == 30 * NS_PER_MS);
	CHECK(s.reorders == 0);
	CHECK(src.stuck == 0);
	CHECK(emu_dir_next_ns(d) == UINT64_MAX);
	emu_dir_free(d);
}

static void jitter_run(bool reorder, uint64_t gap_ns, struct sink *s)
{
	struct emu_params p = {.delay_ns = 20 * NS_PER_MS,
			       .jitter_ns = 2 * NS_PER_MS,
			       .allow_reorder = reorder,
			       .seed = 7};
	struct source src = {.next_ns = T0,
			     .gap_ns = gap_ns,
			     .end_ns = T0 + 100000 * gap_ns,
			     .lens = len1500,
			     .nlens = 1};
	struct emu_dir *d = emu_dir_new(&p, 4096, T0);

	sink_init(s);
	CHECK(d);
	if (!d)
		return;
	drive(d, &src, s, UINT64_MAX - 1);
	CHECK(s->n == 100000);
	CHECK(src.stuck == 0);
	emu_dir_free(d);
}

static void test_jitter(void)
{
	const double delay = 20e6, sd = 2e6;
	struct sink s;

	/* Reordering allowed: the delays are the truncated normal itself. */
	jitter_run(true, 50 * NS_PER_US, &s);
	printf("jitter 20+-2 ms, reorder, 50 us apart: mean %.4f ms sd %.4f ms range [%.3f, %.3f] "
	       "ms, %llu reordered\n",
	       sink_mean(&s) / 1e6, sink_sd(&s) / 1e6, s.min_delay_ns / 1e6, s.max_delay_ns / 1e6,
	       (unsigned long long)s.reorders);
	CHECK(fabs(sink_mean(&s) - delay) < 0.02 * delay);
	CHECK(fabs(sink_sd(&s) - sd) < 0.1 * sd);
	CHECK(s.min_delay_ns >= delay - 3 * sd - 1 && s.max_delay_ns <= delay + 3 * sd + 1);
	CHECK(s.reorders > 1000);

	/* Order kept, packets far apart: nothing to hold back, the same distribution. */
	jitter_run(false, 20 * NS_PER_MS, &s);
	printf("jitter 20+-2 ms, ordered, 20 ms apart: mean %.4f ms sd %.4f ms\n",
	       sink_mean(&s) / 1e6, sink_sd(&s) / 1e6);
	CHECK(fabs(sink_mean(&s) - delay) < 0.02 * delay);
	CHECK(fabs(sink_sd(&s) - sd) < 0.1 * sd);
	CHECK(s.reorders == 0);

	/* Order kept, packets close together: held back behind earlier ones, never reordered. */
	jitter_run(false, 50 * NS_PER_US, &s);
	printf("jitter 20+-2 ms, ordered, 50 us apart: mean %.4f ms sd %.4f ms (held back "
	       "behind earlier packets)\n",
	       sink_mean(&s) / 1e6, sink_sd(&s) / 1e6);
	CHECK(s.reorders == 0);
	CHECK(s.max_delay_ns <= delay + 3 * sd + 1);
}

/* n arrivals through a link without rate limit; drops go to dr. */
static void loss_run(struct emu_params *p, uint64_t n, struct drops *dr, struct emu_stats *st)
{
	struct emu_dir *d;

	memset(dr, 0, sizeof(*dr));
	p->on_drop = on_drop;
	p->drop_ctx = dr;
	d = emu_dir_new(p, 64, T0);
	CHECK(d);
	if (!d)
		return;
	for (uint64_t i = 0; i < n; i++) {
		emu_dir_enqueue(d, pkt_buf, 64, T0 + i * NS_PER_US);
		emu_dir_run(d, T0 + i * NS_PER_US, NULL, NULL);
	}
	emu_dir_stats(d, st);
	emu_dir_free(d);
}

static void test_loss_bernoulli(void)
{
	struct emu_params p = {.loss = 0.01, .seed = 42};
	const uint64_t n = 1000000;
	double sigma = sqrt(n * 0.01 * 0.99);
	struct drops a, b, c;
	struct emu_stats st;
	size_t na;

	loss_run(&p, n, &a, &st);
	printf("bernoulli p=0.01: %llu of %llu lost (expected %.0f +- %.0f)\n",
	       (unsigned long long)st.dropped_loss, (unsigned long long)n, n * 0.01, sigma);
	CHECK(fabs((double)st.dropped_loss - n * 0.01) < 4 * sigma);
	CHECK(st.dropped_loss == a.n && a.why[EMU_DROP_LOSS] == a.n);
	CHECK(st.delivered + st.dropped_loss == n);

	/* The same seed with other timing and a congested queue: the same losses. */
	{
		struct emu_params q = {.loss = 0.01,
				       .seed = 42,
				       .rate_bps = 12e6,
				       .queue_pkts = 10,
				       .on_drop = on_drop,
				       .drop_ctx = &b};
		struct source src = {.next_ns = T0,
				     .gap_ns = 300 * NS_PER_US,
				     .end_ns = UINT64_MAX,
				     .lens = len1500,
				     .nlens = 1,
				     .random = true,
				     .lcg = 99};
		struct emu_dir *d;
		struct sink s;

		memset(&b, 0, sizeof(b));
		b.loss_only = true;
		d = emu_dir_new(&q, 64, T0);
		CHECK(d);
		if (d) {
			sink_init(&s);
			while (src.sent < 100000)
				drive(d, &src, &s, src.next_ns);
			emu_dir_free(d);
		}
		for (na = 0; na < a.n && a.index[na] < src.sent; na++)
			;
		CHECK(b.why[EMU_DROP_QUEUE] > 1000);
		CHECK(b.n == na && b.n > 0 && memcmp(a.index, b.index, na * sizeof(*a.index)) == 0);
		printf("same seed, other timing and queue drops: %zu of %zu loss indices equal\n",
		       b.n, na);
	}

	p.seed = 43;
	loss_run(&p, n, &c, &st);
	CHECK(c.n != a.n || memcmp(a.index, c.index, a.n * sizeof(*a.index)) != 0);
	{
		size_t same = 0;

		for (size_t i = 0; i < a.n && i < c.n; i++)
			same += a.index[i] == c.index[i];
		CHECK(same < a.n / 10);
	}
	free(c.index);
	p.loss = 0;
	loss_run(&p, 10000, &c, &st);
	CHECK(st.dropped_loss == 0);
	free(c.index);
	p.loss = 1;
	loss_run(&p, 10000, &c, &st);
	CHECK(st.dropped_loss == 10000);
	free(a.index);
	free(b.index);
	free(c.index);
}

/* tol: the relative tolerance, about 4 standard errors for 1e6 packets. */
static void ge_check(double gp, double gr, double lg, double lb, bool bursts, double tol)
{
	struct emu_params p = {.loss_model = EMU_LOSS_GILBERT_ELLIOTT,
			       .ge_p = gp,
			       .ge_r = gr,
			       .ge_loss_good = lg,
			       .ge_loss_bad = lb,
			       .seed = 5};
	const uint64_t n = 1000000;
	double want = (gr * lg + gp * lb) / (gp + gr), got;
	struct emu_stats st;
	struct drops dr;

	loss_run(&p, n, &dr, &st);
	got = (double)st.dropped_loss / n;
	printf("gilbert-elliott p=%g r=%g good %g bad %g: loss %.5f (stationary %.5f)", gp, gr, lg,
	       lb, got, want);
	CHECK_MSG(fabs(got - want) < tol * want, "loss %.5f want %.5f", got, want);
	if (bursts) {
		size_t runs = 0;
		double mean;

		for (size_t i = 0; i < dr.n; i++)
			runs += i == 0 || dr.index[i] != dr.index[i - 1] + 1;
		mean = (double)dr.n / (double)runs;
		printf(", mean burst %.3f (1/r = %.3f)", mean, 1 / gr);
		CHECK_MSG(fabs(mean - 1 / gr) < tol / gr, "burst %.3f", mean);
	}
	printf("\n");
	free(dr.index);
}

static void test_gilbert_elliott(void)
{
	ge_check(0.01, 0.2, 0, 1, true, 0.05);
	ge_check(0.02, 0.1, 0.001, 0.3, false, 0.05);
	ge_check(0.001, 0.5, 0, 1, true, 0.15); /* only ~1000 bursts */
}

static void test_queue_limits(void)
{
	/* Packets: arrivals at twice the link rate. */
	{
		struct drops dr = {0};
		struct emu_params p = {
		    .rate_bps = 12e6, .queue_pkts = 20, .on_drop = on_drop, .drop_ctx = &dr};
		struct source src = {.next_ns = T0,
				     .gap_ns = 500 * NS_PER_US,
				     .end_ns = T0 + 10 * NS_PER_S,
				     .lens = len1500,
				     .nlens = 1};
		struct emu_dir *d = emu_dir_new(&p, 64, T0);
		struct emu_stats st;
		struct sink s;

		CHECK(d);
		if (!d)
			return;
		sink_init(&s);
		drive(d, &src, &s, T0 + 10 * NS_PER_S);
		emu_dir_stats(d, &st);
		printf("queue_pkts 20 at 2x overload: max %u, %llu of %llu dropped\n",
		       src.max_q_pkts, (unsigned long long)st.dropped_queue,
		       (unsigned long long)st.arrived);
		CHECK(src.max_q_pkts == 20);
		CHECK(st.dropped_queue == dr.why[EMU_DROP_QUEUE] && dr.n == st.dropped_queue);
		CHECK(fabs((double)st.dropped_queue / (double)st.arrived - 0.5) < 0.01);
		CHECK(st.arrived == st.delivered + st.dropped_queue + st.queue_pkts +
					st.in_service_pkts + st.delay_line_pkts);
		CHECK(src.stuck == 0);
		emu_dir_free(d);
		free(dr.index);
	}
	/* Bytes, with mixed sizes. */
	{
		static const uint32_t lens[] = {1500, 600, 64, 1200};
		struct emu_params p = {.rate_bps = 12e6, .queue_bytes = 20000};
		struct source src = {.next_ns = T0,
				     .gap_ns = 280 * NS_PER_US,
				     .end_ns = T0 + 10 * NS_PER_S,
				     .lens = lens,
				     .nlens = 4};
		struct emu_dir *d = emu_dir_new(&p, 512, T0);
		struct emu_stats st;
		struct sink s;

		CHECK(d);
		if (!d)
			return;
		sink_init(&s);
		drive(d, &src, &s, T0 + 10 * NS_PER_S);
		emu_dir_stats(d, &st);
		printf("queue_bytes 20000 at 2x overload: max %llu bytes, %llu of %llu dropped\n",
		       (unsigned long long)src.max_q_bytes, (unsigned long long)st.dropped_queue,
		       (unsigned long long)st.arrived);
		CHECK(src.max_q_bytes <= 20000 && src.max_q_bytes > 20000 - 1500);
		/* Small packets squeeze in where big ones do not: fewer than half are dropped,
		 * but the link stays full. */
		CHECK(st.dropped_queue > st.arrived / 4);
		CHECK(fabs((double)s.bytes / (12e6 * 10 / 8) - 1) < 0.005);
		CHECK(st.arrived == st.delivered + st.dropped_queue + st.queue_pkts +
					st.in_service_pkts + st.delay_line_pkts);
		CHECK(src.stuck == 0);
		emu_dir_free(d);
	}
}

static int load_fixture(const char *name, uint32_t **ms, size_t *n, uint32_t *period)
{
	char path[PATH_MAX], err[PATH_MAX + 100];
	int r;

	snprintf(path, sizeof(path), "%s/tests/fixtures/traces/%s", source_dir, name);
	r = emu_trace_load(path, ms, n, period, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	return r;
}

/* A trace link saturated from T0 for dur_ns; returns the bytes delivered. */
static uint64_t trace_saturate(const char *name, uint64_t dur_ns, uint64_t gap_ns, uint32_t queue,
			       struct emu_stats *st, size_t *lines)
{
	struct source src = {
	    .next_ns = T0, .gap_ns = gap_ns, .end_ns = T0 + dur_ns, .lens = len1500, .nlens = 1};
	struct emu_params p = {.queue_pkts = queue};
	struct emu_dir *d;
	uint32_t *ms, period;
	struct sink s;

	if (load_fixture(name, &ms, lines, &period))
		return 0;
	p.trace_ms = ms;
	p.trace_len = *lines;
	p.trace_period_ms = period;
	d = emu_dir_new(&p, queue + 16, T0);
	free(ms); /* the emulator keeps its own copy */
	CHECK(d);
	if (!d)
		return 0;
	sink_init(&s);
	drive(d, &src, &s, T0 + dur_ns);
	CHECK(src.stuck == 0);
	CHECK(s.reorders == 0);
	emu_dir_stats(d, st);
	emu_dir_free(d);
	return s.bytes;
}

static void test_trace_rates(void)
{
	struct emu_stats st;
	uint64_t bytes;
	size_t lines;
	double mbit;

	bytes =
	    trace_saturate("const-48mbps.trace", 10 * NS_PER_S, 125 * NS_PER_US, 100, &st, &lines);
	mbit = (double)bytes * 8 / 10 / 1e6;
	printf("const-48mbps.trace saturated 10 s: %.4f Mbit/s\n", mbit);
	CHECK(fabs(mbit / 48 - 1) < 0.005);
	CHECK(st.opportunity_bytes == 10000 * 4 * 1500ULL);

	/* One period of a cellular trace. Its first two opportunities, at 0 ms, come with the
	 * first arrival and find the queue empty: they are the only ones wasted. */
	bytes = trace_saturate("Verizon-LTE-short.down", 140 * NS_PER_S, 200 * NS_PER_US, 1000, &st,
			       &lines);
	mbit = (double)bytes * 8 / 140 / 1e6;
	printf("Verizon-LTE-short.down saturated one period: %.4f Mbit/s (file %.4f); offered "
	       "%llu bytes, delivered %llu\n",
	       mbit, lines * 1500 * 8 / 140e6, (unsigned long long)st.opportunity_bytes,
	       (unsigned long long)bytes);
	CHECK(fabs(mbit / 5.03 - 1) < 0.01);
	CHECK(bytes == lines * 1500);
	CHECK(st.opportunity_bytes == (lines + 2) * 1500);
}

/* Runs d to each next event up to until_ns, recording exit times by index. */
static void run_events(struct emu_dir *d, struct sink *s, uint64_t until_ns)
{
	drive(d, NULL, s, until_ns);
}

static void send_tagged(struct emu_dir *d, uint64_t index, uint32_t len, uint64_t t)
{
	struct tag tag = {index, t};

	memcpy(pkt_buf, &tag, sizeof(tag));
	CHECK(emu_dir_enqueue(d, pkt_buf, len, t) == EMU_ACCEPTED);
}

/* Ten packets at once on 12 Mbit/s (1 ms each) and 5 ms: the even ones of a flow with a
 * 30 ms access path. The rate server takes them in arrival order whatever their extra; each
 * leaves the link 5 ms + its extra after its departure, so the flow without extra is never
 * held behind the other's packets. Without extra_delays the extra is ignored. */
static void extra_delay_run(bool extra_delays, bool jitter, uint64_t *exit_ns)
{
	struct emu_params p = {.rate_bps = 12e6,
			       .delay_ns = 5 * NS_PER_MS,
			       .jitter_ns = jitter ? NS_PER_MS : 0,
			       .extra_delays = extra_delays,
			       .seed = 3};
	struct emu_dir *d = emu_dir_new(&p, 64, T0);
	struct sink s;

	CHECK(d);
	if (!d)
		return;
	sink_init(&s);
	s.exit_ns = exit_ns;
	s.exit_cap = 10;
	for (uint64_t i = 0; i < 10; i++) {
		struct tag tag = {i, T0};

		memcpy(pkt_buf, &tag, sizeof(tag));
		CHECK(emu_dir_enqueue_extra(d, pkt_buf, 1500, T0, i % 2 ? 0 : 30 * NS_PER_MS) ==
		      EMU_ACCEPTED);
	}
	run_events(d, &s, T0 + NS_PER_S);
	CHECK(s.n == 10);
	emu_dir_free(d);
}

static void test_extra_delay(void)
{
	uint64_t exit_ns[10] = {0}, base_ns[10], last_ns[2] = {0, 0};

	extra_delay_run(true, false, exit_ns);
	for (int i = 0; i < 10; i++) {
		uint64_t want = T0 + (uint64_t)(i + 1) * NS_PER_MS + 5 * NS_PER_MS +
				(i % 2 ? 0 : 30 * NS_PER_MS);

		CHECK(exit_ns[i] == want);
	}
	printf("extra delay: packet 1 (none) left at +%.3f ms, packet 0 (30 ms) at +%.3f ms\n",
	       (exit_ns[1] - T0) / 1e6, (exit_ns[0] - T0) / 1e6);
	extra_delay_run(false, false, exit_ns);
	for (int i = 0; i < 10; i++)
		CHECK(exit_ns[i] == T0 + (uint64_t)(i + 6) * NS_PER_MS);
	/* With jitter and order kept: each flow's packets stay in order, and a packet's extra
	 * is exactly its flow's on top of what the same packet gets without extras. */
	extra_delay_run(false, true, base_ns);
	extra_delay_run(true, true, exit_ns);
	for (int i = 0; i < 10; i++) {
		CHECK(exit_ns[i] == base_ns[i] + (i % 2 ? 0 : 30 * NS_PER_MS));
		CHECK(exit_ns[i] >= last_ns[i % 2]);
		last_ns[i % 2] = exit_ns[i];
	}
}

/* const-12mbps.trace: one 1500-byte opportunity at T0 + k ms for k >= 1. */
static void test_trace_credit(void)
{
	struct emu_params p = {0};
	uint64_t exit_ns[16] = {0};
	struct emu_dir *d;
	struct emu_stats st;
	uint32_t *ms, period;
	struct sink s;
	size_t n;

	if (load_fixture("const-12mbps.trace", &ms, &n, &period))
		return;
	CHECK(n == 1 && period == 1);
	p.trace_ms = ms;
	p.trace_len = n;
	d = emu_dir_new(&p, 16, T0);
	free(ms);
	CHECK(d);
	if (!d)
		return;
	sink_init(&s);
	s.exit_ns = exit_ns;
	s.exit_cap = 16;

	/* Waits for the next opportunity, then the rest of it is wasted. */
	send_tagged(d, 0, 100, T0 + 500 * NS_PER_US);
	CHECK(emu_dir_next_ns(d) == T0 + NS_PER_MS);
	run_events(d, &s, T0 + 5 * NS_PER_MS + 500 * NS_PER_US);
	CHECK(exit_ns[0] == T0 + NS_PER_MS);
	CHECK(emu_dir_next_ns(d) == UINT64_MAX);
	/* Idle opportunities left no credit behind: three MTUs take three of them. */
	for (int i = 1; i <= 3; i++)
		send_tagged(d, i, 1500, T0 + 5 * NS_PER_MS + 500 * NS_PER_US);
	run_events(d, &s, T0 + 7 * NS_PER_MS + 500 * NS_PER_US);
	/* Partial credit carries over while the queue is busy: five 1000-byte packets. */
	for (int i = 4; i <= 8; i++)
		send_tagged(d, i, 1000, T0 + 7 * NS_PER_MS + 500 * NS_PER_US);
	run_events(d, &s, T0 + 20 * NS_PER_MS + 500 * NS_PER_US);
	/* A packet larger than one opportunity takes bytes from two. */
	send_tagged(d, 9, 2000, T0 + 20 * NS_PER_MS + 500 * NS_PER_US);
	run_events(d, &s, T0 + 30 * NS_PER_MS);
	CHECK(exit_ns[1] == T0 + 6 * NS_PER_MS);
	CHECK(exit_ns[2] == T0 + 7 * NS_PER_MS);
	CHECK(exit_ns[3] == T0 + 8 * NS_PER_MS);
	/* The 1000-byte packets: 8 ms has nothing left after packet 3, so they start at 9. */
	CHECK(exit_ns[4] == T0 + 9 * NS_PER_MS);
	CHECK(exit_ns[5] == T0 + 10 * NS_PER_MS);
	CHECK(exit_ns[6] == T0 + 10 * NS_PER_MS);
	CHECK(exit_ns[7] == T0 + 11 * NS_PER_MS);
	CHECK(exit_ns[8] == T0 + 12 * NS_PER_MS);
	CHECK(exit_ns[9] == T0 + 22 * NS_PER_MS);
	CHECK(s.n == 10);
	emu_dir_stats(d, &st);
	CHECK(st.opportunity_bytes == 30 * 1500);
	CHECK(emu_dir_next_ns(d) == UINT64_MAX);
	/* A packet arriving at an opportunity's instant misses it. */
	send_tagged(d, 10, 100, T0 + 40 * NS_PER_MS);
	CHECK(emu_dir_next_ns(d) == T0 + 41 * NS_PER_MS);
	/* Long idle gaps are skipped by arithmetic, not by stepping through them. */
	run_events(d, &s, T0 + 50 * NS_PER_MS);
	send_tagged(d, 11, 100, T0 + 3600 * NS_PER_S + 1);
	CHECK(emu_dir_next_ns(d) == T0 + 3600 * NS_PER_S + NS_PER_MS);
	emu_dir_stats(d, &st);
	CHECK(st.opportunity_bytes == 3600000ULL * 1500);
	emu_dir_free(d);
}

/* A standing queue at a constant 5% overload on 12 Mbit/s (1 ms per packet): droptail keeps
 * the queue full, CoDel brings the sojourn down to its target. */
static double codel_run(enum emu_aqm aqm, struct emu_stats *st, struct drops *dr)
{
	struct emu_params p = {
	    .rate_bps = 12e6, .queue_pkts = 50, .aqm = aqm, .on_drop = on_drop, .drop_ctx = dr};
	struct source src = {.next_ns = T0,
			     .gap_ns = NS_PER_MS * 100 / 105,
			     .end_ns = T0 + 30 * NS_PER_S,
			     .lens = len1500,
			     .nlens = 1};
	struct emu_dir *d = emu_dir_new(&p, 64, T0);
	struct sink s;

	memset(dr, 0, sizeof(*dr));
	dr->tagged = true;
	CHECK(d);
	if (!d)
		return 0;
	sink_init(&s);
	s.from_ns = T0 + 5 * NS_PER_S;
	drive(d, &src, &s, T0 + 30 * NS_PER_S);
	CHECK(src.stuck == 0);
	CHECK(src.max_q_pkts <= 50);
	emu_dir_stats(d, st);
	emu_dir_free(d);
	/* The delay less the packet's own 1 ms of serialization is its time in the queue. */
	return (sink_mean(&s) - 1e6) / 1e6;
}

static void test_codel(void)
{
	struct emu_stats st;
	struct drops dr;
	double sojourn_ms;

	sojourn_ms = codel_run(EMU_AQM_DROPTAIL, &st, &dr);
	printf("droptail 50 pkts at 1.05x: mean sojourn %.2f ms after 5 s, %llu queue drops\n",
	       sojourn_ms, (unsigned long long)st.dropped_queue);
	CHECK(sojourn_ms > 45);
	CHECK(st.dropped_aqm == 0);
	CHECK(dr.bad_pkt == 0);
	free(dr.index);

	sojourn_ms = codel_run(EMU_AQM_CODEL, &st, &dr);
	printf("codel 50 pkts at 1.05x: mean sojourn %.2f ms after 5 s, %llu aqm drops, %llu "
	       "queue drops\n",
	       sojourn_ms, (unsigned long long)st.dropped_aqm,
	       (unsigned long long)st.dropped_queue);
	CHECK(sojourn_ms < 15);
	CHECK(st.dropped_aqm > 0 && dr.why[EMU_DROP_AQM] == st.dropped_aqm);
	/* A drop at dequeue hands back the packet that waited, with its arrival time. */
	CHECK_MSG(dr.bad_pkt == 0, "%llu drops with the wrong packet",
		  (unsigned long long)dr.bad_pkt);
	free(dr.index);
}

/* Everything at once, with random arrivals: next_ns always moves on and nothing is lost
 * track of. */
static void test_mixed(void)
{
	static const uint32_t lens[] = {1500, 52, 1500, 1500, 576, 2000};
	uint32_t *ms = NULL, period = 0;
	size_t n = 0;

	if (load_fixture("Verizon-LTE-short.down", &ms, &n, &period))
		return;
	for (int trace = 0; trace <= 1; trace++) {
		struct emu_params p = {.rate_bps = 20e6,
				       .delay_ns = 15 * NS_PER_MS,
				       .jitter_ns = 3 * NS_PER_MS,
				       .allow_reorder = true,
				       .loss_model = EMU_LOSS_GILBERT_ELLIOTT,
				       .ge_p = 0.01,
				       .ge_r = 0.3,
				       .ge_loss_bad = 0.5,
				       .queue_pkts = 300,
				       .queue_bytes = 200000,
				       .aqm = EMU_AQM_CODEL,
				       .seed = 11};
		struct source src = {.next_ns = T0,
				     .gap_ns = 300 * NS_PER_US,
				     .end_ns = T0 + 20 * NS_PER_S,
				     .lens = lens,
				     .nlens = 6,
				     .random = true,
				     .lcg = 3};
		struct emu_dir *d;
		struct emu_stats st;
		struct sink s;

		if (trace) {
			p.trace_ms = ms;
			p.trace_len = n;
			p.trace_period_ms = period;
		}
		d = emu_dir_new(&p, 2048, T0);
		CHECK(d);
		if (!d)
			continue;
		sink_init(&s);
		drive(d, &src, &s, UINT64_MAX - 1);
		emu_dir_stats(d, &st);
		printf("mixed (%s): %llu arrived, %llu delivered, loss %llu queue %llu aqm %llu "
		       "nobuf %llu\n",
		       trace ? "trace" : "rate", (unsigned long long)st.arrived,
		       (unsigned long long)st.delivered, (unsigned long long)st.dropped_loss,
		       (unsigned long long)st.dropped_queue, (unsigned long long)st.dropped_aqm,
		       (unsigned long long)st.dropped_nobuf);
		CHECK(src.stuck == 0);
		CHECK(st.arrived == st.delivered + st.dropped_loss + st.dropped_queue +
					st.dropped_aqm + st.dropped_nobuf);
		CHECK(st.queue_pkts == 0 && st.delay_line_pkts == 0);
		CHECK(st.dropped_nobuf == 0 && st.dropped_loss > 0 && st.delivered > 0);
		CHECK(emu_dir_next_ns(d) == UINT64_MAX);
		emu_dir_free(d);
	}
	free(ms);
}

static void test_nobuf(void)
{
	struct emu_params p = {.delay_ns = NS_PER_S};
	struct emu_dir *d = emu_dir_new(&p, 4, T0);
	struct emu_stats st;

	CHECK(d);
	if (!d)
		return;
	for (int i = 0; i < 4; i++)
		CHECK(emu_dir_enqueue(d, pkt_buf, 100, T0) == EMU_ACCEPTED);
	CHECK(emu_dir_enqueue(d, pkt_buf, 100, T0) == EMU_DROP_NOBUF);
	CHECK(emu_dir_run(d, T0 + NS_PER_S, NULL, NULL) == 4);
	CHECK(emu_dir_enqueue(d, pkt_buf, EMU_MAX_PKT + 1, T0 + NS_PER_S) == EMU_DROP_NOBUF);
	CHECK(emu_dir_enqueue(d, pkt_buf, EMU_MAX_PKT, T0 + NS_PER_S) == EMU_ACCEPTED);
	emu_dir_stats(d, &st);
	CHECK(st.arrived == 7 && st.dropped_nobuf == 2 && st.delivered == 4);
	CHECK(st.delay_line_pkts == 1);
	emu_dir_free(d);
}

/* A caller's prefix travels with the packet but is neither serialized nor queued. */
static void prefix_out(void *ctx, const void *pkt, uint32_t len)
{
	struct sink *s = ctx;

	CHECK(len == 16 + 1500 && ((const uint8_t *)pkt)[0] == 0xab &&
	      ((const uint8_t *)pkt)[16] == (uint8_t)s->n);
	s->n++;
	s->bytes += len;
}

static void test_prefix(void)
{
	/* 1500 wire bytes at 12 Mbit/s take 1 ms; a 3000-byte limit holds two waiting. */
	struct emu_params p = {.rate_bps = 12e6, .queue_bytes = 3000, .prefix_bytes = 16};
	struct emu_dir *d = emu_dir_new(&p, 16, T0);
	struct emu_stats st;
	struct sink s;

	CHECK(d);
	if (!d)
		return;
	sink_init(&s);
	memset(pkt_buf, 0xab, 16);
	for (int i = 0; i < 4; i++) {
		pkt_buf[16] = (uint8_t)i;
		CHECK(emu_dir_enqueue(d, pkt_buf, 16 + 1500, T0) ==
		      (i < 3 ? EMU_ACCEPTED : EMU_DROP_QUEUE));
	}
	emu_dir_stats(d, &st);
	CHECK(st.queue_pkts == 2 && st.queue_bytes == 3000);
	CHECK(emu_dir_run(d, T0 + NS_PER_MS - 1, prefix_out, &s) == 0);
	CHECK(emu_dir_run(d, T0 + NS_PER_MS, prefix_out, &s) == 1);
	CHECK(emu_dir_run(d, T0 + 3 * NS_PER_MS, prefix_out, &s) == 2);
	emu_dir_stats(d, &st);
	CHECK(st.bytes_delivered == 3 * 1500 && s.bytes == 3 * (16 + 1500));
	CHECK(emu_dir_enqueue(d, pkt_buf, 15, T0 + 3 * NS_PER_MS) == EMU_DROP_NOBUF);
	emu_dir_free(d);
}

/* The model counts how late its caller ran it for each release. */
static void test_late(void)
{
	struct emu_params p = {.delay_ns = NS_PER_MS};
	struct emu_dir *d = emu_dir_new(&p, 8, T0);
	struct emu_stats st;

	CHECK(d);
	if (!d)
		return;
	CHECK(emu_dir_enqueue(d, pkt_buf, 100, T0) == EMU_ACCEPTED);
	CHECK(emu_dir_enqueue(d, pkt_buf, 100, T0 + 1) == EMU_ACCEPTED);
	CHECK(emu_dir_run(d, T0 + NS_PER_MS + 12000, NULL, NULL) == 2); /* 12 us and 11.999 */
	CHECK(emu_dir_enqueue(d, pkt_buf, 100, T0 + 2 * NS_PER_MS) == EMU_ACCEPTED);
	CHECK(emu_dir_run(d, T0 + 3 * NS_PER_MS + 5 * NS_PER_MS, NULL, NULL) == 1);
	emu_dir_stats(d, &st);
	CHECK(st.late[2] == 2 && st.late[EMU_LATE_BUCKETS] == 1 && st.late[0] == 0);
	CHECK(st.late_max_ns == 5 * NS_PER_MS);
	emu_dir_free(d);
}

static void test_bad_params(void)
{
	static const uint32_t down[] = {1, 3, 2};
	static const uint32_t zero[] = {0, 0};
	struct emu_params p = {0};

	errno = 0;
	CHECK(!emu_dir_new(&p, 0, T0) && errno == EINVAL);
	p.loss = 1.5;
	CHECK(!emu_dir_new(&p, 8, T0) && errno == EINVAL);
	p.loss = 0;
	p.rate_bps = NAN;
	CHECK(!emu_dir_new(&p, 8, T0) && errno == EINVAL);
	p.rate_bps = 0;
	p.trace_ms = down;
	p.trace_len = 3;
	CHECK(!emu_dir_new(&p, 8, T0) && errno == EINVAL);
	p.trace_ms = zero;
	p.trace_len = 2;
	CHECK(!emu_dir_new(&p, 8, T0) && errno == EINVAL);
	p.trace_len = 0;
	CHECK(!emu_dir_new(&p, 8, T0) && errno == EINVAL);
	p.trace_ms = NULL;
	p.loss_model = EMU_LOSS_GILBERT_ELLIOTT;
	p.ge_r = -0.1;
	CHECK(!emu_dir_new(&p, 8, T0) && errno == EINVAL);
}

static char tmpdir[] = "/tmp/ccx-test-emu-XXXXXX";

/* Loads text as a trace; returns the error text or "" on success. */
static int load_text(const char *text, char *err, size_t errlen, size_t *n, uint32_t *period)
{
	char path[PATH_MAX];
	uint32_t *ms = NULL;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/t.trace", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	r = emu_trace_load(path, &ms, n, period, err, errlen);
	CHECK((r == 0) == (ms != NULL));
	free(ms);
	return r;
}

static void test_trace_load(void)
{
	char err[PATH_MAX + 100], want[PATH_MAX + 100];
	uint32_t period;
	size_t n;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		ccx_test_failures++;
		return;
	}
	CHECK(load_text("0\n1\n\n  2 \r\n2\n5\n\n", err, sizeof(err), &n, &period) == 0);
	CHECK(n == 5 && period == 5);
	CHECK(load_text("7", err, sizeof(err), &n, &period) == 0 && n == 1 && period == 7);

	CHECK(load_text("1\n2x\n", err, sizeof(err), &n, &period) == -EINVAL);
	snprintf(want, sizeof(want), "%s/t.trace:2: not a millisecond timestamp", tmpdir);
	CHECK_STR_EQ(err, want);
	CHECK(load_text("1\n-3\n", err, sizeof(err), &n, &period) == -EINVAL);
	CHECK_STR_EQ(err, want);
	CHECK(load_text("1\n\n1.5\n", err, sizeof(err), &n, &period) == -EINVAL);
	snprintf(want, sizeof(want), "%s/t.trace:3: not a millisecond timestamp", tmpdir);
	CHECK_STR_EQ(err, want);
	CHECK(load_text("99999999999\n", err, sizeof(err), &n, &period) == -EINVAL);
	CHECK(load_text("5\n3\n", err, sizeof(err), &n, &period) == -EINVAL);
	snprintf(want, sizeof(want), "%s/t.trace:2: 3 ms comes before the previous 5 ms", tmpdir);
	CHECK_STR_EQ(err, want);
	CHECK(load_text("0\n0\n\n", err, sizeof(err), &n, &period) == -EINVAL);
	snprintf(want, sizeof(want),
		 "%s/t.trace:2: the last timestamp is 0, so the trace has no period", tmpdir);
	CHECK_STR_EQ(err, want);
	CHECK(load_text("\n \n", err, sizeof(err), &n, &period) == -EINVAL);
	snprintf(want, sizeof(want), "%s/t.trace: no timestamps", tmpdir);
	CHECK_STR_EQ(err, want);
	{
		uint32_t *ms;
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/missing.trace", tmpdir);
		CHECK(emu_trace_load(path, &ms, &n, &period, err, sizeof(err)) == -ENOENT);
		CHECK(strstr(err, "missing.trace: ") != NULL);
		snprintf(path, sizeof(path), "%s/t.trace", tmpdir);
		unlink(path);
		rmdir(tmpdir);

		CHECK(load_fixture("Verizon-LTE-short.down", &ms, &n, &period) == 0);
		CHECK(n == 58655 && period == 140000);
		free(ms);
	}
}

int main(void)
{
	source_dir = getenv("CCX_SOURCE_DIR");
	if (!source_dir)
		ccx_test_skip("CCX_SOURCE_DIR is not set (run through meson test)");

	test_trace_load();
	test_bad_params();
	test_serialization();
	test_rate(12e6);
	test_rate(48e6);
	test_rate(96e6);
	test_rate(480e6);
	test_rate(7.3e6); /* not a whole number of ns per byte */
	test_delay();
	test_jitter();
	test_loss_bernoulli();
	test_gilbert_elliott();
	test_queue_limits();
	test_trace_rates();
	test_trace_credit();
	test_codel();
	test_nobuf();
	test_prefix();
	test_late();
	test_mixed();
	test_extra_delay();
	return ccx_test_result();
}
