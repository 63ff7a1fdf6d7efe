#!/bin/bash
# Integration test of the qdisc link backends. tc: tbf + FIFO through rtnetlink delivers the
# rate, never queues more than the limit, and timeline/link.csv (one row per sample interval,
# from the kernel's qdisc counters) adds up to meta.json's totals; SIGINT leaves nothing.
# netem: where the kernel has it, a short run sees its delay and rate; where it has none,
# `backend = "netem"` fails cleanly, naming the backend to use, and auto picks tun. Settings
# netem + tbf cannot do are refused before anything runs.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

tmp=$(mktemp -d /tmp/nl-link-XXXXXX)
export PYTHONPATH=$here
before=$(leftovers)

# run NAME BACKEND LINK FLOWS [DURATION]: a run into $tmp/NAME.
run() {
	run_link "$1" "$2" "$3" "$4" "${5:-6.0}" 3
}

# --- tc: a packet queue (where cubic overflows it: drops to count) and a byte queue.
run tcpkts tc 'rate_mbit = 20.0; queue_pkts = 30;' '{ name = "bulk"; cc = "cubic"; }' 8.0
run tcbytes tc 'rate_mbit = 50.0; queue_bytes = 60000;' \
	'{ name = "bulk"; cc = "cubic"; count = 2; }' 6.0

python3 - "$tmp" <<'PY'
import os, statistics, sys
from ccx_results import check, rows, meta, done

tmp = sys.argv[1]
for name, rate, dur, limit_key, limit in (("tcpkts", 20.0, 8.0, "queue_pkts", 30),
                                          ("tcbytes", 50.0, 6.0, "queue_bytes", 60000)):
    out = os.path.join(tmp, name)
    m = meta(out)["link"]
    lk = rows(out, "timeline/link.csv")
    up = [r for r in lk if r["direction"] == "up"]
    check(f"{name}: link.csv has only uplink rows (the tc backend shapes the uplink only)",
          len(up) == len(lk) and "down" not in m, f"{len(lk)} rows")
    t = [float(r["t_s"]) for r in up]
    gaps = [b - a for a, b in zip(t, t[1:])]
    check(f"{name}: a row every 10 ms from t0 to the end", len(up) >= dur / 0.010 * 0.98
          and abs(statistics.median(gaps) - 0.010) <= 0.0005 and max(gaps[:-1]) < 0.030,
          f"{len(up)} rows, median gap {1000 * statistics.median(gaps):.2f} ms, "
          f"largest {1000 * max(gaps[:-1]):.1f} ms")
    check(f"{name}: t_s counts from t0 like the other timelines", 0.008 <= t[0] <= 0.012, t[0])
    q = max(int(r[limit_key]) for r in up)
    check(f"{name}: the queue never holds more than {limit_key} = {limit}", q <= limit, q)
    tot = m["up"]["totals"]
    check(f"{name}: the largest queue in meta.json is link.csv's", tot["max_" + limit_key] == q,
          tot["max_" + limit_key])
    late = [r for r in up if 1.0 < float(r["t_s"]) <= dur - 0.1]
    dlv = statistics.mean(float(r["delivered_mbit"]) for r in late)
    check(f"{name}: the link delivers {rate} Mbit/s of IP packets (within 2 %)",
          abs(dlv - rate) <= 0.02 * rate, f"{dlv:.3f} Mbit/s")
    check(f"{name}: capacity_mbit is the rate", all(float(r["capacity_mbit"]) == rate for r in up))
    tp = [float(r["goodput_mbit"]) for r in rows(out, "timeline/throughput.csv")
          if 1.0 < float(r["t_s"]) <= dur]
    flows = len({r["flow"] for r in rows(out, "timeline/throughput.csv")})
    g = sum(tp) / (len(tp) / flows)
    check(f"{name}: goodput is 90-100 % of {rate} Mbit/s", 0.90 * rate <= g <= rate,
          f"{g:.3f} Mbit/s = {100 * g / rate:.1f} %")
    drops = sum(int(r["dropped_pkts"]) for r in up)
    dlv_pkts = sum(int(r["delivered_pkts"]) for r in up)
    kc = {c["kind"]: c for c in m["up"]["kernel_counters"]}
    check(f"{name}: link.csv drops add up to meta.json's total", drops == tot["dropped_pkts"],
          f"{drops} vs {tot['dropped_pkts']}")
    check(f"{name}: link.csv packets add up to meta.json's total",
          dlv_pkts == tot["delivered_pkts"], f"{dlv_pkts} vs {tot['delivered_pkts']}")
    check(f"{name}: the totals are tbf's own counters (nothing crossed before t0)",
          kc["tbf"]["drops"] == tot["dropped_pkts"] and kc["tbf"]["packets"] == tot["delivered_pkts"]
          and kc["tbf"]["bytes"] == tot["delivered_bytes"], kc["tbf"])
    check(f"{name}: every drop is a full queue", tot["dropped_queue_pkts"] == tot["dropped_pkts"])
    check(f"{name}: bytes are IP bytes (the size table takes the Ethernet header off)",
          tot["delivered_bytes"] <= 1500 * tot["delivered_pkts"], tot["delivered_bytes"])
    if name == "tcpkts":
        check("tcpkts: cubic overflows 30 packets (drops to count)", drops > 0, drops)
        fifo = m["up"]["qdiscs"][1]
        check("tcpkts: meta.json names tbf 1: and pfifo 2: with their parameters",
              m["up"]["qdiscs"][0]["kind"] == "tbf" and m["up"]["qdiscs"][0]["rate_mbit"] == 20.0
              and fifo["kind"] == "pfifo" and fifo["limit_pkts"] == 30 and fifo["parent"] == "1:1")
        print(f"measured: tcpkts goodput {g:.3f} of 20 Mbit/s, link.csv delivered {dlv:.3f}, "
              f"drops link.csv {drops} = meta {tot['dropped_pkts']} = tbf {kc['tbf']['drops']}")
    else:
        check("tcbytes: meta.json names a bfifo of 60000 bytes",
              m["up"]["qdiscs"][1]["kind"] == "bfifo" and m["up"]["qdiscs"][1]["limit_bytes"] == 60000)
        print(f"measured: tcbytes goodput {g:.3f} of 50 Mbit/s, link.csv delivered {dlv:.3f}, "
              f"drops link.csv {drops} = meta {tot['dropped_pkts']}")
