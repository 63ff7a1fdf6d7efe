#!/bin/bash
# Integration test: a connection whose data cannot get through after stop_s (the link's trace
# stops delivering for a minute) is given up after the sender's 10 s drain limit, reported as
# timed out in flows.csv, and the run ends then, not 2 s later waiting for CLOSE events that
# a socket left to the kernel does not send.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

tmp=$(mktemp -d /tmp/ccx-test-drain-timeout-XXXXXX)
# Delivery opportunities (mahimahi: one 1500-byte packet per line, ms) for the first second,
# then none until 60 s: the data queued at stop_s = 1.0 cannot be acked within 10 s.
{ seq 1 1000; echo 60000; } >"$tmp/stall.trace"
cat >"$tmp/stall.cfg" <<'CFG'
experiment = { name = "stall"; duration_s = 1.5; seed = 1; };
link = { backend = "tun"; trace_up = "stall.trace"; rate_down_mbit = 100.0; queue_pkts = 100; };
flows = ( { name = "a"; cc = "cubic"; stop_s = 1.0; } );
CFG
# Charts are left out (gnuplot off PATH), so the wall time is the run's.
start=$(date +%s.%N)
PATH=/usr/sbin:/sbin "$CCEXP" -q run -o "$tmp/out" "$tmp/stall.cfg" >"$tmp/out.log" 2>&1
end=$(date +%s.%N)
cat "$tmp/out.log"
status=$(python3 -c 'import csv,sys; print(next(csv.DictReader(open(sys.argv[1])))["status"])' \
	"$tmp/out/flows.csv")
check "the connection is reported as timed out (flows.csv status: $status)" \
	[ "$status" = "Connection timed out" ]
wall=$(awk "BEGIN { print $end - $start }")
# stop_s 1.0 + the 10 s drain limit; waiting 2 s more for the CLOSEs would make it 13 s.
check "the run ends within 12.3 s of its start ($wall s)" awk "BEGIN { exit !($wall < 12.3) }"
check "nothing of the run is left" [ -z "$(leftovers "$(run_prefix "$tmp/out")")" ]
rm -rf "$tmp"
exit $fail
