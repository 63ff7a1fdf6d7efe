/* Unit test of summary.c: a hand-made results folder whose summary is worked out by hand. */
#include "analysis/summary.h"
#include "ccx_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* The value of summary.csv's row for (scope, flow, conn, metric): NaN when empty, -1e300
 * when there is no such row. */
static double value(const char *dir, const char *key)
{
	char path[4096], line[512];
	double v = -1e300;
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	f = fopen(path, "r");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ',') {
			v = line[n + 1] == '\n' ? NAN : strtod(line + n + 1, NULL);
			break;
		}
	fclose(f);
	return v;
}

/* cwnd.csv up to a's sample at 4 s: both scenarios below share it. */
#define CWND_TO_4S                                                                                 \
	"t_s,flow,conn,srtt_us,rtt_min_us,bytes_acked,delivered_pkts\n"                            \
	"0.0,a,0,30000,4294967295,0,1\n"                                                           \
	"1.0,a,0,30000,25000,500000,300\n"                                                         \
	"2.0,a,0,40000,25000,1000000,500\n"                                                        \
	"2.0,b,0,40000,4294967295,0,1\n"                                                           \
	"3.0,a,0,40000,25000,1500000,700\n"                                                        \
	"3.0,b,0,40000,30000,500000,50\n"                                                          \
	"4.0,a,0,40000,25000,2000000,990\n"

#define EXPECT(key, want)                                                                          \
	do {                                                                                       \
		double _v = value(dir, key), _w = (want);                                          \
		CHECK_MSG(isnan(_w) ? isnan(_v) : fabs(_v - _w) < 1e-6, "%s: got %g want %g", key, \
			  _v, _w);                                                                 \
	} while (0)

