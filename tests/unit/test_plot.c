/* Unit tests of `ccexp plot` on the committed results folder tests/fixtures/run-small. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <sys/stat.h>

#include "ccx_test.h"
#include "core/log.h"
#include "analysis/plot.h"
#include "analysis/series.h"

static char tmpdir[] = "/tmp/ccx-test-plot-XXXXXX";

/* The fixture's files, relative to the results folder. */
static const char *const fixture_files[] = {
    "config.cfg", "timeline/throughput.csv", "timeline/cwnd.csv", "events/retrans.csv", NULL,
};

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

static int copy_file(const char *from, const char *to)
{
	char *text = slurp(from);
	int r;

	if (!text)
		return -ENOENT;
	r = write_file(to, text);
	free(text);
	return r;
}

static void mkdirs(const char *rundir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/timeline", rundir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/events", rundir);
	mkdir(path, 0755);
}

/* A results folder results/<name>/<run> under the temporary directory, with the fixture's
 * files in it. */
static void make_run(const char *fixture, const char *name, const char *run, char *rundir,
		     size_t size)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(to, sizeof(to), "%s/%s", tmpdir, name);
	mkdir(to, 0755);
	snprintf(rundir, size, "%s/%s/%s", tmpdir, name, run);
	CHECK(mkdir(rundir, 0755) == 0);
	mkdirs(rundir);
	for (const char *const *f = fixture_files; *f; f++) {
		snprintf(from, sizeof(from), "%s/%s", fixture, *f);
		snprintf(to, sizeof(to), "%s/%s", rundir, *f);
		CHECK_MSG(copy_file(from, to) == 0, "copy %s", from);
	}
}

static char *read_in(const char *rundir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", rundir, rel);
	return slurp(path);
}

static void write_in(const char *rundir, const char *rel, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", rundir, rel);
	CHECK_MSG(write_file(path, text) == 0, "write %s", path);
}

static bool exists_in(const char *rundir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", rundir, rel);
	return access(path, F_OK) == 0;
}

