#!/bin/bash
# Integration test: a run of 500 connections (5 flows x 100, built-in sender and receiver,
# no link emulation) completes, with every connection in flows.csv, a row for every event the
# BPF program saw, and a streamed throughput timeline that adds up to the bytes received.
here=$(cd "$(dirname "$0")" && pwd)
export PYTHONPATH=$here # ccx_results.py
. "$here/lib.sh"
need_root
command -v gnuplot >/dev/null || skip "gnuplot is not installed"

tmp=$(mktemp -d /tmp/ccx-test-scale-XXXXXX)
out=$tmp/out
cat >"$tmp/scale.cfg" <<'CFG'
experiment = { name = "scale"; duration_s = 3.0; seed = 1; };
link = { backend = "none"; };
flows = ( { name = "a"; cc = "cubic"; count = 100; }, { name = "b"; cc = "reno"; count = 100; },
	  { name = "c"; cc = "cubic"; count = 100; }, { name = "d"; cc = "reno"; count = 100; },
	  { name = "e"; cc = "cubic"; count = 100; } );
collect = { sample_interval_ms = 10; };
CFG

start=$(date +%s.%N)
"$CCEXP" -q run -o "$out" "$tmp/scale.cfg" >"$tmp/log" 2>&1
rc=$?
echo "ccexp run took $(echo "$(date +%s.%N) - $start" | bc) s"
check "ccexp run exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/log"
prefix=$(run_prefix "$out")
check "the run wrote meta.json" [ -n "$prefix" ]
[ -z "$prefix" ] || check "nothing of the run is left" [ -z "$(leftovers "$prefix")" ]

python3 - "$out" <<'PY' || fail=1
import sys
from ccx_results import check, done, meta as read_meta, rows as read_rows

out = sys.argv[1]
def rows(name):
    return read_rows(out, name)

meta = read_meta(out)
check("meta.json status complete", meta["status"] == "complete", meta["status"])
for ev, c in meta["events"].items():
    check(f"{ev}: every event seen in BPF has a row, none dropped",
          c["seen_in_bpf"] == c["received"] == c["rows"] and c["ringbuf_drops"] == 0, c)

flows = rows("flows.csv")
check("flows.csv has 500 rows", len(flows) == 500, len(flows))
for name in "abcde":
    mine = [r for r in flows if r["flow"] == name]
    check(f"flow {name}: connections 0..99, each with its own client port, all ok",
          sorted(int(r["conn"]) for r in mine) == list(range(100)) and
          len({r["client_port"] for r in mine}) == 100 and
          all(r["status"] == "ok" and int(r["bytes"]) > 0 for r in mine),
          [(r["conn"], r["status"], r["bytes"]) for r in mine if r["status"] != "ok"][:5])

# The timeline was written during the run from a bounded window: over the whole run it must
# still hold every byte the receivers counted (flows.csv's bytes come from the receiver).
tp = rows("timeline/throughput.csv")
got, want = {}, {}
for r in tp:
    got[r["flow"]] = got.get(r["flow"], 0.0) + float(r["goodput_mbit"]) * 1e6 / 8 * 0.010
for r in flows:
    want[r["flow"]] = want.get(r["flow"], 0) + int(r["bytes"])
for name in "abcde":
    check(f"throughput.csv: flow {name} adds up to the bytes its receiver got (0.1 %)",
          abs(got[name] - want[name]) <= 0.001 * want[name], (got[name], want[name]))
ts = sorted({float(r["t_s"]) for r in tp})
check("throughput.csv: a row per flow every 10 ms from 0.01 s to >= 3 s",
      len(tp) == 5 * len(ts) and abs(ts[0] - 0.01) < 1e-6 and ts[-1] >= 3.0 and
      all(abs(b - a - 0.010) < 1e-6 for a, b in zip(ts, ts[1:])), (len(tp), ts[0], ts[-1]))
done()
PY

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit "$fail"
