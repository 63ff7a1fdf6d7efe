#!/bin/bash
# Integration test: the goodput timeline counts data when the sender learns it was delivered
# (cumulatively ACKed or SACKed), so loss recovery makes no spike: with random loss on a
# 50 Mbit/s link with an 80 ms RTT no 100 ms stretch of timeline/throughput.csv is above what
# the link can carry (10 % for the ACKs' timing), no 10 ms interval more than 50 % above it
# (ACKs that a loaded machine's return path bunches; counting only cumulative ACKs, the end of
# a recovery made several times the link's rate), and the
# intervals add up to the bytes the receivers got (flows.csv, counted by the receiving
# program).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed (reads the results)"

tmp=$(mktemp -d /tmp/ccx-test-goodput-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export PYTHONPATH=$here

cat >"$tmp/lossy.cfg" <<CFG
experiment = { name = "goodput"; duration_s = 8.0; seed = 3; };
link = { backend = "tun"; rate_mbit = 50.0; delay_ms = 40.0; queue_bdp = 1.0; loss = 0.001; };
flows = ( { name = "bulk"; cc = "cubic"; } );
collect = { sample_interval_ms = 10; };
CFG
run_ok "$tmp/out" "$tmp/lossy.cfg" "lossy"

python3 - "$tmp/out" <<'PY'
import sys
from ccx_results import check, rows, done

out = sys.argv[1]
flows = rows(out, "flows.csv")
retrans = sum(int(r["retrans"]) for r in flows)
check("the lossy link made the senders retransmit", retrans > 0, retrans)
tp = rows(out, "timeline/throughput.csv")
dt = 0.010
by_t = {}
for r in tp:
    by_t[float(r["t_s"])] = by_t.get(float(r["t_s"]), 0.0) + float(r["goodput_mbit"])
series = [by_t[t] for t in sorted(by_t)]
peak = max(series)
check("no 10 ms interval more than 50 % above the link's 50 Mbit/s", peak <= 75,
      f"peak {peak:.1f} Mbit/s")
peak100 = max(sum(series[i:i + 10]) / 10 for i in range(len(series) - 9))
check("no 100 ms stretch above the link's 50 Mbit/s (+10 %)", peak100 <= 55,
      f"peak {peak100:.1f} Mbit/s")
total = sum(float(r["goodput_mbit"]) for r in tp) * dt * 1e6 / 8
got = sum(int(r["bytes"]) for r in flows)
check("the intervals add up to the bytes the receivers got (0.1 %)",
      abs(total - got) <= 0.001 * got, f"{total:.0f} against {got}")
done()
PY
