/* Unit tests of load_config(): accepted configs field by field, and every rejection message. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccx_test.h"
#include "core/config.h"
#include "core/knobs.h"
#include "core/words.h"
#include "link/link_spec.h"

/* As read from /proc/sys/net/ipv4/tcp_available_congestion_control, newline and all. */
#define KNOWN_CC "reno cubic bbr\n"

/* Valid first lines, so that a case only spells out the part it breaks. */
#define EXP    "experiment = { name = \"t\"; duration_s = 10.0; };\n"
#define LINK   "link = { rate_mbit = 10.0; };\n"
#define FLOW_A "flows = ( { name = \"a\"; cc = \"cubic\"; } );\n"
/* Line 3: one flow with the given settings after name and cc. */
#define FLOW(settings) "flows = ( { name = \"a\"; cc = \"cubic\"; " settings " } );\n"
#define PLACEHOLDERS   "{dst} {src} {port} {cc} {flow} {duration_s}"
/* Line 2: a link group with the given settings. */
#define LNK(settings) "link = { " settings " };\n"
#define LINK_KEYS                                                                                  \
	"backend, rate_mbit, trace_up, rate_down_mbit, trace_down, delay_ms, delay_down_ms, "      \
	"jitter_ms, jitter_reorder, loss_model, loss, loss_down, ge_p, ge_r, ge_loss_good, "       \
	"ge_loss_bad, queue_pkts, queue_bytes, queue_bdp, queue, codel_target_ms, "                \
	"codel_interval_ms, capture"
#define USE_TUN_OR_NETEM "; use backend = \"tun\" or \"netem\""
#define NONE_REFUSES	 "backend = \"none\" emulates nothing; remove it or use another backend"
#define ONLY_GE		 "only with loss_model = \"gilbert-elliott\""

struct reject {
	const char *text;
	const char *msg; /* what follows "FILE:" in the error */
};

static const struct reject rejects[] = {
    /* Unknown settings, at every level. */
    {EXP LINK FLOW_A "charts = { formats = [\"png\"]; };\n",
     "4: charts: unknown setting (known: experiment, link, flows, collect, hosts, sweep, plots, "
     "summary)"},
    {EXP LINK FLOW_A "summary = { warmup = 2.0; };\n",
     "4: summary.warmup: unknown setting (known: warmup_s)"},
    {EXP LINK FLOW_A "summary = { warmup_s = -1; };\n",
     "4: summary.warmup_s: must be >= 0 (got -1.0)"},
    {EXP LINK FLOW_A "summary = { warmup_s = 10.0; };\n",
     "4: summary.warmup_s: warmup_s (10.0) must be less than experiment.duration_s (10.0)"},
    {EXP LINK FLOW_A "summary = { warmup_s = \"2\"; };\n", "4: summary.warmup_s: must be a number"},
    {EXP LINK FLOW_A "plots = { format = [\"png\"]; };\n",
     "4: plots.format: unknown setting (known: per_connection_max, goodput_window_ms, formats)"},
    {EXP LINK FLOW_A "plots = { formats = [\"png\", \"gif\"]; };\n",
     "4: plots.formats: \"gif\": unknown format (png, svg, pdf)"},
    {EXP LINK FLOW_A "plots = { formats = \"png\"; };\n",
     "4: plots.formats: must be an array of formats, e.g. [\"png\", \"pdf\"]"},
    {EXP LINK FLOW_A "plots = { goodput_window_ms = -5.0; };\n",
     "4: plots.goodput_window_ms: must be 0..60000 (got -5.0)"},
    {EXP LINK FLOW_A "plots = { goodput_window_ms = \"100\"; };\n",
     "4: plots.goodput_window_ms: must be a number"},
    {EXP LINK FLOW_A "plots = { per_connection_max = 0; };\n",
     "4: plots.per_connection_max: must be between 1 and 1000 (got 0)"},
    {"experiment = { name = \"t\"; duration_s = 10.0; repeats = 3; };\n" LINK FLOW_A,
     "1: experiment.repeats: unknown setting (known: name, duration_s, seed, repeat)"},
    {"experiment = { name = \"t\"; duration_s = 10.0; repeat = 0; };\n" LINK FLOW_A,
     "1: experiment.repeat: must be between 1 and 1000 (got 0)"},
    {EXP LINK FLOW_A "sweep = { set = \"link.delay_ms\"; };\n",
     "4: sweep: must be a list of ( { set = \"...\"; values = [...]; }, ... )"},
    {EXP "link = { rate_mbit = 10.0;\n  bandwidth_mbit = 20.0; };\n" FLOW_A,
     "3: link.bandwidth_mbit: unknown setting (known: " LINK_KEYS ")"},
    {EXP LINK FLOW("args = \"-P 4\";"),
     "3: flows[0].args: unknown setting "
     "(known: name, cc, cmd, server_cmd, count, start_s, stop_s, extra_delay_ms, "
     "extra_delay_down_ms, sockops)"},
    {EXP LINK FLOW("sockops = { syn_rto_ms = { value = 200; sides = \"both\"; }; };"),
     "3: flows[0].sockops.syn_rto_ms.sides: unknown setting (known: value, side)"},
    {EXP LINK FLOW_A "collect = { rtt = true; };\n",
     "4: collect.rtt: unknown setting (known: level, sample_interval_ms, rtt_samples, ringbuf_kb)"},

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
    {EXP LINK FLOW("sockops = { ecn = { value = 1; side = \"sender\"; }; };"),
     "3: flows[0].sockops.ecn.value: must be true or false"},
    {EXP LINK FLOW("sockops = { rto_min_ms = 20.5; };"),
     "3: flows[0].sockops.rto_min_ms: must be an integer"},
    {EXP LINK FLOW("sockops = { rto_min_ms = { value = 20.0; }; };"),
     "3: flows[0].sockops.rto_min_ms.value: must be an integer"},
    {EXP LINK FLOW("sockops = { max_pacing_mbit = \"12.5\"; };"),
     "3: flows[0].sockops.max_pacing_mbit: must be a number"},
    {EXP LINK FLOW("sockops = { syn_rto_ms = [ 200, 300 ]; };"),
     "3: flows[0].sockops.syn_rto_ms: must be an integer"},
    {EXP LINK FLOW("sockops = { syn_rto_ms = { value = 200; side = 1; }; };"),
     "3: flows[0].sockops.syn_rto_ms.side: must be a string"},
    {EXP LINK FLOW("cmd = 5;"), "3: flows[0].cmd: must be a string"},
    {EXP LINK FLOW_A "collect = { rtt_samples = 1; };\n",
     "4: collect.rtt_samples: must be true or false"},
    {EXP LINK FLOW_A "collect = { ringbuf_kb = 64.0; };\n",
     "4: collect.ringbuf_kb: must be an integer"},
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
    {EXP LINK FLOW("sockops = { rto_min_ms = 500; };"),
     "3: flows[0].sockops.rto_min_ms: must be between 1 and 200 (got 500)"},
    {EXP LINK FLOW("sockops = {\n  rto_min_ms = { value = 500; side = \"both\"; }; };"),
     "4: flows[0].sockops.rto_min_ms.value: must be between 1 and 200 (got 500)"},
    {EXP LINK FLOW("count = 0;"), "3: flows[0].count: must be between 1 and 1024 (got 0)"},
    {EXP LINK FLOW("count = 1025;"), "3: flows[0].count: must be between 1 and 1024 (got 1025)"},
    {EXP LINK FLOW_A "collect = { sample_interval_ms = 0; };\n",
     "4: collect.sample_interval_ms: must be between 1 and 10000 (got 0)"},
    {EXP LINK FLOW_A "collect = { sample_interval_ms = 10001; };\n",
     "4: collect.sample_interval_ms: must be between 1 and 10000 (got 10001)"},
    {EXP LINK FLOW_A "collect = { ringbuf_kb = 0; };\n",
     "4: collect.ringbuf_kb: must be between 64 and 1048576 (got 0)"},
    {EXP LINK FLOW_A "collect = { ringbuf_kb = 63; };\n",
     "4: collect.ringbuf_kb: must be between 64 and 1048576 (got 63)"},
    {EXP LINK FLOW_A "collect = { ringbuf_kb = 2097152; };\n",
     "4: collect.ringbuf_kb: must be between 64 and 1048576 (got 2097152)"},
    {EXP LINK FLOW_A "collect = { ringbuf_kb = 100; };\n",
     "4: collect.ringbuf_kb: must be a power of 2 (got 100)"},
    /* libconfig 1.5 wraps these to 200 and 10: the true value must be what is checked. */
    {EXP LINK FLOW("sockops = { syn_rto_ms = 4294967496; };"),
     "3: flows[0].sockops.syn_rto_ms: must be between 1 and 120000 (got 4294967496)"},
    {EXP "link = { rate_mbit = 4294967306; };\n" FLOW_A,
     "2: link.rate_mbit: must be between 0.01 and 100000 (got 4294967306.0)"},

    /* The sides of a knob in the group form. */
    {EXP LINK FLOW("sockops = { syn_rto_ms = { value = 200; side = \"client\"; }; };"),
     "3: flows[0].sockops.syn_rto_ms.side: must be \"sender\", \"receiver\" or \"both\" "
     "(got \"client\")"},
    {EXP LINK FLOW("sockops = { ecn = { value = true; side = \"Sender\"; }; };"),
     "3: flows[0].sockops.ecn.side: must be \"sender\", \"receiver\" or \"both\" "
     "(got \"Sender\")"},
    {EXP LINK FLOW("sockops = {\n  init_cwnd_pkts = { side = \"sender\"; };\n};"),
     "4: flows[0].sockops.init_cwnd_pkts.value: missing (required)"},
    {EXP LINK FLOW("sockops = { init_cwnd_pkts = { }; };"),
     "3: flows[0].sockops.init_cwnd_pkts.value: missing (required)"},

    /* A program instead of the built-in sender. */
    {EXP LINK FLOW("cmd = \"\";"), "3: flows[0].cmd: must not be empty"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {dst} -p {prot}\";"),
     "3: flows[0].cmd: unknown placeholder {prot} (known: " PLACEHOLDERS ")"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {}\";"),
     "3: flows[0].cmd: unknown placeholder {} (known: " PLACEHOLDERS ")"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {DST}\";"),
     "3: flows[0].cmd: unknown placeholder {DST} (known: " PLACEHOLDERS ")"},
    {EXP LINK FLOW("cmd = \"sh -c 'echo ${HOME}'\";"),
     "3: flows[0].cmd: unknown placeholder {HOME} (known: " PLACEHOLDERS ")"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {dst\";"),
     "3: flows[0].cmd: unclosed { at offset 10 (write {{ for a literal {)"},
    {EXP LINK FLOW("cmd = \"awk '{{print}' {flow\";"),
     "3: flows[0].cmd: unclosed { at offset 15 (write {{ for a literal {)"},
    {EXP LINK FLOW("server_cmd = \"iperf3 -s -p {port}\";"),
     "3: flows[0].server_cmd: server_cmd needs cmd"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {dst}\";\n  server_cmd = \"iperf3 -s -B {dest}\";"),
     "4: flows[0].server_cmd: unknown placeholder {dest} (known: " PLACEHOLDERS ")"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {dst}\"; server_cmd = \"\";"),
     "3: flows[0].server_cmd: must not be empty"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {dst} -P 4\";\n  count = 4;"),
     "4: flows[0].count: count does not apply to a cmd flow: the program opens its own "
     "connections"},
    {EXP LINK FLOW("cmd = \"iperf3 -c {dst}\"; count = 1;"),
     "3: flows[0].count: count does not apply to a cmd flow: the program opens its own "
     "connections"},

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
    {EXP "link = { queue_pkts = 10; };\n" FLOW_A,
     "2: link.rate_mbit: missing (required unless trace_up is given)"},
    {EXP LINK "flows = (\n  { name = \"a\"; cc = \"cubic\"; },\n  { name = \"b\"; }\n);\n",
     "5: flows[1].cc: missing (required)"},
    {EXP LINK "flows = ( { cc = \"cubic\"; } );\n", "3: flows[0].name: missing (required)"},

    /* The flow list and the connection budget. */
    {EXP LINK "flows = ();\n", "3: flows: must have between 1 and 64 flows (got 0)"},
    {EXP LINK "flows = (\n"
	      "  { name = \"a\"; cc = \"cubic\"; count = 1000; },\n"
	      "  { name = \"b\"; cc = \"bbr\"; count = 25; }\n"
	      ");\n",
     "5: flows[1].count: total connections over all flows must be at most 1024 (got 1025)"},
    {EXP LINK "flows = (\n"
	      "  { name = \"a\"; cc = \"cubic\"; count = 1024; },\n"
	      "  { name = \"b\"; cc = \"bbr\"; }\n"
	      ");\n",
     "5: flows[1]: total connections over all flows must be at most 1024 (got 1025)"},

    /* What libconfig itself refuses. */
    {EXP "link = { rate_mbit = ; };\n" FLOW_A, "2: syntax error"},
    {EXP LINK "flows = (\n  { name = \"a\"; cc = \"cubic\"; }\n", "5: syntax error"},
    {"experiment = { name = \"t\"; name = \"u\"; duration_s = 10.0; };\n" LINK FLOW_A,
     "1: syntax error: duplicate setting name"},
};