static void remove_in(const char *rundir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", rundir, rel);
	unlink(path);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define CHECK_HAS(text, needle)                                                                    \
	CHECK_MSG((text) && strstr((text), (needle)), "script lacks: %s", (needle))
#define CHECK_LACKS(text, needle)                                                                  \
	CHECK_MSG((text) && !strstr((text), (needle)), "script has: %s", (needle))

static void check_scripts(const char *rundir)
{
	char *thr = read_in(rundir, "plots/throughput.gp");
	char *cwnd = read_in(rundir, "plots/cwnd.gp");
	char *srtt = read_in(rundir, "plots/srtt.gp");

	CHECK(thr && cwnd && srtt);
	if (!thr || !cwnd || !srtt)
		goto out;

	/* One line per flow in order of appearance, and their sum. */
	CHECK_HAS(thr, "set title 'nv-vs-cubic-small (run run-1): goodput per flow, ");
	CHECK_HAS(thr, "set ylabel 'goodput (Mbit/s)'");
	CHECK_HAS(thr, "data = 'plots/throughput.dat'");
	CHECK_HAS(thr, "data index 0 using 1:2 with lines lt 1 title 'nv'");
	CHECK_HAS(thr, "data index 1 using 1:2 with lines lt 2 title 'cubic'");
	CHECK_HAS(thr,
		  "data index 2 using 1:2 with lines lc rgb 'black' lw 2 dt (10,5) title 'total'");
	CHECK_HAS(thr, "on a grid of 0.1 s");
	CHECK_HAS(thr, "set output 'plots/throughput.png'");
	CHECK(count(thr, "with lines") == 3);
	CHECK_LACKS(thr, "@");

	/* One line per connection, and the sender's retransmits of each on it, all read from
	 * one data file of a block per series. */
	CHECK_HAS(cwnd, "set ylabel 'cwnd (packets)'");
	CHECK_HAS(cwnd,
		  "set title 'nv-vs-cubic-small (run run-1): congestion window per connection'");
	CHECK_HAS(cwnd, "data = 'plots/cwnd.dat'");
	CHECK_HAS(cwnd, "data index 0 using 1:2 with lines lt 1 title 'nv#0'");
	CHECK_HAS(cwnd, "data index 1 using 1:2 with lines lt 2 title 'nv#1'");
	CHECK_HAS(cwnd, "data index 2 using 1:2 with lines lt 3 title 'cubic#0'");
	CHECK_HAS(cwnd, "using 1:2 with points lt 1 pt 7");
	CHECK_HAS(cwnd, "using 1:2 with points lt 2 pt 7");
	CHECK_HAS(cwnd, "using 1:2 with points lt 3 pt 7");
	CHECK_HAS(cwnd, "keyentry with points");
	CHECK(count(cwnd, "with lines") == 3);
	CHECK(count(cwnd, "with points lt") == 3);
	CHECK(count(cwnd, "data index") == 6);
	CHECK_LACKS(cwnd, "timeline/cwnd.csv'");
	CHECK_LACKS(cwnd, "filledcurves");
	CHECK_LACKS(cwnd, "@");

	CHECK_HAS(srtt, "set ylabel 'smoothed RTT (ms)'");
	CHECK_HAS(srtt, "data = 'plots/srtt.dat'");
	CHECK_HAS(srtt, "data index 0 using 1:2 with lines lt 1 title 'nv#0'");
	CHECK_HAS(srtt, "data index 1 using 1:2 with lines lt 2 title 'nv#1'");
	CHECK_HAS(srtt, "data index 2 using 1:2 with lines lt 3 title 'cubic#0'");
	CHECK(count(srtt, "data index") == 3);
out:
	free(thr);
	free(cwnd);
	free(srtt);
}

/* A PNG file of some substance: the signature, and more than an empty frame's bytes. */
static void check_png(const char *rundir, const char *rel)
{
	static const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	unsigned char head[8] = {0};
	char path[PATH_MAX];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", rundir, rel);
	f = fopen(path, "rb");
	CHECK_MSG(f != NULL, "no %s", path);
	if (!f)
		return;
	CHECK(fread(head, 1, sizeof(head), f) == sizeof(head));
	fclose(f);
	CHECK_MSG(memcmp(head, magic, sizeof(magic)) == 0, "%s is not a PNG", path);
	CHECK(stat(path, &st) == 0);
	CHECK_MSG(st.st_size > 10000, "%s has only %lld bytes", path, (long long)st.st_size);
}

/* The variations: missing files, an empty timeline, odd names, broken headers. */
static void test_variations(const char *fixture)
{
	char rundir[PATH_MAX], *s;

	/* Without retrans.csv the cwnd chart has no marks; without throughput.csv no chart. */
	make_run(fixture, "variants", "no-retrans", rundir, sizeof(rundir));
	remove_in(rundir, "events/retrans.csv");
	remove_in(rundir, "timeline/throughput.csv");
	CHECK(plot_run_dir(rundir, false) == 0);
	CHECK(!exists_in(rundir, "plots/throughput.gp"));
	s = read_in(rundir, "plots/cwnd.gp");
	CHECK_LACKS(s, "with points");
	CHECK_LACKS(s, "keyentry");
	CHECK_HAS(s, "title 'nv#1'");
	free(s);

	/* Receiver-side retransmits are not marked on the sender's cwnd. One flow: no total. */
	make_run(fixture, "variants", "receiver-only", rundir, sizeof(rundir));
	write_in(rundir, "events/retrans.csv",
		 "t_s,flow,conn,side,seq,segs,result,cwnd_pkts,ssthresh_pkts,srtt_us\n"
		 "0.040213,nv,0,receiver,1234,1,0,10,2147483647,0\n");
	write_in(rundir, "timeline/throughput.csv",
		 "t_s,flow,goodput_mbit\n"
		 "0.100,nv,10.000\n"
		 "0.200,nv,12.000\n");
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/cwnd.gp");
	CHECK_LACKS(s, "with points");
	CHECK_LACKS(s, "keyentry");
	free(s);
	s = read_in(rundir, "plots/throughput.gp");
	CHECK_HAS(s, "title 'nv'");
	CHECK_LACKS(s, "title 'total'");
	free(s);

	/* A header and no rows: the charts say "no data". */
	make_run(fixture, "variants", "empty", rundir, sizeof(rundir));
	write_in(rundir, "timeline/throughput.csv", "t_s,flow,goodput_mbit\n");
	write_in(rundir, "timeline/cwnd.csv",
		 "t_s,flow,conn,cwnd_pkts,ssthresh_pkts,srtt_us,packets_out,total_retrans,"
		 "bytes_acked\n");
	write_in(rundir, "events/retrans.csv",
		 "t_s,flow,conn,side,seq,segs,result,cwnd_pkts,ssthresh_pkts,srtt_us\n");
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/throughput.gp");
	CHECK_HAS(s, "'no data in timeline/");
	free(s);
	s = read_in(rundir, "plots/cwnd.gp");
	CHECK_HAS(s, "'no data in timeline/");
	free(s);

	/* With config.cfg, the title names the experiment it says, wherever the folder is. */
	make_run(fixture, "elsewhere", "r2", rundir, sizeof(rundir));
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/throughput.gp");
	CHECK_HAS(s, "set title 'nv-vs-cubic-small (run r2): goodput per flow, ");
	free(s);

	/* Names are quoted for gnuplot, CSV quotes are read, extra columns and CRLF line ends
	 * are fine, and without srtt_us there is no srtt chart. */
	make_run(fixture, "it's", "odd", rundir, sizeof(rundir));
	write_in(rundir, "timeline/throughput.csv",
		 "extra,t_s,flow,goodput_mbit\r\n"
		 "x,0.100,o'neil jr,1.000\r\n"
		 "x,0.100,\"quoted\",2.000\r\n"
		 "x,0.200,o'neil jr,1.500\r\n"
		 "x,0.200,quoted,2.500\r\n");
	write_in(rundir, "timeline/cwnd.csv",
		 "t_s,flow,conn,cwnd_pkts\n"
		 "0.100,a b,0,10\n"
		 "0.200,a b,0,12\n");
	remove_in(rundir, "events/retrans.csv");
	remove_in(rundir, "config.cfg"); /* the name then comes from the folder */
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/throughput.gp");
	CHECK_HAS(s, "set title 'it''s (run odd): goodput per flow, per 100 ms interval'");
	CHECK_HAS(s, "with lines lt 1 title 'o''neil jr'");
	CHECK_HAS(s, "with lines lt 2 title 'quoted'");
	CHECK(count(s, "with lines") == 3);
	free(s);
	s = read_in(rundir, "plots/cwnd.gp");
	CHECK_HAS(s, "with lines lt 1 title 'a b#0'");
	free(s);
	CHECK(!exists_in(rundir, "plots/srtt.gp"));

	/* The goodput lines are each flow's mean over plots.goodput_window_ms (100 by default),
	 * centred: 0 and 100 Mbit/s in turn every 10 ms draw as 50 (the ends' cut windows aside),
	 * and the total is the sum of the smoothed flows; a window of 0 keeps the intervals. */
	make_run(fixture, "variants", "smooth", rundir, sizeof(rundir));
	{
		char csv[8192];
		size_t len = (size_t)snprintf(csv, sizeof(csv), "t_s,flow,goodput_mbit\n");

		for (int i = 1; i <= 100; i++)
			len += (size_t)snprintf(csv + len, sizeof(csv) - len,
						"%.3f,a,%d\n%.3f,b,10\n", i * 0.01,
						i % 2 ? 0 : 100, i * 0.01);
		write_in(rundir, "timeline/throughput.csv", csv);
	}
	write_in(rundir, "config.cfg",
		 "experiment = { name = \"smooth\"; duration_s = 1.0; };\n"
		 "link = { backend = \"tun\"; rate_mbit = 100.0; };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; }, { name = \"b\"; cc = \"reno\"; } );\n");
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/throughput.gp");
	CHECK_HAS(s, "goodput per flow, mean over 100 ms (plots.goodput_window_ms)'");
	free(s);
	s = read_in(rundir, "plots/throughput.dat");
	/* a's block at 0.5 s: 11 values centred there, 5 of 100 and 6 of 0 or the reverse */
	CHECK_MSG(s && (strstr(s, "\n0.500000 45.4545\n") || strstr(s, "\n0.500000 54.5455\n")),
		  "a at 0.5 s not smoothed: %.300s", s ? s : "");
	CHECK_MSG(s && (strstr(s, "\n0.5 55.4545\n") || strstr(s, "\n0.5 64.5455\n")),
		  "total at 0.5 s not the smoothed sum");
	free(s);
	write_in(rundir, "config.cfg",
		 "experiment = { name = \"smooth\"; duration_s = 1.0; };\n"
		 "link = { backend = \"tun\"; rate_mbit = 100.0; };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; }, { name = \"b\"; cc = \"reno\"; } );\n"
		 "plots = { goodput_window_ms = 0; };\n");
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/throughput.dat");
	CHECK_MSG(s && strstr(s, "\n0.500000 100\n") && strstr(s, "\n0.510000 0\n"),
		  "a with window 0 not raw");
	free(s);
	s = read_in(rundir, "plots/throughput.gp");
	CHECK_HAS(s, "goodput per flow, per 10 ms interval'");
	free(s);

	/* A header without a needed column is an error, but the other charts are drawn. */
	make_run(fixture, "variants", "bad-header", rundir, sizeof(rundir));
	write_in(rundir, "timeline/throughput.csv", "t_s,flow,mbit\n0.1,nv,1\n");
	CHECK(plot_run_dir(rundir, false) == -EINVAL);
	CHECK(!exists_in(rundir, "plots/throughput.gp"));
	CHECK(exists_in(rundir, "plots/cwnd.gp"));

	/* An empty file (no header at all) is an error too. */
	make_run(fixture, "variants", "no-header", rundir, sizeof(rundir));
	write_in(rundir, "events/retrans.csv", "");
	CHECK(plot_run_dir(rundir, false) == -EINVAL);
	s = read_in(rundir, "plots/cwnd.gp");
	CHECK_HAS(s, "title 'nv#0'");
	CHECK_LACKS(s, "with points");
	free(s);

	CHECK(plot_run_dir("/nonexistent/ccx-test-plot", false) == -ENOENT);
}

/* With gnuplot nowhere on PATH, rendering fails with -ENOENT after writing the scripts. */
static void test_no_gnuplot(const char *fixture)
{
	char rundir[PATH_MAX], empty[PATH_MAX], *path = getenv("PATH");
	char *saved = path ? strdup(path) : NULL;

	snprintf(empty, sizeof(empty), "%s/empty-bin", tmpdir);
	CHECK(mkdir(empty, 0755) == 0);
	make_run(fixture, "variants", "no-gnuplot", rundir, sizeof(rundir));
	setenv("PATH", empty, 1);
	CHECK(plot_run_dir(rundir, true) == -ENOENT);
	if (saved)
		setenv("PATH", saved, 1);
	else
		unsetenv("PATH");
	free(saved);
	CHECK(exists_in(rundir, "plots/cwnd.gp"));
	CHECK(!exists_in(rundir, "plots/cwnd.png"));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* The largest y value gnuplot itself read for a chart (GPVAL_DATA_Y_MAX), or -1. */
static double gnuplot_y_max(const char *rundir, const char *script)
{
	char cmd[PATH_MAX + 128], out[256] = "";
	double v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf 'load \"%s\"\nprint GPVAL_DATA_Y_MAX\n' | gnuplot 2>&1", rundir,
		 script);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(out, sizeof(out), p))
		sscanf(out, "%lf", &v);
	pclose(p);
	return v;
}