done()
PY
check "tc: the link does what the config says" [ $? = 0 ]

# SIGINT mid-run: the sampler goes with the run, its last row and totals are written.
start_bulk_run int 'backend = "tc"; rate_mbit = 20.0;'
check "SIGINT: the run got going" [ -n "$prefix" ]
check "SIGINT: the statistics sampler runs" pgrep -x -P "$pid" ccexp-qstats
sleep 1
kill -INT "$pid"
wait "$pid"
check "SIGINT: ccexp exits 1" [ $? = 1 ]
check "SIGINT: nothing of the run is left" [ -z "$(leftovers "$prefix")" ]
check "SIGINT: no sampler is left" bash -c "! pgrep -x -P $pid ccexp-qstats"
check "SIGINT: link.csv and complete totals were written" python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/meta.json"))
n = sum(1 for _ in open(sys.argv[1] + "/timeline/link.csv")) - 1
t = m["link"]["up"]["totals"]
assert m["status"] == "interrupted" and t["complete"] and n == t["rows"] and n > 50, (n, t)
' "$tmp/int"

# --- netem + tbf cannot do these: refused as config errors (exit 2), nothing made.
refuse() {
	printf 'experiment = { name = "r"; duration_s = 1.0; };\nlink = { backend = "netem"; rate_mbit = 10.0;\n  %s };\nflows = ( { name = "a"; cc = "cubic"; } );\n' "$1" >"$tmp/refuse.cfg"
	"$CCEXP" run -o "$tmp/refused" "$tmp/refuse.cfg" >"$tmp/refuse.out" 2>&1
	rc=$?
	check "netem refuses $1: exit 2" [ "$rc" = 2 ]
	check "netem refuses $1: $2" grep -qF "$tmp/refuse.cfg:3: $2" "$tmp/refuse.out"
	check "netem refuses $1: nothing created" [ ! -e "$tmp/refused" ]
}
refuse 'queue = "codel";' 'link.queue: netem has no CoDel'
refuse 'jitter_ms = 3000.0;' 'link.jitter_ms: netem takes at most 2147.483647 ms of jitter'
printf '0\n1\n' >"$tmp/t.trace"
refuse "trace_down = \"$tmp/t.trace\";" 'link.trace_down: netem has no trace-driven rate; use backend = "tun"'

