/* Integration test of toolkit/netlink.c and the netem plan: ccexp's netem requests decode, the
 * way the kernel's netem_change() reads them, to what iproute2's `tc ... netem` sends for the
 * same settings (recorded with an LD_PRELOAD object, so no kernel netem is needed); the kernel
 * takes them where it has netem and says why not where it has none; tbf + pfifo built through
 * netlink count what iproute2's `tc -s` counts, in IP bytes.
 *
 * argv[1]: the recorder object (tests/integration/netlink_record.c). */
#include "ccx_test.h"
#include "link/link.h"
#include "kernel/netlink.h"
#include "kernel/sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define PSCHED_SHIFT	 6 /* the kernel's PSCHED_TICKS2NS: ticks << 6 */
#define NETEM_PRNG_SEED	 14
#define UDP_PAYLOAD	 1000
#define UDP_IP_BYTES	 (UDP_PAYLOAD + 28)
#define UDP_COUNT	 200
#define SHAPED_QUEUE	 20
#define SHAPED_RATE_MBIT 1.0

static char ns_a[32], ns_b[32], if_a[IFNAMSIZ], if_b[IFNAMSIZ], tmp[64];
static const char *recorder;

/* What netem_change() sets up from a request, and what the request said around it. */
struct netem_effect {
	bool found;
	uint16_t flags;
	int ifindex;
	uint32_t handle, parent;
	char kind[16];
	bool have_stab;
	struct tc_sizespec stab;
	int64_t latency_ns, jitter_ns;
	uint32_t limit, loss, gap, duplicate;
	bool gilbert_elliott;
	uint32_t a1, a2, a3, a4; /* sch_netem.c clgstate: p, r, h, k1 */
	uint64_t rate;
	const int16_t *dist;
	size_t dist_len;
	bool have_seed;
	uint64_t seed;
};

static void decode_loss(const struct nlattr *nest, struct netem_effect *e)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) == NETEM_LOSS_GE &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct tc_netem_gemodel)) {
			const struct tc_netem_gemodel *ge = mnl_attr_get_payload(a);

			e->gilbert_elliott = true;
			e->a1 = ge->p;
			e->a2 = ge->r;
			e->a3 = ge->h;
			e->a4 = ge->k1;
		}
	}
}

/* TCA_OPTIONS of netem: the fixed struct, then attributes from NLA_ALIGN(sizeof) on. */
static void decode_netem(const struct nlattr *opts, struct netem_effect *e)
{
	const struct tc_netem_qopt *q = mnl_attr_get_payload(opts);
	size_t len = mnl_attr_get_payload_len(opts), off = MNL_ALIGN(sizeof(*q));
	const char *p = mnl_attr_get_payload(opts);
	uint64_t rate32 = 0, rate64 = 0;

	if (len < sizeof(*q))
		return;
	e->latency_ns = (int64_t)q->latency << PSCHED_SHIFT;
	e->jitter_ns = (int64_t)q->jitter << PSCHED_SHIFT;
	e->limit = q->limit;
	e->loss = q->loss;
	e->gap = q->gap;
	e->duplicate = q->duplicate;
	while (off + MNL_ATTR_HDRLEN <= len) {
		const struct nlattr *a = (const void *)(p + off);
		uint16_t alen = mnl_attr_get_payload_len(a);

		if (a->nla_len < MNL_ATTR_HDRLEN || off + a->nla_len > len)
			break;
		switch (mnl_attr_get_type(a)) {
		case TCA_NETEM_LATENCY64:
			e->latency_ns = (int64_t)mnl_attr_get_u64(a);
			break;
		case TCA_NETEM_JITTER64:
			e->jitter_ns = (int64_t)mnl_attr_get_u64(a);
			break;
		case TCA_NETEM_DELAY_DIST:
			e->dist = mnl_attr_get_payload(a);
			e->dist_len = alen / sizeof(int16_t);
			break;
		case TCA_NETEM_RATE:
			if (alen >= sizeof(struct tc_netem_rate))
				rate32 =
				    ((const struct tc_netem_rate *)mnl_attr_get_payload(a))->rate;
			break;
		case TCA_NETEM_RATE64:
			rate64 = mnl_attr_get_u64(a);
			break;
		case TCA_NETEM_LOSS:
			decode_loss(a, e);
			break;
		case NETEM_PRNG_SEED:
			e->have_seed = true;
			e->seed = mnl_attr_get_u64(a);
			break;
		default:
			break;
		}
		off += MNL_ALIGN(a->nla_len);
	}
	/* Whatever their order: TCA_NETEM_RATE first, then the larger of it and RATE64. */
	e->rate = rate64 > rate32 ? rate64 : rate32;
	/* sch_netem.c caps the jitter to what tabledist() takes. */
	if (e->jitter_ns > INT32_MAX)
		e->jitter_ns = INT32_MAX;
}