/* A writer killed mid-row leaves a last row without its line end: the reader leaves it out,
 * and so must gnuplot, which reads the CSV itself. Here the cut row would carry a cwnd of
 * 99999, far above the fixture's. */
static void test_cut_row(const char *fixture)
{
	char rundir[PATH_MAX], path[PATH_MAX], *s;
	double whole, cut;
	FILE *f;

	make_run(fixture, "variants", "cut", rundir, sizeof(rundir));
	CHECK(plot_run_dir(rundir, true) == 0);
	whole = gnuplot_y_max(rundir, "plots/cwnd.gp");
	CHECK_MSG(whole > 10 && whole < 1000, "cwnd y max %g", whole);

	CHECK(snprintf(path, sizeof(path), "%s/timeline/cwnd.csv", rundir) < (int)sizeof(path));
	f = fopen(path, "a");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("6.100,nv,0,99999", f);
	fclose(f);
	CHECK(plot_run_dir(rundir, true) == 0);
	s = read_in(rundir, "plots/cwnd.dat");
	CHECK_LACKS(s, "99999");
	free(s);
	cut = gnuplot_y_max(rundir, "plots/cwnd.gp");
	CHECK_MSG(cut == whole, "with a cut row gnuplot read a cwnd up to %g (whole rows: %g)", cut,
		  whole);
}

