#!/bin/bash
# ccexp watch --metrics against real components: a scratch cgroup whose iperf3 client sends
# over a dropping tbf bottleneck (watch_setup.sh), the endpoint scraped with curl and checked
# by promtool, and a real Prometheus server (started and stopped here, by PID) whose answer
# for the retransmits counter must equal what watch wrote in its own results and what the
# namespace's nstat counted. Then SIGINT and SIGTERM leave no BPF program or link behind,
# and a bad --metrics is refused with exit 2.
. "$(dirname "$0")/lib.sh"
need_root
for t in iperf3 bpftool jq nstat curl promtool prometheus; do
	command -v $t >/dev/null || skip "$t is not installed (Debian: iperf3 bpftool jq iproute2 curl prometheus)"
done

WS_NAME=ccxm WS_NET=198.18.201 WS_PORT=47101 WS_TMP=metrics
. "$(dirname "$0")/watch_setup.sh"
MPORT=47001
PPORT=47090
prom=""
# Prometheus first, waited for: it writes its database in $tmp until it has stopped.
stop_prom() {
	[ -n "$prom" ] && kill -TERM "$prom" 2>/dev/null && wait "$prom" 2>/dev/null
	prom=""
}
trap 'stop_prom; cleanup' EXIT

# The Debian package enables a prometheus.service; on a host whose postinst started it (no
# policy-rc.d), CI stops and disables it: the test's own server is the only one it wants.
if [ "${CI:-}" = true ] && command -v systemctl >/dev/null &&
	systemctl is-active --quiet prometheus 2>/dev/null; then
	systemctl disable --now prometheus
fi

nstat_retrans() {
	ip netns exec "$na" nstat -az TcpRetransSegs | awk '$1 == "TcpRetransSegs" {print $2}'
}
scrape() { curl -sf "http://127.0.0.1:$MPORT/metrics"; }
# The sum of a metric's samples for the flow of port $WS_PORT in the text on stdin.
metric_sum() {
	awk -v m="$1" -v p="port=\"$WS_PORT\"" 'index($0, m "{") == 1 && index($0, p) {s += $NF} END {print s + 0}'
}
# $1 is $2 and $3 is $4.
both_eq() { [ "$1" = "$2" ] && [ "$3" = "$4" ]; }
prom_query() {
	curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}

"$CCEXP" watch --cgroup "ccxm$id" -o "$tmp/out" --metrics $MPORT >"$tmp/watch.log" 2>&1 &
pw=$!
pids="$pids $pw"
check "watch attaches" wait_watching $pw "$tmp/watch.log"
bpf_ids $pw >"$tmp/ids1"
check "--metrics PORT listens on 127.0.0.1 only" \
	[ "$(ss -Hltn "sport = :$MPORT" | awk '{print $4}')" = "127.0.0.1:$MPORT" ]

cat >"$tmp/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ccexp
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address=127.0.0.1:$PPORT >"$tmp/prom.log" 2>&1 &
prom=$!
up=""
for _ in $(seq 100); do
	up=$(prom_query 'up{job="ccexp"}')
	[ "$up" = 1 ] && break
	sleep 0.2
done
check "Prometheus scrapes the endpoint (up = 1)" [ "$up" = 1 ]

r0=$(nstat_retrans)
in_cgroup ip netns exec "$na" iperf3 -c $WS_NET.2 -p $WS_PORT -t 4 -J >"$tmp/c.json" &
pc=$!
sleep 2
scrape >"$tmp/mid.txt"
check "a scrape during the transfer has the flow's retransmits" \
	grep -q "^ccexp_tcp_retransmits_total{cgroup=\"$cg\",port=\"$WS_PORT\",cc=\"[a-z0-9]*\",cause=\"fast\"} [0-9]" "$tmp/mid.txt"
check "promtool check metrics: the scrape during the transfer is valid" \
	promtool check metrics <"$tmp/mid.txt"
