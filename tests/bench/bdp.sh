#!/bin/bash
# Benchmark of high bandwidth-delay products: eight bulk flows over the tun link with 10 ms
# each way, with the hosts' default TCP buffers and with buffers set by the hosts group, as a
# share of the same flows with no delay; a UDP probe beside them gives the delay's error at
# that load. Every number is a ratio measured in this one run; docs/performance.md records
# what it printed and how.
here=$(cd "$(dirname "$0")/../integration" && pwd)
. "$here/lib.sh"
need_root
[ -x "${CCX_RTT_PROBE:-}" ] || skip "CCX_RTT_PROBE does not name the rtt_probe program (run through meson)"

tmp=$(mktemp -d /tmp/ccx-bench-bdp-XXXXXX)
secs=${CCX_BENCH_SECONDS:-8}
# Well below what the emulator forwards on a 2-core machine (7-10 Gbit/s without delay), so
# that the link, not the emulator's CPU, is the bottleneck. The same queue in every run: one
# bandwidth-delay product of the delayed runs, in 1500-byte packets.
rate=${CCX_BENCH_RATE_MBIT:-2500}
queue=$((rate * 1000 * 20 / 8 / 1500))
# 64 MiB: far above a flow's share of the bandwidth-delay product (2.5 Gbit/s x 20 ms / 8).
buffers='hosts = { tcp_rmem = "4096 131072 67108864"; tcp_wmem = "4096 16384 67108864"; };'

# bench NAME DELAY_MS HOSTS COUNT: one run of COUNT bulk flows and the probe; results in
# $tmp/NAME.
bench() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = $secs.0; };
link = { backend = "tun"; rate_mbit = $rate.0; delay_ms = $2; queue_pkts = $queue; };
flows = ( { name = "bulk"; cc = "cubic"; count = $4; },
	{ name = "probe"; cc = "cubic"; start_s = 2.0;
	  cmd = "$CCX_RTT_PROBE client {dst} {port} 300 10";
	  server_cmd = "$CCX_RTT_PROBE server {port}"; } );
collect = { sample_interval_ms = 100; };
$3
CFG
	if ! "$CCEXP" -q run -o "$tmp/$1" "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1; then
		cat "$tmp/$1.log"
		fail=1
	fi
}

# Alternated, so that a change in the machine's load falls on both sides.
# Eight flows share the window they need; one flow needs it all (2.5 Gbit/s x 20 ms = 6 MB),
# more than the stock tcp_wmem's 4 MiB carries.
for i in 1 2; do
	for n in 8 1; do
		bench "flat$n-$i" 0.0 "$buffers" $n
		bench "default$n-$i" 10.0 "" $n
		bench "tuned$n-$i" 10.0 "$buffers" $n
	done
done

python3 - "$tmp" "$rate" "$queue" <<'PY'
import csv, os, re, sys
tmp, rate, queue = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

def goodput(name, t_from=2.0):
    rows = list(csv.DictReader(open(os.path.join(tmp, name, "timeline/throughput.csv"))))
    per_t = {}
    for r in rows:
        if r["flow"] == "bulk" and float(r["t_s"]) > t_from:
            per_t[r["t_s"]] = per_t.get(r["t_s"], 0) + float(r["goodput_mbit"])
    return sum(per_t.values()) / len(per_t)

def probe(name):
    text = open(os.path.join(tmp, name, "apps/probe.client.out")).read()
    t = sorted(float(m.group(1)) / 1000 for m in re.finditer(r"rtt_us=([0-9.]+)", text))
    return t[len(t) // 2], t[int(len(t) * 0.99)]

print(f"cubic flows over the tun link at {rate:.0f} Mbit/s (queue {queue} packets), goodput after "
      f"the first 2 s; the hosts' tcp_rmem / tcp_wmem in the run's namespaces: default "
      f"{open('/proc/sys/net/ipv4/tcp_rmem').read().split()[2]} / "
      f"{open('/proc/sys/net/ipv4/tcp_wmem').read().split()[2]} bytes at most, tuned 64 MiB")
for n in (8, 1):
    for i in (1, 2):
        flat, dflt, tuned = (goodput(f"{k}{n}-{i}") for k in ("flat", "default", "tuned"))
        print(f" {n} flow(s), round {i}: no delay {flat:7.1f} Mbit/s | 10 ms each way: default "
              f"{dflt:7.1f} ({dflt / flat:.3f}), tuned {tuned:7.1f} ({tuned / flat:.3f})")
        for k in ("default", "tuned"):
            p50, p99 = probe(f"{k}{n}-{i}")
            print(f"   probe beside {k:7s}: RTT median {p50:.3f} ms (error {p50 - 20:+.3f}), "
                  f"p99 {p99:.3f} ms (error {p99 - 20:+.3f}; a full queue adds up to 20)")
PY
[ $? = 0 ] || fail=1
rm -rf "$tmp"
exit $fail
