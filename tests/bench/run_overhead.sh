#!/bin/bash
# Benchmark: the wall time of `ccexp run` beyond duration_s for two binaries, alternating
# A B A B, with a 1 s quickstart-like config over the tun link and over tc. Charts are left
# out (gnuplot is kept off PATH, so the run ends charts_failed at once): what remains is the
# setup and teardown. For a binary that writes meta.json's overhead_s, its split is printed.
# Usage (root): tests/bench/run_overhead.sh OLD_CCEXP NEW_CCEXP [REPEATS]
set -u
old=$1 new=$2 n=${3:-5}
tmp=$(mktemp -d /tmp/ccx-bench-overhead-XXXXXX)
for backend in tun tc; do
	cat >"$tmp/$backend.cfg" <<CFG
experiment = { name = "overhead"; duration_s = 1.0; seed = 1; };
link = { backend = "$backend"; rate_mbit = 50.0; queue_pkts = 100; };
flows = (
  { name = "a"; cc = "cubic"; count = 1; start_s = 0.0; },
  { name = "b"; cc = "bbr"; start_s = 0.2; stop_s = 0.8; }
);
collect = { sample_interval_ms = 10; };
CFG
done
one() { # one LABEL BINARY BACKEND I
	local out="$tmp/$1-$3-$4" s e
	s=$(date +%s.%N)
	env PATH=/usr/sbin:/sbin "$2" -q run -o "$out" "$tmp/$3.cfg" >"$out.log" 2>&1
	e=$(date +%s.%N)
	python3 - "$1" "$3" "$s" "$e" "$out/meta.json" <<'PY'
import json, sys
label, backend, s, e, path = sys.argv[1:]
m = json.load(open(path))
o = m.get("overhead_s")
split = "" if not o else " setup %.3f teardown %.3f flows %.3f" % (
    o["setup"], o["teardown"], o["flows_over_duration"])
print("%s %-3s over %.3f s%s" % (label, backend, float(e) - float(s) - m["duration_s"], split))
PY
}
for i in $(seq "$n"); do
	for backend in tun tc; do
		one A "$old" "$backend" "$i"
		one B "$new" "$backend" "$i"
	done
done
rm -rf "$tmp"