curl -sfo /dev/null -w '%{content_type}' "http://127.0.0.1:$MPORT/metrics" >"$tmp/ctype"
check "content type: the text format 0.0.4" grep -q "^text/plain; version=0.0.4" "$tmp/ctype"
check "another path: 404" [ "$(curl -so /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" = 404 ]
wait $pc
sleep 2 # the FIN may wait for retransmissions on the dropping link
r1=$(nstat_retrans)

# Prometheus's latest scrape has what watch has now: the traffic is over.
want=$(scrape | metric_sum ccexp_tcp_retransmits_total)
got=""
for _ in $(seq 50); do
	got=$(prom_query "sum(ccexp_tcp_retransmits_total{port=\"$WS_PORT\"})")
	[ "$got" = "$want" ] && break
	sleep 0.2
done
scrape >"$tmp/end.txt"
check "promtool check metrics: the scrape at the end is valid" promtool check metrics <"$tmp/end.txt"
kill -INT $pw
wait $pw
rc=$?
check "watch exits 0 after SIGINT" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/watch.log"
check "SIGINT: none of watch's programs or links is left" all_gone "$tmp/ids1"
check "SIGINT: the endpoint is gone" [ -z "$(ss -Hltn "sport = :$MPORT")" ]

flows=$tmp/out/flows.csv
flows_sum() {
	awk -F, -v p=$WS_PORT -v c="$1" 'NR == 1 {for (i = 1; i <= NF; i++) h[$i] = i; next} $h["server_port"] == p {s += $h[c]} END {print s + 0}' "$flows"
}
# The kernel's count: total_retrans at each socket's close, which counts also the segments
# the local tbf refused (RETRANS_CB result not 0), as TcpRetransSegs does.
kern=$(flows_sum retrans)
echo "retransmits: Prometheus $got, endpoint $want, flows.csv retrans $kern (retrans_seen $(flows_sum retrans_seen)), nstat $((r1 - r0)), iperf3 $(jq -r .end.sum_sent.retransmits "$tmp/c.json")"
cat "$flows"
check "the client retransmitted (the bottleneck dropped)" [ "$kern" -gt 0 ]
check "Prometheus's ccexp_tcp_retransmits_total = flows.csv's retrans (the sockets' total_retrans)" \
	[ "$got" = "$kern" ]
check "ccexp_tcp_retransmits_unsent_total = flows.csv's retrans - retrans_seen" \
	[ "$(metric_sum ccexp_tcp_retransmits_unsent_total <"$tmp/end.txt")" = "$((kern - $(flows_sum retrans_seen)))" ]
near() { # near A B: |A - B| <= max(10, 5% of B)
	awk -v a="$1" -v b="$2" 'BEGIN {d = a - b; if (d < 0) d = -d; t = b * 0.05; if (t < 10) t = 10; exit !(a != "" && d <= t)}'
}
check "Prometheus's ccexp_tcp_retransmits_total = the clients' namespace TcpRetransSegs" \
	near "$got" "$((r1 - r0))"
# By cause: the endpoint's split is events/retrans.csv's, row by row.
for cause in fast rto tlp other; do
	m=$(grep "cause=\"$cause\"" "$tmp/end.txt" | metric_sum ccexp_tcp_retransmits_total)
	e=$(awk -F, -v p=$WS_PORT -v c=$cause 'NR == 1 {for (i = 1; i <= NF; i++) h[$i] = i; next} $h["flow"] == p && $h["cause"] == c {s += $h["segs"]} END {print s + 0}' "$tmp/out/events/retrans.csv")
	check "retransmits of cause $cause: endpoint $m = events/retrans.csv $e" [ "$m" = "$e" ]
done
check "connections opened and closed: the test connection and its control one" both_eq \
	"$(metric_sum ccexp_tcp_connections_opened_total <"$tmp/end.txt")" 2 \
	"$(metric_sum ccexp_tcp_connections_closed_total <"$tmp/end.txt")" 2