/* The link group: what needs no file. Traces that must exist are in test_link_traces(). */
static const struct reject link_rejects[] = {
    /* Types and names. */
    {EXP LNK("backend = 5; rate_mbit = 10.0;") FLOW_A, "2: link.backend: must be a string"},
    {EXP LNK("backend = \"mahimahi\"; rate_mbit = 10.0;") FLOW_A,
     "2: link.backend: must be \"auto\", \"netem\", \"tun\", \"tc\" or \"none\" "
     "(got \"mahimahi\")"},
    {EXP LNK("backend = \"TUN\"; rate_mbit = 10.0;") FLOW_A,
     "2: link.backend: must be \"auto\", \"netem\", \"tun\", \"tc\" or \"none\" (got \"TUN\")"},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"uniform\";") FLOW_A,
     "2: link.loss_model: must be \"bernoulli\" or \"gilbert-elliott\" (got \"uniform\")"},
    {EXP LNK("rate_mbit = 10.0; queue = \"red\";") FLOW_A,
     "2: link.queue: must be \"droptail\" or \"codel\" (got \"red\")"},
    {EXP LNK("rate_mbit = 10.0; capture = \"all\";") FLOW_A,
     "2: link.capture: must be \"none\", \"headers\" or \"full\" (got \"all\")"},
    {EXP LNK("rate_mbit = 10.0; jitter_reorder = 1;") FLOW_A,
     "2: link.jitter_reorder: must be true or false"},
    {EXP LNK("trace_up = 5;") FLOW_A, "2: link.trace_up: must be a string"},
    {EXP LNK("rate_mbit = 10.0; delay_ms = \"20\";") FLOW_A, "2: link.delay_ms: must be a number"},
    {EXP LNK("rate_mbit = 10.0; queue_bytes = 1.5e6;") FLOW_A,
     "2: link.queue_bytes: must be an integer"},

    /* Ranges. */
    {EXP LNK("rate_mbit = 10.0; rate_down_mbit = 0.001;") FLOW_A,
     "2: link.rate_down_mbit: must be 0 (not limited) or between 0.01 and 100000 (got 0.001)"},
    {EXP LNK("rate_mbit = 10.0; rate_down_mbit = -1;") FLOW_A,
     "2: link.rate_down_mbit: must be 0 (not limited) or between 0.01 and 100000 (got -1.0)"},
    {EXP LNK("rate_mbit = 10.0; rate_down_mbit = 100000.5;") FLOW_A,
     "2: link.rate_down_mbit: must be 0 (not limited) or between 0.01 and 100000 "
     "(got 100000.5)"},
    {EXP LNK("rate_mbit = 10.0; delay_ms = -1;") FLOW_A,
     "2: link.delay_ms: must be between 0 and 10000 (got -1.0)"},
    {EXP LNK("rate_mbit = 10.0; delay_ms = 10000.5;") FLOW_A,
     "2: link.delay_ms: must be between 0 and 10000 (got 10000.5)"},
    {EXP LNK("rate_mbit = 10.0; delay_down_ms = 10001;") FLOW_A,
     "2: link.delay_down_ms: must be between 0 and 10000 (got 10001.0)"},
    {EXP LNK("rate_mbit = 10.0; jitter_ms = -0.5;") FLOW_A,
     "2: link.jitter_ms: must be between 0 and 10000 (got -0.5)"},
    {EXP LNK("rate_mbit = 10.0; loss = 1.0;") FLOW_A,
     "2: link.loss: must be >= 0 and < 1 (got 1.0)"},
    {EXP LNK("rate_mbit = 10.0; loss = -0.01;") FLOW_A,
     "2: link.loss: must be >= 0 and < 1 (got -0.01)"},
    {EXP LNK("rate_mbit = 10.0; loss_down = 1;") FLOW_A,
     "2: link.loss_down: must be >= 0 and < 1 (got 1.0)"},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; ge_p = 0; ge_r = 0.5;") FLOW_A,
     "2: link.ge_p: must be > 0 and <= 1 (got 0.0)"},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; ge_p = 0.1; ge_r = 1.5;") FLOW_A,
     "2: link.ge_r: must be > 0 and <= 1 (got 1.5)"},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; ge_p = 0.1; ge_r = 1;"
	     " ge_loss_good = -0.5;") FLOW_A,
     "2: link.ge_loss_good: must be between 0 and 1 (got -0.5)"},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; ge_p = 0.1; ge_r = 1;"
	     " ge_loss_bad = 2;") FLOW_A,
     "2: link.ge_loss_bad: must be between 0 and 1 (got 2.0)"},
    {EXP LNK("rate_mbit = 10.0; queue_bytes = 0;") FLOW_A,
     "2: link.queue_bytes: must be between 1 and 10000000000 (got 0)"},
    {EXP LNK("rate_mbit = 10.0; queue_bytes = 10000000001L;") FLOW_A,
     "2: link.queue_bytes: must be between 1 and 10000000000 (got 10000000001)"},
    /* Without the L, libconfig 1.5 would read 1410065409 and accept it. */
    {EXP LNK("rate_mbit = 10.0; queue_bytes = 10000000001;") FLOW_A,
     "2: link.queue_bytes: must be between 1 and 10000000000 (got 10000000001)"},
    {EXP LNK("rate_mbit = 10.0; queue_bdp = 0.001;") FLOW_A,
     "2: link.queue_bdp: must be between 0.01 and 100 (got 0.001)"},
    {EXP LNK("rate_mbit = 10.0; queue_bdp = 101;") FLOW_A,
     "2: link.queue_bdp: must be between 0.01 and 100 (got 101.0)"},
    {EXP LNK("rate_mbit = 100000; delay_ms = 10000.0; queue_bdp = 100;") FLOW_A,
     "2: link.queue_bdp: rate_mbit x (delay_ms + delay_down_ms) x queue_bdp is "
     "25000000000000.0 bytes, more than 10000000000"},
    {EXP LNK("rate_mbit = 10.0; queue = \"codel\"; codel_target_ms = 0;") FLOW_A,
     "2: link.codel_target_ms: must be between 0.001 and 10000 (got 0.0)"},
    {EXP LNK("rate_mbit = 10.0; queue = \"codel\"; codel_interval_ms = 10001;") FLOW_A,
     "2: link.codel_interval_ms: must be between 0.001 and 10000 (got 10001.0)"},
    {EXP LNK("rate_mbit = 10.0; queue = \"codel\"; codel_target_ms = 100;") FLOW_A,
     "2: link.codel_target_ms: codel_target_ms (100.0) must be less than codel_interval_ms "
     "(100.0)"},
    {EXP "link = { rate_mbit = 10.0; queue = \"codel\";\n"
	 "  codel_target_ms = 20; codel_interval_ms = 10; };\n" FLOW_A,
     "3: link.codel_interval_ms: codel_target_ms (20.0) must be less than codel_interval_ms "
     "(10.0)"},
    {EXP LNK("rate_mbit = 10.0; queue = \"codel\"; codel_interval_ms = 3;") FLOW_A,
     "2: link.codel_interval_ms: codel_target_ms (5.0) must be less than codel_interval_ms "
     "(3.0)"},

    /* Settings that exclude each other, and settings that need another. */
    {EXP LNK("rate_mbit = 10.0; trace_up = \"no-such.trace\";") FLOW_A,
     "2: link.trace_up: excludes rate_mbit (give one of them)"},
    {EXP LNK("rate_mbit = 10.0; rate_down_mbit = 0; trace_down = \"no-such.trace\";") FLOW_A,
     "2: link.trace_down: excludes rate_down_mbit (give one of them)"},
    {EXP LNK("rate_mbit = 10.0; queue_pkts = 50; queue_bytes = 75000;") FLOW_A,
     "2: link.queue_bytes: excludes queue_pkts (give one of them)"},
    {EXP LNK("rate_mbit = 10.0; queue_pkts = 100; queue_bdp = 1.0;") FLOW_A,
     "2: link.queue_bdp: excludes queue_pkts (give one of them)"},
    {EXP LNK("rate_mbit = 10.0; queue_bytes = 75000; queue_bdp = 1.0;") FLOW_A,
     "2: link.queue_bdp: excludes queue_bytes (give one of them)"},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; loss = 0.01;") FLOW_A,
     "2: link.loss: not with loss_model = \"gilbert-elliott\" (its loss is ge_loss_good and "
     "ge_loss_bad)"},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; loss = 0;") FLOW_A,
     "2: link.loss: not with loss_model = \"gilbert-elliott\" (its loss is ge_loss_good and "
     "ge_loss_bad)"},
    {EXP LNK("rate_mbit = 10.0; ge_p = 0.01;") FLOW_A, "2: link.ge_p: " ONLY_GE},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"bernoulli\"; ge_r = 0.3;") FLOW_A,
     "2: link.ge_r: " ONLY_GE},
    {EXP LNK("rate_mbit = 10.0; ge_loss_good = 0.0;") FLOW_A, "2: link.ge_loss_good: " ONLY_GE},
    {EXP LNK("rate_mbit = 10.0; ge_loss_bad = \"x\";") FLOW_A, "2: link.ge_loss_bad: " ONLY_GE},
    {EXP LNK("rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; ge_r = 0.3;") FLOW_A,
     "2: link.ge_p: missing (required with loss_model = \"gilbert-elliott\")"},
    {EXP
     "link = {\n  rate_mbit = 10.0;\n  loss_model = \"gilbert-elliott\"; ge_p = 0.3; };\n" FLOW_A,
     "2: link.ge_r: missing (required with loss_model = \"gilbert-elliott\")"},
    {EXP LNK("rate_mbit = 10.0; codel_target_ms = 5.0;") FLOW_A,
     "2: link.codel_target_ms: only with queue = \"codel\""},
    {EXP LNK("rate_mbit = 10.0; queue = \"droptail\"; codel_interval_ms = 100;") FLOW_A,
     "2: link.codel_interval_ms: only with queue = \"codel\""},
    {EXP LNK("delay_ms = 10.0; rate_down_mbit = 10.0;") FLOW_A,
     "2: link.rate_mbit: missing (required unless trace_up is given)"},
    {EXP "link = {\n  backend = \"tun\";\n  trace_down = \"x\";\n};\n" FLOW_A,
     "2: link.rate_mbit: missing (required unless trace_up is given)"},
    {EXP LNK("backend = \"tc\";") FLOW_A,
     "2: link.rate_mbit: missing (required unless trace_up is given)"},

    /* The tc backend: a rate and a queue on the uplink, nothing else. */
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; trace_up = \"x\";") FLOW_A,
     "2: link.trace_up: excludes rate_mbit (give one of them)"},
    {EXP LNK("backend = \"tc\"; trace_up = \"x.up\";") FLOW_A,
     "2: link.trace_up: the tc backend has no trace-driven rate; use backend = \"tun\""},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; trace_down = \"x.down\";") FLOW_A,
     "2: link.trace_down: the tc backend has no trace-driven rate; use backend = \"tun\""},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; rate_down_mbit = 10.0;") FLOW_A,
     "2: link.rate_down_mbit: the tc backend limits the uplink only" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; delay_ms = 20.0;") FLOW_A,
     "2: link.delay_ms: the tc backend has no delay" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; delay_ms = 0; delay_down_ms = 0.5;") FLOW_A,
     "2: link.delay_down_ms: the tc backend has no delay" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; jitter_ms = 1;") FLOW_A,
     "2: link.jitter_ms: the tc backend has no jitter" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; jitter_reorder = true;") FLOW_A,
     "2: link.jitter_reorder: the tc backend has no jitter" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; loss = 0.001;") FLOW_A,
     "2: link.loss: the tc backend has no random loss" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; loss_down = 0.001;") FLOW_A,
     "2: link.loss_down: the tc backend has no random loss" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; loss_model = \"gilbert-elliott\"; ge_p = 0.1; "
	     "ge_r = 0.5;") FLOW_A,
     "2: link.loss_model: the tc backend has no random loss" USE_TUN_OR_NETEM},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; queue = \"codel\";") FLOW_A,
     "2: link.queue: the tc backend has no CoDel; use backend = \"tun\""},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0; capture = \"headers\";") FLOW_A,
     "2: link.capture: the tc backend has no packet capture (only the tun emulator writes "
     "one); use backend = \"tun\""},

    /* netem: everything but a trace, CoDel and a jitter beyond its s32 of ns. */
    {EXP LNK("backend = \"netem\"; trace_up = \"x.up\";") FLOW_A,
     "2: link.trace_up: netem has no trace-driven rate; use backend = \"tun\""},
    {EXP LNK("backend = \"netem\"; rate_mbit = 10.0; trace_down = \"x.down\";") FLOW_A,
     "2: link.trace_down: netem has no trace-driven rate; use backend = \"tun\""},
    {EXP LNK("backend = \"netem\"; rate_mbit = 10.0; queue = \"codel\";") FLOW_A,
     "2: link.queue: netem has no CoDel (its queue is tbf's droptail FIFO); use backend = "
     "\"tun\""},
    {EXP LNK("backend = \"netem\"; rate_mbit = 10.0; capture = \"full\";") FLOW_A,
     "2: link.capture: netem has no packet capture (only the tun emulator writes one); use "
     "backend = \"tun\""},
    {EXP LNK("backend = \"none\"; capture = \"full\";") FLOW_A,
     "2: link.capture: " NONE_REFUSES},
    {EXP LNK("backend = \"netem\"; rate_mbit = 10.0; jitter_ms = 2147.5;") FLOW_A,
     "2: link.jitter_ms: netem takes at most 2147.483647 ms of jitter; use backend = \"tun\""},

    /* A flow's extra delay: tun only (netem would need a classifier and a netem per flow). */
    {EXP LINK FLOW("extra_delay_ms = -0.5;"),
     "3: flows[0].extra_delay_ms: must be between 0 and 10000 (got -0.5)"},
    {EXP LINK FLOW("extra_delay_down_ms = 10000.5;"),
     "3: flows[0].extra_delay_down_ms: must be between 0 and 10000 (got 10000.5)"},
    {EXP LINK FLOW("extra_delay_ms = \"30\";"), "3: flows[0].extra_delay_ms: must be a number"},
    {EXP LNK("backend = \"tc\"; rate_mbit = 10.0;") FLOW("extra_delay_ms = 30;"),
     "3: flows[0].extra_delay_ms: the tc backend has no per-flow delay; use backend = \"tun\""},
    {EXP LNK(
	 "backend = \"netem\"; rate_mbit = 10.0;") "flows = ( { name = \"a\"; cc = \"cubic\"; },\n"
						   "  { name = \"b\"; cc = \"cubic\"; "
						   "extra_delay_ms = 0; extra_delay_down_ms = 2; } "
						   ");\n",
     "4: flows[1].extra_delay_down_ms: netem delays every flow alike (no per-flow delay); use "
     "backend = \"tun\""},
    {EXP LNK("backend = \"none\";") FLOW("extra_delay_ms = 1; extra_delay_down_ms = 0;"),
     "3: flows[0].extra_delay_ms: " NONE_REFUSES},

    /* none: a plain veth, so only the defaults may be written. */
    {EXP LNK("backend = \"none\"; rate_mbit = 10.0;") FLOW_A, "2: link.rate_mbit: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; trace_up = \"x.up\";") FLOW_A, "2: link.trace_up: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; rate_down_mbit = 5.0;") FLOW_A,
     "2: link.rate_down_mbit: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; trace_down = \"x.down\";") FLOW_A,
     "2: link.trace_down: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; delay_ms = 1;") FLOW_A, "2: link.delay_ms: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; delay_down_ms = 1;") FLOW_A,
     "2: link.delay_down_ms: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; jitter_ms = 1;") FLOW_A, "2: link.jitter_ms: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; jitter_reorder = true;") FLOW_A,
     "2: link.jitter_reorder: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; loss = 0.5;") FLOW_A, "2: link.loss: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; loss_down = 0.5;") FLOW_A, "2: link.loss_down: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; loss_model = \"gilbert-elliott\"; ge_p = 0.1; ge_r = 0.5;")
	 FLOW_A,
     "2: link.loss_model: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; queue_pkts = 50;") FLOW_A, "2: link.queue_pkts: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; queue_bytes = 150000;") FLOW_A,
     "2: link.queue_bytes: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; queue_bdp = 1;") FLOW_A, "2: link.queue_bdp: " NONE_REFUSES},
    {EXP LNK("backend = \"none\"; queue = \"codel\";") FLOW_A, "2: link.queue: " NONE_REFUSES},
};

