#!/bin/bash
# Integration test: the event files agree with what the kernel counted on its own — per
# connection retransmissions (TCP_INFO total_retrans), RTOs and retransmitted segments
# (the sender namespace's netstat), valid TCP state paths, a cwnd clamp that holds, and a
# program ccexp did not write (iperf3) getting the same parameters and events.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v iperf3 >/dev/null || skip "iperf3 is not installed (the test command installs it)"

tmp=$(mktemp -d /tmp/ccx-test-events-XXXXXX)
fixtures=$CCX_SOURCE_DIR/tests/fixtures/config
export PYTHONPATH=$here

# A refused knob is a row with its -errno and a warning, and the run goes on.
"$CCEXP" run -o "$tmp/refuse" "$fixtures/refuse.cfg" >"$tmp/refuse.log" 2>&1
check "refuse: ccexp run exits 0" [ $? = 0 ]
check "refuse: a warning names the refused knob" \
	grep -q "flow r (sender): the kernel refused rto_min_ms: Invalid argument" "$tmp/refuse.log"
check "refuse: sockops.csv has the row with -EINVAL" \
	grep -q ",r,0,sender,ACTIVE_ESTABLISHED,rto_min_ms,1,1000,us,-22$" "$tmp/refuse/events/sockops.csv"
check "refuse: the other knob still applied" \
	grep -q ",r,0,sender,ACTIVE_ESTABLISHED,init_cwnd_pkts,12,12,packets,0$" "$tmp/refuse/events/sockops.csv"

for cfg in lossy clamp iperf3; do
	run_ok "$tmp/$cfg" "$fixtures/$cfg.cfg" "$cfg"
done

python3 - "$tmp" <<'PY'
import json, os, sys
from ccx_results import check, rows, meta, check_state_paths, check_counters, done

tmp = sys.argv[1]

# --- lossy: per connection and per namespace, the events match the kernel's counters.
out = os.path.join(tmp, "lossy")
m = check_counters(out)
flows = rows(out, "flows.csv")
check("lossy: a row per connection (3 bulk + 1 late)", len(flows) == 4, len(flows))
for r in flows:
    check(f"lossy: {r['flow']}#{r['conn']} kernel total_retrans = RETRANS_CB segments",
          r["retrans"] == r["retrans_seen"], (r["retrans"], r["retrans_seen"]))
check("lossy: the bottleneck really lost packets", sum(int(r["retrans"]) for r in flows) > 20)
rt = rows(out, "events/retrans.csv")
segs = sum(int(r["segs"]) for r in rt if r["side"] == "sender" and r["result"] == "0")
ns = m["netstat"]["sender"]
check("lossy: retransmitted segments = the sender namespace's Tcp RetransSegs",
      segs == ns["TcpRetransSegs"], (segs, ns["TcpRetransSegs"]))
rto = rows(out, "events/rto.csv")
n_rto = sum(1 for r in rto if r["side"] == "sender")
check("lossy: RTO rows = the sender namespace's TcpExt TCPTimeouts",
      n_rto == ns["TcpExtTCPTimeouts"], (n_rto, ns["TcpExtTCPTimeouts"]))
check("lossy: flows.csv rtos add up to rto.csv", sum(int(r["rtos"]) for r in flows) == n_rto)
check_state_paths(out)
ca = rows(out, "events/ca_state.csv")
check("lossy: ca_state.csv shows loss recovery",
      any(r["new_ca_state"] in ("Recovery", "Loss") for r in ca), len(ca))
check("lossy: ca_state.csv rows chain (old = previous new) per connection",
      all(a["new_ca_state"] == b["old_ca_state"]
          for key in {(r["flow"], r["conn"], r["side"]) for r in ca}
          for a, b in zip([r for r in ca if (r["flow"], r["conn"], r["side"]) == key],
                          [r for r in ca if (r["flow"], r["conn"], r["side"]) == key][1:])))
rtt = rows(out, "events/rtt.csv")
check("lossy: rtt.csv has the RTT_CB samples", len(rtt) == m["events"]["rtt"]["seen_in_bpf"] > 0,
      len(rtt))
so = rows(out, "events/sockops.csv")
late = [r for r in so if r["flow"] == "late" and r["knob"] == "rto_min_ms"]
check("lossy: rto_min_ms applied on the late flow's sender, result 0",
      len(late) == 1 and late[0]["side"] == "sender" and late[0]["kernel_value"] == "20000"
      and late[0]["result"] == "0", late)