check "acked bytes: what iperf3's server received, and at most what its client sent" \
	awk -v a="$(metric_sum ccexp_tcp_acked_bytes_total <"$tmp/end.txt")" \
	-v r="$(jq -r '.end.sum_received.bytes' "$tmp/c.json")" -v s="$(jq -r '.end.sum_sent.bytes' "$tmp/c.json")" \
	'BEGIN {exit !(a >= r && a <= s + 1000)}' 
check "cwnd-limited seconds: most of the 4 s through the bottleneck" \
	awk -v v="$(grep 'cause="cwnd"' "$tmp/end.txt" | metric_sum ccexp_tcp_limited_seconds_total)" 'BEGIN {exit !(v >= 2 && v <= 5)}'
n=$(metric_sum ccexp_tcp_srtt_seconds_count <"$tmp/end.txt")
check "srtt histogram: +Inf bucket = count" \
	[ "$(grep 'le="+Inf"' "$tmp/end.txt" | metric_sum ccexp_tcp_srtt_seconds_bucket)" = "$n" ]
check "srtt histogram: a sample per 100 ms, about" [ "$n" -gt 10 ]
# Run counts and times stay 0 unless kernel.bpf_stats_enabled is 1, which the test leaves.
check "ccexp's own cost: the programs listed" \
	grep -q '^ccexp_bpf_runs_total{program="ccx_sockops"} [0-9]' "$tmp/end.txt"
check "ccexp's own cost: events counted" \
	grep -q '^ccexp_events_total{type="retrans"} [1-9]' "$tmp/end.txt"

p=$prom
stop_prom
check "Prometheus stopped" [ ! -d "/proc/$p" ]

# SIGTERM, with the endpoint on an explicit address.
"$CCEXP" watch --cgroup "ccxm$id" --metrics 127.0.0.1:$MPORT >"$tmp/watch2.log" 2>&1 &
pw=$!
check "watch --metrics ADDR:PORT attaches" wait_watching $pw "$tmp/watch2.log"
bpf_ids $pw >"$tmp/ids2"
check "it serves valid metrics" sh -c "curl -sf http://127.0.0.1:$MPORT/metrics | promtool check metrics"
kill -TERM $pw
wait $pw
check "watch exits 0 after SIGTERM" [ "$?" = 0 ]
check "SIGTERM: none of watch's programs or links is left" all_gone "$tmp/ids2"

# Bad input: exit 2, nothing attached.
for bad in 0 70000 "localhost:$MPORT" "1.2.3:$MPORT" ":$MPORT" "[::1:$MPORT"; do
	"$CCEXP" watch --cgroup "ccxm$id" --metrics "$bad" >"$tmp/bad.log" 2>&1
	rc=$?
	check "--metrics $bad: exit 2" [ "$rc" = 2 ]
	check "--metrics $bad: named in the message" grep -qF -- "--metrics $bad:" "$tmp/bad.log"
done
check "nothing is attached to the cgroup" [ -z "$(bpftool cgroup show "$cg" 2>/dev/null | tail -n +2)" ]

# The live table's LIMIT column: a bulk client through the bottleneck is cwnd-limited.
if command -v script >/dev/null; then
	in_cgroup ip netns exec "$na" iperf3 -c $WS_NET.2 -p $WS_PORT -t 3 >/dev/null &
	pt=$!
	sleep 0.5
	script -qec "$CCEXP watch --cgroup ccxm$id --duration 2 --interval 500" "$tmp/tty.txt" >/dev/null
	check "on a terminal: the LIMIT column" grep -q "RTOS  LIMIT" "$tmp/tty.txt"
	check "on a terminal: the bulk connection is cwnd-limited" \
		grep -Eq "$WS_NET.1:[0-9]+ > $WS_NET.2:$WS_PORT .* cwnd [0-9]+%" "$tmp/tty.txt"
	wait $pt
fi

# CCX_KEEP=DIR keeps the scrapes, results and logs for a look.
[ -n "${CCX_KEEP:-}" ] && cp -r "$tmp" "$CCX_KEEP"
exit $fail