/* Line 4: a hosts group with the given settings. */
#define HOSTS(settings) EXP LINK FLOW_A "hosts = { " settings " };\n"
#define HOSTS_KEYS                                                                                 \
	"tcp_rmem, tcp_wmem, tcp_adv_win_scale, tcp_moderate_rcvbuf, tcp_no_metrics_save, "        \
	"tcp_slow_start_after_idle, tcp_notsent_lowat, tcp_limit_output_bytes, tcp_autocorking, "  \
	"tcp_pacing_ss_ratio, tcp_pacing_ca_ratio, tcp_min_tso_segs, tcp_tso_win_divisor, "        \
	"tcp_ecn, tcp_sack, tcp_timestamps, tcp_window_scaling, tcp_mtu_probing, tcp_min_rtt_wlen"
#define TRIPLE "must be \"min default max\": three byte counts from 1 to 2147483647"

static const struct reject hosts_rejects[] = {
    {HOSTS("tcp_rmem_max = 1;"), "4: hosts.tcp_rmem_max: unknown setting (known: " HOSTS_KEYS ")"},
    {HOSTS("tcp_mem = \"1 2 3\";"),
     "4: hosts.tcp_mem: cannot be set per run: net.ipv4.tcp_mem is one limit for the whole "
     "machine, not per network namespace"},
    {HOSTS("rmem_max = 67108864;"),
     "4: hosts.rmem_max: cannot be set per run: net.core.rmem_max is one limit for the whole "
     "machine (read-only inside a network namespace); tcp_rmem's third number is what "
     "autotuning grows to"},
    {HOSTS("default_qdisc = \"fq\";"),
     "4: hosts.default_qdisc: cannot be set per run: net.core.default_qdisc is one value for "
     "the whole machine; the link group chooses the bottleneck's queue"},
    {HOSTS("tcp_rmem = 67108864;"), "4: hosts.tcp_rmem: must be a string"},
    {HOSTS("tcp_rmem = \"4096 131072\";"), "4: hosts.tcp_rmem: " TRIPLE " (got \"4096 131072\")"},
    {HOSTS("tcp_rmem = \"4096 131072 1 2\";"),
     "4: hosts.tcp_rmem: " TRIPLE " (got \"4096 131072 1 2\")"},
    {HOSTS("tcp_wmem = \"0 16384 4194304\";"),
     "4: hosts.tcp_wmem: " TRIPLE " (got \"0 16384 4194304\")"},
    {HOSTS("tcp_wmem = \"4096 16384 4194304k\";"),
     "4: hosts.tcp_wmem: " TRIPLE " (got \"4096 16384 4194304k\")"},
    {HOSTS("tcp_wmem = \"4096 16384 2147483648\";"),
     "4: hosts.tcp_wmem: " TRIPLE " (got \"4096 16384 2147483648\")"},
    {HOSTS("tcp_rmem = \"4096 131072 65536\";"),
     "4: hosts.tcp_rmem: must hold min <= default <= max (got \"4096 131072 65536\")"},
    {HOSTS("tcp_ecn = 3;"), "4: hosts.tcp_ecn: must be between 0 and 2 (got 3)"},
    {HOSTS("tcp_pacing_ss_ratio = 1001;"),
     "4: hosts.tcp_pacing_ss_ratio: must be between 0 and 1000 (got 1001)"},
    {HOSTS("tcp_adv_win_scale = -32;"),
     "4: hosts.tcp_adv_win_scale: must be between -31 and 31 (got -32)"},
    {HOSTS("tcp_min_tso_segs = 0;"),
     "4: hosts.tcp_min_tso_segs: must be between 1 and 255 (got 0)"},
    {HOSTS("tcp_notsent_lowat = 4294967296;"),
     "4: hosts.tcp_notsent_lowat: must be between 0 and 4294967295 (got 4294967296)"},
    {HOSTS("tcp_slow_start_after_idle = 2;"),
     "4: hosts.tcp_slow_start_after_idle: must be between 0 and 1 (got 2)"},
    {HOSTS("tcp_no_metrics_save = 1.0;"), "4: hosts.tcp_no_metrics_save: must be an integer"},
    {HOSTS("tcp_sack = { value = 0; sides = \"sender\"; };"),
     "4: hosts.tcp_sack.sides: unknown setting (known: value, side)"},
    {HOSTS("tcp_sack = { value = 0; side = \"router\"; };"),
     "4: hosts.tcp_sack.side: must be \"sender\", \"receiver\" or \"both\" (got \"router\")"},
    {HOSTS("tcp_sack = { side = \"sender\"; };"), "4: hosts.tcp_sack.value: missing (required)"},
    {EXP LINK FLOW_A "hosts = { tcp_ecn = 1;\n  tcp_min_rtt_wlen = 86401; };\n",
     "5: hosts.tcp_min_rtt_wlen: must be between 0 and 86400 (got 86401)"},
    {EXP LINK FLOW_A "hosts = ( 1 );\n", "4: hosts: must be a group"},
};

static char tmpdir[PATH_MAX];
static char fixtures[PATH_MAX];
static const char *source_dir;

/* What a command does before it touches the kernel: core's parser, then link/'s check. */
static int load_config(const char *path, const char *known_cc, struct experiment *exp, char *err,
		       size_t errlen)
{
	int r = config_load(path, known_cc, exp, err, errlen);

	return r ? r : link_spec_check(exp, err, errlen);
}

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
	if (r == 0) {
		/* What only the link backend's rules refuse. */
		r = link_spec_check(&exp, err, sizeof(err));
		CHECK_MSG(r == -EINVAL, "%s: r = %d", what, r);
		CHECK_STR_EQ(err, want);
		unlink(path);
		return;
	}
	CHECK_MSG(r == -EINVAL, "%s: r = %d", what, r);
	CHECK_STR_EQ(err, want);
	/* Nothing half-validated may be left for a caller that ignores the error. */
	CHECK(exp.nflows == 0 && exp.name[0] == '\0' && exp.seed == 1);
	CHECK(exp.flows[0].count == 1 && exp.flows[0].sockops.sides[CCX_KNOB_SYN_RTO] == 0);
	CHECK(exp.flows[0].sockops.value[CCX_KNOB_SYN_RTO] == 0 && exp.flows[0].cmd[0] == '\0');
	CHECK(!exp.collect.rtt_samples && exp.collect.ringbuf_kb == 0);
	CHECK(exp.link.backend == LINK_BACKEND_AUTO && exp.link.rate_mbit == 0);
	CHECK(exp.link.queue_limit == LINK_QUEUE_PKTS && exp.link.queue_pkts == 100);
	CHECK(exp.link.trace_up[0] == '\0' && exp.link.trace_down[0] == '\0');
	unlink(path);
}

static void check_reject_str(const char *what, const char *text, const char *msg)
{
	check_reject(what, text, strlen(text), msg);
}

