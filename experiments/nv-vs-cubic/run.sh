#!/bin/bash
# Runs NV, Vegas and cubic alone over the same deep-queue path and compares their RTT and
# goodput: summary.csv and compare.png in OUT (default ./out).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ccexp=${CCEXP:-$here/../../build/toolkit/ccexp}
out=${1:-$here/out}
mkdir -p "$out"
for cc in nv vegas cubic; do
	sed "s/@CC@/$cc/g" "$here/config.cfg.in" >"$out/$cc.cfg"
	rm -rf "${out:?}/$cc"
	"$ccexp" -q run -o "$out/$cc" "$out/$cc.cfg"
done
python3 - "$out" <<'PY'
import csv, os, sys
out = sys.argv[1]
with open(os.path.join(out, "summary.csv"), "w") as s:
    s.write("cc,implementation,goodput_mbit,srtt_p50_ms,srtt_p95_ms\n")
    for cc in ("nv", "vegas", "cubic"):
        d = os.path.join(out, cc)
        tp = [float(r["goodput_mbit"]) for r in csv.DictReader(open(d + "/timeline/throughput.csv"))
              if float(r["t_s"]) > 5]
        rt = sorted(int(r["srtt_us"]) / 1000 for r in csv.DictReader(open(d + "/timeline/cwnd.csv"))
                    if float(r["t_s"]) > 5)
        impl = "bpf" if os.path.exists(d + "/timeline/" + cc + ".csv") else "kernel"
        s.write(f"{cc},{impl},{sum(tp) / len(tp):.2f},{rt[len(rt) // 2]:.2f},"
                f"{rt[int(len(rt) * 0.95)]:.2f}\n")
PY
cat "$out/summary.csv"
(cd "$out" && gnuplot "$here/compare.gp")
echo "figure: $out/compare.png"
