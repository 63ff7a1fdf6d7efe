/* Unit tests of config_load(): accepted configs field by field, and every rejection message. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccx_test.h"
#include "config.h"

/* As read from /proc/sys/net/ipv4/tcp_available_congestion_control, newline and all. */
#define KNOWN_CC "reno cubic bbr\n"

/* Valid first lines, so that a case only spells out the part it breaks. */
#define EXP    "experiment = { name = \"t\"; duration_s = 10.0; };\n"
#define LINK   "link = { rate_mbit = 10.0; };\n"
#define FLOW_A "flows = ( { name = \"a\"; cc = \"cubic\"; } );\n"
/* Line 3: one flow with the given settings after name and cc. */
#define FLOW(settings) "flows = ( { name = \"a\"; cc = \"cubic\"; " settings " } );\n"

struct reject {
	const char *text;
	const char *msg; /* what follows "FILE:" in the error */
};

static const struct reject rejects[] = {
    /* Unknown settings, at every level. */
    {EXP LINK FLOW_A "plots = { formats = [\"png\"]; };\n",
     "4: plots: unknown setting (known: experiment, link, flows, collect)"},
    {"experiment = { name = \"t\"; duration_s = 10.0; repeat = 3; };\n" LINK FLOW_A,
     "1: experiment.repeat: unknown setting (known: name, duration_s, seed)"},
    {EXP "link = { rate_mbit = 10.0;\n  delay_ms = 20.0; };\n" FLOW_A,
     "3: link.delay_ms: unknown setting (known: rate_mbit, queue_pkts)"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {dst}\";"),
     "3: flows[0].cmd: unknown setting (known: name, cc, count, start_s, stop_s, sockops)"},
    {EXP LINK "flows = (\n"
	      "  { name = \"a\"; cc = \"cubic\"; },\n"
	      "  { name = \"b\"; cc = \"bbr\";\n"
	      "    sockops = { syn_rto = 200; }; }\n"
	      ");\n",
     "6: flows[1].sockops.syn_rto: unknown setting "
     "(known: syn_rto_ms, init_rwnd_pkts, init_cwnd_pkts, ecn)"},
    {EXP LINK FLOW_A "collect = { rtt_samples = true; };\n",
     "4: collect.rtt_samples: unknown setting (known: sample_interval_ms)"},

    /* Wrong types. */
    {EXP "link = { rate_mbit = \"50\"; };\n" FLOW_A, "2: link.rate_mbit: must be a number"},
    {EXP "link = { rate_mbit = 10.0; queue_pkts = 100.0; };\n" FLOW_A,
     "2: link.queue_pkts: must be an integer"},
    {"experiment = { name = \"t\"; duration_s = 10.0; seed = 1.5; };\n" LINK FLOW_A,
     "1: experiment.seed: must be an integer"},
    {EXP LINK FLOW("count = \"2\";"), "3: flows[0].count: must be an integer"},
    {"experiment = { name = 5; duration_s = 10.0; };\n" LINK FLOW_A,
     "1: experiment.name: must be a string"},
    {EXP LINK FLOW("sockops = { ecn = 1; };"), "3: flows[0].sockops.ecn: must be true or false"},
    {EXP "link = 50.0;\n" FLOW_A, "2: link: must be a group"},
    {"experiment = ( );\n" LINK FLOW_A, "1: experiment: must be a group"},
    {EXP LINK FLOW("sockops = 200;"), "3: flows[0].sockops: must be a group"},
    {EXP LINK FLOW_A "collect = 10;\n", "4: collect: must be a group"},
    {EXP LINK "flows = { name = \"a\"; cc = \"cubic\"; };\n", "3: flows: must be a list of groups"},
    {EXP LINK "flows = [ \"a\", \"b\" ];\n", "3: flows: must be a list of groups"},
    {EXP LINK "flows = ( { name = \"a\"; cc = \"cubic\"; },\n  \"b\" );\n",
     "4: flows[1]: must be a group"},

    /* Out of range. */
    {"experiment = { name = \"t\"; duration_s = 0.0; };\n" LINK FLOW_A,
     "1: experiment.duration_s: must be > 0 and <= 86400 (got 0.0)"},
    {"experiment = { name = \"t\"; duration_s = 86401; };\n" LINK FLOW_A,
     "1: experiment.duration_s: must be > 0 and <= 86400 (got 86401.0)"},
    {"experiment = { name = \"t\"; duration_s = 10.0; seed = -1; };\n" LINK FLOW_A,
     "1: experiment.seed: must be >= 0 (got -1)"},
    {EXP "link = { rate_mbit = 0.001; };\n" FLOW_A,
     "2: link.rate_mbit: must be between 0.01 and 100000 (got 0.001)"},
    {EXP "link = { rate_mbit = 100001; };\n" FLOW_A,
     "2: link.rate_mbit: must be between 0.01 and 100000 (got 100001.0)"},
    {EXP "link = { rate_mbit = 10.0; queue_pkts = 0; };\n" FLOW_A,
     "2: link.queue_pkts: must be between 1 and 1000000 (got 0)"},
    {EXP "link = { rate_mbit = 10.0; queue_pkts = 1000001; };\n" FLOW_A,
     "2: link.queue_pkts: must be between 1 and 1000000 (got 1000001)"},
    {EXP LINK FLOW("sockops = { syn_rto_ms = 0; };"),
     "3: flows[0].sockops.syn_rto_ms: must be between 1 and 120000 (got 0)"},
    {EXP LINK FLOW("sockops = { syn_rto_ms = 120001; };"),
     "3: flows[0].sockops.syn_rto_ms: must be between 1 and 120000 (got 120001)"},
    {EXP LINK FLOW("sockops = { init_rwnd_pkts = 65536; };"),
     "3: flows[0].sockops.init_rwnd_pkts: must be between 1 and 65535 (got 65536)"},
    {EXP LINK FLOW("sockops = { init_cwnd_pkts = 0; };"),
     "3: flows[0].sockops.init_cwnd_pkts: must be between 1 and 65535 (got 0)"},
    {EXP LINK FLOW("count = 0;"), "3: flows[0].count: must be between 1 and 256 (got 0)"},
    {EXP LINK FLOW("count = 257;"), "3: flows[0].count: must be between 1 and 256 (got 257)"},
    {EXP LINK FLOW_A "collect = { sample_interval_ms = 0; };\n",
     "4: collect.sample_interval_ms: must be between 1 and 10000 (got 0)"},
    {EXP LINK FLOW_A "collect = { sample_interval_ms = 10001; };\n",
     "4: collect.sample_interval_ms: must be between 1 and 10000 (got 10001)"},
    /* libconfig 1.5 wraps these to 200 and 10: the true value must be what is checked. */
    {EXP LINK FLOW("sockops = { syn_rto_ms = 4294967496; };"),
     "3: flows[0].sockops.syn_rto_ms: must be between 1 and 120000 (got 4294967496)"},
    {EXP "link = { rate_mbit = 4294967306; };\n" FLOW_A,
     "2: link.rate_mbit: must be between 0.01 and 100000 (got 4294967306.0)"},

    /* Congestion control. */
    {EXP LINK "flows = ( { name = \"a\"; cc = \"foo\"; } );\n",
     "3: flows[0].cc: unknown congestion control \"foo\" (available: reno cubic bbr)"},
    {EXP LINK "flows = ( { name = \"a\"; cc = \"\"; } );\n",
     "3: flows[0].cc: unknown congestion control \"\" (available: reno cubic bbr)"},

    /* The flow schedule. */
    {EXP LINK FLOW("start_s = 2.0; stop_s = 1.0;"),
     "3: flows[0].stop_s: stop_s (1.0) must be after start_s (2.0)"},
    {EXP LINK FLOW("start_s = 2; stop_s = 2.0;"),
     "3: flows[0].stop_s: stop_s (2.0) must be after start_s (2.0)"},
    {EXP LINK FLOW("stop_s = 12.5;"),
     "3: flows[0].stop_s: stop_s (12.5) must not be after experiment.duration_s (10.0)"},
    {EXP LINK FLOW("start_s = 10.0;"),
     "3: flows[0].start_s: start_s (10.0) must be before experiment.duration_s (10.0)"},
    {EXP LINK FLOW("start_s = 11;"),
     "3: flows[0].start_s: start_s (11.0) must be before experiment.duration_s (10.0)"},
    {EXP LINK FLOW("start_s = -1.0;"), "3: flows[0].start_s: must be >= 0 (got -1.0)"},

    /* Names. */
    {EXP LINK "flows = (\n"
	      "  { name = \"a\"; cc = \"cubic\"; },\n"
	      "  { name = \"b\"; cc = \"cubic\"; },\n"
	      "  { name = \"a\"; cc = \"bbr\"; }\n"
	      ");\n",
     "6: flows[2].name: duplicate flow name \"a\" (first at line 4)"},
    {EXP LINK "flows = ( { name = \"a b\"; cc = \"cubic\"; } );\n",
     "3: flows[0].name: invalid character ' ' in \"a b\" (allowed: A-Z a-z 0-9 _ -)"},
    {EXP LINK "flows = ( { name = \"a.b\"; cc = \"cubic\"; } );\n",
     "3: flows[0].name: invalid character '.' in \"a.b\" (allowed: A-Z a-z 0-9 _ -)"},
    {EXP LINK "flows = ( { name = \"a\\x01\"; cc = \"cubic\"; } );\n",
     "3: flows[0].name: invalid character '\\x01' (allowed: A-Z a-z 0-9 _ -)"},
    {EXP LINK "flows = ( { name = \"\"; cc = \"cubic\"; } );\n",
     "3: flows[0].name: must not be empty"},
    {EXP LINK "flows = ( { name = \"abcdefghijklmnopqrstuvwxyz012345\"; cc = \"cubic\"; } );\n",
     "3: flows[0].name: must be at most 31 characters (got 32)"},
    {"experiment = { name = \"../x\"; duration_s = 10.0; };\n" LINK FLOW_A,
     "1: experiment.name: invalid character '/' in \"../x\" (allowed: A-Z a-z 0-9 _ . -)"},
    {"experiment = { name = \"..\"; duration_s = 10.0; };\n" LINK FLOW_A,
     "1: experiment.name: must not be \".\" or \"..\""},
    {"experiment = { name = \"0123456789012345678901234567890123456789012345678901234567890123\";"
     " duration_s = 10.0; };\n" LINK FLOW_A,
     "1: experiment.name: must be at most 63 characters (got 64)"},

    /* Missing settings: the line is that of the group that should hold them. */
    {"", "1: experiment: missing (required)"},
    {LINK FLOW_A, "1: experiment: missing (required)"},
    {EXP FLOW_A, "1: link: missing (required)"},
    {EXP LINK, "1: flows: missing (required)"},
    {"# comment\nexperiment = { duration_s = 10.0; };\n" LINK FLOW_A,
     "2: experiment.name: missing (required)"},
    {"experiment = {\n  name = \"t\";\n};\n" LINK FLOW_A,
     "1: experiment.duration_s: missing (required)"},
    {EXP "link = { queue_pkts = 10; };\n" FLOW_A, "2: link.rate_mbit: missing (required)"},
    {EXP LINK "flows = (\n  { name = \"a\"; cc = \"cubic\"; },\n  { name = \"b\"; }\n);\n",
     "5: flows[1].cc: missing (required)"},
    {EXP LINK "flows = ( { cc = \"cubic\"; } );\n", "3: flows[0].name: missing (required)"},

    /* The flow list and the connection budget. */
    {EXP LINK "flows = ();\n", "3: flows: must have between 1 and 64 flows (got 0)"},
    {EXP LINK "flows = (\n"
	      "  { name = \"a\"; cc = \"cubic\"; count = 200; },\n"
	      "  { name = \"b\"; cc = \"bbr\"; count = 57; }\n"
	      ");\n",
     "5: flows[1].count: total connections over all flows must be at most 256 (got 257)"},
    {EXP LINK "flows = (\n"
	      "  { name = \"a\"; cc = \"cubic\"; count = 256; },\n"
	      "  { name = \"b\"; cc = \"bbr\"; }\n"
	      ");\n",
     "5: flows[1]: total connections over all flows must be at most 256 (got 257)"},

    /* What libconfig itself refuses. */
    {EXP "link = { rate_mbit = ; };\n" FLOW_A, "2: syntax error"},
    {EXP LINK "flows = (\n  { name = \"a\"; cc = \"cubic\"; }\n", "5: syntax error"},
    {"experiment = { name = \"t\"; name = \"u\"; duration_s = 10.0; };\n" LINK FLOW_A,
     "1: syntax error: duplicate setting name"},
};