/* Lines of the data block that starts with the comment `head` in a .dat file. */
static int block_lines(const char *dat, const char *head)
{
	const char *p = dat ? strstr(dat, head) : NULL;
	int n = 0;

	if (!p)
		return -1;
	for (p = strchr(p, '\n'); p && p[1] && p[1] != '\n'; p = strchr(p + 1, '\n'))
		n++;
	return n;
}

/*
 * 3 flows x 20 connections x 500 samples every 10 ms. Connection c of flow f has a cwnd of
 * 100 (f + 1) + c + (k % 7) at sample k and an srtt of 10 + c ms, so at every sample time a
 * flow's values are 20 consecutive numbers: median base + 9.5, 10th percentile base + 1.9,
 * 90th base + 17.1. Flow f0's connections retransmit 30 times each, at a cwnd of 50.
 */
static void make_many(const char *run, const char *cfg_extra, char *rundir, size_t size)
{
	char path[PATH_MAX];
	FILE *c, *r;

	snprintf(path, sizeof(path), "%s/many", tmpdir);
	mkdir(path, 0755);
	snprintf(rundir, size, "%s/many/%s", tmpdir, run);
	CHECK(mkdir(rundir, 0755) == 0);
	mkdirs(rundir);
	snprintf(path, sizeof(path), "experiment = { name = \"many\"; duration_s = 5.0; };\n%s",
		 cfg_extra);
	write_in(rundir, "config.cfg", path);
	snprintf(path, sizeof(path), "%s/timeline/cwnd.csv", rundir);
	c = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/events/retrans.csv", rundir);
	r = fopen(path, "w");
	CHECK(c && r);
	if (!c || !r)
		return;
	fputs("t_s,flow,conn,cwnd_pkts,ssthresh_pkts,srtt_us,packets_out,total_retrans,"
	      "bytes_acked\n",
	      c);
	fputs("t_s,flow,conn,side,seq,segs,result,cwnd_pkts,ssthresh_pkts,srtt_us\n", r);
	for (int k = 1; k <= 500; k++)
		for (int f = 0; f < 3; f++)
			for (int n = 0; n < 20; n++) {
				fprintf(c, "%.3f,f%d,%d,%d,10,%d,1,0,1\n", k * 0.01, f, n,
					100 * (f + 1) + n + k % 7, (10 + n) * 1000);
				if (f == 0 && k % 16 == 0 && k <= 480)
					fprintf(r, "%.6f,f0,%d,sender,1,1,0,50,10,1000\n",
						k * 0.01 + 0.001, n);
			}
	fclose(c);
	fclose(r);
}

