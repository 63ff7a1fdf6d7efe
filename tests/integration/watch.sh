#!/bin/bash
# ccexp watch against real traffic: a scratch cgroup, two namespaces joined by a veth with a
# tbf bottleneck whose small queue drops, iperf3 servers outside the cgroup, clients inside
# (one started before watch) and one outside. Checks flows.csv against iperf3's own JSON and
# nstat, that the outside connection appears nowhere, the connection opened before watch,
# a server in the cgroup (its accepted socket), the live table on a terminal, and that
# SIGINT, SIGTERM and SIGKILL leave no BPF program or link of watch behind.
. "$(dirname "$0")/lib.sh"
need_root
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
command -v bpftool >/dev/null || skip "bpftool is not installed"
command -v jq >/dev/null || skip "jq is not installed"
command -v nstat >/dev/null || skip "nstat is not installed"

. "$(dirname "$0")/watch_setup.sh"

nstat_retrans() {
	ip netns exec "$na" nstat -az TcpRetransSegs | awk '$1 == "TcpRetransSegs" {print $2}'
}

# 1. -o with SIGINT: a client open before watch (E), one opened during it (N), one outside (O).
r0=$(nstat_retrans)
in_cgroup ip netns exec "$na" iperf3 -c 198.18.200.2 -p 46101 -t 7 -J >"$tmp/e.json" &
pe=$!
pids="$pids $pe"
sleep 1.5
# A server inside the cgroup, listening before watch starts; its client (S) is outside.
in_cgroup ip netns exec "$nb" iperf3 -s -1 -p 46104 >/dev/null &
pids="$pids $!"
sleep 1.5
"$CCEXP" watch --cgroup "ccxw$id" -o "$tmp/out" -v >"$tmp/watch.log" 2>&1 &
pw=$!
pids="$pids $pw"
check "watch attaches" wait_watching $pw "$tmp/watch.log"
bpf_ids $pw >"$tmp/ids1"
check "watch holds its programs and links while it runs" grep -q "ccx_sockops" "$tmp/ids1"
in_cgroup ip netns exec "$na" iperf3 -c 198.18.200.2 -p 46103 -t 3 -J >"$tmp/n.json" &
pn=$!
ip netns exec "$na" iperf3 -c 198.18.200.2 -p 46104 -t 3 -R -J >"$tmp/s.json" &
ps=$!
ip netns exec "$na" iperf3 -c 198.18.200.2 -p 46102 -t 3 -J >"$tmp/o.json" &
po=$!
wait $pn $po $pe $ps
sleep 2 # the clients' FINs may wait for retransmissions on the dropping link
kill -INT $pw
wait $pw
rc=$?
check "watch exits 0 after SIGINT" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/watch.log"
check "SIGINT: none of watch's programs or links is left" all_gone "$tmp/ids1"
check "SIGINT: its state file is gone" [ ! -e "/run/ccexp/$(run_prefix "$tmp/out")" ]
r1=$(nstat_retrans)

out=$tmp/out
flows=$out/flows.csv
port_of() { jq -r '.start.connected[0].local_port' "$1"; }
retrans_of() { jq -r '.end.sum_sent.retransmits' "$1"; }
col() { awk -F, -v p="$2" -v c="$3" 'NR == 1 {for (i = 1; i <= NF; i++) h[$i] = i; next} $h["client_port"] == p {print $h[c]}' "$1"; }
pN=$(port_of "$tmp/n.json")
pE=$(port_of "$tmp/e.json")
pO=$(port_of "$tmp/o.json")
near() { # near A B: |A - B| <= max(10, 5% of B)
	awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; if (d < 0) d = -d; t = b * 0.05; if (t < 10) t = 10; exit !(a != "" && d <= t)}'
}
# after A B: A, counted at the socket's close, is B (iperf3 reads its count before it closes)
# plus what the last data and the FIN retransmitted since: B <= A <= B + max(30, 10% of B).
after() {
	awk -v a="$1" -v b="$2" 'BEGIN {t = b * 0.1; if (t < 30) t = 30; exit !(a != "" && a >= b && a <= b + t)}'
}
echo "iperf3: N port $pN retrans $(retrans_of "$tmp/n.json"); E port $pE retrans $(retrans_of "$tmp/e.json"); O port $pO retrans $(retrans_of "$tmp/o.json")"
cat "$flows"
check "meta.json: complete, ended by SIGINT (no --duration)" \
	[ "$(jq -r '.status + " " + .signal' "$out/meta.json")" = "complete SIGINT" ]
check "report.html: written, status complete" \
	grep -q 'id="status">complete<' "$out/report.html"
check "the client opened during watch has a row, ok" [ "$(col "$flows" "$pN" status)" = ok ]
check "N: retransmitted (the bottleneck dropped)" [ "$(retrans_of "$tmp/n.json")" -gt 0 ]
check "N: retrans matches iperf3's own count" after "$(col "$flows" "$pN" retrans)" "$(retrans_of "$tmp/n.json")"
check "N: RETRANS_CB segments (sent and refused) add up to the kernel's count" \
	near "$(awk -F, -v c="$(col "$flows" "$pN" conn)" 'NR > 1 && $2 == 46103 && $3 == c {s += $6} END {print s + 0}' "$out/events/retrans.csv")" \
	"$(col "$flows" "$pN" retrans)"
