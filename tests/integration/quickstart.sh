#!/bin/bash
# Integration test: the quickstart experiment runs end to end, its results hold what the
# kernel did, and the run leaves nothing behind.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v gnuplot >/dev/null || skip "gnuplot is not installed"

tmp=$(mktemp -d /tmp/ccx-test-quickstart-XXXXXX)
out=$tmp/out
cfg=$CCX_SOURCE_DIR/configs/examples/quickstart.cfg

t_start=$(date +%s.%N)
"$CCEXP" run -o "$out" "$cfg" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
t_end=$(date +%s.%N)
# The CPU time of every process the run waited for (ccexp, its flows, gnuplot), user + system:
# an upper bound, counted by the kernel, for what meta.json says ccexp itself used.
times >"$tmp/times" # not in $(...): a subshell has no children of its own
children_cpu_s=$(awk 'NR == 2 {
	split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$tmp/times")
cat "$tmp/stdout" "$tmp/stderr"
check "ccexp run exits 0" [ "$rc" = 0 ]
prefix=$(run_prefix "$out")
check "run prefix is ccx + 6 hex digits" bash -c "[[ '$prefix' =~ ^ccx[0-9a-f]{6}$ ]]"

python3 - "$out" "$t_start" "$t_end" "$children_cpu_s" <<'PY'
import csv, json, os, socket, sys

out = sys.argv[1]
bad = 0
def check(what, ok, detail=""):
    global bad
    print(("ok: " if ok else "FAIL: ") + what + (f" ({detail})" if detail else ""))
    bad |= not ok

def rows(name):
    with open(os.path.join(out, name)) as f:
        return list(csv.DictReader(f))

check("config.cfg is the config as run",
      open(os.path.join(out, "config.cfg")).read() ==
      open(os.path.join(os.environ["CCX_SOURCE_DIR"], "configs/examples/quickstart.cfg")).read())

meta = json.load(open(os.path.join(out, "meta.json")))
check("meta.json status complete", meta["status"] == "complete", meta["status"])
check("meta.json names the host that ran it", meta.get("host") == socket.gethostname(),
      meta.get("host"))
check("meta.json records HZ", meta["kernel"]["hz"] in (100, 250, 300, 1000), meta["kernel"]["hz"])
check("meta.json records the sender's sysctls",
      "cubic" in (meta["sysctls"]["net.ipv4.tcp_available_congestion_control"] or ""))
for ev, c in meta["events"].items():
    check(f"{ev}: every event seen in BPF has a row",
          c["seen_in_bpf"] == c["received"] == c["rows"] and c["ringbuf_drops"] == 0, c)

# Where the wall time beyond duration_s went, against the clock this script read around
# the run (which also holds the process's start and exit: 50 ms of slack, or 10%).
over = meta.get("overhead_s") or {}
parts = ("setup", "flows_over_duration", "teardown", "charts")
check("meta.json splits the overhead into setup, flows, teardown, charts",
      all(isinstance(over.get(k), (int, float)) for k in parts + ("total_over_duration",)), over)
if all(isinstance(over.get(k), (int, float)) for k in parts + ("total_over_duration",)):
    wall_over = float(sys.argv[3]) - float(sys.argv[2]) - meta["duration_s"]
    check("the overhead's parts are not negative (but flows may end a hair early)",
          min(over[k] for k in ("setup", "teardown", "charts")) >= 0 and
          over["flows_over_duration"] > -0.05, over)
    check("the overhead's parts add up to its total",
          abs(sum(over[k] for k in parts) - over["total_over_duration"]) <= 0.005, over)
    check("the overhead is the wall time beyond duration_s",
          -0.005 <= wall_over - over["total_over_duration"] <= max(0.05, 0.1 * wall_over),
          f"wall {wall_over:.3f} s over, meta.json {over['total_over_duration']} s")
    check("setup covers at least the 100 ms from the receivers listening to t0",
          over["setup"] >= 0.1, over)
cpu = meta.get("ccexp_cpu_during_flows_s") or {}
check("meta.json has ccexp's own CPU time during the flows",
      all(isinstance(cpu.get(k), (int, float)) and cpu[k] >= 0 for k in ("user", "system")), cpu)
if cpu:
    children = float(sys.argv[4].rstrip("s"))
    check("ccexp's CPU during the flows is within what the kernel counted for the whole run",
          cpu["user"] + cpu["system"] <= children + 0.002, f"{cpu} against {children} s")

flows = rows("flows.csv")
check("flows.csv has one row per connection", [r["flow"] for r in flows] == ["a", "b"],
      [r["flow"] for r in flows])
by = {r["flow"]: r for r in flows}
check("flow a used cubic, b bbr", by["a"]["cc"] == "cubic" and by["b"]["cc"] == "bbr")
check("every connection ended well", all(r["status"] == "ok" for r in flows))
check("flow b ran from 2 s to about 8 s",
      abs(float(by["b"]["start_s"]) - 2.0) < 0.05 and 7.9 < float(by["b"]["end_s"]) < 9.0,
      (by["b"]["start_s"], by["b"]["end_s"]))
check("flow a ran for the whole 10 s",
      float(by["a"]["start_s"]) < 0.05 and 9.9 < float(by["a"]["end_s"]) < 11.0)
for r in flows:
    check(f"flow {r['flow']}: retrans (kernel total_retrans) equals the RETRANS_CB segments",
          r["retrans"] == r["retrans_seen"], (r["retrans"], r["retrans_seen"]))
    check(f"flow {r['flow']}: bytes and goodput are there",
          int(r["bytes"]) > 1_000_000 and float(r["goodput_mbit"]) > 1)
# TCP_INFO right after connect, before any data: init_cwnd_pkts = 20 for a, default 10 for b.
check("flow a: snd_cwnd at connect is init_cwnd_pkts = 20", by["a"]["cwnd_at_connect_pkts"] == "20")
check("flow b: snd_cwnd at connect is the kernel default 10", by["b"]["cwnd_at_connect_pkts"] == "10")

# Goodput while both run, away from the start-up transients: 80-100 % of 50 Mbit/s.
tp = rows("timeline/throughput.csv")
both = {}
for r in tp:
    t = float(r["t_s"])
    if 3.0 < t <= 7.5:
        both.setdefault(r["t_s"], 0.0)
        both[r["t_s"]] += float(r["goodput_mbit"])
mean = sum(both.values()) / len(both)
check("goodput sums to 80-100 % of rate_mbit while both flows run", 40.0 <= mean <= 50.0,
      f"{mean:.2f} Mbit/s")
for flow in ("a", "b"):
    ts = [float(r["t_s"]) for r in tp if r["flow"] == flow]
    steps_ok = all(abs(b - a - 0.010) < 1e-6 for a, b in zip(ts, ts[1:]))
    check(f"throughput.csv: flow {flow} has a row every 10 ms from 0.01 s to >= 10 s",
          steps_ok and abs(ts[0] - 0.010) < 1e-6 and ts[-1] >= 10.0, (len(ts), ts[0], ts[-1]))

# state.csv: every connection, on both sides, goes through ESTABLISHED to CLOSE.
st = rows("events/state.csv")
for flow in ("a", "b"):
    for side in ("sender", "receiver"):
        seq = [r["new_state"] for r in st if r["flow"] == flow and r["side"] == side]
        ok = "ESTABLISHED" in seq and seq[-1] == "CLOSE" and seq.index("ESTABLISHED") < len(seq) - 1
        check(f"state.csv: {flow} {side} goes through ESTABLISHED to CLOSE", ok, seq)

so = rows("events/sockops.csv")
def applied(knob, value, side):
    return any(r["flow"] == "a" and r["knob"] == knob and r["value"] == value and
               r["side"] == side and r["result"] == "0" for r in so)
check("sockops.csv: syn_rto_ms 200 applied on the sender", applied("syn_rto_ms", "200", "sender"))
check("sockops.csv: init_cwnd_pkts 20 applied on the sender", applied("init_cwnd_pkts", "20", "sender"))
check("sockops.csv: init_rwnd_pkts 40 applied on the receiver", applied("init_rwnd_pkts", "40", "receiver"))
check("sockops.csv: no knob for flow b but its cc",
      {r["knob"] for r in so if r["flow"] == "b"} == {"cc"})

cw = rows("timeline/cwnd.csv")
for flow in ("a", "b"):
    n = sum(1 for r in cw if r["flow"] == flow)
    check(f"cwnd.csv has samples for flow {flow}", n > 50, n)

for png in ("throughput.png", "cwnd.png"):
    p = os.path.join(out, "plots", png)
    ok = os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(p) > 10000
    check(f"plots/{png} is a real PNG", ok)
    check(f"plots/{png[:-4]}.gp is kept", os.path.exists(p[:-4] + ".gp"))
sys.exit(1 if bad else 0)
PY
check "results hold what the kernel did" [ $? = 0 ]

left=$(leftovers "$prefix")
check "nothing of the run is left (netns, links, cgroup, state file)" [ -z "$left" ]
[ -n "$left" ] && echo "$left"
check "no ccexp process of the run remains" no_process "$out"

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit $fail