/* Many connections: a line and band per flow, each read once from the data file; the
 * setting plots.per_connection_max raises the threshold. With `render`, what gnuplot reads
 * from the folders the call without it made. */
static void test_many(bool render)
{
	char rundir[PATH_MAX], *s, *dat;
	double y;

	if (render)
		goto render;
	make_many("per-flow", "", rundir, sizeof(rundir));
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/cwnd.gp");
	CHECK_HAS(s, "congestion window per flow'");
	CHECK_HAS(s, "data index 0 using 1:3:4 with filledcurves lt 1");
	CHECK_HAS(s, "data index 0 using 1:2 with lines lt 1 title 'f0 (20 connections)'");
	CHECK_HAS(s, "data index 1 using 1:2 with lines lt 2 title 'f1 (20 connections)'");
	CHECK_HAS(s, "data index 2 using 1:2 with lines lt 3 title 'f2 (20 connections)'");
	CHECK_HAS(s, "data index 3 using 1:2 with points lt 1");
	/* Each block is named once per way it is drawn: band + line per flow, one set of marks. */
	CHECK(count(s, "data index") == 7);
	CHECK(count(s, "with lines") == 3);
	CHECK(count(s, "with filledcurves lt") == 3);
	free(s);
	dat = read_in(rundir, "plots/cwnd.dat");
	CHECK_MSG(block_lines(dat, "# cwnd of flow f0:") == 500, "f0 has %d bins",
		  block_lines(dat, "# cwnd of flow f0:"));
	/* 600 retransmits, thinned to 200 evenly picked. */
	CHECK_MSG(block_lines(dat, "# retransmits of f0") == 200, "%d marks",
		  block_lines(dat, "# retransmits of f0"));
	/* At t = 0.07 s (k = 7, k % 7 = 0) flow f1's 20 values are 200..219. */
	CHECK_HAS(dat, "\n0.07 209.5 201.9 217.1 20\n");
	free(dat);
	s = read_in(rundir, "plots/srtt.gp");
	CHECK(count(s, "data index") == 6);
	CHECK(count(s, "with filledcurves lt") == 3);
	free(s);

	make_many("per-conn", "plots = { per_connection_max = 60; };\n", rundir, sizeof(rundir));
	CHECK(plot_run_dir(rundir, false) == 0);
	s = read_in(rundir, "plots/cwnd.gp");
	CHECK_HAS(s, "congestion window per connection'");
	CHECK(count(s, "with lines") == 60);
	CHECK(count(s, "with points lt") == 20);
	CHECK(count(s, "data index") == 80);
	CHECK_HAS(s, "data index 59 using 1:2 with lines lt 12 title 'f2#19'");
	CHECK_LACKS(s, "filledcurves");
	free(s);
	return;
render:
	/* What gnuplot itself reads: the highest 90th percentile, 300 + 6 + 17.1 = 323.1 for
	 * cwnd and 10 + 17.1 ms for srtt; per connection the highest cwnd, 300 + 19 + 6. */
	snprintf(rundir, sizeof(rundir), "%s/many/per-flow", tmpdir);
	CHECK(plot_run_dir(rundir, true) == 0);
	y = gnuplot_y_max(rundir, "plots/cwnd.gp");
	CHECK_MSG(fabs(y - 323.1) < 1e-6, "cwnd y max %g", y);
	y = gnuplot_y_max(rundir, "plots/srtt.gp");
	CHECK_MSG(fabs(y - 27.1) < 1e-6, "srtt y max %g", y);
	snprintf(rundir, sizeof(rundir), "%s/many/per-conn", tmpdir);
	CHECK(plot_run_dir(rundir, true) == 0);
	y = gnuplot_y_max(rundir, "plots/cwnd.gp");
	CHECK_MSG(y == 325, "cwnd y max %g", y);
}

