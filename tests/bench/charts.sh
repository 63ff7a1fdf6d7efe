#!/bin/sh
# Time `ccexp plot` (scripts, data files and gnuplot) on made-up results folders of
# 10 / 100 / 500 connections x 30 s sampled every 10 ms (tests/bench/gen_run.py; no root).
# CCX_BENCH_CONNS overrides the list of connection counts.
set -eu
: "${CCEXP:?run through meson (meson test -C build --benchmark --suite bench charts)}"
: "${CCX_SOURCE_DIR:?}"
command -v gnuplot >/dev/null || { echo "gnuplot is not on PATH" >&2; exit 77; }
dir=$(mktemp -d /tmp/ccx-bench-charts-XXXXXX)
trap 'rm -rf "$dir"' EXIT
for n in ${CCX_BENCH_CONNS:-10 100 500}; do
	# Flows of 25 connections (of 10 below that), as a many-connection experiment has.
	per=25
	[ "$n" -lt 25 ] && per=$n
	flows=$((n / per))
	python3 "$CCX_SOURCE_DIR/tests/bench/gen_run.py" "$dir/c$n" "$flows" "$per" 30 10
	rows=$(($(wc -l <"$dir/c$n/timeline/cwnd.csv") - 1))
	start=$(date +%s.%N)
	"$CCEXP" plot "$dir/c$n" 2>/dev/null
	end=$(date +%s.%N)
	printf '%4d connections (%d flows), %7d cwnd.csv rows: ccexp plot %.2f s\n' \
		"$n" "$flows" "$rows" "$(awk "BEGIN { print $end - $start }")"
done