static char tmpdir[PATH_MAX];
static char fixtures[PATH_MAX];
static const char *source_dir;

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

/* Loads `text` from a temporary file and checks the exact error, path included. */
static void check_reject(const char *what, const char *text, size_t len, const char *msg)
{
	char path[PATH_MAX + 32], want[PATH_MAX + 512], err[512];
	struct experiment exp;
	int r;

	snprintf(path, sizeof(path), "%s/%s.cfg", tmpdir, what);
	write_file(path, text, len);
	r = config_load(path, KNOWN_CC, &exp, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:%s", path, msg);
	CHECK_MSG(r == -EINVAL, "%s: r = %d", what, r);
	CHECK_STR_EQ(err, want);
	/* Nothing half-validated may be left for a caller that ignores the error. */
	CHECK(exp.nflows == 0 && exp.name[0] == '\0' && exp.seed == 1);
	CHECK(exp.flows[0].count == 1 && exp.flows[0].sockops.syn_rto_ms == CFG_UNSET);
	unlink(path);
}

static void test_rejects(void)
{
	size_t i;

	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "reject-%02zu", i);
		check_reject(what, rejects[i].text, strlen(rejects[i].text), rejects[i].msg);
	}
}

/* n flows named f0, f1, ... on lines 3, 4, ... */
static char *flows_text(int n)
{
	size_t len = 4096 + (size_t)n * 64, used;
	char *text = malloc(len);
	int i;

	if (!text)
		exit(1);
	used = snprintf(text, len, "%s%sflows = (\n", EXP, LINK);
	for (i = 0; i < n; i++)
		used +=
		    snprintf(text + used, len - used, "  { name = \"f%d\"; cc = \"reno\"; }%s\n", i,
			     i + 1 < n ? "," : "");
	snprintf(text + used, len - used, ");\n");
	return text;
}