static bool have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	char exe[PATH_MAX];
	bool found = false;

	if (!path)
		return false;
	copy = strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(exe, sizeof(exe), "%s/gnuplot", dir);
		found = access(exe, X_OK) == 0;
	}
	free(copy);
	return found;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* Quantile of sorted values, interpolated between neighbours, as the chart's band means it. */
static double ref_quantile(const float *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t lo = (size_t)pos;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * (pos - (double)lo);
}

/* flow_bins' per-bin median, 10th and 90th percentile and count against a sort of each bin's
 * values, for times on a grid (bins filled by counting) and times far apart (bins by a sort),
 * with ties, one-value bins and NaN values (left out). */
static void test_flow_bins(void)
{
	for (int scattered = 0; scattered < 2; scattered++) {
		enum { N = 3000, BINS = 40 };
		static struct sample v[N];
		static float ref[N];
		char *text = NULL, *line, *save;
		size_t len = 0, lines = 0;
		unsigned int seed = 7;
		FILE *f = open_memstream(&text, &len);

		CHECK(f != NULL);
		if (!f)
			return;
		for (size_t i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			long bin = (long)(seed >> 16) % BINS;

			v[i].t_s = (scattered ? bin * 1e7 : (double)bin) * 0.01 + 0.001;
			v[i].v = (seed >> 8) % 7 == 0 ? NAN : (float)((seed >> 4) % 50) / 4.0f;
			v[i].srtt_ms = 0;
		}
		v[N - 1].t_s = (scattered ? (BINS + 3) * 1e7 : BINS + 3) * 0.01;
		v[N - 1].v = 2.5f;
		CHECK(flow_bins(f, v, N, false, 0.01) > 0);
		fclose(f);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			double t, med, p10, p90;
			size_t k, m = 0;

			CHECK(sscanf(line, "%lf %lf %lf %lf %zu", &t, &med, &p10, &p90, &k) == 5);
			for (size_t i = 0; i < N; i++)
				if (!isnan(v[i].v) &&
				    fabs(v[i].t_s - t) < 0.005 * (scattered ? 1e7 : 1))
					ref[m++] = v[i].v;
			qsort(ref, m, sizeof(*ref), cmp_float);
			CHECK_MSG(k == m && m > 0, "bin at %g: %zu values, expected %zu", t, k, m);
			if (k != m || !m)
				continue;
			CHECK_MSG(fabs(med - ref_quantile(ref, m, 0.5)) < 1e-4 &&
				      fabs(p10 - ref_quantile(ref, m, 0.1)) < 1e-4 &&
				      fabs(p90 - ref_quantile(ref, m, 0.9)) < 1e-4,
				  "bin at %g: %g %g %g", t, med, p10, p90);
			lines++;
		}
		CHECK_MSG(lines == BINS + 1, "%zu bins written, expected %d", lines, BINS + 1);
		free(text);
	}
}

