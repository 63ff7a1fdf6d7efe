/* Unit tests of core/sweep.c: a config's `sweep` and `repeat` expanded into runs. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>

#include "ccx_test.h"
#include "core/config.h"
#include "core/log.h"
#include "core/sweep.h"

static const char known_cc[] = "reno cubic bbr";
static char tmpdir[] = "/tmp/ccx-test-sweep-XXXXXX";

static const char *write_cfg(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static const char base[] =
    "experiment = { name = \"buf\"; duration_s = 3.0; seed = 1; repeat = 2; };\n"
    "link = { rate_mbit = 20.0; delay_ms = 10.0; queue_bdp = 1.0; };\n"
    "flows = ( { name = \"a\"; cc = \"cubic\"; },\n"
    "          { name = \"b\"; cc = \"reno\";\n"
    "            sockops = { init_cwnd_pkts = { value = 10; side = \"sender\"; }; }; } );\n";

/* Loads base + `sweep` text; returns sweep_load's result, err set. */
static int load(const char *name, const char *sweep, bool force, struct sweep *sw, char *err,
		size_t errlen)
{
	char text[4096];
	const char *path;

	snprintf(text, sizeof(text), "%s%s", base, sweep);
	path = write_cfg(name, text);
	CHECK(path != NULL);
	return sweep_load(path, known_cc, NULL, NULL, force, sw, err, errlen);
}

/* The run's config, read back by libconfig's reader through config_load. */
static int run_config(const struct sweep_run *run, struct experiment *exp)
{
	char err[512];
	const char *path = write_cfg("run.cfg", run->config);
	int r = config_load(path, known_cc, exp, err, sizeof(err));

	CHECK_MSG(r == 0, "the run's config does not load: %s\n%s", err, run->config);
	return r;
}

static void test_expansion(void)
{
	static struct experiment exp;
	struct sweep sw;
	char err[1024];

	CHECK(load("expand.cfg",
		   "sweep = ( { set = \"link.queue_bdp\"; values = [0.5, 2.0]; },\n"
		   "          { zip = ( { set = \"flows.b.cc\"; values = [\"cubic\", \"bbr\"]; },\n"
		   "                    { set = \"flows[0].count\"; values = [2, 3]; } ); } );\n",
		   false, &sw, err, sizeof(err)) == 0);
	if (sw.nruns == 0) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(sw.nparams == 3 && sw.npoints == 4 && sw.repeat == 2 && sw.nruns == 8);
	CHECK_STR_EQ(sw.params[0].path, "link.queue_bdp");
	CHECK_STR_EQ(sw.params[2].path, "flows[0].count");
	CHECK(sw.params[0].group == 0 && sw.params[1].group == 1 && sw.params[2].group == 1);
	CHECK(sw.params[0].line == 6 && sw.params[1].line == 7 && sw.params[2].line == 8);
	/* The first entry varies slowest, repeats innermost; zipped values go together. */
	CHECK_STR_EQ(sw.runs[0].values[0], "0.5");
	CHECK_STR_EQ(sw.runs[0].values[1], "cubic");
	CHECK_STR_EQ(sw.runs[0].values[2], "2");
	CHECK_STR_EQ(sw.runs[2].values[1], "bbr");
	CHECK_STR_EQ(sw.runs[2].values[2], "3");
	CHECK_STR_EQ(sw.runs[4].values[0], "2.0");
	/* Numbers as a person writes them, in the tables and the run's config. */
	CHECK(strstr(sw.runs[0].config, "rate_mbit = 20.0;"));
	CHECK(strstr(sw.runs[0].config, "queue_bdp = 0.5;"));
	CHECK(sw.runs[1].repeat == 1 && sw.runs[5].index == 5);
	CHECK_STR_EQ(sw.runs[0].point_id, sw.runs[1].point_id);
	CHECK(strcmp(sw.runs[0].point_id, sw.runs[2].point_id) != 0);
	CHECK(strlen(sw.runs[3].run_id) == SWEEP_ID_LEN + 3 &&
	      !strcmp(sw.runs[3].run_id + 12, "-r1"));

	/* Seeds: repeat 0 keeps the config's; others are splitmix64(seed + r) in 63 bits
	 * (values from an independent implementation). */
	CHECK(sw.runs[0].seed == 1 && sw.runs[1].seed == 1682153688901572302UL);
	CHECK(sweep_seed(1, 2) == 2092789425003139053UL &&
	      sweep_seed(7, 1) == 2186024489510581814UL);

	/* Each run's config is an ordinary one with its values and seed. */
	if (run_config(&sw.runs[3], &exp) == 0) {
		CHECK(exp.link.queue_bdp == 0.5);
		CHECK_STR_EQ(exp.flows[1].cc, "bbr");
		CHECK(exp.flows[0].count == 3);
		CHECK(exp.seed == 1682153688901572302UL);
		CHECK(exp.repeat == 1 && !exp.has_sweep);
		/* The knob written as { value; side } keeps its side. */
		CHECK(exp.flows[1].sockops.value[CCX_KNOB_INIT_CWND] == 10);
	}
	CHECK(strstr(sw.runs[3].config, "sweep") == strstr(sw.runs[3].config, "sweep \"buf\""));
	CHECK(!strstr(sw.runs[3].config, "repeat"));
	CHECK(strstr(sw.runs[3].config, "side = \"sender\""));
	sweep_free(&sw);
}