check "the connection open before watch has a row" [ -n "$(col "$flows" "$pE" conn)" ]
check "E: found open (handshake EXISTING)" \
	grep -q ",EXISTING,0,$pE,46101\$" "$out/events/handshake.csv"
check "E: its retransmissions after watch started were seen" [ "$(col "$flows" "$pE" retrans_seen)" -gt 0 ]
check "E: retrans (its whole life) matches iperf3's" after "$(col "$flows" "$pE" retrans)" "$(retrans_of "$tmp/e.json")"
check "E: closed while watched" [ "$(col "$flows" "$pE" status)" = ok ]
check "the outside client appears nowhere" \
	[ -z "$(col "$flows" "$pO" conn)$(grep -l ",$pO," "$out"/events/*.csv "$out"/timeline/*.csv)$(grep -l 46102 "$flows" "$out/events/handshake.csv")" ]
# The server's socket of S: accepted in the cgroup, it sends (-R), and its retransmissions
# are its own.
pS=$(port_of "$tmp/s.json")
echo "iperf3: S port $pS retrans (server's) $(retrans_of "$tmp/s.json")"
check "S: the accepted socket has a row for the client's port, server port 46104" \
	[ "$(col "$flows" "$pS" server_port)" = 46104 ]
check "S: the server's retransmissions match iperf3's count of them" \
	after "$(col "$flows" "$pS" retrans)" "$(retrans_of "$tmp/s.json")"
check "S: accepted, so its events say receiver" \
	grep -q ",receiver,PASSIVE_ESTABLISHED,0,$pS,46104\$" "$out/events/handshake.csv"
# The clients' namespace counter covers E, N and O (and their control connections): what
# watch reported for the cgroup's clients plus O's own count (S's server is in the other).
sum_in=$(awk -F, 'NR > 1 && $5 != 46104 {s += $10} END {print s + 0}' "$flows")
check "nstat TcpRetransSegs = cgroup rows + the outside client" \
	near "$((r1 - r0))" "$((sum_in + $(retrans_of "$tmp/o.json")))"
check "ccexp plot reads the folder" "$CCEXP" -q plot "$out"
cp -r "$out" "$tmp/out2"
"$CCEXP" -q compare "$out" "$tmp/out2" -o "$tmp/cmp" >"$tmp/cmp.log" 2>&1
check "ccexp compare reads the folder" grep -q "^$out,.*goodput_mbit" "$tmp/cmp/compare.csv"

# The live table: on a terminal (script gives one) it is drawn; without one, nothing.
if command -v script >/dev/null; then
	in_cgroup ip netns exec "$na" iperf3 -c 198.18.200.2 -p 46101 -t 3 >/dev/null &
	pt=$!
	sleep 0.5
	script -qec "$CCEXP watch --cgroup ccxw$id --duration 2 --interval 500" "$tmp/tty.txt" >/dev/null
	check "on a terminal: the table, with the running connection" \
		grep -q "CONNECTION (local > remote).*RETRANS" "$tmp/tty.txt"
	check "on a terminal: a row for the client's connection to 46101" \
		grep -q "198.18.200.1:[0-9]* > 198.18.200.2:46101 .*ESTAB" "$tmp/tty.txt"
	"$CCEXP" watch --cgroup "ccxw$id" --duration 1 >"$tmp/notty.txt" 2>/dev/null
	check "without a terminal (no -v): no table" [ ! -s "$tmp/notty.txt" ]
	wait $pt
fi

# 2. SIGTERM, no -o.
"$CCEXP" watch --cgroup "ccxw$id" >"$tmp/watch2.log" 2>&1 &
pw=$!
check "watch (no -o) attaches" wait_watching $pw "$tmp/watch2.log"
bpf_ids $pw >"$tmp/ids2"
kill -TERM $pw
wait $pw
check "watch exits 0 after SIGTERM" [ "$?" = 0 ]
check "SIGTERM: none of watch's programs or links is left" all_gone "$tmp/ids2"

# 3. SIGKILL: the links are owned by watch's file descriptors, so the kernel drops them; the
# state file lets `ccexp cleanup` mark the folder killed.
"$CCEXP" watch --cgroup "ccxw$id" -o "$tmp/out3" >"$tmp/watch3.log" 2>&1 &
pw=$!
check "watch attaches again" wait_watching $pw "$tmp/watch3.log"
bpf_ids $pw >"$tmp/ids3"
kill -KILL $pw
wait $pw 2>/dev/null
check "SIGKILL: none of watch's programs or links is left" all_gone "$tmp/ids3"
check "the cgroup has no program attached" [ -z "$(bpftool cgroup show "$cg" 2>/dev/null | tail -n +2)" ]
p3=$(run_prefix "$tmp/out3")
check "SIGKILL: meta.json still says running, with a state file" \
	[ "$(jq -r .status "$tmp/out3/meta.json")" = running ] && [ -f "/run/ccexp/$p3" ]
# Dry run only: a real cleanup would also remove other tests' killed runs while they look.
"$CCEXP" cleanup -n >"$tmp/cleanup.log" 2>&1
check "ccexp cleanup would mark the killed watch's folder killed" \
	grep -q "would mark $tmp/out3/meta.json: status killed" "$tmp/cleanup.log"
check "ccexp cleanup would remove its state file" grep -q "/run/ccexp/$p3" "$tmp/cleanup.log"
rm -f "/run/ccexp/$p3"

exit $fail
