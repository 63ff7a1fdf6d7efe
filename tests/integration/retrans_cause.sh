#!/bin/bash
# Integration test of the retransmission causes (events/retrans.csv `cause`, flows.csv
# retrans_<cause>) against the kernel's own counters, read by the flow's program inside the
# sender's namespace before and after its connection: random loss on short bursts (fast
# retransmits and tail loss probes), and a link that delivers nothing for a second (RTOs).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed (the flow's program)"

tmp=$(mktemp -d /tmp/ccx-test-retrans-XXXXXX)
flow="python3 $CCX_SOURCE_DIR/tests/tools/netstat_flow.py"
server="python3 $CCX_SOURCE_DIR/tests/tools/integrity.py server"

# run NAME LINK CLIENT_ARGS DURATION: one cmd flow whose program prints the counters.
run() {
	run_link "$1" tun "$2" "{ name = \"bulk\"; cc = \"cubic\";
		cmd = \"$flow client {dst} {port} $3\"; server_cmd = \"$server {port}\"; }" "$4" 3
}

# compare NAME: the per-cause sums of the sender's rows against the counter deltas, as
# docs/csv-format.md states them; prints them, and the failed ones on stderr.
compare() {
	python3 - "$tmp/$1" <<'PY'
import csv, json, sys
out = sys.argv[1]
cnt = {}
for line in open(out + "/apps/bulk.client.out"):
    _, when, js = line.split(" ", 2)
    cnt[when] = json.loads(js)
d = {k: cnt["end"][k] - cnt["start"][k] for k in cnt["end"]}
seen = {"fast": 0, "rto": 0, "tlp": 0, "other": 0}
failed = 0
for row in csv.DictReader(open(out + "/events/retrans.csv")):
    if row["side"] != "sender":
        continue
    if row["result"] != "0":
        failed += int(row["segs"])
        continue
    seen[row["cause"]] += int(row["segs"])
flows = list(csv.DictReader(open(out + "/flows.csv")))
kernel = {"fast": d["TcpExtTCPFastRetrans"],
          "rto": d["TcpExtTCPTimeouts"] + d["TcpExtTCPSlowStartRetrans"],
          "all": d["TcpRetransSegs"], "probes": d["TcpExtTCPLossProbes"]}
print(f"kernel: TCPFastRetrans {kernel['fast']} TCPTimeouts {d['TcpExtTCPTimeouts']} "
      f"TCPSlowStartRetrans {d['TcpExtTCPSlowStartRetrans']} TCPLossProbes {kernel['probes']} "
      f"RetransSegs {kernel['all']} TCPRetransFail {d['TcpExtTCPRetransFail']}")
print(f"ccexp:  fast {seen['fast']} rto {seen['rto']} tlp {seen['tlp']} other {seen['other']} "
      f"(not sent: {failed})")
bad = []
if failed or d["TcpExtTCPRetransFail"]:
    bad.append("a retransmission failed: the counters below do not hold then")
if seen["fast"] != kernel["fast"]:
    bad.append("fast != TCPFastRetrans")
if seen["rto"] != kernel["rto"]:
    bad.append("rto != TCPTimeouts + TCPSlowStartRetrans")
if sum(seen.values()) != kernel["all"]:
    bad.append("fast + rto + tlp + other != RetransSegs")
if seen["other"]:
    bad.append("other retransmissions seen")
if seen["tlp"] > kernel["probes"]:
    bad.append("tlp > TCPLossProbes")
if len(flows) != 1 or [int(flows[0]["retrans_" + c]) for c in seen] != list(seen.values()):
    bad.append("flows.csv retrans_<cause> are not the sums of retrans.csv")
elif int(flows[0]["retrans_seen"]) != sum(seen.values()):
    bad.append("flows.csv retrans_<cause> do not add up to retrans_seen")
for b in bad:
    print("mismatch: " + b, file=sys.stderr)
with open(out + "/sums", "w") as f:
    f.write(" ".join(f"{k}={v}" for k, v in seen.items()) + f" probes={kernel['probes']}\n")
sys.exit(1 if bad else 0)
PY
}

sum_of() {
	grep -o "$2=[0-9]*" "$tmp/$1/sums" | cut -d= -f2
}

# (a) 10 % random loss on 4 KB bursts every 40 ms: a burst's tail is often lost, which is what
# loss probes are for; losses inside a burst are repaired by fast retransmit.
run lossy 'rate_mbit = 20.0; delay_ms = 2.0; loss = 0.1;' "5 4 40" 7.0
check "lossy: per-cause counts equal the kernel's counters" compare lossy
check "lossy: fast retransmits seen" [ "$(sum_of lossy fast)" -gt 0 ]
check "lossy: loss probes sent" [ "$(sum_of lossy probes)" -gt 0 ]

# (b) The trace delivers a packet every millisecond, except from 1.5 s to 2.5 s (none), and the
# queue holds 20 packets: for a second the link loses all but those, and the sender times out.
awk 'BEGIN { for (t = 1; t <= 8000; t++) if (t <= 1500 || t > 2500) print t }' >"$tmp/gap.trace"
run blackhole "trace_up = \"$tmp/gap.trace\"; delay_ms = 10.0; queue_pkts = 20;" "4" 8.0
check "blackhole: per-cause counts equal the kernel's counters" compare blackhole
check "blackhole: RTO retransmissions seen" [ "$(sum_of blackhole rto)" -gt 0 ]

if [ "$fail" = 0 ]; then
	rm -rf "$tmp"
else
	echo "results kept in $tmp" >&2
fi
exit "$fail"