static void test_flow_count(void)
{
	char path[PATH_MAX + 32], err[512];
	struct experiment exp;
	char *text;
	int r;

	text = flows_text(CFG_MAX_FLOWS + 1);
	check_reject("too-many-flows", text, strlen(text),
		     "3: flows: must have between 1 and 64 flows (got 65)");
	free(text);

	text = flows_text(CFG_MAX_FLOWS);
	snprintf(path, sizeof(path), "%s/max-flows.cfg", tmpdir);
	write_file(path, text, strlen(text));
	r = config_load(path, KNOWN_CC, &exp, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	CHECK(exp.nflows == CFG_MAX_FLOWS);
	CHECK_STR_EQ(exp.flows[CFG_MAX_FLOWS - 1].name, "f63");
	CHECK(exp.flows[CFG_MAX_FLOWS - 1].line == 3 + CFG_MAX_FLOWS);
	CHECK(experiment_conns(&exp) == CFG_MAX_FLOWS);
	unlink(path);
	free(text);
}

static void test_unreadable(void)
{
	static const char nul_text[] = "# a\0b\n";
	char path[PATH_MAX + 32], want[PATH_MAX + 512], err[512];
	struct experiment exp;
	int r;

	snprintf(path, sizeof(path), "%s/does-not-exist.cfg", tmpdir);
	r = config_load(path, KNOWN_CC, &exp, err, sizeof(err));
	CHECK(r == -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
	CHECK_STR_EQ(err, want);
	CHECK(exp.nflows == 0 && exp.seed == 1);

	r = config_load(tmpdir, KNOWN_CC, &exp, err, sizeof(err));
	CHECK(r == -EISDIR);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	CHECK_STR_EQ(err, want);

	/* libconfig would stop reading at the NUL; this message has no line number. */
	check_reject("nul-byte", nul_text, sizeof(nul_text) - 1,
		     " not a text file (NUL byte at offset 3)");
}

static void test_quickstart(void)
{
	char path[PATH_MAX + 64], err[512] = "unset";
	const struct flow_spec *a, *b;
	struct experiment exp;
	int r;

	snprintf(path, sizeof(path), "%s/configs/examples/quickstart.cfg", source_dir);
	r = config_load(path, KNOWN_CC, &exp, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	CHECK_STR_EQ(err, "");
	CHECK_STR_EQ(exp.name, "quickstart");
	CHECK(exp.duration_s == 10.0);
	CHECK(exp.seed == 1);
	CHECK(exp.link.rate_mbit == 50.0);
	CHECK(exp.link.queue_pkts == 100);
	CHECK(exp.collect.sample_interval_ms == 10);
	CHECK(exp.nflows == 2);
	CHECK(experiment_conns(&exp) == 2);

	a = &exp.flows[0];
	CHECK_STR_EQ(a->name, "a");
	CHECK_STR_EQ(a->cc, "cubic");
	CHECK(a->count == 1);
	CHECK(a->start_s == 0.0);
	CHECK(a->stop_s == 10.0);
	CHECK(a->sockops.syn_rto_ms == 200);
	CHECK(a->sockops.init_rwnd_pkts == 40);
	CHECK(a->sockops.init_cwnd_pkts == 20);
	CHECK(a->sockops.ecn == 0);
	CHECK(a->line == 6);

	b = &exp.flows[1];
	CHECK_STR_EQ(b->name, "b");
	CHECK_STR_EQ(b->cc, "bbr");
	CHECK(b->count == 1);
	CHECK(b->start_s == 2.0);
	CHECK(b->stop_s == 8.0);
	CHECK(b->sockops.syn_rto_ms == CFG_UNSET);
	CHECK(b->sockops.init_rwnd_pkts == CFG_UNSET);
	CHECK(b->sockops.init_cwnd_pkts == CFG_UNSET);
	CHECK(b->sockops.ecn == CFG_UNSET);
	CHECK(b->line == 8);
}

static int load_fixture(const char *name, const char *known_cc, struct experiment *exp)
{
	char path[PATH_MAX + 64], err[512];
	int r;

	snprintf(path, sizeof(path), "%s%s", fixtures, name);
	r = config_load(path, known_cc, exp, err, sizeof(err));
	CHECK_MSG(r == 0, "%s: %s", name, err);
	return r;
}

static void test_defaults(void)
{
	const struct flow_spec *f;
	struct experiment exp;

	if (load_fixture("minimal.cfg", KNOWN_CC, &exp))
		return;
	CHECK_STR_EQ(exp.name, "minimal");
	CHECK(exp.duration_s == 5.0);
	CHECK(exp.seed == 1);
	CHECK(exp.link.rate_mbit == 10.0);
	CHECK(exp.link.queue_pkts == 100);
	CHECK(exp.collect.sample_interval_ms == 10);
	CHECK(exp.nflows == 1);
	f = &exp.flows[0];
	CHECK_STR_EQ(f->name, "only");
	CHECK_STR_EQ(f->cc, "reno");
	CHECK(f->count == 1);
	CHECK(f->start_s == 0.0);
	CHECK(f->stop_s == 5.0);
	CHECK(f->sockops.syn_rto_ms == CFG_UNSET && f->sockops.init_rwnd_pkts == CFG_UNSET);
	CHECK(f->sockops.init_cwnd_pkts == CFG_UNSET && f->sockops.ecn == CFG_UNSET);
	CHECK(f->line == 4);
}

static void test_limits(void)
{
	struct experiment exp;

	if (!load_fixture("limits.cfg", KNOWN_CC, &exp)) {
		CHECK_STR_EQ(exp.name, "edge_1.2-3");
		CHECK(exp.duration_s == 86400.0 && exp.seed == 0);
		CHECK(exp.link.rate_mbit == 0.01 && exp.link.queue_pkts == 1000000);
		CHECK(exp.nflows == 2 && experiment_conns(&exp) == CFG_MAX_CONNS);
		CHECK_STR_EQ(exp.flows[0].name, "A_z-09");
		CHECK(exp.flows[0].count == 255 && exp.flows[0].stop_s == 86400.0);
		CHECK(exp.flows[0].sockops.syn_rto_ms == 120000);
		CHECK(exp.flows[0].sockops.init_rwnd_pkts == 65535);
		CHECK(exp.flows[0].sockops.init_cwnd_pkts == 65535);
		CHECK(exp.flows[0].sockops.ecn == 1);
		CHECK(exp.flows[1].start_s == 86399.5 && exp.flows[1].stop_s == 86399.75);
		CHECK(exp.flows[1].sockops.syn_rto_ms == 1 &&
		      exp.flows[1].sockops.ecn == CFG_UNSET);
		CHECK(exp.flows[1].line == 7);
		CHECK(exp.collect.sample_interval_ms == 10000);
	}
	if (!load_fixture("limits-other.cfg", KNOWN_CC, &exp)) {
		CHECK(exp.duration_s == 0.001 && exp.flows[0].stop_s == 0.001);
		CHECK(exp.link.rate_mbit == 100000.0 && exp.link.queue_pkts == 1);
		CHECK(exp.flows[0].count == CFG_MAX_CONNS);
		CHECK(exp.collect.sample_interval_ms == 1);
		if (sizeof(unsigned long) >= 8)
			CHECK(exp.seed == (unsigned long)LLONG_MAX);
	}
}

/* Seeds beyond 32 bits, which libconfig 1.5 would wrap unless written with L. */
static void test_big_seed(void)
{
	static const struct {
		const char *seed;
		unsigned long long want;
	} seeds[] = {
	    {"4294967297", 4294967297ULL},
	    {"4294967297L", 4294967297ULL},
	    {"0x100000001", 4294967297ULL},
	    {"2147483648", 2147483648ULL},
	};
	char path[PATH_MAX + 32], text[512], err[512];
	struct experiment exp;
	size_t i;
	int r;

	if (sizeof(unsigned long) < 8)
		return;
	snprintf(path, sizeof(path), "%s/seed.cfg", tmpdir);
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(text, sizeof(text),
			 "experiment = { name = \"t\"; seed = %s; # not: seed = 1;\n"
			 "  duration_s = 10.0; };\n" LINK FLOW_A,
			 seeds[i].seed);
		write_file(path, text, strlen(text));
		r = config_load(path, KNOWN_CC, &exp, err, sizeof(err));
		CHECK_MSG(r == 0, "%s", err);
		CHECK_MSG(exp.seed == seeds[i].want, "seed = %s read as %lu", seeds[i].seed,
			  exp.seed);
	}
	unlink(path);
}

static void test_api_edges(void)
{
	char path[PATH_MAX + 64], err[8];
	struct experiment exp;
	int r;

	/* Without a list of known algorithms any name goes: for configs from another host. */
	CHECK(load_fixture("minimal.cfg", NULL, &exp) == 0);

	/* A short buffer is truncated, never overrun; no buffer at all is allowed too. */
	snprintf(path, sizeof(path), "%s%s", fixtures, "minimal.cfg");
	memset(err, 'x', sizeof(err));
	r = config_load(path, "cubic", &exp, err, sizeof(err));
	CHECK(r == -EINVAL);
	CHECK(strlen(err) == sizeof(err) - 1 && strncmp(err, path, sizeof(err) - 1) == 0);
	CHECK(config_load(path, "cubic", &exp, NULL, 0) == -EINVAL);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	source_dir = getenv("CCX_SOURCE_DIR");
	if (!source_dir)
		ccx_test_skip("CCX_SOURCE_DIR is not set: run through meson test");
	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/config/", source_dir);
	snprintf(tmpdir, sizeof(tmpdir), "%s/ccx-test-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}

	test_quickstart();
	test_defaults();
	test_limits();
	test_big_seed();
	test_rejects();
	test_flow_count();
	test_unreadable();
	test_api_edges();

	rmdir(tmpdir);
	return ccx_test_result();
}
