#!/bin/bash
# The cost of `ccexp watch` on the watched host (docs/watch.md, OVERHEAD): with the kernel's
# BPF run-time statistics on, a bulk iperf3 flow and CCX_BENCH_RATE short connections per
# second (default 200, each sends 1 KB) run in the watched cgroup for CCX_BENCH_SECONDS
# (default 10); prints each program's runs and ns per run, and the ns per event produced.
here=$(cd "$(dirname "$0")/../integration" && pwd)
. "$here/lib.sh"
need_root
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
. "$here/watch_setup.sh"

secs=${CCX_BENCH_SECONDS:-10}
rate=${CCX_BENCH_RATE:-200}
stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
trap 'echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled; cleanup' EXIT
echo 1 >/proc/sys/kernel/bpf_stats_enabled

# A listener outside the cgroup that reads each connection to its end.
ip netns exec "$nb" python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.200.2", 46110)); s.listen(1024)
def drain(c):
    while c.recv(65536): pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
' &
pids="$pids $!"
sleep 0.5

"$CCEXP" watch --cgroup "ccxw$id" -o "$tmp/out" >"$tmp/watch.log" 2>&1 &
pw=$!
pids="$pids $pw"
wait_watching $pw "$tmp/watch.log" || { cat "$tmp/watch.log"; exit 1; }
in_cgroup ip netns exec "$na" iperf3 -c 198.18.200.2 -p 46101 -t "$secs" >/dev/null &
pc=$!
in_cgroup ip netns exec "$na" python3 -c '
import socket, sys, time
rate, secs = float(sys.argv[1]), float(sys.argv[2])
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    c = socket.create_connection(("198.18.200.2", 46110)); c.sendall(b"x" * 1024); c.close()
    n += 1
    time.sleep(max(0, t0 + n / rate - time.monotonic()))
print(n, file=open(sys.argv[3], "w"))
' "$rate" "$secs" "$tmp/conns" &
pl=$!
wait $pc $pl
sleep 1
# Each program watch holds: its fdinfo carries the kernel's run count and run time.
for f in /proc/$pw/fdinfo/*; do
	awk '$1 == "prog_id:" {id = $2} $1 == "run_time_ns:" {t = $2} $1 == "run_cnt:" {n = $2}
	     END {if (id && n != "") print id, n, t}' "$f"
done 2>/dev/null | sort -u | while read -r pid n t; do
	echo "$(bpftool -j prog show id "$pid" | jq -r .name) $n $t"
done >"$tmp/progs"
# watch's own CPU time (user + system, in clock ticks) over its life so far.
cpu_ticks=$(awk '{print $14 + $15}' /proc/$pw/stat)
life_s=$(awk -v s="$(awk '{print $22}' /proc/$pw/stat)" -v hz="$(getconf CLK_TCK)" -v up="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN {print up - s / hz}')
kill -INT $pw
wait $pw
conns=$(cat "$tmp/conns")
events=$(jq '[.events[].seen_in_bpf] | add' "$tmp/out/meta.json")
echo "watched: $conns short connections in $secs s ($(awk -v n="$conns" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')/s) beside one bulk iperf3 flow; $events events"
printf '%-20s %10s %12s %10s\n' program runs run_time_ms ns_per_run
total=0
while read -r name n t; do
	printf '%-20s %10s %12.1f %10.0f\n' "$name" "$n" "$(awk -v t="$t" 'BEGIN {print t / 1e6}')" \
		"$(awk -v t="$t" -v n="$n" 'BEGIN {print n ? t / n : 0}')"
	total=$((total + t))
done <"$tmp/progs"
echo "watch's own CPU time: $(awk -v t="$cpu_ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}') s over its $(printf '%.1f' "$life_s") s"
echo "BPF time in total: $(awk -v t="$total" 'BEGIN {printf "%.1f", t / 1e6}') ms over $secs s; per event produced: $(awk -v t="$total" -v e="$events" 'BEGIN {printf "%.0f", e ? t / e : 0}') ns"
