#!/bin/bash
# Benchmark of the tun link emulator, every number a ratio measured in this one run:
# forwarding capacity against plain veth, delay accuracy under load, rate accuracy.
# Prints a table; docs/performance.md records what it printed and how.
here=$(cd "$(dirname "$0")/../integration" && pwd)
. "$here/lib.sh"
need_root
command -v ping >/dev/null || skip "ping (iputils-ping) is not installed"

tmp=$(mktemp -d /tmp/ccx-bench-link-XXXXXX)
secs=${CCX_BENCH_SECONDS:-6}

# bench NAME LINK FLOWS: one run; its results land in $tmp/NAME.
bench() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = $secs.0; };
link = { $2 };
flows = ( $3 );
collect = { sample_interval_ms = 100; };
CFG
	if ! "$CCEXP" -q run -o "$tmp/$1" "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1; then
		cat "$tmp/$1.log"
		fail=1
	fi
}

bulk='{ name = "bulk"; cc = "cubic"; count = 2; }'
bench veth 'backend = "none";' "$bulk"
bench tun 'backend = "tun"; rate_mbit = 100000.0; queue_pkts = 1000;' "$bulk"
cap=$(python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/flows.csv")))
print(sum(float(r["goodput_mbit"]) for r in rows))' "$tmp/tun")

# Delay accuracy: 20 ms each way and no rate limit, so no queue builds; two paced bulk
# flows load the emulator to 50, 90 and 100 % of its capacity, and a ping measures the
# RTT beside them: its error is the emulator's.
for pct in 50 90 100; do
	pace=$(python3 -c "print(round($cap * $pct / 100 / 2, 1))")
	bench "delay$pct" 'backend = "tun"; rate_mbit = 100000.0; delay_ms = 20.0; queue_pkts = 100000;' \
		"{ name = \"bulk\"; cc = \"cubic\"; count = 2; sockops = { max_pacing_mbit = $pace; }; },
		 { name = \"ping\"; cc = \"cubic\"; start_s = 1.0; cmd = \"ping -n -c 400 -i 0.01 {dst}\"; }"
done
# Rate accuracy: goodput of one flow against the nominal rate.
for rate in 12 48 96 480; do
	bench "rate$rate" "backend = \"tun\"; rate_mbit = $rate.0; delay_ms = 10.0; queue_bdp = 1.0;" \
		'{ name = "bulk"; cc = "cubic"; }'
done

python3 - "$tmp" "$cap" <<'PY'
import csv, os, re, sys
tmp, cap = sys.argv[1], float(sys.argv[2])

def goodput(name, t_from=2.0):
    rows = list(csv.DictReader(open(os.path.join(tmp, name, "timeline/throughput.csv"))))
    per_t = {}
    for r in rows:
        if float(r["t_s"]) > t_from:
            per_t[r["t_s"]] = per_t.get(r["t_s"], 0) + float(r["goodput_mbit"])
    return sum(per_t.values()) / len(per_t)

veth, tun = goodput("veth"), goodput("tun")
print(f"forwarding capacity (2 cubic flows, no delay, no rate limit):")
print(f"  veth {veth:8.1f} Mbit/s   tun {tun:8.1f} Mbit/s   tun/veth {tun / veth:.3f}")
print("delay accuracy (ping, 20 ms each way, under bulk load at a share of capacity):")
for pct in (50, 90, 100):
    text = open(os.path.join(tmp, f"delay{pct}", "apps/ping.client.out")).read()
    t = sorted(float(m.group(1)) for m in re.finditer(r"time=([0-9.]+) ms", text))
    n = len(t)
    load = goodput(f"delay{pct}", 1.0)
    print(f"  {pct:3d} % ({load:7.1f} Mbit/s): {n} pings, median {t[n // 2]:.3f} ms"
          f" (error {t[n // 2] - 40:+.3f}), p99 {t[int(n * 0.99)]:.3f} ms"
          f" (error {t[int(n * 0.99)] - 40:+.3f})")
print("rate accuracy (one cubic flow, goodput / nominal rate; 1448/1500 = 0.965 is TCP's ceiling):")
for rate in (12, 48, 96, 480):
    g = goodput(f"rate{rate}")
    print(f"  {rate:4d} Mbit/s: {g:8.2f} Mbit/s  ratio {g / rate:.3f}")
PY
[ $? = 0 ] || fail=1
rm -rf "$tmp"
exit $fail