static void test_rejects(void)
{
	size_t i;

	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "reject-%02zu", i);
		check_reject(what, rejects[i].text, strlen(rejects[i].text), rejects[i].msg);
	}
	for (i = 0; i < sizeof(link_rejects) / sizeof(link_rejects[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "link-reject-%02zu", i);
		check_reject(what, link_rejects[i].text, strlen(link_rejects[i].text),
			     link_rejects[i].msg);
	}
	for (i = 0; i < sizeof(hosts_rejects) / sizeof(hosts_rejects[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "hosts-reject-%02zu", i);
		check_reject(what, hosts_rejects[i].text, strlen(hosts_rejects[i].text),
			     hosts_rejects[i].msg);
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
	r = load_config(path, KNOWN_CC, &exp, err, sizeof(err));
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
	r = load_config(path, KNOWN_CC, &exp, err, sizeof(err));
	CHECK(r == -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
	CHECK_STR_EQ(err, want);
	CHECK(exp.nflows == 0 && exp.seed == 1);

	r = load_config(tmpdir, KNOWN_CC, &exp, err, sizeof(err));
	CHECK(r == -EISDIR);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	CHECK_STR_EQ(err, want);

	/* libconfig would stop reading at the NUL; this message has no line number. */
	check_reject("nul-byte", nul_text, sizeof(nul_text) - 1,
		     " not a text file (NUL byte at offset 3)");
}

static bool knobs_unset(const struct sockops_spec *so)
{
	for (int k = 0; k < CCX_KNOB_MAX; k++)
		if (so->sides[k] || so->value[k] != 0)
			return false;
	return true;
}

static void test_quickstart(void)
{
	char path[PATH_MAX + 64], err[512] = "unset";
	const struct flow_spec *a, *b;
	struct experiment exp;
	int r;

	snprintf(path, sizeof(path), "%s/configs/examples/quickstart.cfg", source_dir);
	r = load_config(path, KNOWN_CC, &exp, err, sizeof(err));
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
	CHECK(a->sockops.value[CCX_KNOB_SYN_RTO] == 200);
	CHECK(a->sockops.sides[CCX_KNOB_SYN_RTO] == CCX_SIDES_BOTH);
	CHECK(a->sockops.value[CCX_KNOB_INIT_RWND] == 40);
	CHECK(a->sockops.sides[CCX_KNOB_INIT_RWND] == CCX_SIDES_RECEIVER);
	CHECK(a->sockops.value[CCX_KNOB_INIT_CWND] == 20);
	CHECK(a->sockops.sides[CCX_KNOB_INIT_CWND] == CCX_SIDES_SENDER);
	/* ecn = false is the kernel's default: nothing to apply. */
	CHECK(a->sockops.value[CCX_KNOB_ECN] == 0 && a->sockops.sides[CCX_KNOB_ECN] == 0);
	CHECK(a->sockops.sides[CCX_KNOB_RTO_MIN] == 0 && a->sockops.sides[CCX_KNOB_CC] == 0);
	CHECK(a->cmd[0] == '\0' && a->server_cmd[0] == '\0');
	CHECK(a->line == 6);

	b = &exp.flows[1];
	CHECK_STR_EQ(b->name, "b");
	CHECK_STR_EQ(b->cc, "bbr");
	CHECK(b->count == 1);
	CHECK(b->start_s == 2.0);
	CHECK(b->stop_s == 8.0);
	CHECK(knobs_unset(&b->sockops));
	CHECK(b->line == 8);
}

static int load_fixture(const char *name, const char *known_cc, struct experiment *exp)
{
	char path[PATH_MAX + 64], err[512];
	int r;

	snprintf(path, sizeof(path), "%s%s", fixtures, name);
	r = load_config(path, known_cc, exp, err, sizeof(err));
	CHECK_MSG(r == 0, "%s: %s", name, err);
	return r;
}

/* A link group with rate_mbit = 10 only: every other field at its default. */
static void check_link_defaults(const struct link_spec *l)
{
	uint32_t pkts = 1;
	uint64_t bytes = 1;

	CHECK(l->backend == LINK_BACKEND_AUTO);
	CHECK(l->rate_mbit == 10.0 && l->rate_down_mbit == 0);
	CHECK(l->trace_up[0] == '\0' && l->trace_down[0] == '\0');
	CHECK(l->delay_ms == 0 && l->delay_down_ms == 0);
	CHECK(l->jitter_ms == 0 && !l->jitter_reorder);
	CHECK(l->loss_model == LINK_LOSS_BERNOULLI && l->loss == 0 && l->loss_down == 0);
	CHECK(l->ge_p == 0 && l->ge_r == 0 && l->ge_loss_good == 0 && l->ge_loss_bad == 1.0);
	CHECK(l->queue_limit == LINK_QUEUE_PKTS && l->queue_pkts == 100);
	CHECK(l->queue_bytes == 0 && l->queue_bdp == 0);
	CHECK(l->queue == LINK_QUEUE_DROPTAIL);
	CHECK(l->codel_target_ms == 5.0 && l->codel_interval_ms == 100.0);
	CHECK(link_queue_limits(l, &pkts, &bytes) == 0 && pkts == 100 && bytes == 0);
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
	CHECK(knobs_unset(&f->sockops));
	CHECK(f->cmd[0] == '\0' && f->server_cmd[0] == '\0');
	CHECK(!exp.collect.rtt_samples && exp.collect.ringbuf_kb == 0);
	CHECK(exp.collect.level == COLLECT_DEFAULT);
	CHECK(f->line == 4);
	check_link_defaults(&exp.link);
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
		CHECK(exp.flows[0].count == 1023 && exp.flows[0].stop_s == 86400.0);
		CHECK(exp.flows[0].sockops.value[CCX_KNOB_SYN_RTO] == 120000);
		CHECK(exp.flows[0].sockops.value[CCX_KNOB_INIT_RWND] == 65535);
		CHECK(exp.flows[0].sockops.value[CCX_KNOB_INIT_CWND] == 65535);
		CHECK(exp.flows[0].sockops.value[CCX_KNOB_ECN] == 1);
		CHECK(exp.flows[0].sockops.sides[CCX_KNOB_ECN] == CCX_SIDES_BOTH);
		CHECK(exp.flows[1].start_s == 86399.5 && exp.flows[1].stop_s == 86399.75);
		CHECK(exp.flows[1].sockops.value[CCX_KNOB_SYN_RTO] == 1 &&
		      exp.flows[1].sockops.sides[CCX_KNOB_ECN] == 0);
		CHECK(exp.flows[1].line == 7);
		CHECK(exp.collect.sample_interval_ms == 10000);
		CHECK(exp.collect.rtt_samples && exp.collect.ringbuf_kb == 1048576);
	}
	if (!load_fixture("limits-other.cfg", KNOWN_CC, &exp)) {
		CHECK(exp.duration_s == 0.001 && exp.flows[0].stop_s == 0.001);
		CHECK(exp.link.rate_mbit == 100000.0 && exp.link.queue_pkts == 1);
		CHECK(exp.flows[0].count == CFG_MAX_CONNS);
		CHECK(exp.collect.sample_interval_ms == 1);
		CHECK(!exp.collect.rtt_samples && exp.collect.ringbuf_kb == 64);
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
		r = load_config(path, KNOWN_CC, &exp, err, sizeof(err));
		CHECK_MSG(r == 0, "%s", err);
		CHECK_MSG(exp.seed == seeds[i].want, "seed = %s read as %lu", seeds[i].seed,
			  exp.seed);
	}
	unlink(path);
}

/* Loads `text` from a temporary file; err gets the message. */
static int load_text(const char *what, const char *text, struct experiment *exp, char *err,
		     size_t errlen)
{
	char path[PATH_MAX + 32];
	int r;

	snprintf(path, sizeof(path), "%s/%s.cfg", tmpdir, what);
	write_file(path, text, strlen(text));
	r = load_config(path, KNOWN_CC, exp, err, errlen);
	unlink(path);
	return r;
}

/* collect.level: the defaults each level sets, what written settings override, and the
 * combinations refused. */
static void test_collect_level(void)
{
	static const struct reject bad[] = {
	    {EXP LINK FLOW_A "collect = { level = \"some\"; };\n",
	     "4: collect.level: must be \"none\", \"default\" or \"all\" (got \"some\")"},
	    {EXP LINK FLOW_A "collect = { level = 1; };\n", "4: collect.level: must be a string"},
	    {EXP LINK FLOW_A "collect = { level = \"none\"; rtt_samples = true; };\n",
	     "4: collect.rtt_samples: cannot be true with level = \"none\""},
	};
	struct experiment exp;
	char err[512];

	CHECK(load_text("lv-none", EXP LINK FLOW_A "collect = { level = \"none\"; };\n", &exp, err,
			sizeof(err)) == 0);
	CHECK(exp.collect.level == COLLECT_NONE && !exp.collect.rtt_samples);
	CHECK(exp.collect.sample_interval_ms == 10);
	CHECK(load_text("lv-default", EXP LINK FLOW_A "collect = { level = \"default\"; };\n", &exp,
			err, sizeof(err)) == 0);
	CHECK(exp.collect.level == COLLECT_DEFAULT && !exp.collect.rtt_samples);
	CHECK(exp.collect.sample_interval_ms == 10);
	CHECK_STR_EQ(collect_level_name(exp.collect.level), "default");
	CHECK(load_text("lv-all", EXP LINK FLOW_A "collect = { level = \"all\"; };\n", &exp, err,
			sizeof(err)) == 0);
	CHECK(exp.collect.level == COLLECT_ALL && exp.collect.rtt_samples);
	CHECK(exp.collect.sample_interval_ms == 1);
	CHECK_STR_EQ(collect_level_name(exp.collect.level), "all");
	/* Settings written next to "all" win over what it turns on. */
	CHECK(load_text("lv-all-given",
			EXP LINK FLOW_A "collect = { sample_interval_ms = 5; rtt_samples = false; "
					"level = \"all\"; };\n",
			&exp, err, sizeof(err)) == 0);
	CHECK(exp.collect.level == COLLECT_ALL && !exp.collect.rtt_samples);
	CHECK(exp.collect.sample_interval_ms == 5);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "level-reject-%zu", i);
		check_reject(what, bad[i].text, strlen(bad[i].text), bad[i].msg);
	}
}

/* One flow "a" whose sockops group holds `sockops`. */
static int load_sockops(const char *what, const char *sockops, struct experiment *exp)
{
	char text[1024], err[512];
	int r;

	snprintf(text, sizeof(text),
		 EXP LINK "flows = ( { name = \"a\"; cc = \"cubic\";\n"
			  "  sockops = { %s }; } );\n",
		 sockops);
	r = load_text(what, text, exp, err, sizeof(err));
	CHECK_MSG(r == 0, "%s: %s", sockops, err);
	return r;
}

/* A config literal for v: an integer knob's as written, a float knob's with a point. */
static void knob_literal(const struct knob_info *k, double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (k->is_float && !strpbrk(buf, ".e"))
		strncat(buf, ".0", len - strlen(buf) - 1);
}

/* Messages that name a knob's range or the knob list come from knob_table, which moves. */
static void test_knob_messages(void)
{
	const struct knob_info *pacing = &knob_table[CCX_KNOB_MAX_PACING];
	char msg[1024], known[512] = "";
	size_t n = 0;

	for (int i = 0; i < CCX_KNOB_MAX && n < sizeof(known); i++)
		if (knob_table[i].name)
			n += snprintf(known + n, sizeof(known) - n, "%s%s", n ? ", " : "",
				      knob_table[i].name);
	CHECK(strncmp(known, "syn_rto_ms, init_rwnd_pkts, init_cwnd_pkts, ", 44) == 0);
	snprintf(msg, sizeof(msg), "6: flows[1].sockops.syn_rto: unknown setting (known: %s)",
		 known);
	check_reject_str("unknown-knob",
			 EXP LINK "flows = (\n"
				  "  { name = \"a\"; cc = \"cubic\"; },\n"
				  "  { name = \"b\"; cc = \"bbr\";\n"
				  "    sockops = { syn_rto = 200; }; }\n"
				  ");\n",
			 msg);

	/* A float knob's value is printed as the float it is. */
	snprintf(
	    msg, sizeof(msg),
	    "3: flows[0].sockops.max_pacing_mbit: must be between %.15g and %.15g (got 0.0005)",
	    pacing->min, pacing->max);
	check_reject_str("pacing-low", EXP LINK FLOW("sockops = { max_pacing_mbit = 0.0005; };"),
			 msg);
	snprintf(msg, sizeof(msg),
		 "3: flows[0].sockops.max_pacing_mbit.value: must be between %.15g and %.15g "
		 "(got 2000000.0)",
		 pacing->min, pacing->max);
	check_reject_str("pacing-high",
			 EXP LINK FLOW("sockops = { max_pacing_mbit = { value = 2000000; }; };"),
			 msg);
}