int main(void)
{
	char dir[] = "/tmp/ccx-test-summary-XXXXXX", cmd[4200];

	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/timeline %s/events", dir, dir);
	CHECK(system(cmd) == 0);
	put_file(dir, "config.cfg",
		 "experiment = { name = \"t\"; duration_s = 4.0; };\n"
		 "link = { rate_mbit = 10.0; delay_ms = 5.0; };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; }, { name = \"b\"; cc = \"reno\"; "
		 "start_s = 2.0; }, { name = \"c\"; cmd = \"true\"; server_cmd = \"true\"; } );\n"
		 "summary = { warmup_s = 1.0; };\n");
	/* c saw no connection: its empty end_s must not hide the others'. */
	put_file(dir, "flows.csv",
		 "flow,conn,cc,start_s,end_s,bytes,goodput_mbit,retrans,rtos\n"
		 "a,0,cubic,0.0,4.0,2000000,4.000,10,1\n"
		 "b,0,reno,2.0,4.0,1000000,4.000,0,0\n"
		 "c,,reno,,,0,,0,\n");
	put_file(dir, "timeline/cwnd.csv", CWND_TO_4S "4.0,b,0,60000,30000,1000000,100\n");
	put_file(dir, "events/ca_state.csv",
		 "t_s,flow,conn,side,old_ca_state,new_ca_state,cwnd_pkts\n"
		 "1.5,a,0,sender,Open,Recovery,20\n"
		 "1.6,a,0,receiver,Open,Loss,20\n"
		 "2.0,a,0,sender,Recovery,Open,10\n");
	put_file(dir, "timeline/link.csv",
		 "t_s,direction,queue_pkts,queue_bytes,delivered_pkts,delivered_mbit,dropped_pkts,"
		 "capacity_mbit\n"
		 "1.000,up,0,0,0,10.000,1,10.000\n"
		 "2.000,up,10,0,0,10.000,0,10.000\n"
		 "3.000,up,20,0,0,5.000,2,10.000\n"
		 "4.000,up,30,0,0,5.000,0,10.000\n");
	CHECK(summary_write(dir) == 0);

	/* Goodput over the life: bytes x 8 / life; steady: bytes_acked from start + 1 s. */
	EXPECT("connection,a,0,goodput_mbit", 4.0);
	EXPECT("connection,a,0,goodput_steady_mbit", 4.0); /* 1.5e6 B over 3 s */
	EXPECT("connection,b,0,goodput_steady_mbit", 4.0); /* 0.5e6 B over 1 s */
	EXPECT("run,,,goodput_mbit", 6.0);		   /* 3e6 B over 4 s */
	EXPECT("run,,,jain_conns", 1.0);
	EXPECT("run,,,jain_flows", 1.0);
	/* a's srtt: 30, 30, 40, 40 ms for 1 s each (the last sample weighs nothing). */
	EXPECT("connection,a,0,srtt_p50_ms", 30.0);
	EXPECT("connection,a,0,srtt_p95_ms", 40.0);
	/* b: 40 ms for 2 s; the 60 ms sample is its last. */
	EXPECT("connection,b,0,srtt_p99_ms", 40.0);
	/* The base RTT is the link's 5 + 5 ms. */
	EXPECT("connection,a,0,qdelay_p50_ms", 20.0);
	EXPECT("flow,a,,retrans_pkts", 10);
	EXPECT("connection,a,0,retrans_rate_pct", 1.0); /* 10 / (10 + 990) */
	EXPECT("connection,a,0,rtos", 1);
	/* Recovery from 1.5 to 2.0 s; the receiver's row does not count. */
	EXPECT("connection,a,0,ca_recovery_s", 0.5);
	EXPECT("connection,a,0,ca_open_s", 3.5);
	EXPECT("connection,a,0,ca_loss_s", 0.0);
	EXPECT("flow,b,,ca_open_s", 2.0);
	/* c has neither samples nor rows: its states are not known, not 0. */
	EXPECT("connection,c,,ca_open_s", NAN);
	EXPECT("flow,c,,ca_open_s", NAN);
	/* Buckets 2 and 3 hold 4 Mbit/s each for a and b: b converges at once. */
	EXPECT("flow,b,,convergence_s", 0.0);
	EXPECT("flow,a,,convergence_s", NAN);
	EXPECT("run,,,convergence_s", 0.0);
	EXPECT("run,,,jain_conns_1s_min", 1.0);
	/* The link: 30 of 40 Mbit x s, queue 0, 10, 20, 30. */
	EXPECT("link,up,,utilisation_pct", 75.0);
	EXPECT("link,up,,drops_pkts", 3);
	EXPECT("link,up,,queue_p50_pkts", 15.0);
	EXPECT("link,up,,queue_p95_pkts", 28.5);
	EXPECT("link,up,,queue_max_pkts", 30);

	/* Then b falls to 1.6 Mbit/s in bucket 3 and ends at 4.05 s, a going on to 5 s: b never
	 * converges. Bucket 4, where a is alone, must not count as b's convergence. */
	put_file(dir, "flows.csv",
		 "flow,conn,cc,start_s,end_s,bytes,goodput_mbit,retrans,rtos\n"
		 "a,0,cubic,0.0,5.0,2500000,4.000,10,1\n"
		 "b,0,reno,2.0,4.05,700000,2.732,0,0\n");
	put_file(dir, "timeline/cwnd.csv",
		 CWND_TO_4S "4.0,b,0,60000,30000,700000,100\n"
			    "5.0,a,0,40000,25000,2500000,1200\n");
	CHECK(summary_write(dir) == 0);
	EXPECT("connection,b,0,goodput_steady_mbit", 1.6);
	EXPECT("flow,b,,convergence_s", NAN);
	EXPECT("run,,,convergence_s", NAN);
	EXPECT("run,,,goodput_mbit", 5.12); /* 3.2e6 B over 5 s */

	/* No emulated delay, no summary group: the base RTT is the smallest rtt_min_us of any
	 * connection (a's 25 ms), the warm-up the default. */
	put_file(dir, "config.cfg",
		 "experiment = { name = \"t\"; duration_s = 5.0; };\n"
		 "link = { rate_mbit = 10.0; };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; }, { name = \"b\"; cc = \"reno\"; "
		 "start_s = 2.0; } );\n");
	CHECK(summary_write(dir) == 0);
	EXPECT("connection,a,0,qdelay_p50_ms", 15.0); /* 40 - 25 */
	EXPECT("connection,b,0,qdelay_p50_ms", 15.0); /* 40 - 25, not its own 30 */
	EXPECT("run,,,warmup_s", SUMMARY_WARMUP_S_DEFAULT);

	/* b on its own longer access path (extra_delay_ms 2 up, 3 down): its base RTT is the
	 * link's 10 ms plus its 5. */
	put_file(dir, "config.cfg",
		 "experiment = { name = \"t\"; duration_s = 5.0; };\n"
		 "link = { rate_mbit = 10.0; delay_ms = 5.0; };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; }, { name = \"b\"; cc = \"reno\"; "
		 "start_s = 2.0; extra_delay_ms = 2.0; extra_delay_down_ms = 3; } );\n");
	CHECK(summary_write(dir) == 0);
	EXPECT("connection,a,0,qdelay_p50_ms", 30.0); /* 40 - 10 */
	EXPECT("connection,b,0,qdelay_p50_ms", 25.0); /* 40 - 15 */
	/* No link delay, b's extra 5 ms each way: the shared path's base is the smallest min RTT
	 * less its flow's extra, b's 30 - 10 = 20 ms, under a's 25. */
	put_file(dir, "config.cfg",
		 "experiment = { name = \"t\"; duration_s = 5.0; };\n"
		 "link = { rate_mbit = 10.0; };\n"
		 "flows = ( { name = \"a\"; cc = \"cubic\"; }, { name = \"b\"; cc = \"reno\"; "
		 "start_s = 2.0; extra_delay_ms = 5.0; } );\n");
	CHECK(summary_write(dir) == 0);
	EXPECT("connection,a,0,qdelay_p50_ms", 20.0); /* 40 - 20 */
	EXPECT("connection,b,0,qdelay_p50_ms", 10.0); /* 40 - 20 - 10 */

	/* No RTT sample anywhere (rtt_min_us never set) and no delay: no base, no queueing
	 * delay, though srtt is there. */
	put_file(dir, "timeline/cwnd.csv",
		 "t_s,flow,conn,srtt_us,rtt_min_us,bytes_acked,delivered_pkts\n"
		 "0.0,a,0,30000,4294967295,0,1\n"
		 "1.0,a,0,30000,4294967295,500000,300\n");
	CHECK(summary_write(dir) == 0);
	EXPECT("connection,a,0,srtt_p50_ms", 30.0);
	EXPECT("connection,a,0,qdelay_p50_ms", NAN);
	EXPECT("flow,a,,qdelay_p95_ms", NAN);

	/* Without flows.csv (a folder with the charts' files only) there is nothing to sum up:
	 * not an error, and no summary. */
	snprintf(cmd, sizeof(cmd), "rm %s/flows.csv %s/summary.json %s/summary.csv", dir, dir, dir);
	CHECK(system(cmd) == 0);
	CHECK(summary_write(dir) == 1);
	CHECK(value(dir, "run,,,warmup_s") == -1e300);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return ccx_test_failures ? 1 : 0;
}
