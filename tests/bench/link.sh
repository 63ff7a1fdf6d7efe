#!/bin/bash
# Benchmark of the tun link emulator, every number a ratio measured in this one run:
# forwarding capacity against plain veth, delay accuracy under load, rate accuracy.
# Prints a table; docs/performance.md records what it printed and how.
here=$(cd "$(dirname "$0")/../integration" && pwd)
. "$here/lib.sh"
need_root
[ -x "${CCX_RTT_PROBE:-}" ] || skip "CCX_RTT_PROBE does not name the rtt_probe program (run through meson)"

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

# Delay accuracy: 20 ms each way and no rate limit, so no queue builds; paced bulk flows
# load the emulator to 50, 90 and 100 % of its capacity, and a UDP probe (microsecond
# resolution; ping prints 40 ms to 0.1 ms) measures the RTT beside them. Eight flows, as one
# flow's window (the kernel's default buffers, a few MB) carries well under a Gbit/s over
# 40 ms. The same probe over a bare veth pair shows what the hosts' stacks add by themselves.
probe='{ name = "probe"; cc = "cubic"; start_s = 1.0;
	cmd = "'"$CCX_RTT_PROBE"' client {dst} {port} 300 10";
	server_cmd = "'"$CCX_RTT_PROBE"' server {port}"; }'
bench probe_veth 'backend = "none";' "$probe"
bench delay0 'backend = "tun"; rate_mbit = 100000.0; delay_ms = 20.0; queue_pkts = 100000;' "$probe"
for pct in 50 90 100; do
	pace=$(python3 -c "print(round($cap * $pct / 100 / 8, 1))")
	bench "delay$pct" 'backend = "tun"; rate_mbit = 100000.0; delay_ms = 20.0; queue_pkts = 100000;' \
		"{ name = \"bulk\"; cc = \"cubic\"; count = 8; sockops = { max_pacing_mbit = $pace; }; },
		 $probe"
done
# Rate accuracy: goodput of one flow against the nominal rate.
for rate in 12 48 96 480; do
	bench "rate$rate" "backend = \"tun\"; rate_mbit = $rate.0; delay_ms = 10.0; queue_bdp = 1.0;" \
		'{ name = "bulk"; cc = "cubic"; }'
done

python3 - "$tmp" "$cap" <<'PY'
import csv, json, os, re, sys
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
def probe_rtts(name):
    text = open(os.path.join(tmp, name, "apps/probe.client.out")).read()
    return sorted(float(m.group(1)) / 1000 for m in re.finditer(r"rtt_us=([0-9.]+)", text))

def late(name):
    link = json.load(open(os.path.join(tmp, name, "meta.json")))["link"]
    return max(link[d]["release_late_us"]["p50"] for d in ("up", "down")), \
        max(link[d]["release_late_us"]["p99"] for d in ("up", "down"))

t = probe_rtts("probe_veth")
print("RTT probe over a bare veth pair (the hosts' own share):")
print(f"  {len(t)} probes, median {t[len(t) // 2] * 1000:.0f} us, p99 {t[int(len(t) * 0.99)] * 1000:.0f} us")
print("delay accuracy (UDP probe, 20 ms each way, beside bulk load at a share of capacity;")
print("  release = how late the emulator handed packets out, worst direction):")
for pct in (0, 50, 90, 100):
    t = probe_rtts(f"delay{pct}")
    n = len(t)
    load = goodput(f"delay{pct}", 1.0) if pct else 0.0
    l50, l99 = late(f"delay{pct}")
    print(f"  {pct:3d} % ({load:7.1f} Mbit/s): {n} probes, median {t[n // 2]:.3f} ms"
          f" (error {t[n // 2] - 40:+.3f}), p99 {t[int(n * 0.99)]:.3f} ms"
          f" (error {t[int(n * 0.99)] - 40:+.3f}); release p50 {l50:.0f} us, p99 {l99:.0f} us")
print("rate accuracy (one cubic flow, goodput / nominal rate; 1448/1500 = 0.965 is TCP's ceiling):")
for rate in (12, 48, 96, 480):
    g = goodput(f"rate{rate}")
    print(f"  {rate:4d} Mbit/s: {g:8.2f} Mbit/s  ratio {g / rate:.3f}")
PY
[ $? = 0 ] || fail=1
rm -rf "$tmp"
exit $fail