/* A point's id is its config's: adding a value or reordering a list keeps the others'. */
static void test_stable_ids(void)
{
	struct sweep a, b;
	char err[1024];
	int same = 0;

	CHECK(load("ids-a.cfg",
		   "sweep = ( { set = \"link.queue_bdp\"; values = [0.5, 1.0]; },\n"
		   "          { set = \"flows.a.cc\"; values = [\"reno\", \"bbr\"]; } );\n",
		   false, &a, err, sizeof(err)) == 0);
	CHECK(load("ids-b.cfg",
		   "sweep = ( { set = \"flows.a.cc\"; values = [\"bbr\", \"reno\"]; },\n"
		   "          { set = \"link.queue_bdp\"; values = [4.0, 1.0, 0.5]; } );\n",
		   false, &b, err, sizeof(err)) == 0);
	CHECK(a.nruns == 8 && b.nruns == 12);
	for (int i = 0; i < a.nruns; i++)
		for (int j = 0; j < b.nruns; j++)
			same += !strcmp(a.runs[i].run_id, b.runs[j].run_id);
	CHECK_MSG(same == 8, "%d of 8 run ids kept", same);
	sweep_free(&a);
	sweep_free(&b);
}

/* Settings a sweep adds, flows by index, int literals beyond 32 bits, relative traces. */
static void test_settings(void)
{
	static struct experiment exp;
	struct sweep sw;
	char err[1024], text[2048], trace[PATH_MAX + 32];
	const char *path;

	CHECK(
	    load("add.cfg",
		 "sweep = ( { set = \"flows.a.sockops.syn_rto_ms\"; values = [200]; },\n"
		 "          { set = \"link.loss\"; values = [0.01]; },\n"
		 "          { set = \"link.rate_mbit\"; values = [50]; },\n"
		 "          { set = \"hosts.tcp_wmem\"; values = [\"4096 16384 67108864\"]; } );\n",
		 false, &sw, err, sizeof(err)) == 0);
	if (sw.nruns && run_config(&sw.runs[0], &exp) == 0) {
		CHECK_STR_EQ(exp.hosts.value[HS_TCP_WMEM], "4096 16384 67108864");
		CHECK(exp.flows[0].sockops.value[CCX_KNOB_SYN_RTO] == 200);
		CHECK(exp.link.loss == 0.01);
		CHECK(exp.link.rate_mbit == 50.0); /* an integer where a number is meant */
	}
	sweep_free(&sw);

	/* A flow's extra delay, not in the base config: each point's run has it, both ways. */
	{
		int r =
		    load("extra.cfg",
			 "sweep = ( { set = \"flows.b.extra_delay_ms\"; values = [0.0, 35.5]; } );\n",
			 false, &sw, err, sizeof(err));
		CHECK_MSG(r == 0, "%d %s", r, err);
	}
	CHECK(sw.nruns == 4);
	if (sw.nruns == 4 && run_config(&sw.runs[3], &exp) == 0) {
		CHECK(exp.flows[1].extra_delay_ms == 35.5 &&
		      exp.flows[1].extra_delay_down_ms == 35.5);
		CHECK(exp.flows[0].extra_delay_ms == 0 && exp.link.flow_delay);
	}
	if (sw.nruns == 4 && run_config(&sw.runs[0], &exp) == 0)
		CHECK(exp.flows[1].extra_delay_ms == 0 && !exp.link.flow_delay);
	sweep_free(&sw);

	snprintf(trace, sizeof(trace), "%s/t.trace", tmpdir);
	CHECK(write_cfg("t.trace", "1\n2\n3\n") != NULL);
	snprintf(text, sizeof(text),
		 "experiment = { name = \"big\"; duration_s = 1.0; seed = 5000000000; };\n"
		 "link = { backend = \"tun\"; trace_up = \"t.trace\"; rate_down_mbit = 10.0; };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; } );\n"
		 "sweep = ( { set = \"link.delay_ms\"; values = [1.0, 2.5]; } );\n");
	path = write_cfg("big.cfg", text);
	CHECK(sweep_load(path, known_cc, NULL, NULL, false, &sw, err, sizeof(err)) == 0);
	if (sw.nruns == 2) {
		CHECK(sw.repeat == 1 && sw.runs[1].seed == 5000000000UL);
		CHECK(strstr(sw.runs[1].config, "seed = 5000000000;"));
		CHECK_MSG(strstr(sw.runs[1].config, trace), "no absolute trace in:\n%s",
			  sw.runs[1].config);
		/* The run's config works from another folder. */
		CHECK(chdir("/") == 0);
		if (run_config(&sw.runs[1], &exp) == 0)
			CHECK(exp.link.delay_ms == 2.5 && exp.seed == 5000000000UL);
	}
	sweep_free(&sw);

	/* Without `sweep`, one point, `repeat` times. */
	{
		int r = load("plain.cfg", "", false, &sw, err, sizeof(err));
		CHECK_MSG(r == 0, "%d %s", r, err);
	}
	CHECK(sw.npoints == 1 && sw.nruns == 2 && sw.nparams == 0);
	sweep_free(&sw);
}