static void decode_request(const struct nlmsghdr *nlh, struct netem_effect *e)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	e->found = true;
	e->flags = nlh->nlmsg_flags;
	e->ifindex = tcm->tcm_ifindex;
	e->handle = tcm->tcm_handle;
	e->parent = tcm->tcm_parent;
	mnl_attr_for_each(a, nlh, sizeof(*tcm))
	{
		switch (mnl_attr_get_type(a)) {
		case TCA_KIND:
			snprintf(e->kind, sizeof(e->kind), "%s", mnl_attr_get_str(a));
			break;
		case TCA_STAB: {
			const struct nlattr *b;

			mnl_attr_for_each_nested(b, a)
			{
				if (mnl_attr_get_type(b) == TCA_STAB_BASE &&
				    mnl_attr_get_payload_len(b) >= sizeof(e->stab)) {
					e->have_stab = true;
					memcpy(&e->stab, mnl_attr_get_payload(b), sizeof(e->stab));
				}
			}
			break;
		}
		case TCA_OPTIONS:
			decode_netem(a, e);
			break;
		default:
			break;
		}
	}
}

/* The RTM_NEWQDISC among what tc sent; `rec` keeps the bytes e points into. */
static void decode_recording(const char *path, char **rec, struct netem_effect *e)
{
	size_t off = 0, size;
	struct stat st;
	int fd;

	*rec = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	size = (size_t)st.st_size;
	*rec = malloc(size + 1);
	if (!*rec || read(fd, *rec, size) != (ssize_t)size)
		size = 0;
	close(fd);
	while (off + sizeof(uint32_t) <= size) {
		uint32_t len;
		const struct nlmsghdr *nlh;
		int left;

		memcpy(&len, *rec + off, sizeof(len));
		off += sizeof(len);
		if (off + len > size)
			break;
		nlh = (const void *)(*rec + off);
		left = (int)len;
		while (mnl_nlmsg_ok(nlh, left)) {
			if (nlh->nlmsg_type == RTM_NEWQDISC)
				decode_request(nlh, e);
			nlh = mnl_nlmsg_next(nlh, &left);
		}
		off += len;
	}
}

static int run(const char *const argv[])
{
	char out[1024];
	int r = sys_run_capture(argv, out, sizeof(out));

	if (r < 0 && r != -EIO)
		fprintf(stderr, "%s: %s\n", argv[0], out);
	return r;
}

/* tc with the recorder: the kernel may refuse the request (no netem), it was sent anyway. */
static void tc_netem(const char *args, bool tc_seed, uint64_t seed, struct netem_effect *e,
		     char **rec)
{
	char path[128], line[512], seed_arg[64] = "";
	const char *argv[64];
	char *save = NULL, *tok;
	int n = 0;

	snprintf(path, sizeof(path), "%s/tc.rec", tmp);
	unlink(path);
	if (tc_seed)
		snprintf(seed_arg, sizeof(seed_arg), " seed %llu", (unsigned long long)seed);
	snprintf(line, sizeof(line), "tc -n %s qdisc add dev %s root handle 1: %s%s", ns_a, if_a,
		 args, seed_arg);
	for (char *p = line; n < 63 && (tok = strtok_r(p, " ", &save)); p = NULL)
		argv[n++] = tok;
	argv[n] = NULL;
	setenv("LD_PRELOAD", recorder, 1);
	setenv("CCX_NETLINK_RECORD", path, 1);
	setenv("TC_LIB_DIR", tmp, 1);
	run(argv);
	unsetenv("LD_PRELOAD");
	unsetenv("CCX_NETLINK_RECORD");
	decode_recording(path, rec, e);
	{
		/* On a kernel with netem, tc's qdisc is in the way of the next one. */
		const char *const del[] = {"tc",  "-n", ns_a,	"qdisc", "del",
					   "dev", if_a, "root", NULL};

		sys_run_capture(del, line, sizeof(line));
	}
}