/* Every knob of the table, at and beyond both ends of its range, bare and in a group. */
static void test_knob_ranges(void)
{
	for (int i = 0; i < CCX_KNOB_MAX; i++) {
		const struct knob_info *k = &knob_table[i];
		char text[1024], msg[512], what[64], lo[32], hi[32], bad[32];
		const double edges[2] = {k->min, k->max};
		struct experiment exp;

		CHECK((int)k->id == i);
		if (!k->name || k->is_bool)
			continue;
		knob_literal(k, k->min, lo, sizeof(lo));
		knob_literal(k, k->max, hi, sizeof(hi));
		for (int e = 0; e < 2; e++) {
			char lit[32];

			knob_literal(k, edges[e] + (e ? 1 : -1), lit, sizeof(lit));
			snprintf(what, sizeof(what), "range-%s-%d", k->name, e);
			snprintf(text, sizeof(text), EXP LINK FLOW("sockops = { %s = %s; };"),
				 k->name, lit);
			/* The message prints the range as the table has it: no ".0". */
			snprintf(msg, sizeof(msg),
				 "3: flows[0].sockops.%s: must be between %.15g and %.15g (got %s)",
				 k->name, k->min, k->max, lit);
			check_reject_str(what, text, msg);

			snprintf(text, sizeof(text), "%s = %s;", k->name, e ? hi : lo);
			if (!load_sockops(what, text, &exp)) {
				CHECK_MSG(exp.flows[0].sockops.value[i] == edges[e], "%s", text);
				CHECK_MSG(exp.flows[0].sockops.sides[i] == k->default_sides, "%s",
					  text);
			}
			snprintf(text, sizeof(text), "%s = { value = %s; };", k->name, e ? hi : lo);
			if (!load_sockops(what, text, &exp)) {
				CHECK_MSG(exp.flows[0].sockops.value[i] == edges[e], "%s", text);
				CHECK_MSG(exp.flows[0].sockops.sides[i] == k->default_sides, "%s",
					  text);
			}
		}
		if (k->is_float)
			continue;
		/* 1.5 packets or 20.0 ms: a float where the kernel takes a whole number. */
		snprintf(bad, sizeof(bad), "%.15g.5", k->min);
		snprintf(what, sizeof(what), "float-%s", k->name);
		snprintf(text, sizeof(text), EXP LINK FLOW("sockops = { %s = %s; };"), k->name,
			 bad);
		snprintf(msg, sizeof(msg), "3: flows[0].sockops.%s: must be an integer", k->name);
		check_reject_str(what, text, msg);
	}
}

static void test_knob_forms(void)
{
	static const struct {
		const char *side;
		unsigned int sides;
	} sides[] = {
	    {"sender", CCX_SIDES_SENDER},
	    {"receiver", CCX_SIDES_RECEIVER},
	    {"both", CCX_SIDES_BOTH},
	};
	const struct sockops_spec *so;
	struct experiment exp;
	char text[256], msg[256];

	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		/* A knob whose default is one side, moved to each side in turn. */
		snprintf(text, sizeof(text), "init_cwnd_pkts = { value = 4; side = \"%s\"; };",
			 sides[i].side);
		if (!load_sockops("side", text, &exp)) {
			CHECK(exp.flows[0].sockops.value[CCX_KNOB_INIT_CWND] == 4);
			CHECK_MSG(exp.flows[0].sockops.sides[CCX_KNOB_INIT_CWND] == sides[i].sides,
				  "%s", text);
		}
		snprintf(text, sizeof(text), "ecn = { value = true; side = \"%s\"; };",
			 sides[i].side);
		if (!load_sockops("side-ecn", text, &exp)) {
			CHECK(exp.flows[0].sockops.value[CCX_KNOB_ECN] == 1);
			CHECK_MSG(exp.flows[0].sockops.sides[CCX_KNOB_ECN] == sides[i].sides, "%s",
				  text);
		}
	}

	/* ecn = false asks for the kernel's default: stored as unset, in either form. */
	if (!load_sockops("ecn-false", "ecn = false; syn_rto_ms = 300;", &exp)) {
		so = &exp.flows[0].sockops;
		CHECK(so->sides[CCX_KNOB_ECN] == 0 && so->value[CCX_KNOB_ECN] == 0);
		CHECK(so->value[CCX_KNOB_SYN_RTO] == 300);
		CHECK(so->sides[CCX_KNOB_SYN_RTO] == CCX_SIDES_BOTH);
	}
	if (!load_sockops("ecn-false-group", "ecn = { value = false; side = \"sender\"; };", &exp))
		CHECK(knobs_unset(&exp.flows[0].sockops));
	if (!load_sockops("ecn-true", "ecn = true;", &exp)) {
		so = &exp.flows[0].sockops;
		CHECK(so->value[CCX_KNOB_ECN] == 1 && so->sides[CCX_KNOB_ECN] == CCX_SIDES_BOTH);
	}

	/* The one float knob takes decimals and integers alike. */
	if (!load_sockops("pacing", "max_pacing_mbit = 12.5;", &exp)) {
		so = &exp.flows[0].sockops;
		CHECK(so->value[CCX_KNOB_MAX_PACING] == 12.5);
		CHECK(so->sides[CCX_KNOB_MAX_PACING] == CCX_SIDES_SENDER);
	}
	if (!load_sockops("pacing-int", "max_pacing_mbit = { value = 12; side = \"both\"; };",
			  &exp)) {
		so = &exp.flows[0].sockops;
		CHECK(so->value[CCX_KNOB_MAX_PACING] == 12.0);
		CHECK(so->sides[CCX_KNOB_MAX_PACING] == CCX_SIDES_BOTH);
	}
	/* Beyond 32 bits without L, inside a group: the true value is checked. */
	snprintf(msg, sizeof(msg),
		 "3: flows[0].sockops.sndbuf_bytes.value: must be between %.15g and %.15g "
		 "(got 4294968320)",
		 knob_table[CCX_KNOB_SNDBUF].min, knob_table[CCX_KNOB_SNDBUF].max);
	check_reject_str("wrap-group",
			 EXP LINK FLOW("sockops = { sndbuf_bytes = { value = 4294968320; }; };"),
			 msg);
	/* Everything at once, each knob only where it was given. */
	if (!load_sockops("all",
			  "sndbuf_bytes = 1048576; base_rtt_us = { value = 2000; }; "
			  "rcvbuf_bytes = { value = 4194304; side = \"both\"; };",
			  &exp)) {
		so = &exp.flows[0].sockops;
		CHECK(so->value[CCX_KNOB_SNDBUF] == 1048576);
		CHECK(so->sides[CCX_KNOB_SNDBUF] == CCX_SIDES_SENDER);
		CHECK(so->value[CCX_KNOB_BASE_RTT] == 2000);
		CHECK(so->sides[CCX_KNOB_BASE_RTT] == CCX_SIDES_SENDER);
		CHECK(so->value[CCX_KNOB_RCVBUF] == 4194304);
		CHECK(so->sides[CCX_KNOB_RCVBUF] == CCX_SIDES_BOTH);
		for (int k = 0; k < CCX_KNOB_MAX; k++)
			if (k != CCX_KNOB_SNDBUF && k != CCX_KNOB_BASE_RTT && k != CCX_KNOB_RCVBUF)
				CHECK_MSG(so->sides[k] == 0 && so->value[k] == 0, "knob %d", k);
	}
}

static void test_cmd(void)
{
	const struct flow_spec *ip, *bulk;
	char text[2048], msg[128], cmd[600];
	struct experiment exp;
	int r;

	if (!load_fixture("cmd.cfg", KNOWN_CC, &exp)) {
		ip = &exp.flows[0];
		bulk = &exp.flows[1];
		CHECK_STR_EQ(ip->cmd, "iperf3 -c {dst} -p {port} -t {duration_s} -C {cc} -J");
		CHECK_STR_EQ(ip->server_cmd, "iperf3 -s -p {port} -1");
		CHECK(ip->count == 1 && knobs_unset(&ip->sockops));
		CHECK(bulk->cmd[0] == '\0' && bulk->server_cmd[0] == '\0' && bulk->count == 3);
		CHECK(experiment_conns(&exp) == 4);
		CHECK(bulk->sockops.value[CCX_KNOB_MAX_PACING] == 12.5);
		CHECK(bulk->sockops.sides[CCX_KNOB_MAX_PACING] == CCX_SIDES_SENDER);
		CHECK(bulk->sockops.value[CCX_KNOB_RTO_MIN] == 20);
		CHECK(bulk->sockops.sides[CCX_KNOB_RTO_MIN] == CCX_SIDES_BOTH);
		CHECK(bulk->sockops.value[CCX_KNOB_ECN] == 1);
		CHECK(bulk->sockops.sides[CCX_KNOB_ECN] == CCX_SIDES_SENDER);
		CHECK(bulk->sockops.value[CCX_KNOB_INIT_RWND] == 40);
		CHECK(bulk->sockops.sides[CCX_KNOB_INIT_RWND] == CCX_SIDES_RECEIVER);
	}

	/* Every placeholder, and {{ for a brace the program needs. */
	r = load_text("cmd-all",
		      EXP LINK FLOW("cmd = \"run {src} {dst} {port} {cc} {flow} {duration_s} "
				    "'{{x}' }{{\"; server_cmd = \"serve {port}\";"),
		      &exp, msg, sizeof(msg));
	CHECK_MSG(r == 0, "%s", msg);
	CHECK_STR_EQ(exp.flows[0].server_cmd, "serve {port}");
	CHECK(exp.flows[0].count == 1);

	/* A cmd alone would connect to nothing: ccexp's receiver does not listen for it. */
	check_reject_str("cmd-alone",
			 EXP LINK "flows = ( { name = \"a\"; cc = \"cubic\"; start_s = 1;\n"
				  "  cmd = \"nc {dst} {port}\"; } );\n",
			 "4: flows[0].cmd: cmd needs server_cmd: nothing else listens on {port} "
			 "of the receiver host");

	/* 511 characters fit, 512 do not. */
	memset(cmd, 'x', 512);
	cmd[511] = '\0';
	snprintf(text, sizeof(text), EXP LINK FLOW("cmd = \"%s\"; server_cmd = \"x\";"), cmd);
	r = load_text("cmd-511", text, &exp, msg, sizeof(msg));
	CHECK_MSG(r == 0, "%s", msg);
	CHECK(strlen(exp.flows[0].cmd) == 511);
	snprintf(text, sizeof(text), EXP LINK FLOW("cmd = \"x\"; server_cmd = \"%s\";"), cmd);
	r = load_text("server-cmd-511", text, &exp, msg, sizeof(msg));
	CHECK_MSG(r == 0, "%s", msg);
	CHECK(strlen(exp.flows[0].server_cmd) == 511);
	cmd[511] = 'x';
	cmd[512] = '\0';
	snprintf(text, sizeof(text), EXP LINK FLOW("cmd = \"%s\";"), cmd);
	check_reject_str("cmd-512", text,
			 "3: flows[0].cmd: must be at most 511 characters (got 512)");
	snprintf(text, sizeof(text), EXP LINK FLOW("cmd = \"x\"; server_cmd = \"%s\";"), cmd);
	check_reject_str("server-cmd-512", text,
			 "3: flows[0].server_cmd: must be at most 511 characters (got 512)");
}

static void test_expand_cmd(void)
{
	static const char tmpl[] = "iperf3 -c {dst} -p {port} -t {duration_s} -C {cc} -J";
	static const char want[] = "iperf3 -c 10.0.0.2 -p 5201 -t 6 -C bbr -J";
	struct flow_spec f = {.name = "ip", .cc = "bbr", .start_s = 2.0, .stop_s = 8.0};
	char out[64];

	memset(out, 'x', sizeof(out));
	CHECK(config_expand_cmd(tmpl, &f, "10.0.0.1", "10.0.0.2", 5201, out, sizeof(out)) == 0);
	CHECK_STR_EQ(out, want);

	f.start_s = 0.25;
	f.stop_s = 10.0;
	CHECK(config_expand_cmd("{src}>{dst}:{port} {flow}/{cc} {duration_s}s {{x}} {{", &f,
				"10.0.0.1", "10.0.0.2", 443, out, sizeof(out)) == 0);
	CHECK_STR_EQ(out, "10.0.0.1>10.0.0.2:443 ip/bbr 9.75s {x}} {");
	CHECK(config_expand_cmd("", &f, "a", "b", 1, out, sizeof(out)) == 0);
	CHECK_STR_EQ(out, "");

	/* Exactly fitting, one short, and nowhere to write: never a truncated command. */
	f.start_s = 2.0;
	f.stop_s = 8.0;
	CHECK(config_expand_cmd(tmpl, &f, "10.0.0.1", "10.0.0.2", 5201, out, sizeof(want)) == 0);
	CHECK_STR_EQ(out, want);
	CHECK(config_expand_cmd(tmpl, &f, "10.0.0.1", "10.0.0.2", 5201, out, sizeof(want) - 1) ==
	      -ENAMETOOLONG);
	CHECK_STR_EQ(out, "");
	CHECK(config_expand_cmd("{dst}", &f, "10.0.0.1", "10.0.0.2", 5201, out, 8) ==
	      -ENAMETOOLONG);
	CHECK_STR_EQ(out, "");
	CHECK(config_expand_cmd("abc", &f, "", "", 0, out, 0) == -ENAMETOOLONG);

	/* What load_config() refuses is refused here too. */
	CHECK(config_expand_cmd("a {nope} b", &f, "", "", 0, out, sizeof(out)) == -EINVAL);
	CHECK_STR_EQ(out, "");
	CHECK(config_expand_cmd("a {dst", &f, "", "", 0, out, sizeof(out)) == -EINVAL);
}

