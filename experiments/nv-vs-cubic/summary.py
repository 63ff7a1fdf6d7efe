#!/usr/bin/env python3
"""Summary of the nv-vs-cubic sweep: per algorithm, the mean over its repeats of the goodput
and of the srtt median and 95th percentile after the first 5 s, with the spread over repeats;
then compare.png from the first repeat of each. Parameters come from points.csv.

    ./summary.py SWEEPDIR      # the folder `ccexp sweep` made (results/nv-vs-cubic/sweep-sweep)
"""
import csv
import os
import statistics
import subprocess
import sys

WARMUP_S = 5.0


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run_stats(run_dir):
    tp = [float(r["goodput_mbit"]) for r in rows(os.path.join(run_dir, "timeline/throughput.csv"))
          if float(r["t_s"]) > WARMUP_S]
    rtt = sorted(int(r["srtt_us"]) / 1000 for r in rows(os.path.join(run_dir, "timeline/cwnd.csv"))
                 if float(r["t_s"]) > WARMUP_S)
    return (sum(tp) / len(tp), rtt[len(rtt) // 2], rtt[int(len(rtt) * 0.95)])


def main():
    sweep = sys.argv[1] if len(sys.argv) > 1 else "results/nv-vs-cubic/sweep-sweep"
    by_cc = {}
    for r in rows(os.path.join(sweep, "points.csv")):
        if r["status"] != "complete":
            print(f"skipping run {r['index']} ({r['flows.bulk.cc']}): {r['status']}", file=sys.stderr)
            continue
        by_cc.setdefault(r["flows.bulk.cc"], []).append(r)
    out = os.path.join(sweep, "summary.csv")
    with open(out, "w") as s:
        s.write("cc,runs,goodput_mbit,goodput_sd,srtt_p50_ms,srtt_p50_sd,srtt_p95_ms\n")
        for cc, runs in by_cc.items():
            st = [run_stats(os.path.join(sweep, r["run_dir"])) for r in runs]
            sd = (lambda xs: statistics.stdev(xs) if len(xs) > 1 else 0.0)
            s.write(f"{cc},{len(st)},{statistics.mean(x[0] for x in st):.2f},"
                    f"{sd([x[0] for x in st]):.2f},{statistics.mean(x[1] for x in st):.2f},"
                    f"{sd([x[1] for x in st]):.2f},{statistics.mean(x[2] for x in st):.2f}\n")
    print(open(out).read(), end="")
    # The figure: each algorithm's first repeat, linked under the names compare.gp reads.
    for cc, runs in by_cc.items():
        first = min(runs, key=lambda r: int(r["repeat"]))
        link = os.path.join(sweep, cc)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(first["run_dir"], link)
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["gnuplot", os.path.join(here, "compare.gp")], cwd=sweep, check=True)
    print(f"figure: {os.path.join(sweep, 'compare.png')}")


if __name__ == "__main__":
    main()