static void check_same(const char *name, const struct netem_effect *a, const struct netem_effect *b,
		       bool compare_seed)
{
	CHECK_MSG(a->found && b->found, "%s: a request each (ccexp %d, tc %d)", name, a->found,
		  b->found);
	if (!a->found || !b->found)
		return;
	CHECK_MSG(a->flags == b->flags, "%s: flags %#x vs tc %#x", name, a->flags, b->flags);
	CHECK_MSG(a->ifindex == b->ifindex && a->handle == b->handle && a->parent == b->parent,
		  "%s: device, handle, parent", name);
	CHECK_MSG(!strcmp(a->kind, b->kind), "%s: kind %s vs %s", name, a->kind, b->kind);
	CHECK_MSG(a->have_stab == b->have_stab &&
		      (!a->have_stab || !memcmp(&a->stab, &b->stab, sizeof(a->stab))),
		  "%s: size table", name);
	/* tc sends whole ticks (64 ns) where they fit; ccexp the exact ns as well. */
	CHECK_MSG(llabs(a->latency_ns - b->latency_ns) < (1 << PSCHED_SHIFT),
		  "%s: latency %lld vs tc %lld ns", name, (long long)a->latency_ns,
		  (long long)b->latency_ns);
	CHECK_MSG(llabs(a->jitter_ns - b->jitter_ns) < (1 << PSCHED_SHIFT),
		  "%s: jitter %lld vs tc %lld ns", name, (long long)a->jitter_ns,
		  (long long)b->jitter_ns);
	CHECK_MSG(a->limit == b->limit, "%s: limit %u vs tc %u", name, a->limit, b->limit);
	CHECK_MSG(a->loss == b->loss, "%s: loss %u vs tc %u", name, a->loss, b->loss);
	CHECK_MSG(a->gap == b->gap && a->duplicate == b->duplicate, "%s: gap, duplicate", name);
	CHECK_MSG(a->gilbert_elliott == b->gilbert_elliott, "%s: loss model", name);
	CHECK_MSG(a->a1 == b->a1 && a->a2 == b->a2 && a->a3 == b->a3 && a->a4 == b->a4,
		  "%s: GE p r h k1 %u %u %u %u vs tc %u %u %u %u", name, a->a1, a->a2, a->a3, a->a4,
		  b->a1, b->a2, b->a3, b->a4);
	CHECK_MSG(a->rate == b->rate, "%s: rate %llu vs tc %llu", name, (unsigned long long)a->rate,
		  (unsigned long long)b->rate);
	CHECK_MSG(a->dist_len == b->dist_len &&
		      (!a->dist_len || !memcmp(a->dist, b->dist, a->dist_len * sizeof(int16_t))),
		  "%s: delay distribution (%zu vs %zu entries)", name, a->dist_len, b->dist_len);
	if (compare_seed)
		CHECK_MSG(a->have_seed == b->have_seed && a->seed == b->seed, "%s: seed", name);
}

static void ours(const struct netlink_qdisc *q, int ifindex, struct netem_effect *e)
{
	static char buf[16384];
	struct nlmsghdr *nlh = netlink_qdisc_request(buf, sizeof(buf), ifindex, q, 1);

	memset(e, 0, sizeof(*e));
	CHECK(nlh != NULL);
	if (nlh)
		decode_request(nlh, e);
}

/* The table as a .dist file: `tc ... distribution ccxnl` then sends the same entries. */
static void write_dist(const int16_t *t, int n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ccxnl.dist", tmp);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "# ccexp's normal distribution, cut at 3 sigma\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "%d%c", t[i], i % 8 == 7 ? '\n' : ' ');
	fclose(f);
}

/* The distribution the kernel draws from the table: a standard normal cut at +-3. */
static void test_table(const int16_t *t, int n)
{
	double sum = 0, sq = 0, z = 0.5 * erfc(-3 / M_SQRT2) - 0.5 * erfc(3 / M_SQRT2);
	/* The variance of a normal cut at +-3: 1 - 2 x 3 x phi(3) / z. */
	double want_sd = sqrt(1 - 2 * 3 * exp(-4.5) / sqrt(2 * M_PI) / z);
	bool sorted = true, symmetric = true;

	for (int i = 0; i < n; i++) {
		double x = (double)t[i] / NETEM_DIST_SCALE;

		sum += x;
		sq += x * x;
		if (i && t[i] < t[i - 1])
			sorted = false;
		if (t[i] != -t[n - 1 - i])
			symmetric = false;
	}
	CHECK_MSG(fabs(sum / n) < 0.001, "jitter table mean %.4f sigma", sum / n);
	CHECK_MSG(fabs(sqrt(sq / n) - want_sd) < 0.005, "jitter table sd %.4f, want %.4f",
		  sqrt(sq / n), want_sd);
	CHECK(sorted && symmetric);
	CHECK_MSG(abs(t[0]) <= 3 * NETEM_DIST_SCALE && abs(t[0]) > 2.9 * NETEM_DIST_SCALE,
		  "jitter table ends at %d", t[0]);
}

