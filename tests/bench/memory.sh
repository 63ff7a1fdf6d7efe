#!/bin/bash
# Benchmark: peak memory of a run and every process it starts (ccexp, the tun link's
# emulator, the senders and receivers), 100 connections through a 200 Mbit/s tun link, for
# each duration in CCX_BENCH_DURATIONS (seconds; default "30 600"). Memory that grows with the
# duration shows as a larger peak for the longer run. Charts are left out (a gnuplot that
# fails stands in; the run ends with status charts_failed) unless CCX_BENCH_CHARTS=1: their
# cost is the charts' benchmark. docs/performance.md records what it printed and how.
here=$(cd "$(dirname "$0")/../integration" && pwd)
. "$here/lib.sh"
need_root

tmp=$(mktemp -d /tmp/ccx-bench-memory-XXXXXX)
mkdir "$tmp/bin"
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/gnuplot"
chmod +x "$tmp/bin/gnuplot"
path=$PATH
[ "${CCX_BENCH_CHARTS:-0}" = 1 ] || path=$tmp/bin:$PATH

printf '%-10s %-8s %14s %14s %14s %12s\n' duration_s status peak_pss_MiB peak_rss_MiB ccexp_hwm_MiB cwnd_rows
for secs in ${CCX_BENCH_DURATIONS:-30 600}; do
	cat >"$tmp/m$secs.cfg" <<CFG
experiment = { name = "mem$secs"; duration_s = $secs.0; seed = 1; };
link = { backend = "tun"; rate_mbit = 200.0; delay_ms = 10.0; };
flows = ( { name = "cubic"; cc = "cubic"; count = 50; }, { name = "bbr"; cc = "bbr"; count = 50; } );
CFG
	PATH=$path python3 "$(dirname "$0")/peak_rss.py" "$CCEXP" -q run -o "$tmp/m$secs" \
		"$tmp/m$secs.cfg" >"$tmp/m$secs.log" 2>"$tmp/m$secs.rss"
	python3 - "$tmp/m$secs" "$tmp/m$secs.rss" "$secs" <<'PY' || fail=1
import json, sys
out, rss, secs = sys.argv[1:]
lines = open(rss).read().splitlines()
m = json.loads(lines[-1])
meta = json.load(open(out + "/meta.json"))
rows = sum(1 for _ in open(out + "/timeline/cwnd.csv")) - 1
print("%-10s %-8s %14.1f %14.1f %14.1f %12d" % (
    secs, meta["status"][:8], m["peak_pss_sum_kb"] / 1024, m["peak_rss_sum_kb"] / 1024,
    m["hwm_max_by_name_kb"].get("ccexp", 0) / 1024, rows))
sys.exit(meta["status"] not in ("complete", "charts_failed"))
PY
done

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit "$fail"