# --- netem: run it where the kernel has it; fail cleanly and fall back where it has none.
"$CCEXP" check --json >"$tmp/check.json" 2>/dev/null
netem=$(python3 -c 'import json,sys; print({c["name"]: c for c in json.load(open(sys.argv[1]))["checks"]}["qdisc-netem"]["status"])' "$tmp/check.json")
auto=$("$CCEXP" check | awk '$2 == "link-auto" { print $3 }')
if [ "$netem" = ok ]; then
	check "ccexp check: auto picks netem, which the kernel has" [ "$auto" = netem ]
	run netem netem 'rate_mbit = 20.0; delay_ms = 20.0; queue_bdp = 1.0;' \
		'{ name = "bulk"; cc = "cubic"; },
		 { name = "probe"; cc = "cubic"; start_s = 1.0;
		   cmd = "'"$CCX_RTT_PROBE"' client {dst} {port} 300 10";
		   server_cmd = "'"$CCX_RTT_PROBE"' server {port}"; }' 8.0
	python3 - "$tmp/netem" <<'PY'
import re, statistics, sys
from ccx_results import check, rows, meta, done
out = sys.argv[1]
m = meta(out)["link"]
check("netem: meta.json records netem on both egresses, tbf below the uplink's",
      m["backend"] == "netem" and [q["kind"] for q in m["up"]["qdiscs"]] == ["netem", "tbf", "bfifo"]
      and [q["kind"] for q in m["down"]["qdiscs"]] == ["netem"])
rmin = [int(r["rtt_min_us"]) / 1000 for r in rows(out, "timeline/cwnd.csv") if float(r["t_s"]) > 2]
check("netem: TCP's min RTT is 2 x 20 ms within 1 ms", abs(statistics.median(rmin) - 40) <= 1,
      statistics.median(rmin))
with open(out + "/apps/probe.client.out") as f:
    rtts = [float(x) / 1000 for x in re.findall(r"rtt_us=([0-9.]+)", f.read())]
check("netem: the probe sees 40 ms and the queue on top of it", rtts and 39 <= min(rtts) <= 41,
      min(rtts) if rtts else "no echoes")
tp = [float(r["goodput_mbit"]) for r in rows(out, "timeline/throughput.csv")
      if r["flow"] == "bulk" and 3 < float(r["t_s"]) <= 8]
g = sum(tp) / len(tp)
check("netem: goodput is 90-100 % of 20 Mbit/s", 18 <= g <= 20, f"{g:.3f}")
lk = rows(out, "timeline/link.csv")
check("netem: link.csv has rows for both directions",
      {r["direction"] for r in lk} == {"up", "down"})
check("netem: link.csv drops add up to meta.json's",
      sum(int(r["dropped_pkts"]) for r in lk if r["direction"] == "up") == m["up"]["totals"]["dropped_pkts"])
done()
PY
	check "netem: delay and rate as configured" [ $? = 0 ]
else
	reason=$(python3 -c 'import json,sys; print({c["name"]: c for c in json.load(open(sys.argv[1]))["checks"]}["qdisc-netem"]["detail"])' "$tmp/check.json")
	echo "SKIP netem: $reason (a run through netem needs a kernel with sch_netem)"
	check "ccexp check: auto picks tun where the kernel has no netem" [ "$auto" = tun ]
	cat >"$tmp/nonetem.cfg" <<CFG
experiment = { name = "nonetem"; duration_s = 2.0; };
link = { backend = "netem"; rate_mbit = 20.0; delay_ms = 10.0; };
flows = ( { name = "bulk"; cc = "cubic"; } );
CFG
	"$CCEXP" run -o "$tmp/nonetem" "$tmp/nonetem.cfg" >"$tmp/nonetem.out" 2>&1
	rc=$?
	check "backend netem without netem: exit 1" [ "$rc" = 1 ]
	check "backend netem without netem: says the kernel has no netem and what to use" \
		grep -q 'this kernel has no netem qdisc.*use backend = "tun"' "$tmp/nonetem.out"
	[ "$rc" = 1 ] || cat "$tmp/nonetem.out"
	check "backend netem without netem: no results folder" [ ! -e "$tmp/nonetem" ]
	check "backend netem without netem: no namespace, cgroup or device left" \
		[ -z "$(new_leftovers "$before")" ]
	run auto auto 'rate_mbit = 20.0; delay_ms = 10.0;' '{ name = "bulk"; cc = "cubic"; }' 2.0
	check "auto without netem: the run used tun, and says why" python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/meta.json"))["link"]
assert m["backend"] == "tun" and "no netem" in m["backend_why"], m
' "$tmp/auto"
fi
check "nothing is left at the end" [ -z "$(new_leftovers "$before")" ]

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit $fail