/*
 * docs/config.md is written by hand from knob_table: it must have a row for every knob, and
 * the row must give the knob's range as the table has it.
 */
static void test_doc_knobs(void)
{
	char path[PATH_MAX + 64], name[64], range[64];
	const char *row, *end;
	char *doc;

	snprintf(path, sizeof(path), "%s/docs/config.md", source_dir);
	doc = slurp(path);
	CHECK_MSG(doc, "cannot read %s", path);
	if (!doc)
		return;
	for (int i = 0; i < CCX_KNOB_MAX; i++) {
		if (!knob_table[i].name)
			continue;
		snprintf(name, sizeof(name), "| `%s` ", knob_table[i].name);
		row = strstr(doc, name);
		CHECK_MSG(row, "docs/config.md has no table row for %s", knob_table[i].name);
		if (!row || knob_table[i].is_bool)
			continue;
		end = strchr(row, '\n');
		snprintf(range, sizeof(range), " %.15g..%.15g ", knob_table[i].min,
			 knob_table[i].max);
		CHECK_MSG(
		    memmem(row, end ? (size_t)(end - row) : strlen(row), range, strlen(range)),
		    "docs/config.md: the row of %s does not give its range as%s",
		    knob_table[i].name, range);
	}
	free(doc);
}

/* Every setting of the link group, none at its default: fixtures/config/link-tun.cfg. */
static void test_link_tun(void)
{
	const struct link_spec *l;
	struct experiment exp;
	uint32_t pkts = 1;
	uint64_t bytes = 0;

	if (load_fixture("link-tun.cfg", KNOWN_CC, &exp))
		return;
	l = &exp.link;
	CHECK(l->backend == LINK_BACKEND_TUN);
	CHECK(l->rate_mbit == 20.0 && l->rate_down_mbit == 5.0);
	CHECK(l->trace_up[0] == '\0' && l->trace_down[0] == '\0');
	CHECK(l->delay_ms == 20.0 && l->delay_down_ms == 10.0);
	CHECK(l->jitter_ms == 2.5 && l->jitter_reorder);
	CHECK(l->loss_model == LINK_LOSS_GILBERT_ELLIOTT);
	CHECK(l->loss == 0 && l->loss_down == 0.001);
	CHECK(l->ge_p == 0.01 && l->ge_r == 0.3);
	CHECK(l->ge_loss_good == 0.001 && l->ge_loss_bad == 0.5);
	CHECK(l->queue_limit == LINK_QUEUE_BDP && l->queue_bdp == 1.5 && l->queue_bytes == 0);
	CHECK(l->queue == LINK_QUEUE_CODEL);
	CHECK(l->codel_target_ms == 10.0 && l->codel_interval_ms == 200.0);
	/* 2.5 MB/s x 30 ms x 1.5 = 112500 bytes; in 1500-byte packets for packet-only code. */
	CHECK(link_queue_limits(l, &pkts, &bytes) == 0);
	CHECK_MSG(pkts == 0 && bytes == 112500, "pkts %u bytes %llu", pkts,
		  (unsigned long long)bytes);
	CHECK(l->queue_pkts == 75);
}

/* A flow's extra delays: the down one follows the up one unless given; zeros are accepted
 * by every backend; a nonzero one keeps auto off netem. */
static void test_flow_delay(void)
{
	char err[512];
	struct experiment exp;

	CHECK_MSG(load_text("fd",
			    EXP LINK
			    "flows = ( { name = \"a\"; cc = \"cubic\"; extra_delay_ms = 30; },\n"
			    "  { name = \"b\"; cc = \"cubic\"; extra_delay_ms = 10.5;"
			    " extra_delay_down_ms = 0; },\n"
			    "  { name = \"c\"; cc = \"cubic\"; } );\n",
			    &exp, err, sizeof(err)) == 0,
		  "%s", err);
	CHECK(exp.flows[0].extra_delay_ms == 30 && exp.flows[0].extra_delay_down_ms == 30);
	CHECK(exp.flows[0].extra_delay_at.line == 3);
	CHECK(exp.flows[1].extra_delay_ms == 10.5 && exp.flows[1].extra_delay_down_ms == 0);
	CHECK(exp.flows[1].extra_delay_at.line == 4);
	CHECK(exp.flows[2].extra_delay_ms == 0 && exp.flows[2].extra_delay_down_ms == 0);
	CHECK(exp.flows[2].extra_delay_at.line == 0);
	CHECK(exp.link.flow_delay);
	CHECK_STR_EQ(link_netem_lacks(&exp.link), "delays every flow alike (no per-flow delay)");
	CHECK_MSG(load_text("fd0",
			    EXP LNK("backend = \"tc\"; rate_mbit = 10.0;")
				FLOW("extra_delay_ms = 0; extra_delay_down_ms = 0.0;"),
			    &exp, err, sizeof(err)) == 0,
		  "%s", err);
	CHECK(!exp.link.flow_delay && !link_netem_lacks(&exp.link));
}

/* What each backend accepts: the settings it has, and the others at their defaults. */
static void test_link_backends(void)
{
	static const char *const accepted[] = {
	    /* tc: a rate and a queue of any form, and the defaults written out. */
	    LNK("backend = \"tc\"; rate_mbit = 10.0; queue_bytes = 30000; delay_ms = 0;"
		" delay_down_ms = 0.0; jitter_ms = 0; jitter_reorder = false; loss = 0;"
		" loss_down = 0.0; loss_model = \"bernoulli\"; rate_down_mbit = 0;"
		" queue = \"droptail\";"),
	    LNK("backend = \"tc\"; rate_mbit = 10.0; queue_bdp = 2;"),
	    /* netem: everything but a trace and CoDel; the largest jitter it takes. */
	    LNK("backend = \"netem\"; rate_mbit = 10.0; rate_down_mbit = 1; delay_ms = 20;"
		" delay_down_ms = 5; jitter_ms = 2147.483647; jitter_reorder = false;"
		" loss_model = \"gilbert-elliott\"; ge_p = 1; ge_r = 1; ge_loss_good = 1;"
		" ge_loss_bad = 0; loss_down = 0.999; queue_pkts = 1000000;"
		" queue = \"droptail\";"),
	    /* none: only the defaults, written out. */
	    LNK("backend = \"none\"; rate_down_mbit = 0.0; delay_ms = 0; delay_down_ms = 0;"
		" jitter_ms = 0.0; jitter_reorder = false; loss_model = \"bernoulli\";"
		" loss = 0; loss_down = 0; queue_pkts = 100; queue = \"droptail\";"),
	    LNK("backend = \"none\";"),
	    /* auto: what any backend has; the rest is for the run to choose. */
	    LNK("backend = \"auto\"; rate_mbit = 100000; rate_down_mbit = 0.01;"
		" delay_ms = 10000; delay_down_ms = 0; jitter_ms = 10000; loss = 0.999999;"
		" queue_bytes = 10000000000L;"),
	};
	static const enum link_backend backends[] = {
	    LINK_BACKEND_TC,   LINK_BACKEND_TC,	  LINK_BACKEND_NETEM,
	    LINK_BACKEND_NONE, LINK_BACKEND_NONE, LINK_BACKEND_AUTO,
	};
	char text[1024], err[512];
	struct experiment exp;
	const struct link_spec *l = &exp.link;

	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		snprintf(text, sizeof(text), EXP "%s" FLOW_A, accepted[i]);
		CHECK_MSG(load_text("link-ok", text, &exp, err, sizeof(err)) == 0, "%s: %s",
			  accepted[i], err);
		CHECK_MSG(l->backend == backends[i], "%s", accepted[i]);
	}
	/* The last one loaded: auto at the far edges. */
	CHECK(l->rate_mbit == 100000 && l->rate_down_mbit == 0.01);
	CHECK(l->delay_ms == 10000 && l->delay_down_ms == 0 && l->jitter_ms == 10000);
	CHECK(l->queue_limit == LINK_QUEUE_BYTES && l->queue_bytes == 10000000000ULL);
	CHECK(l->queue_pkts == 6666667);

	/* netem with everything: the values land where they should. */
	snprintf(text, sizeof(text), EXP "%s" FLOW_A, accepted[2]);
	if (load_text("link-netem", text, &exp, err, sizeof(err)) == 0) {
		CHECK(l->delay_ms == 20 && l->delay_down_ms == 5);
		CHECK(l->jitter_ms == LINK_NETEM_JITTER_MAX_MS);
		CHECK(l->loss_model == LINK_LOSS_GILBERT_ELLIOTT && l->loss_down == 0.999);
		CHECK(l->ge_p == 1 && l->ge_r == 1 && l->ge_loss_good == 1 && l->ge_loss_bad == 0);
		CHECK(l->queue_limit == LINK_QUEUE_PKTS && l->queue_pkts == 1000000);
		CHECK(l->queue == LINK_QUEUE_DROPTAIL);
	}
	/* backend none: no rate at all. */
	snprintf(text, sizeof(text), EXP "%s" FLOW_A, accepted[4]);
	if (load_text("link-none", text, &exp, err, sizeof(err)) == 0)
		CHECK(l->rate_mbit == 0 && l->queue_pkts == 100);
	/* delay_down_ms follows delay_ms unless given. */
	if (load_text("link-delay", EXP LNK("rate_mbit = 1; delay_ms = 12.5;") FLOW_A, &exp, err,
		      sizeof(err)) == 0)
		CHECK(l->delay_ms == 12.5 && l->delay_down_ms == 12.5);
	if (load_text("link-delay-0",
		      EXP LNK("rate_mbit = 1; delay_ms = 12.5; delay_down_ms = 0;") FLOW_A, &exp,
		      err, sizeof(err)) == 0)
		CHECK(l->delay_ms == 12.5 && l->delay_down_ms == 0);
	/* The run-small results fixture's config (netem, given rate, delay, loss and queue). */
	CHECK(load_fixture("../run-small/config.cfg", NULL, &exp) == 0);
	CHECK(l->backend == LINK_BACKEND_NETEM && l->delay_ms == 20 && l->queue_pkts == 50);

	CHECK_STR_EQ(link_backend_name(LINK_BACKEND_AUTO), "auto");
	CHECK_STR_EQ(link_backend_name(LINK_BACKEND_NETEM), "netem");
	CHECK_STR_EQ(link_backend_name(LINK_BACKEND_TUN), "tun");
	CHECK_STR_EQ(link_backend_name(LINK_BACKEND_TC), "tc");
	CHECK_STR_EQ(link_backend_name(LINK_BACKEND_NONE), "none");
	CHECK_STR_EQ(link_backend_name(LINK_BACKEND_MAX), "?");
	CHECK_STR_EQ(link_loss_model_name(LINK_LOSS_GILBERT_ELLIOTT), "gilbert-elliott");
	CHECK_STR_EQ(link_loss_model_name(LINK_LOSS_BERNOULLI), "bernoulli");
	CHECK_STR_EQ(link_queue_name(LINK_QUEUE_CODEL), "codel");
	CHECK_STR_EQ(link_queue_name(LINK_QUEUE_DROPTAIL), "droptail");
	CHECK_STR_EQ(link_queue_name((enum link_queue) - 1), "?");
	CHECK_STR_EQ(link_capture_name(LINK_CAPTURE_HEADERS), "headers");
	CHECK_STR_EQ(link_capture_name(LINK_CAPTURE_MAX), "?");
}

