#!/bin/bash
# Integration test of a flow's extra_delay_ms (its own access path on the tun link): each
# flow's minimum RTT, as the kernel measured it, is the link's plus its own extra delay, and
# a backend that cannot delay one flow alone, or a bad value, is refused before anything
# exists.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

tmp=$(mktemp -d /tmp/ccx-test-flow-delay-XXXXXX)
export PYTHONPATH=$here

# Three flows on a 5 ms (each way) link: none, 30 ms each way, and 10 up + 20 down. A
# clamped window keeps the bottleneck's queue near empty, and a bounded delayed-ACK timer
# keeps ACK policy out of the minimum (as in link.sh). The kernel's rtt_min (cwnd.csv) is
# what TCP itself measured: the path's base RTT. backend = "auto" must take tun, netem or
# not.
run_link rtt auto 'rate_mbit = 50.0; delay_ms = 5.0;' \
	'{ name = "near"; cc = "cubic"; sockops = { cwnd_clamp_pkts = 4; delack_max_ms = 8; }; },
	 { name = "far"; cc = "cubic"; extra_delay_ms = 30.0;
	   sockops = { cwnd_clamp_pkts = 4; delack_max_ms = 8; }; },
	 { name = "skew"; cc = "cubic"; extra_delay_ms = 10.0; extra_delay_down_ms = 20.0;
	   sockops = { cwnd_clamp_pkts = 4; delack_max_ms = 8; }; }' 5.0
python3 - "$tmp/rtt" <<'PY'
import sys
from ccx_results import check, rows, meta, done

out = sys.argv[1]
base_ms = {"near": 10.0, "far": 70.0, "skew": 40.0}
extra = {"near": (0, 0), "far": (30, 30), "skew": (10, 20)}
cw = [r for r in rows(out, "timeline/cwnd.csv") if int(r["rtt_min_us"]) != 4294967295]
for flow, want in base_ms.items():
    got = [int(r["rtt_min_us"]) / 1000 for r in cw if r["flow"] == flow]
    low = min(got) if got else None
    # Serialization at 50 Mbit/s (0.24 ms a packet) and the emulator's timer latency come on
    # top; nothing may come in under the path.
    check(f"{flow}: the kernel's min RTT is {want:g} ms (-0.2, +1.5)",
          low is not None and want - 0.2 <= low <= want + 1.5, f"{low} ms over {len(got)} samples")
link = meta(out)["link"]
check("auto took tun, for the flows' extra delay", link["backend"] == "tun" and
      "no per-flow delay" in link["backend_why"],
      f'{link["backend"]}: {link["backend_why"]}')
m = {f["name"]: f for f in meta(out)["flows"]}
for flow, (up, down) in extra.items():
    check(f"{flow}: meta.json records its extra delays",
          m[flow].get("extra_delay_ms") == up and m[flow].get("extra_delay_down_ms") == down,
          f'{m[flow].get("extra_delay_ms")} / {m[flow].get("extra_delay_down_ms")}')
done()
PY
check "each flow's min RTT is the link's plus its own extra delay" [ $? = 0 ]

# refused NAME LINK FLOW_SETTINGS MESSAGE: exit 2 with MESSAGE after "file:", nothing
# made (the results folder comes just before the namespaces).
refused() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = 1.0; };
link = { $2 };
flows = ( { name = "a"; cc = "cubic"; }, { name = "b"; cc = "cubic"; $3 } );
CFG
	before=$(leftovers)
	"$CCEXP" -q run -o "$tmp/$1-out" "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1
	rc=$?
	cat "$tmp/$1.log"
	check "$1: exit 2" [ "$rc" = 2 ]
	check "$1: the message names file, line and setting" grep -qF "$tmp/$1.cfg:$4" "$tmp/$1.log"
	check "$1: no results folder" [ ! -e "$tmp/$1-out" ]
	check "$1: nothing left behind" [ -z "$(new_leftovers "$before")" ]
}
refused tc 'backend = "tc"; rate_mbit = 10.0;' 'extra_delay_ms = 30.0;' \
	'3: flows[1].extra_delay_ms: the tc backend has no per-flow delay; use backend = "tun"'
refused none-down 'backend = "none";' 'extra_delay_down_ms = 5;' \
	'3: flows[1].extra_delay_down_ms: backend = "none" emulates nothing'
refused negative 'rate_mbit = 10.0;' 'extra_delay_ms = -1.0;' \
	'3: flows[1].extra_delay_ms: must be between 0 and 10000 (got -1.0)'
refused too-long 'backend = "tun"; rate_mbit = 10.0;' 'extra_delay_down_ms = 10001;' \
	'3: flows[1].extra_delay_down_ms: must be between 0 and 10000 (got 10001.0)'

rm -rf "$tmp"
exit $fail