struct netem_case {
	const char *name;
	const char *link; /* link_spec settings */
	const char *tc;	  /* the same as tc says it */
};

static int make_ns(void)
{
	const char *const add_a[] = {"ip", "netns", "add", ns_a, NULL};
	const char *const add_b[] = {"ip", "netns", "add", ns_b, NULL};
	const char *const veth[] = {"ip",
				    "-n",
				    ns_a,
				    "link",
				    "add",
				    if_a,
				    "address",
				    "02:cc:ff:00:00:01",
				    "type",
				    "veth",
				    "peer",
				    "name",
				    if_b,
				    "address",
				    "02:cc:ff:00:00:02",
				    "netns",
				    ns_b,
				    NULL};
	const char *const addr_a[] = {"ip",  "-n", ns_a, "addr", "add", "198.18.250.1/30",
				      "dev", if_a, NULL};
	const char *const addr_b[] = {"ip",  "-n", ns_b, "addr", "add", "198.18.250.2/30",
				      "dev", if_b, NULL};
	const char *const up_a[] = {"ip", "-n", ns_a, "link", "set", if_a, "up", NULL};
	const char *const up_b[] = {"ip", "-n", ns_b, "link", "set", if_b, "up", NULL};
	/* Only our datagrams cross: no ARP, no IPv6 chatter. */
	const char *const neigh[] = {"ip",	"-n",		ns_a,	  "neigh",
				     "replace", "198.18.250.2", "lladdr", "02:cc:ff:00:00:02",
				     "dev",	if_a,		"nud",	  "permanent",
				     NULL};
	/* b answers a's datagrams (ICMP port unreachable): without this, its ARP request
	 * would draw a reply through a's shaped egress. */
	const char *const neigh_b[] = {"ip",	  "-n",		  ns_b,	    "neigh",
				       "replace", "198.18.250.1", "lladdr", "02:cc:ff:00:00:01",
				       "dev",	  if_b,		  "nud",    "permanent",
				       NULL};
	const char *const *cmds[] = {add_a, add_b, veth,  addr_a, addr_b,
				     up_a,  up_b,  neigh, neigh_b};
	int r;

	if (run(add_a) < 0)
		return -1;
	if (run(add_b) < 0)
		return -1;
	sys_write_sysctl(ns_a, "net/ipv6/conf/all/disable_ipv6", "1");
	sys_write_sysctl(ns_b, "net/ipv6/conf/all/disable_ipv6", "1");
	sys_write_sysctl(ns_a, "net/ipv6/conf/default/disable_ipv6", "1");
	sys_write_sysctl(ns_b, "net/ipv6/conf/default/disable_ipv6", "1");
	for (size_t i = 2; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		r = run(cmds[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static void drop_ns(void)
{
	const char *const del_a[] = {"ip", "netns", "del", ns_a, NULL};
	const char *const del_b[] = {"ip", "netns", "del", ns_b, NULL};

	run(del_a);
	run(del_b);
}

static int load_link(const char *settings, struct link_spec *l)
{
	char cfg[512], err[512], path[128];
	struct experiment *exp = calloc(1, sizeof(*exp));
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/case.cfg", tmp);
	snprintf(cfg, sizeof(cfg),
		 "experiment = { name = \"nl\"; duration_s = 1.0; };\n"
		 "link = { backend = \"netem\"; rate_mbit = 10.0; %s };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; } );\n",
		 settings);
	f = fopen(path, "w");
	if (!exp || !f) {
		free(exp);
		if (f)
			fclose(f);
		return -ENOMEM;
	}
	fputs(cfg, f);
	fclose(f);
	r = config_load(path, "cubic", exp, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "%s: %s\n", settings, err);
	else
		*l = exp->link;
	free(exp);
	return r;
}

/* Part 1: the netem requests of the plan against tc's. */
static void test_netem_encoding(int ifindex, bool tc_seed)
{
	static const struct netem_case cases[] = {
	    {"delay", "delay_ms = 20.0;", "delay 20ms"},
	    {"delay, odd", "delay_ms = 12.345;", "delay 12345us"},
	    {"jitter, reordering", "delay_ms = 20.0; jitter_ms = 2.0; jitter_reorder = true;",
	     "delay 20ms 2ms distribution ccxnl"},
	    {"jitter, in order", "delay_ms = 20.0; jitter_ms = 2.0;",
	     "delay 20ms 2ms distribution ccxnl rate 8000tbit"},
	    {"bernoulli loss", "delay_ms = 5.0; loss = 0.01;", "delay 5ms loss 1%"},
	    {"bernoulli loss, small", "loss = 0.0025;", "loss random 0.25%"},
	    {"gilbert-elliott",
	     "delay_ms = 10.0; loss_model = \"gilbert-elliott\"; ge_p = 0.01; ge_r = 0.3;"
	     " ge_loss_good = 0.005; ge_loss_bad = 0.9;",
	     "delay 10ms loss gemodel 1% 30% 90% 0.5%"},
	    {"gilbert-elliott, defaults",
	     "loss_model = \"gilbert-elliott\"; ge_p = 0.02; ge_r = 0.5;",
	     "loss gemodel 2% 50% 100% 0%"},
	};
	const uint32_t limits[2] = {4321, 1234};
	struct qdisc_plan *plan = calloc(1, sizeof(*plan));

	if (!plan)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct netem_case *c = &cases[i];
		struct netem_effect mine, theirs = {0};
		struct netlink_qdisc q;
		struct link_spec l;
		char args[256], *rec = NULL;

		if (load_link(c->link, &l) < 0) {
			CHECK_MSG(0, "%s: config", c->name);
			continue;
		}
		qdisc_plan_netem(plan, &l, 7, 100, 0, limits, ns_a, if_a, if_b);
		q = plan->dir[QDISC_UP].q[0];
		q.parent = NETLINK_ROOT;
		ours(&q, ifindex, &mine);
		if (i == 2)
			write_dist(plan->dist, QDISC_DIST_LEN);
		snprintf(args, sizeof(args), "stab overhead -14 netem %s limit %u", c->tc,
			 limits[0]);
		tc_netem(args, tc_seed, 7 * 2, &theirs, &rec);
		check_same(c->name, &mine, &theirs, tc_seed);
		/* The seed is the experiment's, per direction, whatever tc can say. */
		CHECK_MSG(mine.have_seed && mine.seed == 7 * 2, "%s: seed", c->name);
		/* And the kernel's semantics are the config's. */
		if (mine.gilbert_elliott) {
			CHECK(fabs(mine.a1 / 4294967296.0 - l.ge_p) < 1e-9);
			CHECK(fabs(mine.a2 / 4294967296.0 - l.ge_r) < 1e-9);
			CHECK(fabs((1 - mine.a3 / 4294967296.0) - l.ge_loss_bad) < 1e-9);
			CHECK(fabs(mine.a4 / 4294967296.0 - l.ge_loss_good) < 1e-9);
			CHECK(mine.loss == 0);
		} else {
			CHECK(fabs(mine.loss / 4294967296.0 - l.loss) < 1e-9);
		}
		CHECK(mine.latency_ns == llround(l.delay_ms * 1e6));
		CHECK(mine.jitter_ns == llround(l.jitter_ms * 1e6));
		printf("ok: netem %s: ccexp's request decodes as tc's \"%s\"\n", c->name, c->tc);
		free(rec);
	}
	/* The downlink: delay_down_ms, Bernoulli loss_down, its own seed; no rate, no tbf. */
	{
		struct netem_effect mine, theirs = {0};
		struct netlink_qdisc q;
		struct link_spec l;
		char *rec = NULL;

		if (load_link("delay_ms = 20.0; delay_down_ms = 5.0; loss_down = 0.001;", &l) ==
		    0) {
			qdisc_plan_netem(plan, &l, 7, 100, 0, limits, ns_a, if_b, if_a);
			CHECK(plan->dir[QDISC_DOWN].n == 1 && plan->dir[QDISC_UP].n == 3);
			q = plan->dir[QDISC_DOWN].q[0];
			ours(&q, ifindex, &mine);
			tc_netem("stab overhead -14 netem delay 5ms loss 0.1% limit 1234", tc_seed,
				 7 * 2 + 1, &theirs, &rec);
			check_same("downlink", &mine, &theirs, tc_seed);
			CHECK(mine.have_seed && mine.seed == 7 * 2 + 1);
			printf("ok: netem downlink: delay_down_ms and loss_down, as tc's\n");
			free(rec);
		}
	}
	free(plan);
}

/* Part 2: the kernel's answer to a netem request of ours. */
static void test_netem_kernel(struct netlink *nl, int ifindex)
{
	struct netlink_qdisc q = {
	    .kind = NETLINK_NETEM,
	    .handle = NETLINK_HANDLE(1, 0),
	    .parent = NETLINK_ROOT,
	    .size_overhead = -QDISC_ETH_HEADER,
	    .netem = {.latency_ns = 20000000, .loss = 0.01, .limit_pkts = 1000}};
	struct netlink_qdisc_stats s[4];
	char err[NETLINK_ERR_MAX], probe[256];
	int have = qdisc_probe_netem(probe, sizeof(probe)), r, n;

	r = netlink_qdisc_add(nl, ifindex, &q, err, sizeof(err));
	if (have == 0) {
		CHECK_MSG(r == 0, "netem add: %s", err);
		n = netlink_qdisc_stats(nl, ifindex, s, 4, err, sizeof(err));
		CHECK_MSG(n >= 1 && !strcmp(s[0].kind, "netem") && s[0].handle == q.handle,
			  "netem in the dump: %d %s", n, n > 0 ? s[0].kind : err);
		printf("ok: the kernel took ccexp's netem request\n");
		return;
	}
	CHECK_MSG(r == -ENOENT, "netem add without netem: %d", r);
	/* The kernel's own words (extack), not strerror's. */
	CHECK_MSG(strstr(err, "qdisc kind is unknown") != NULL, "the kernel's message: %s", err);
	CHECK_MSG(have == -ENOENT && strstr(probe, "qdisc kind is unknown"), "probe: %s", probe);
	printf("ok: without netem the kernel says \"%s\"\n", err);
	printf("SKIP netem: this kernel has no netem qdisc; the requests were compared with tc's "
	       "but not run\n");
}

/* link_choose(): auto takes netem where the kernel has it and netem + tbf can do the link. */
static void test_auto(void)
{
	struct link_spec l = {.backend = LINK_BACKEND_AUTO, .rate_mbit = 10};
	struct link_runtime lr;
	char err[256], probe[256], why[320];
	int have = qdisc_probe_netem(probe, sizeof(probe));

	CHECK(link_choose(&lr, &l, err, sizeof(err)) == 0);
	snprintf(why, sizeof(why), "%s -- %s", link_backend_name(lr.backend), lr.why);
	CHECK_MSG(lr.backend == (have == 0 ? LINK_BACKEND_NETEM : LINK_BACKEND_TUN), "auto: %s",
		  why);
	CHECK_MSG(have == 0 || strstr(lr.why, "no netem qdisc"), "auto: %s", why);
	snprintf(l.trace_up, sizeof(l.trace_up), "/x.up");
	CHECK(link_choose(&lr, &l, err, sizeof(err)) == 0);
	CHECK_MSG(lr.backend == LINK_BACKEND_TUN && strstr(lr.why, "trace-driven rate"), "%s",
		  lr.why);
	l.trace_up[0] = '\0';
	l.queue = LINK_QUEUE_CODEL;
	CHECK(link_choose(&lr, &l, err, sizeof(err)) == 0);
	CHECK_MSG(lr.backend == LINK_BACKEND_TUN && strstr(lr.why, "CoDel"), "%s", lr.why);
	l.backend = LINK_BACKEND_NETEM;
	l.queue = LINK_QUEUE_DROPTAIL;
	CHECK(link_choose(&lr, &l, err, sizeof(err)) == have);
	CHECK_MSG(have == 0 || (strstr(err, "no netem qdisc") && strstr(err, "\"tun\"")), "%s",
		  err);
	printf("ok: auto picks %s\n", why);
}

/* `tc -s qdisc show`'s "Sent B bytes P pkt (dropped D, ..." for qdisc `handle`. */
static int tc_counters(const char *handle, uint64_t *bytes, uint64_t *pkts, uint32_t *drops)
{
	const char *const argv[] = {"tc", "-n", ns_a, "-s", "qdisc", "show", "dev", if_a, NULL};
	char out[4096], want[32], *p;
	unsigned long long b, k;
	unsigned int d;

	if (sys_run_capture(argv, out, sizeof(out)) < 0)
		return -1;
	snprintf(want, sizeof(want), " %s ", handle);
	p = strstr(out, want);
	if (!p || !(p = strstr(p, "Sent ")) ||
	    sscanf(p, "Sent %llu bytes %llu pkt (dropped %u", &b, &k, &d) != 3)
		return -1;
	*bytes = b;
	*pkts = k;
	*drops = d;
	return 0;
}

/* Part 3: tbf + pfifo through netlink, and their counters against tc's. */
static void test_tbf(struct netlink *nl, int ifindex)
{
	struct link_spec l = {.rate_mbit = SHAPED_RATE_MBIT};
	struct qdisc_plan plan;
	struct netlink_qdisc_stats s[4], mid[4], base[4];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	char err[NETLINK_ERR_MAX], payload[UDP_PAYLOAD] = {0};
	int n, nmid, fd, self, r = 0;

	qdisc_plan_tc(&plan, &l, SHAPED_QUEUE, 0, ns_a, if_a);
	for (int i = 0; i < plan.dir[QDISC_UP].n && r == 0; i++) {
		r = netlink_qdisc_add(nl, ifindex, &plan.dir[QDISC_UP].q[i], err, sizeof(err));
		CHECK_MSG(r == 0, "add %s: %s", netlink_kind_name(plan.dir[QDISC_UP].q[i].kind),
			  err);
	}
	if (r)
		return;
	/* A second add of the same root is refused with the kernel's reason. */
	r = netlink_qdisc_add(nl, ifindex, &plan.dir[QDISC_UP].q[0], err, sizeof(err));
	CHECK_MSG(r == -EEXIST && err[0], "a second root: %d %s", r, err);

	/* What crossed before (the pfifo's own start) is not ours to count. */
	n = netlink_qdisc_stats(nl, ifindex, base, 4, err, sizeof(err));
	CHECK_MSG(n == 2, "two qdiscs before: %d (%s)", n, err);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || sys_enter_netns(ns_a) < 0)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setns(self, CLONE_NEWNET);
	close(self);
	inet_pton(AF_INET, "198.18.250.2", &to.sin_addr);
	for (int i = 0; i < UDP_COUNT; i++)
		sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
	nmid = netlink_qdisc_stats(nl, ifindex, mid, 4, err, sizeof(err));
	/* The queue drains at the rate: 20 packets of 1028 bytes at 1 Mbit/s take 165 ms. */
	usleep(400000);
	n = netlink_qdisc_stats(nl, ifindex, s, 4, err, sizeof(err));
	CHECK_MSG(n == 2 && nmid == 2, "two qdiscs: %d (%s)", n, err);
	if (n != 2 || nmid != 2)
		return;
	CHECK_MSG(!strcmp(s[0].kind, "tbf") && s[0].handle == NETLINK_HANDLE(1, 0), "tbf first");
	CHECK_MSG(!strcmp(s[1].kind, "pfifo") && s[1].parent == NETLINK_HANDLE(1, 1), "pfifo");
	CHECK_MSG(mid[0].qlen > 0 && mid[0].qlen <= SHAPED_QUEUE,
		  "the queue right after the burst: %u packets", mid[0].qlen);
	CHECK_MSG(mid[0].backlog == mid[0].qlen * UDP_IP_BYTES, "backlog %u in IP bytes",
		  mid[0].backlog);
	CHECK_MSG(s[0].qlen == 0 && s[0].backlog == 0, "drained");
	CHECK_MSG(s[0].packets - base[0].packets + s[0].drops - base[0].drops == UDP_COUNT,
		  "%llu sent + %u dropped = %d", (unsigned long long)s[0].packets, s[0].drops,
		  UDP_COUNT);
	CHECK_MSG(s[0].bytes - base[0].bytes == (s[0].packets - base[0].packets) * UDP_IP_BYTES,
		  "%llu bytes: IP bytes", (unsigned long long)s[0].bytes);
	CHECK_MSG(s[0].drops == s[1].drops && s[0].packets == s[1].packets,
		  "tbf counts its FIFO's drops");
	CHECK(s[0].packets >= SHAPED_QUEUE && s[0].packets <= SHAPED_QUEUE + 5);
	for (int i = 0; i < 2; i++) {
		uint64_t bytes = 0, pkts = 0;
		uint32_t drops = 0;
		char h[16];

		netlink_handle_str(s[i].handle, h, sizeof(h));
		CHECK_MSG(tc_counters(h, &bytes, &pkts, &drops) == 0, "tc -s shows %s", h);
		CHECK_MSG(bytes == s[i].bytes && pkts == s[i].packets && drops == s[i].drops,
			  "%s: netlink %llu B %llu pkt %u drops, tc -s %llu B %llu pkt %u drops", h,
			  (unsigned long long)s[i].bytes, (unsigned long long)s[i].packets,
			  s[i].drops, (unsigned long long)bytes, (unsigned long long)pkts, drops);
	}
	printf("ok: tbf + pfifo through netlink: %llu sent, %u dropped, as tc -s counts them\n",
	       (unsigned long long)s[0].packets, s[0].drops);
}

int main(int argc, char **argv)
{
	char err[NETLINK_ERR_MAX], out[512];
	const char *const tc_help[] = {"tc", "qdisc", "add", "dev", "lo", "netem", "help", NULL};
	int16_t table[QDISC_DIST_LEN];
	struct netlink nl;
	bool tc_seed;
	int ifindex;

	/* A reader that goes away (| head) must not stop the test before it cleans up. */
	signal(SIGPIPE, SIG_IGN);
	qdisc_normal_table(table, QDISC_DIST_LEN);
	test_table(table, QDISC_DIST_LEN);
	if (argc != 2)
		ccx_test_skip("usage: test_netlink RECORDER.so (run through meson test)");
	recorder = argv[1];
	if (geteuid() != 0)
		ccx_test_skip("needs root: network namespaces and qdiscs");
	if (access(recorder, R_OK) != 0)
		ccx_test_skip("the recorder object is missing");
	if (sys_run_capture((const char *const[]){"tc", "-V", NULL}, out, sizeof(out)) != 0)
		ccx_test_skip("tc (iproute2) is not installed");
	/* iproute2 before 6.6 has no `seed`: the seed is then checked on our side only. */
	sys_run_capture(tc_help, out, sizeof(out));
	tc_seed = strstr(out, "seed") != NULL;

	test_auto();
	snprintf(ns_a, sizeof(ns_a), "ccxnl%da", (int)getpid());
	snprintf(ns_b, sizeof(ns_b), "ccxnl%db", (int)getpid());
	snprintf(if_a, sizeof(if_a), "ccxnl%da", (int)getpid() % 10000000);
	snprintf(if_b, sizeof(if_b), "ccxnl%db", (int)getpid() % 10000000);
	snprintf(tmp, sizeof(tmp), "/tmp/nl-test-%d", (int)getpid());
	if (mkdir(tmp, 0700) < 0)
		ccx_test_skip("cannot make a scratch folder in /tmp");
	if (make_ns() < 0) {
		drop_ns();
		rmdir(tmp);
		fprintf(stderr, "cannot make the scratch namespaces\n");
		return 1;
	}
	if (netlink_open(&nl, ns_a, err, sizeof(err)) < 0) {
		CHECK_MSG(0, "netlink_open: %s", err);
	} else {
		ifindex = netlink_ifindex(&nl, if_a, err, sizeof(err));
		CHECK_MSG(ifindex > 0, "ifindex of %s: %s", if_a, err);
		CHECK(netlink_ifindex(&nl, "ccxnl-none", err, sizeof(err)) < 0 && err[0]);
		if (ifindex > 0) {
			test_netem_encoding(ifindex, tc_seed);
			test_netem_kernel(&nl, ifindex);
			{
				const char *const del[] = {"tc",  "-n", ns_a,	"qdisc", "del",
							   "dev", if_a, "root", NULL};

				sys_run_capture(del, out, sizeof(out));
			}
			test_tbf(&nl, ifindex);
		}
		netlink_close(&nl);
	}
	drop_ns();
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/tc.rec", tmp);
		unlink(path);
		snprintf(path, sizeof(path), "%s/ccxnl.dist", tmp);
		unlink(path);
		snprintf(path, sizeof(path), "%s/case.cfg", tmp);
		unlink(path);
		rmdir(tmp);
	}
	return ccx_test_result();
}