cw = rows(out, "timeline/cwnd.csv")
# The busiest connection: through a 5-packet queue one of the four can sit seconds in RTO
# backoff, sending nothing to sample (bulk#0 once had a 3.4 s gap and 81 samples).
per_conn = {}
for r in cw:
    per_conn.setdefault((r["flow"], r["conn"]), []).append(float(r["t_s"]))
ts = sorted(max(per_conn.values(), key=len))
gaps = [b - a for a, b in zip(ts, ts[1:])]
check("lossy: cwnd.csv is sampled at the 20 ms interval, not once per RTT",
      len(gaps) > 100 and sorted(gaps)[len(gaps) // 2] < 0.030,
      f"{len(ts)} samples, median gap {sorted(gaps)[len(gaps) // 2] * 1000:.1f} ms")

# --- clamp: cwnd never exceeds cwnd_clamp_pkts, and reaches it.
out = os.path.join(tmp, "clamp")
check_counters(out)
cw = rows(out, "timeline/cwnd.csv")
mx = max(int(r["cwnd_pkts"]) for r in cw)
check("clamp: cwnd.csv never exceeds cwnd_clamp_pkts = 30", mx <= 30, mx)
check("clamp: cwnd reaches the clamp", mx == 30, mx)
check("clamp: ssthresh is clamped too",
      all(int(r["ssthresh_pkts"]) <= 30 for r in cw if r["cwnd_pkts"] != "0"))
check_state_paths(out)

# --- iperf3: a program ccexp did not write gets the same parameters and events.
out = os.path.join(tmp, "iperf3")
check_counters(out)
with open(os.path.join(out, "apps/ip.client.out")) as f:
    ip = json.load(f)
flows = rows(out, "flows.csv")
data = max(flows, key=lambda r: int(r["bytes"]))
check("iperf3: its control and data connections are in flows.csv", len(flows) == 2, len(flows))
check("iperf3: used reno", all(r["cc"] == "reno" for r in flows))
rt = rows(out, "events/retrans.csv")
mine = [r for r in rt if r["flow"] == "ip" and r["conn"] == data["conn"] and
        r["side"] == "sender" and r["result"] == "0"]
segs = sum(int(r["segs"]) for r in mine)
check("iperf3: flows.csv retrans (total_retrans at close) = retrans.csv segments",
      data["retrans"] == data["retrans_seen"] == str(segs), (data["retrans"], segs))
# iperf3 reads total_retrans when its test ends; the data still in flight then may be
# retransmitted after. Its test starts when the data connection is established.
hs = rows(out, "events/handshake.csv")
est = min(float(r["t_s"]) for r in hs if r["conn"] == data["conn"] and
          r["op"] == "ACTIVE_ESTABLISHED")
t_end = est + ip["end"]["sum_sent"]["end"]
lo = sum(int(r["segs"]) for r in mine if float(r["t_s"]) <= t_end)
hi = sum(int(r["segs"]) for r in mine if float(r["t_s"]) <= t_end + 0.02)
check("iperf3: its own retransmit count = retrans.csv segments up to its test's end",
      lo <= ip["end"]["sum_sent"]["retransmits"] <= hi,
      (ip["end"]["sum_sent"]["retransmits"], lo, hi, segs))
check("iperf3: the bottleneck made it retransmit", segs > 0, segs)
so = rows(out, "events/sockops.csv")
for conn in ("0", "1"):
    check(f"iperf3: conn {conn} got init_cwnd_pkts 16 and syn_rto_ms 300",
          any(r["conn"] == conn and r["knob"] == "init_cwnd_pkts" and r["value"] == "16"
              and r["result"] == "0" for r in so) and
          any(r["conn"] == conn and r["knob"] == "syn_rto_ms" and r["kernel_value"] ==
              str(-(-300 * m["kernel"]["hz"] // 1000)) for r in so))
check("iperf3: handshake.csv has both connections' connect and established",
      {(r["conn"], r["op"]) for r in hs} >= {("0", "TCP_CONNECT"), ("1", "TCP_CONNECT"),
                                             ("0", "PASSIVE_ESTABLISHED"),
                                             ("1", "PASSIVE_ESTABLISHED")})
check_state_paths(out)
done()
PY
check "the event files match the kernel's own counters" [ $? = 0 ]

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit $fail