/* A trace path is relative to the config's directory, whatever the working directory. */
static void test_link_traces(void)
{
	char trace[PATH_MAX], cwd[PATH_MAX], dir[PATH_MAX + 64], text[PATH_MAX + 512];
	char err[PATH_MAX + 512];
	struct experiment exp;
	const struct link_spec *l = &exp.link;
	uint32_t pkts = 0;
	uint64_t bytes = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/traces/const-12mbps.trace", source_dir);
	if (!realpath(dir, trace) || !getcwd(cwd, sizeof(cwd))) {
		CHECK_MSG(0, "%s: %s", dir, strerror(errno));
		return;
	}
	if (!load_fixture("link-trace.cfg", KNOWN_CC, &exp)) {
		CHECK(l->backend == LINK_BACKEND_AUTO && l->rate_mbit == 0);
		CHECK_STR_EQ(l->trace_up, trace);
		CHECK_STR_EQ(l->trace_down, trace);
		CHECK(l->rate_down_mbit == 0);
		CHECK(l->delay_ms == 15 && l->delay_down_ms == 15 && l->loss == 0.01);
		CHECK(l->queue_limit == LINK_QUEUE_BYTES && l->queue_bytes == 150001);
		CHECK(link_queue_limits(l, &pkts, &bytes) == 0 && pkts == 0 && bytes == 150001);
		CHECK(l->queue_pkts == 101);
	}

	/* The same config named from its own directory and from another one. */
	snprintf(dir, sizeof(dir), "%s/tests", source_dir);
	if (chdir(fixtures) == 0) {
		memset(&exp, 0, sizeof(exp));
		CHECK_MSG(load_config("link-trace.cfg", KNOWN_CC, &exp, err, sizeof(err)) == 0,
			  "%s", err);
		CHECK_STR_EQ(l->trace_up, trace);
	}
	if (chdir(dir) == 0) {
		memset(&exp, 0, sizeof(exp));
		CHECK_MSG(load_config("fixtures/config/link-trace.cfg", KNOWN_CC, &exp, err,
				      sizeof(err)) == 0,
			  "%s", err);
		CHECK_STR_EQ(l->trace_down, trace);
	}
	CHECK(chdir(cwd) == 0);

	/* An absolute path is taken as it is; tun accepts a trace. */
	snprintf(text, sizeof(text),
		 EXP LNK("backend = \"tun\"; trace_up = \"%s\"; rate_down_mbit = 2;") FLOW_A,
		 trace);
	if (!load_text("link-abs", text, &exp, err, sizeof(err))) {
		CHECK_STR_EQ(l->trace_up, trace);
		CHECK(l->trace_down[0] == '\0' && l->rate_down_mbit == 2);
	} else {
		CHECK_MSG(0, "%s", err);
	}
}

/* A trace that cannot be opened is refused at load time, with the path that was tried. */
static void test_link_trace_unreadable(void)
{
	char path[PATH_MAX + 64], text[PATH_MAX + 512], msg[PATH_MAX + 512];
	struct experiment exp;

	snprintf(msg, sizeof(msg),
		 "2: link.trace_up: cannot read \"%s/traces/nope.up\": No such file or directory",
		 tmpdir);
	check_reject_str("trace-missing", EXP LNK("trace_up = \"traces/nope.up\";") FLOW_A, msg);
	snprintf(msg, sizeof(msg),
		 "2: link.trace_down: cannot read \"%s/./x/../nope\": No such file or directory",
		 tmpdir);
	check_reject_str("trace-missing-down",
			 EXP LNK("rate_mbit = 1; trace_down = \"./x/../nope\";") FLOW_A, msg);
	snprintf(text, sizeof(text), EXP LNK("rate_mbit = 1; trace_down = \"%s\";") FLOW_A, tmpdir);
	snprintf(msg, sizeof(msg), "2: link.trace_down: cannot read \"%s\": Is a directory",
		 tmpdir);
	check_reject_str("trace-dir", text, msg);
	check_reject_str("trace-empty", EXP LNK("trace_up = \"\";") FLOW_A,
			 "2: link.trace_up: must not be empty");

	/* A FIFO would block a reader: refused without opening it for good. */
	snprintf(path, sizeof(path), "%s/fifo.trace", tmpdir);
	if (mkfifo(path, 0600) == 0) {
		snprintf(msg, sizeof(msg),
			 "2: link.trace_up: cannot read \"%s\": not a regular file", path);
		check_reject_str("trace-fifo", EXP LNK("trace_up = \"fifo.trace\";") FLOW_A, msg);
		unlink(path);
	} else {
		CHECK_MSG(0, "mkfifo %s: %s", path, strerror(errno));
	}

	/* Unreadable by mode: root reads anything, so only an unprivileged run checks it. */
	snprintf(path, sizeof(path), "%s/secret.trace", tmpdir);
	write_file(path, "1\n", 2);
	if (geteuid() != 0 && chmod(path, 0) == 0) {
		snprintf(msg, sizeof(msg),
			 "2: link.trace_up: cannot read \"%s\": Permission denied", path);
		check_reject_str("trace-mode", EXP LNK("trace_up = \"secret.trace\";") FLOW_A, msg);
	}

	/* A trace next to the config; queue_bdp has no fixed rate to size it by there. */
	CHECK(chmod(path, 0600) == 0);
	if (load_text("trace-here", EXP LNK("trace_up = \"secret.trace\";") FLOW_A, &exp, msg,
		      sizeof(msg)) == 0)
		CHECK(strcmp(exp.link.trace_up + strlen(exp.link.trace_up) - 13, "/secret.trace") ==
		      0);
	else
		CHECK_MSG(0, "%s", msg);
	check_reject_str("trace-bdp", EXP LNK("trace_up = \"secret.trace\"; queue_bdp = 1;") FLOW_A,
			 "2: link.queue_bdp: needs rate_mbit: a trace has no fixed rate to size it "
			 "by");
	unlink(path);
}

/* link_queue_limits() on each form, from a config and from a hand-filled link_spec. */
static void test_link_queue_limits(void)
{
	static const struct {
		const char *link;
		uint32_t pkts;
		uint64_t bytes;
		int queue_pkts;
	} cases[] = {
	    {LNK("rate_mbit = 10; queue_pkts = 50;"), 50, 0, 50},
	    {LNK("rate_mbit = 10; queue_pkts = 1;"), 1, 0, 1},
	    {LNK("rate_mbit = 10; queue_bytes = 1;"), 0, 1, 1},
	    {LNK("rate_mbit = 10; queue_bytes = 1500;"), 0, 1500, 1},
	    {LNK("rate_mbit = 10; queue_bytes = 1501;"), 0, 1501, 2},
	    /* 2.5 MB/s x (20 + 30) ms = 125000 bytes per BDP. */
	    {LNK("rate_mbit = 20; delay_ms = 20; delay_down_ms = 30; queue_bdp = 2;"), 0, 250000,
	     167},
	    {LNK("rate_mbit = 20; delay_ms = 20; delay_down_ms = 30; queue_bdp = 0.01;"), 0, 1500,
	     1},
	    /* delay_down_ms follows delay_ms: 1.25 MB/s x 80 ms x 0.5. */
	    {LNK("rate_mbit = 10; delay_ms = 40; queue_bdp = 0.5;"), 0, 50000, 34},
	    /* Rounded up to a whole byte: 1250 B/s x 2 ms x 1 = 2.5 bytes, then the floor. */
	    {LNK("rate_mbit = 0.01; delay_ms = 1; queue_bdp = 1;"), 0, 1500, 1},
	    {LNK("rate_mbit = 0.01; queue_bdp = 100;"), 0, 1500, 1},
	    {LNK("rate_mbit = 1; delay_ms = 6; queue_bdp = 1.0001;"), 0, 1501, 2},
	};
	char text[512], err[512];
	struct experiment exp;
	struct link_spec l;
	uint32_t pkts;
	uint64_t bytes;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), EXP "%s" FLOW_A, cases[i].link);
		if (load_text("limits", text, &exp, err, sizeof(err))) {
			CHECK_MSG(0, "%s: %s", cases[i].link, err);
			continue;
		}
		pkts = 7;
		bytes = 7;
		CHECK(link_queue_limits(&exp.link, &pkts, &bytes) == 0);
		CHECK_MSG(pkts == cases[i].pkts && bytes == cases[i].bytes,
			  "%s: pkts %u bytes %llu", cases[i].link, pkts, (unsigned long long)bytes);
		CHECK_MSG(exp.link.queue_pkts == cases[i].queue_pkts, "%s: queue_pkts %d",
			  cases[i].link, exp.link.queue_pkts);
	}

	/* Code that fills a link_spec itself (zeroed, rate and queue_pkts) gets packets. */
	memset(&l, 0, sizeof(l));
	l.rate_mbit = 100;
	l.queue_pkts = 100;
	CHECK(link_queue_limits(&l, &pkts, &bytes) == 0 && pkts == 100 && bytes == 0);
	l.queue_pkts = 0;
	CHECK(link_queue_limits(&l, &pkts, &bytes) == -EINVAL && pkts == 0 && bytes == 0);
	l.queue_limit = LINK_QUEUE_BYTES;
	CHECK(link_queue_limits(&l, &pkts, &bytes) == -EINVAL);
	l.queue_bytes = 10000000001ULL;
	CHECK(link_queue_limits(&l, &pkts, &bytes) == -EINVAL);
	l.queue_limit = LINK_QUEUE_BDP;
	l.queue_bdp = 1;
	l.delay_ms = 10;
	l.delay_down_ms = 10;
	CHECK(link_queue_limits(&l, &pkts, &bytes) == 0 && pkts == 0 && bytes == 250000);
	l.rate_mbit = 0; /* as with a trace */
	CHECK(link_queue_limits(&l, &pkts, &bytes) == -EINVAL);
	l.rate_mbit = 100000;
	l.delay_ms = 10000;
	l.queue_bdp = 100;
	CHECK(link_queue_limits(&l, &pkts, &bytes) == -EINVAL);
	l.queue_limit = (enum link_queue_limit)7;
	CHECK(link_queue_limits(&l, &pkts, &bytes) == -EINVAL);
}

/* docs/config.md has a row for every link setting: the loader's own list, from its message. */
static void test_doc_link(void)
{
	char path[PATH_MAX + 64], row[64], err[1024];
	struct experiment exp;
	const char *p;
	char *doc;
	size_t n;
	int count = 0;

	load_text("doc-link", EXP LNK("rate_mbit = 1; nope = 1;") FLOW_A, &exp, err, sizeof(err));
	p = strstr(err, "(known: ");
	CHECK_MSG(p, "%s", err);
	snprintf(path, sizeof(path), "%s/docs/config.md", source_dir);
	doc = slurp(path);
	CHECK_MSG(doc, "cannot read %s", path);
	if (!p || !doc) {
		free(doc);
		return;
	}
	for (p += strlen("(known: "); *p && *p != ')'; p += n + strspn(p + n, ", ")) {
		n = strcspn(p, ",)");
		snprintf(row, sizeof(row), "\n| `%.*s` ", (int)n, p);
		CHECK_MSG(strstr(doc, row), "docs/config.md has no table row for link.%.*s", (int)n,
			  p);
		count++;
	}
	CHECK(count == 23);
	free(doc);
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
	r = load_config(path, "cubic", &exp, err, sizeof(err));
	CHECK(r == -EINVAL);
	CHECK(strlen(err) == sizeof(err) - 1 && strncmp(err, path, sizeof(err) - 1) == 0);
	CHECK(load_config(path, "cubic", &exp, NULL, 0) == -EINVAL);
}

/* The word lists of /proc: any blank separates, and only whole words match. */
/* Both forms, the default side, a triple's blanks made single, the unset ones left empty. */
static void test_hosts(void)
{
	struct experiment exp;
	char err[512];
	int r;

	r = load_text(
	    "hosts",
	    HOSTS("tcp_rmem = \"4096\t131072  67108864 \";\n"
		  "  tcp_wmem = { value = \"4096 16384 67108864\"; side = \"sender\"; };\n"
		  "  tcp_slow_start_after_idle = { value = 0; side = \"receiver\"; };\n"
		  "  tcp_notsent_lowat = 4294967295; tcp_adv_win_scale = -2;"),
	    &exp, err, sizeof(err));
	CHECK_MSG(r == 0, "%s", err);
	if (r)
		return;
	CHECK_STR_EQ(exp.hosts.value[HS_TCP_RMEM], "4096 131072 67108864");
	CHECK(exp.hosts.sides[HS_TCP_RMEM] == CCX_SIDES_BOTH);
	CHECK_STR_EQ(exp.hosts.value[HS_TCP_WMEM], "4096 16384 67108864");
	CHECK(exp.hosts.sides[HS_TCP_WMEM] == CCX_SIDES_SENDER);
	CHECK_STR_EQ(exp.hosts.value[HS_TCP_SLOW_START_AFTER_IDLE], "0");
	CHECK(exp.hosts.sides[HS_TCP_SLOW_START_AFTER_IDLE] == CCX_SIDES_RECEIVER);
	CHECK_STR_EQ(exp.hosts.value[HS_TCP_NOTSENT_LOWAT], "4294967295");
	CHECK_STR_EQ(exp.hosts.value[HS_TCP_ADV_WIN_SCALE], "-2");
	CHECK(exp.hosts.sides[HS_TCP_ECN] == 0 && exp.hosts.value[HS_TCP_ECN][0] == '\0');
	CHECK_STR_EQ(host_sides_name(CCX_SIDES_RECEIVER), "receiver");

	/* No group: nothing to set, and the paths in the table are where /proc/sys has them. */
	r = load_text("hosts-none", EXP LINK FLOW_A, &exp, err, sizeof(err));
	CHECK(r == 0);
	for (int i = 0; i < HS_MAX; i++) {
		const char *slash = strrchr(host_sysctl_table[i].path, '/');

		CHECK(exp.hosts.sides[i] == 0);
		CHECK(slash && strcmp(slash + 1, host_sysctl_table[i].name) == 0);
	}
}

