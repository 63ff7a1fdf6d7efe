#!/bin/bash
# Benchmark: what collection costs the flows. Two cubic bulk flows, CPU-bound (link backend
# "none", and "tun" without a rate limit), run with collect.level none, default and all in
# turn (A B C A B C ...), 5 s each; prints the goodput ratios default/none and all/none.
# meta.json's ccexp_cpu_during_flows_s gives ccexp's own share of the busy CPU (draining the
# ring buffer into CSV).
# With the kernel's BPF statistics on for the duration (restored after), the run's own
# programs' run_time_ns / run_cnt give ns per program run and their share of the CPU.
# Usage (root): tests/bench/collect_cost.sh [ROUNDS] (3 by default; CCEXP names the binary)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
need_root
command -v bpftool >/dev/null || skip "bpftool is not installed (reads the programs' run time)"
command -v python3 >/dev/null || skip "python3 is not installed"
rounds=${1:-3}
duration_s=5
tmp=$(mktemp -d /tmp/ccx-bench-collect-XXXXXX)
stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
cleanup() {
	echo "$stats_was" >/proc/sys/kernel/bpf_stats_enabled
	rm -rf "$tmp"
}
trap cleanup EXIT
echo 1 >/proc/sys/kernel/bpf_stats_enabled

for backend in none tun; do
	# tun at its highest rate: no limit in practice, the emulator's CPU is the bottleneck.
	rate=""
	[ "$backend" = tun ] && rate="rate_mbit = 100000.0;"
	for level in none default all; do
		cat >"$tmp/$backend-$level.cfg" <<CFG
experiment = { name = "collect_cost"; duration_s = $duration_s.0; seed = 1; };
link = { backend = "$backend"; $rate };
flows = ( { name = "bulk"; cc = "cubic"; count = 2; } );
collect = { level = "$level"; };
CFG
	done
done

# The run's programs (others' runs may load the same names): the sockops program attached to
# the run's cgroup, and the tracing programs that share its maps. The last reading before the
# run ends is kept, as the programs go with the run.
cgroot=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
watch_progs() { # watch_progs PID RESULTS_DIR OUT
	local prefix="" cg
	while kill -0 "$1" 2>/dev/null; do
		[ -n "$prefix" ] || prefix=$(run_prefix "$2")
		cg=$(find "$cgroot" -maxdepth 1 -name "$prefix*" 2>/dev/null | head -1)
		if [ -n "$prefix" ] && [ -n "$cg" ]; then
			python3 -c '
import json, os, subprocess, sys
cg, out = sys.argv[1], sys.argv[2]
def bpftool(*a):
    r = subprocess.run(["bpftool", "--json", *a], capture_output=True, text=True)
    v = json.loads(r.stdout or "[]")
    return v if isinstance(v, list) else []  # {"error": ...} when the cgroup just went
ids = {p["id"] for p in bpftool("cgroup", "show", cg) if p.get("name") == "ccx_sockops"}
progs = bpftool("prog", "show")
maps = set()
for p in progs:
    if p["id"] in ids:
        maps |= set(p.get("map_ids", []))
got = {p["name"]: p for p in progs if p["id"] in ids or
       (p.get("name") in ("ccx_tcp_probe", "ccx_cong_state") and maps & set(p.get("map_ids", [])))}
if got:
    with open(out + ".tmp", "w") as f:
        json.dump({n: [p.get("run_time_ns", 0), p.get("run_cnt", 0)] for n, p in got.items()}, f)
    os.replace(out + ".tmp", out)
' "$cg" "$3"
		fi
		sleep 0.5
	done
}

busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }

one() { # one BACKEND LEVEL ROUND
	local out="$tmp/$1-$2-$3" b0 b1
	b0=$(busy)
	"$CCEXP" -q run -o "$out" "$tmp/$1-$2.cfg" >"$out.log" 2>&1 &
	local pid=$!
	watch_progs "$pid" "$out" "$out.progs" &
	local wpid=$!
	wait "$pid"
	local rc=$?
	wait "$wpid"
	b1=$(busy)
	python3 - "$1" "$2" "$out" "$rc" "$b0" "$b1" <<'PY'
import csv, json, os, sys
backend, level, out, rc, b0, b1 = sys.argv[1:]
if rc != "0":
    print(f"{backend} {level}: ccexp run failed ({rc}), see {out}.log")
    sys.exit(0)
rows = list(csv.DictReader(open(os.path.join(out, "flows.csv"))))
gp = sum(float(r["goodput_mbit"]) for r in rows)
busy0, all0 = map(float, b0.split()); busy1, all1 = map(float, b1.split())
busy_s = (busy1 - busy0) / os.sysconf("SC_CLK_TCK")
line = f"{backend:4} {level:7} goodput {gp:9.1f} Mbit/s  cpu busy {busy_s:6.2f} s"
meta = json.load(open(os.path.join(out, "meta.json")))
cpu = meta.get("ccexp_cpu_during_flows_s") or {}
cpu_s = cpu.get("user", 0) + cpu.get("system", 0)
line += f"  ccexp {cpu_s:.3f} s {cpu_s / busy_s * 100 if busy_s else 0:.2f}%"
try:
    progs = json.load(open(out + ".progs"))
except OSError:
    progs = {}
for name in ("ccx_sockops", "ccx_tcp_probe", "ccx_cong_state"):
    t, n = progs.get(name, (0, 0))
    line += f"  {name} {n} runs {t / n if n else 0:.0f} ns {t / 1e9 / busy_s * 100 if busy_s else 0:.2f}%"
print(line, flush=True)
json.dump({"backend": backend, "level": level, "goodput": gp, "busy_s": busy_s, "progs": progs,
           "ccexp_cpu_s": cpu_s},
          open(out + ".json", "w"))
PY
	rm -rf "$out"
}

for r in $(seq "$rounds"); do
	for backend in none tun; do
		for level in none default all; do
			one "$backend" "$level" "$r"
		done
	done
done

python3 - "$tmp" <<'PY'
import glob, json, os, statistics, sys
res = {}
for p in glob.glob(sys.argv[1] + "/*.json"):
    r = json.load(open(p))
    rnd = int(os.path.basename(p).rsplit("-", 1)[1].split(".")[0])
    res[(r["backend"], r["level"], rnd)] = r
rounds = sorted({k[2] for k in res})
print("\nper backend and level: median goodput; per program: ns per run, share of the busy CPU")
for backend in ("none", "tun"):
    gp = {}
    for level in ("none", "default", "all"):
        rs = [res[(backend, level, i)] for i in rounds if (backend, level, i) in res]
        gp[level] = statistics.median(r["goodput"] for r in rs) if rs else float("nan")
        busy = sum(r["busy_s"] for r in rs)
        line = f"{backend:4} {level:7} {gp[level]:8.1f} Mbit/s"
        for name in ("ccx_sockops", "ccx_tcp_probe", "ccx_cong_state"):
            t = sum(r["progs"].get(name, (0, 0))[0] for r in rs)
            n = sum(r["progs"].get(name, (0, 0))[1] for r in rs)
            line += f"  {name} {t / n if n else 0:5.0f} ns {t / 1e9 / busy * 100 if busy else 0:5.2f}%"
        cpu = sum(r.get("ccexp_cpu_s", 0) for r in rs)
        line += f"  ccexp (ring buffer, CSV) {cpu / busy * 100 if busy else 0:5.2f}%"
        print(line)
    per = lambda a: " ".join(f"{res[(backend, a, i)]['goodput'] / res[(backend, 'none', i)]['goodput']:.3f}"
                             for i in rounds if (backend, a, i) in res and (backend, "none", i) in res)
    print(f"{backend:4} default/none {gp['default'] / gp['none']:.3f} (rounds: {per('default')}), "
          f"all/none {gp['all'] / gp['none']:.3f} (rounds: {per('all')})")
PY