int main(void)
{
	const char *src = getenv("CCX_SOURCE_DIR");
	char fixture[PATH_MAX], rundir[PATH_MAX];

	if (!src)
		ccx_test_skip("CCX_SOURCE_DIR is not set (run through meson test)");
	snprintf(fixture, sizeof(fixture), "%s/tests/fixtures/run-small", src);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	fprintf(stderr, "results folders in %s\n", tmpdir);
	log_verbosity = 2;

	test_flow_bins();
	make_run(fixture, "nv-vs-cubic-small", "run-1", rundir, sizeof(rundir));
	CHECK(plot_run_dir(rundir, false) == 0);
	check_scripts(rundir);
	CHECK(!exists_in(rundir, "plots/throughput.png"));
	/* Scripts are replaced whole, no temporary file stays behind. */
	CHECK(plot_run_dir(rundir, false) == 0);
	CHECK(!exists_in(rundir, "plots/cwnd.gp.tmp"));

	test_variations(fixture);
	test_no_gnuplot(fixture);
	test_many(false);

	if (!have_gnuplot()) {
		if (ccx_test_failures)
			return ccx_test_result();
		nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		ccx_test_skip("gnuplot is not on PATH: charts not rendered");
	}
	CHECK(plot_run_dir(rundir, true) == 0);
	check_png(rundir, "plots/throughput.png");
	check_png(rundir, "plots/cwnd.png");
	check_png(rundir, "plots/srtt.png");

	/* "no data" charts and odd names must be valid gnuplot too. */
	snprintf(rundir, sizeof(rundir), "%s/variants/empty", tmpdir);
	CHECK(plot_run_dir(rundir, true) == 0);
	CHECK(exists_in(rundir, "plots/throughput.png"));
	CHECK(exists_in(rundir, "plots/cwnd.png"));
	snprintf(rundir, sizeof(rundir), "%s/it's/odd", tmpdir);
	CHECK(plot_run_dir(rundir, true) == 0);
	CHECK(exists_in(rundir, "plots/throughput.png"));

	test_cut_row(fixture);
	test_many(true);

	/* A chart gnuplot cannot draw is an error, with what gnuplot said; the others are
	 * still drawn. Here the PNG's path is taken by a directory. */
	snprintf(rundir, sizeof(rundir), "%s/variants/no-retrans", tmpdir);
	remove_in(rundir, "plots/cwnd.png");
	CHECK(snprintf(fixture, sizeof(fixture), "%s/plots/cwnd.png", rundir) <
	      (int)sizeof(fixture));
	CHECK(mkdir(fixture, 0755) == 0);
	CHECK(plot_run_dir(rundir, true) == -EIO);
	CHECK(exists_in(rundir, "plots/srtt.png"));

	if (ccx_test_failures) {
		fprintf(stderr, "the results folders are kept in %s\n", tmpdir);
		return ccx_test_result();
	}
	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return ccx_test_result();
}