static void expect_error(const char *name, const char *sweep, bool force, const char *want)
{
	struct sweep sw;
	char err[1024] = "";
	int r = load(name, sweep, force, &sw, err, sizeof(err));

	CHECK_MSG(r == -EINVAL, "%s: %d, not -EINVAL (%s)", name, r, err);
	CHECK_MSG(strstr(err, want), "%s: \"%s\" lacks \"%s\"", name, err, want);
	CHECK_MSG(!strncmp(err, tmpdir, strlen(tmpdir)) && strstr(err, name),
		  "%s: \"%s\" does not start with the file", name, err);
	CHECK(sw.nruns == 0 && sw.runs == NULL);
	sweep_free(&sw);
}

static void test_errors(void)
{
	expect_error("e-type.cfg", "sweep = ( { set = \"experiment.seed\"; values = [1.5]; } );\n",
		     false, ":6: sweep[0]: experiment.seed takes an integer, not a number");
	expect_error(
	    "e-new.cfg", "sweep = ( { set = \"link.queue_pkts\"; values = [1.5]; } );\n", false,
	    ":6: sweep point (link.queue_pkts = 1.5): link.queue_pkts: must be an integer");
	expect_error("e-str.cfg", "sweep = ( { set = \"flows.a.cc\"; values = [1]; } );\n", false,
		     ":6: sweep[0]: flows.a.cc takes a string, not an integer");
	expect_error("e-top.cfg", "sweep = ( { set = \"lnk.rate_mbit\"; values = [1.0]; } );\n",
		     false, ":6: sweep[0].set: \"lnk.rate_mbit\": a path starts with");
	expect_error("e-flow.cfg", "sweep = ( { set = \"flows.c.cc\"; values = [\"bbr\"]; } );\n",
		     false, "no flows element is named \"c\"");
	expect_error("e-empty.cfg", "sweep = ( { set = \"link.delay_ms\"; values = []; } );\n",
		     false, ":6: sweep[0].values: is empty");
	expect_error("e-twice.cfg",
		     "sweep = ( { set = \"link.delay_ms\"; values = [1.0]; },\n"
		     "          { set = \"link.delay_ms\"; values = [2.0]; } );\n",
		     false,
		     ":7: sweep[1].set: \"link.delay_ms\" is already swept by sweep[0] (line 6)");
	expect_error("e-zip.cfg",
		     "sweep = ( { zip = ( { set = \"link.delay_ms\"; values = [1.0, 2.0]; },\n"
		     "                    { set = \"link.loss\"; values = [0.01]; } ); } );\n",
		     false, "has 1 values where the other settings of this zip have 2");
	/* A value the validator refuses names the entry and the point. */
	expect_error("e-cc.cfg",
		     "sweep = ( { set = \"link.delay_ms\"; values = [1.0]; },\n"
		     "          { set = \"flows.b.cc\"; values = [\"reno\", \"vegas2\"]; } );\n",
		     false,
		     ":7: sweep point (link.delay_ms = 1.0, flows.b.cc = vegas2): flows[1].cc: "
		     "unknown congestion control");
	expect_error(
	    "e-many.cfg",
	    "sweep = ( { set = \"link.delay_ms\"; values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, "
	    "7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, "
	    "20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0]; "
	    "},\n { set = \"link.loss\"; values = [0.0, 0.001, 0.002, 0.003, 0.004, 0.005, "
	    "0.006, 0.007, 0.008, 0.009, 0.01, 0.011, 0.012, 0.013, 0.014, 0.015, 0.016]; "
	    "} );\n",
	    false, "1088 runs (544 points x repeat 2) is more than 1000: --force runs them");
	expect_error("e-name.cfg",
		     "sweep = ( { set = \"experiment.name\"; values = [\"x\"]; } );\n", false,
		     "cannot be swept");
}

static void test_order(void)
{
	int a[50], b[50], c[50], seen[50] = {0};

	sweep_order(a, 50, false, 1);
	for (int i = 0; i < 50; i++)
		CHECK(a[i] == i);
	sweep_order(a, 50, true, 1);
	sweep_order(b, 50, true, 1);
	sweep_order(c, 50, true, 2);
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	CHECK(memcmp(a, c, sizeof(a)) != 0);
	for (int i = 0; i < 50; i++)
		seen[a[i]]++;
	for (int i = 0; i < 50; i++)
		CHECK(seen[i] == 1);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	log_verbosity = 0;
	test_expansion();
	test_stable_ids();
	test_errors();
	test_order();
	test_settings();
	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return ccx_test_result();
}
