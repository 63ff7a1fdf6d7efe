#!/bin/bash
# Benchmark: the wall time beyond duration_s of the run issue 11 tried, 100 connections
# (50 cubic + 50 bbr) through the tun link at 200 Mbit/s, charts included, and meta.json's
# overhead_s split. flows_over_duration is the flows' own graceful end (the last connection's
# data and FIN acked), so the slowest connections' end and their RTOs are printed beside it.
# With CCX_BENCH_OLD=<another ccexp>, runs alternate A (that binary) and B ($CCEXP).
# CCX_BENCH_DURATION (default 30) and CCX_BENCH_REPEATS (default 3) change the runs.
set -u
: "${CCEXP:?run through meson (meson test -C build --benchmark --suite bench scale-overhead)}"
[ "$(id -u)" = 0 ] || { echo "needs root (namespaces, BPF)" >&2; exit 77; }
dur=${CCX_BENCH_DURATION:-30} n=${CCX_BENCH_REPEATS:-3}
tmp=$(mktemp -d /tmp/ccx-bench-scale-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/c100.cfg" <<CFG
experiment = { name = "scale100"; duration_s = $dur; seed = 1; };
link = { backend = "tun"; rate_mbit = 200.0; queue_pkts = 200; };
flows = (
  { name = "cubic"; cc = "cubic"; count = 50; start_s = 0.0; },
  { name = "bbr"; cc = "bbr"; count = 50; start_s = 0.0; }
);
collect = { sample_interval_ms = 10; };
CFG
one() { # one LABEL BINARY I
	local out="$tmp/$1-$3" s e
	s=$(date +%s.%N)
	"$2" -q run -o "$out" "$tmp/c100.cfg" >"$out.log" 2>&1 || echo "$1: ccexp run failed, see below"
	e=$(date +%s.%N)
	python3 - "$1" "$s" "$e" "$out" <<'PY' || cat "$out.log"
import csv, json, sys
label, s, e, out = sys.argv[1:]
m = json.load(open(out + "/meta.json"))
dur = m["duration_s"]
o = m.get("overhead_s") or {}
ends = sorted((float(r["end_s"]) - dur, int(r["rtos"] or 0))
              for r in csv.DictReader(open(out + "/flows.csv")) if r["end_s"])
split = " ".join("%s %.3f" % (k, o[k]) for k in
                 ("setup", "flows_over_duration", "teardown", "charts") if k in o)
tail = ""
if ends:
    tail = "; conns end +%.2f s median, +%.2f s last (its RTOs %d), %d after +1 s" % (
        ends[len(ends) // 2][0], ends[-1][0], ends[-1][1], sum(x > 1 for x, _ in ends))
print("%s over %.3f s: %s%s" % (label, float(e) - float(s) - dur, split, tail))
PY
}
echo "100 connections, ${dur} s, tun 200 Mbit/s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$n"); do
	[ -n "${CCX_BENCH_OLD:-}" ] && one A "$CCX_BENCH_OLD" "$i"
	one B "$CCEXP" "$i"
done
