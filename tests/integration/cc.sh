#!/bin/bash
# Integration test of the bundled congestion controls: an NV flow really runs on the
# registered algorithm and records its decisions; NV and Vegas keep the RTT well below
# cubic's on a deep queue at similar goodput; base_rtt_us changes NV as the algorithm says;
# an algorithm that exists nowhere is a config error.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

tmp=$(mktemp -d /tmp/ccx-test-cc-XXXXXX)
export PYTHONPATH=$here
before=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)

# run NAME CC [SOCKOPS]: one flow alone on 50 Mbit/s, 20 ms RTT, a 4-BDP queue.
run() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = 12.0; };
link = { backend = "tun"; rate_mbit = 50.0; delay_ms = 10.0; queue_bdp = 4.0; };
flows = ( { name = "f"; cc = "$2"; ${3:-} } );
collect = { sample_interval_ms = 20; };
CFG
	"$CCEXP" -q run -o "$tmp/$1" "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1
	rc=$?
	check "$1: ccexp run exits 0" [ "$rc" = 0 ]
	[ "$rc" = 0 ] || cat "$tmp/$1.log"
}

run nv nv
run vegas vegas
run cubic cubic
run nv_low nv 'sockops = { base_rtt_us = 5000; };'
run nv_high nv 'sockops = { base_rtt_us = 40000; };'
check "no registration is left" [ "$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)" = "$before" ]

# The registration goes with the run: on SIGINT (ccexp unregisters) and on SIGKILL (the
# kernel drops the bpf_link with the process).
for sig in INT KILL; do
	cat >"$tmp/sig$sig.cfg" <<CFG
experiment = { name = "sig$sig"; duration_s = 10.0; };
link = { backend = "tun"; rate_mbit = 20.0; delay_ms = 5.0; };
flows = ( { name = "f"; cc = "nv"; } );
CFG
	"$CCEXP" -q run -o "$tmp/sig$sig" "$tmp/sig$sig.cfg" >"$tmp/sig$sig.log" 2>&1 &
	pid=$!
	prefix=$(wait_running "$tmp/sig$sig")
	check "SIG$sig: the run got going" [ -n "$prefix" ]
	check "SIG$sig: its NV is registered while it runs" \
		grep -qw "ccxnv${prefix#ccx}" /proc/sys/net/ipv4/tcp_available_congestion_control
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	for _ in $(seq 50); do
		grep -qw "ccxnv${prefix#ccx}" /proc/sys/net/ipv4/tcp_available_congestion_control || break
		sleep 0.1
	done
	check "SIG$sig: the registration is gone" bash -c \
		"! grep -qw ccxnv${prefix#ccx} /proc/sys/net/ipv4/tcp_available_congestion_control"
	[ "$sig" = KILL ] && "$CCEXP" cleanup >/dev/null 2>&1
	check "SIG$sig: nothing of the run is left" [ -z "$(leftovers "$prefix")" ]
done
check "no registration is left after the signals" \
	[ "$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)" = "$before" ]

cat >"$tmp/bad.cfg" <<CFG
experiment = { name = "bad"; duration_s = 2.0; };
link = { rate_mbit = 10.0; };
flows = ( { name = "f"; cc = "no-such-algorithm"; } );
CFG
"$CCEXP" run -o "$tmp/bad" "$tmp/bad.cfg" 2>"$tmp/bad.err"
check "an algorithm that exists nowhere exits 2" [ $? = 2 ]
check "... naming file, line and setting" grep -q "bad.cfg:3: flows\[0\].cc: unknown congestion control" "$tmp/bad.err"
check "... and creates nothing" [ ! -e "$tmp/bad" ]

python3 - "$tmp" <<'PY'
import os, sys
from ccx_results import check, rows, meta, check_counters, done
tmp = sys.argv[1]

def stats(name):
    out = os.path.join(tmp, name)
    tp = [float(r["goodput_mbit"]) for r in rows(out, "timeline/throughput.csv") if float(r["t_s"]) > 4]
    rt = sorted(int(r["srtt_us"]) / 1000 for r in rows(out, "timeline/cwnd.csv") if float(r["t_s"]) > 4)
    return sum(tp) / len(tp), rt[len(rt) // 2]

for name in ("nv", "vegas"):
    out = os.path.join(tmp, name)
    m = check_counters(out)
    f = m["flows"][0]
    check(f"{name}: resolved to the bundled BPF algorithm", f["cc_implementation"] == "bpf", f)
    reg = f["cc_registered"]
    short = {"nv": "nv", "vegas": "vg"}[name]
    check(f"{name}: registered under a per-run name", reg == "ccx" + short + m["run_id"], reg)
    fl = rows(out, "flows.csv")
    # flows.csv's cc is what TCP_CONGESTION on the sender's real socket said.
    check(f"{name}: the kernel reports the socket using it (TCP_CONGESTION)", fl[0]["cc"] == reg,
          fl[0]["cc"])
    tl = rows(out, f"timeline/{name}.csv")
    check(f"{name}: timeline/{name}.csv has its decisions", len(tl) > 50, len(tl))
    check(f"{name}: it grows, holds or decreases", {r["decision"] for r in tl} & {"grow", "hold", "decrease"})

g_nv, r_nv = stats("nv")
g_vg, r_vg = stats("vegas")
g_cu, r_cu = stats("cubic")
print(f"goodput / srtt p50: nv {g_nv:.1f} Mbit/s {r_nv:.1f} ms, vegas {g_vg:.1f} {r_vg:.1f}, cubic {g_cu:.1f} {r_cu:.1f}")
check("cubic fills the deep queue", r_cu > 60, r_cu)
for name, g, r in (("nv", g_nv, r_nv), ("vegas", g_vg, r_vg)):
    check(f"{name}: RTT well below cubic's (under half)", r < 0.5 * r_cu, (r, r_cu))
    check(f"{name}: goodput similar to cubic's (over 90 %)", g > 0.9 * g_cu, (g, g_cu))

# base_rtt_us: above the real 20 ms RTT, NV takes 40 ms as its minimum (samples under 32 ms
# are ignored) and lets a queue build to it; below, it thinks the path is faster than it is
# and holds its window under the path's BDP.
g_lo, r_lo = stats("nv_low")
g_hi, r_hi = stats("nv_high")
print(f"nv base_rtt_us 5000: {g_lo:.1f} Mbit/s {r_lo:.1f} ms; 40000: {g_hi:.1f} Mbit/s {r_hi:.1f} ms")
check("nv base_rtt_us above the path's RTT: RTT grows toward it", r_hi > r_nv + 10, (r_hi, r_nv))
check("nv base_rtt_us below the path's RTT: less goodput than without",
      g_lo < 0.9 * g_nv, (g_lo, g_nv))
for name, want in (("nv_low", "5000"), ("nv_high", "40000")):
    tl = [r for r in rows(os.path.join(tmp, name), "timeline/nv.csv") if r["side"] == "sender"]
    check(f"{name}: nv.csv shows the base RTT used", tl and all(r["base_rtt_us"] == want for r in tl),
          {r["base_rtt_us"] for r in tl})
done()
PY
check "the bundled algorithms behave as their designs say" [ $? = 0 ]

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit $fail
