/* Unit test of core/cfg_flat: a saved config as paths and values, as compare groups by them. */
#include "ccx_test.h"
#include "core/cfg_flat.h"

#include <errno.h>
#include <stdlib.h>

static char dir[] = "/tmp/ccx-cfgflat-XXXXXX";

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_values(void)
{
	char path[512], err[512] = "";
	struct cfg_flat f;
	int r;

	write_file("inc.cfg", "collect = { sample_interval_ms = 50; };\n", path, sizeof(path));
	write_file("a.cfg",
		   "experiment = { name = \"x\"; duration_s = 2.0; seed = 4423843088329334784; };\n"
		   "link = { rate_mbit = 20.0; queue_bdp = 0.5; ecn = true; };\n"
		   "flows = ( { name = \"a\"; cc = \"cubic\"; },\n"
		   "          { name = \"b\"; cc = \"reno\"; start_s = 1.25;\n"
		   "            sockops = { init_cwnd_pkts = { value = 20; side = \"sender\"; };\n"
		   "                        rto_min_ms = 20; }; } );\n"
		   "hosts = { tcp_rmem = \"4096 131072 6291456\"; };\n"
		   "x = { l = [1, 2, 3]; g = ( { k = 1; }, { k = 2; } ); };\n"
		   "@include \"inc.cfg\"\n",
		   path, sizeof(path));
	r = cfg_flat_read(path, &f, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	if (r == 0) {
		/* Integers beyond 32 bits as written: libconfig alone would wrap them. */
		CHECK_STR_EQ(cfg_flat_get(&f, "experiment.seed"), "4423843088329334784");
		CHECK_STR_EQ(cfg_flat_get(&f, "experiment.name"), "x");
		CHECK_STR_EQ(cfg_flat_get(&f, "experiment.duration_s"), "2.0");
		CHECK_STR_EQ(cfg_flat_get(&f, "link.queue_bdp"), "0.5");
		CHECK_STR_EQ(cfg_flat_get(&f, "link.ecn"), "true");
		CHECK_STR_EQ(cfg_flat_get(&f, "flows.a.cc"), "cubic");
		CHECK_STR_EQ(cfg_flat_get(&f, "flows.b.start_s"), "1.25");
		CHECK_STR_EQ(cfg_flat_get(&f, "flows.b.sockops.rto_min_ms"), "20");
		/* A knob with its side: by the sweep's path, and its parts. */
		CHECK_STR_EQ(cfg_flat_get(&f, "flows.b.sockops.init_cwnd_pkts"), "20");
		CHECK_STR_EQ(cfg_flat_get(&f, "flows.b.sockops.init_cwnd_pkts.side"), "sender");
		CHECK_STR_EQ(cfg_flat_get(&f, "hosts.tcp_rmem"), "4096 131072 6291456");
		CHECK_STR_EQ(cfg_flat_get(&f, "x.l"), "[1, 2, 3]");
		CHECK_STR_EQ(cfg_flat_get(&f, "x.g[1].k"), "2");
		CHECK_STR_EQ(cfg_flat_get(&f, "collect.sample_interval_ms"), "50");
		CHECK(cfg_flat_get(&f, "flows.c.cc") == NULL);
		CHECK(cfg_flat_get(&f, "link.delay_ms") == NULL);
		CHECK(f.nflows == 2 && !strcmp(f.flows[0], "a") && !strcmp(f.flows[1], "b"));
		CHECK_STR_EQ(f.items[0].path, "experiment.name");
	}
	cfg_flat_free(&f);
}

static void test_errors(void)
{
	char path[512], err[512] = "";
	struct cfg_flat f;

	write_file("bad.cfg", "link = { rate_mbit = 20.0;\nflows = ( );\n", path, sizeof(path));
	CHECK(cfg_flat_read(path, &f, err, sizeof(err)) == -EINVAL);
	CHECK_MSG(strstr(err, "bad.cfg:") != NULL, "%s", err);
	cfg_flat_free(&f);
	snprintf(path, sizeof(path), "%s/none.cfg", dir);
	CHECK(cfg_flat_read(path, &f, err, sizeof(err)) < 0);
	CHECK_MSG(strstr(err, "none.cfg") != NULL, "%s", err);
	cfg_flat_free(&f);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_values();
	test_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ccx_test_failures++;
	if (ccx_test_failures)
		fprintf(stderr, "%d failures\n", ccx_test_failures);
	return ccx_test_failures ? 1 : 0;
}