static void test_words(void)
{
	const char *p = " \treno  cubic\nbbr\n", *w;
	const char *want[] = {"reno", "cubic", "bbr"};
	size_t n, i = 0;

	while ((w = words_next(&p, &n))) {
		CHECK_MSG(i < 3 && n == strlen(want[i]) && strncmp(w, want[i], n) == 0, "word %zu",
			  i);
		i++;
	}
	CHECK(i == 3 && *p == '\0');
	p = "";
	CHECK(!words_next(&p, &n) && n == 0);
	CHECK(words_contain(KNOWN_CC, "bbr") && words_contain(KNOWN_CC, "reno"));
	CHECK(!words_contain(KNOWN_CC, "cub") && !words_contain(KNOWN_CC, "cubic2"));
	CHECK(!words_contain(KNOWN_CC, "") && !words_contain("", "reno"));
	CHECK(!words_contain("reno cubic", "reno cubic"));
}

/* Integers as written, wherever they stand: libconfig 1.5 wraps them to 32 bits (and clamps
 * one with L), and two settings may share a line. */
static void test_int_literals(void)
{
	static const struct reject cases[] = {
	    {"experiment = { name = \"t\"; duration_s = 10.0; seed = 99999999999999999999999; "
	     "};\n" LINK FLOW_A,
	     "1: experiment.seed: must be between 0 and 9223372036854775807 "
	     "(got 99999999999999999999999)"},
	    {"experiment = { name = \"t\"; duration_s = 10.0; seed = 9223372036854775808L; "
	     "};\n" LINK FLOW_A,
	     "1: experiment.seed: must be between 0 and 9223372036854775807 "
	     "(got 9223372036854775808L)"},
	    {EXP LINK "flows = ( { name = \"a\"; cc = \"cubic\"; count = 1; }, "
		      "{ name = \"b\"; cc = \"cubic\"; count = 4294967297; } );\n",
	     "3: flows[1].count: must be between 1 and 1024 (got 4294967297)"},
	    {EXP LINK "flows = ( { name = \"a\"; cc = \"cubic\"; /* count = 1; */ count = "
		      "4294967297; } );\n",
	     "3: flows[0].count: must be between 1 and 1024 (got 4294967297)"},
	    {EXP LINK FLOW("count = -4294967295;"),
	     "3: flows[0].count: must be between 1 and 1024 (got -4294967295)"},
	    {EXP LINK FLOW("count = 0x100000001;"),
	     "3: flows[0].count: must be between 1 and 1024 (got 4294967297)"},
	    {EXP "link = { rate_mbit = 99999999999999999999999; };\n" FLOW_A,
	     "2: link.rate_mbit: must be between 0.01 and 100000 (got 1e+23)"},
	    {EXP LNK("rate_mbit = 10; queue_pkts = 4294967297;") FLOW_A,
	     "2: link.queue_pkts: must be between 1 and 1000000 (got 4294967297)"},
	};
	char what[32];

	if (sizeof(unsigned long) < 8)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "int-%02zu", i);
		check_reject_str(what, cases[i].text, cases[i].msg);
	}
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0700) < 0) {
		fprintf(stderr, "cannot make %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void write_at(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, text, strlen(text));
}

static char *read_all(const char *path)
{
	char *buf = calloc(1, 1 << 16);
	FILE *f = fopen(path, "r");

	if (f && buf)
		CHECK(fread(buf, 1, (1 << 16) - 1, f) > 0);
	if (f)
		fclose(f);
	return buf;
}

/* An @include is taken from the folder of the file that includes it, whatever the working
 * directory; its settings' messages name it; the saved config holds its text. */
static void test_include(void)
{
	char inc[PATH_MAX + 32], sub[PATH_MAX + 64], cwd[PATH_MAX], err[PATH_MAX + 512];
	char saved[PATH_MAX + 64], main_cfg[PATH_MAX + 64];
	struct experiment exp, again;
	char *text;

	snprintf(inc, sizeof(inc), "%s/inc", tmpdir);
	snprintf(sub, sizeof(sub), "%s/sub", inc);
	make_dir(inc);
	make_dir(sub);
	write_at(inc, "link.inc", "link = { rate_mbit = 42.5;\n  queue_pkts = 4294967297L; };\n");
	write_at(inc, "main.cfg", EXP "@include \"link.inc\"\n" FLOW_A);
	write_at(sub, "a.inc",
		 "# a file that includes another from its own folder\n"
		 "@include \"b.inc\"\n");
	write_at(sub, "b.inc", "link = { rate_mbit = 7.0; };\n");
	write_at(inc, "nested.cfg", EXP "  @include \"sub/a.inc\"  \n" FLOW_A);
	write_at(inc, "bad.inc", "link = { rate_mbit = 10.0;\n  delay_ms = -1.0; };\n");
	write_at(inc, "bad.cfg", EXP "@include \"bad.inc\"\n" FLOW_A);
	write_at(inc, "syntax.inc", "link = { rate_mbit = ; };\n");
	write_at(inc, "syntax.cfg", EXP "@include \"syntax.inc\"\n" FLOW_A);
	write_at(inc, "after.cfg", EXP "@include \"sub/b.inc\"\nflows = ( { name = \"a\"; };\n");
	write_at(inc, "missing.cfg", EXP "@include \"none.inc\"\n" FLOW_A);
	write_at(inc, "loop.cfg", EXP "@include \"loop.cfg\"\n" FLOW_A);
	write_at(inc, "seed.inc", "seed = 4294967297;\n");
	write_at(inc, "seed.cfg",
		 "experiment = { name = \"t\"; duration_s = 10.0;\n@include \"seed.inc\"\n};\n" LINK
		     FLOW_A);
	if (!getcwd(cwd, sizeof(cwd)) || chdir(tmpdir) < 0) {
		CHECK_MSG(0, "chdir %s: %s", tmpdir, strerror(errno));
		return;
	}

	/* From tmpdir, where there is no link.inc: it must come from inc/. */
	CHECK_MSG(load_config("inc/main.cfg", KNOWN_CC, &exp, err, sizeof(err)) == -EINVAL, "%s",
		  err);
	CHECK_STR_EQ(err, "inc/link.inc:2: link.queue_pkts: must be between 1 and 1000000 (got "
			  "4294967297)");
	write_at(inc, "link.inc", "link = { rate_mbit = 42.5;\n  queue_pkts = 7; };\n");
	if (!load_config("inc/main.cfg", KNOWN_CC, &exp, err, sizeof(err))) {
		CHECK(exp.link.rate_mbit == 42.5 && exp.link.queue_pkts == 7);
		CHECK(exp.nflows == 1 && exp.flows[0].line == 3);
		CHECK(exp.nfiles == 2);
		CHECK_STR_EQ(exp.files[0], "inc/main.cfg");
		CHECK_STR_EQ(exp.files[1], "inc/link.inc");
		CHECK(exp.link.at[LINK_SET_QUEUE_PKTS].file == 1 &&
		      exp.link.at[LINK_SET_QUEUE_PKTS].line == 2);
	} else {
		CHECK_MSG(0, "%s", err);
	}
	CHECK_MSG(load_config("inc/nested.cfg", KNOWN_CC, &exp, err, sizeof(err)) == 0, "%s", err);
	CHECK(exp.link.rate_mbit == 7.0 && exp.flows[0].line == 3);
	CHECK(load_config("inc/seed.cfg", KNOWN_CC, &exp, err, sizeof(err)) == 0);
	CHECK_MSG(exp.seed == 4294967297UL || sizeof(unsigned long) < 8, "seed %lu", exp.seed);

	/* Messages name the file and line where the problem is written. */
	CHECK(load_config("inc/bad.cfg", KNOWN_CC, &exp, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err, "inc/bad.inc:2: link.delay_ms: must be between 0 and 10000 (got -1.0)");
	CHECK(load_config("inc/syntax.cfg", KNOWN_CC, &exp, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err, "inc/syntax.inc:1: syntax error");
	CHECK(load_config("inc/after.cfg", KNOWN_CC, &exp, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err, "inc/after.cfg:3: syntax error");
	CHECK(load_config("inc/missing.cfg", KNOWN_CC, &exp, err, sizeof(err)) == -ENOENT);
	CHECK_STR_EQ(err, "inc/missing.cfg:2: @include \"none.inc\": cannot read \"inc/none.inc\": "
			  "No such file or directory");
	CHECK(load_config("inc/loop.cfg", KNOWN_CC, &exp, err, sizeof(err)) == -ELOOP);
	CHECK_STR_EQ(err,
		     "inc/loop.cfg:2: @include \"loop.cfg\": inc/loop.cfg is already being read "
		     "(a loop)");

	/* Saved as read: the included text in place of the @include, and it loads the same. */
	snprintf(saved, sizeof(saved), "%s/saved.cfg", tmpdir);
	snprintf(main_cfg, sizeof(main_cfg), "%s/main.cfg", inc);
	CHECK(chdir("/") == 0);
	if (load_config(main_cfg, KNOWN_CC, &exp, err, sizeof(err)) == 0) {
		CHECK(config_save(&exp, main_cfg, saved) == 0);
		text = read_all(saved);
		CHECK_MSG(strstr(text, "\nlink = { rate_mbit = 42.5;\n  queue_pkts = 7; };\n"),
			  "%s", text);
		CHECK_MSG(!strstr(text, "\n@include"), "%s", text);
		free(text);
		CHECK_MSG(load_config(saved, KNOWN_CC, &again, err, sizeof(err)) == 0, "%s", err);
		CHECK(again.link.rate_mbit == 42.5 && again.link.queue_pkts == 7);
		CHECK(again.nflows == 1 && strcmp(again.flows[0].name, "a") == 0);
		CHECK(again.nfiles == 1 && again.text_hash == exp.text_hash);
		/* A file that changed since it was read is not passed off as what ran. */
		write_at(inc, "link.inc", "link = { rate_mbit = 43.5;\n  queue_pkts = 7; };\n");
		CHECK(config_save(&exp, main_cfg, saved) == -ESTALE);
		unlink(saved);
	} else {
		CHECK_MSG(0, "%s", err);
	}
	CHECK(chdir(cwd) == 0);

	const char *names[] = {"link.inc",   "main.cfg",   "nested.cfg", "bad.inc",	"bad.cfg",
			       "syntax.inc", "syntax.cfg", "after.cfg",	 "missing.cfg", "loop.cfg",
			       "seed.inc",   "seed.cfg",   "sub/a.inc",	 "sub/b.inc"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s/%s", inc, names[i]);
		unlink(path);
	}
	rmdir(sub);
	rmdir(inc);
}

/* A trace's content is judged with the config, before any run: file:line of the setting,
 * then the trace's own line. */
static void test_trace_content(void)
{
	char path[PATH_MAX + 64], msg[PATH_MAX + 512];

	snprintf(path, sizeof(path), "%s/bad.trace", tmpdir);
	write_file(path, "12\nabc\n24\n", 10);
	snprintf(msg, sizeof(msg), "2: link.trace_up: %s:2: not a millisecond timestamp", path);
	check_reject_str("trace-content", EXP LNK("trace_up = \"bad.trace\";") FLOW_A, msg);
	write_file(path, "12\n10\n", 6);
	snprintf(msg, sizeof(msg),
		 "3: link.trace_down: %s:2: 10 ms comes before the previous 12 ms", path);
	check_reject_str("trace-order",
			 EXP "link = { rate_mbit = 10;\n trace_down = \"bad.trace\"; };\n" FLOW_A,
			 msg);
	write_file(path, "\n", 1);
	snprintf(msg, sizeof(msg), "2: link.trace_up: %s: no timestamps", path);
	check_reject_str("trace-empty-file", EXP LNK("trace_up = \"bad.trace\";") FLOW_A, msg);
	unlink(path);
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
	test_knob_messages();
	test_knob_ranges();
	test_knob_forms();
	test_cmd();
	test_expand_cmd();
	test_doc_knobs();
	test_link_tun();
	test_link_backends();
	test_flow_delay();
	test_link_traces();
	test_link_trace_unreadable();
	test_link_queue_limits();
	test_doc_link();
	test_hosts();
	test_words();
	test_int_literals();
	test_collect_level();
	test_include();
	test_trace_content();

	rmdir(tmpdir);
	return ccx_test_result();
}
