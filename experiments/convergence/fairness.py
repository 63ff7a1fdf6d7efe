#!/usr/bin/env python3
"""Jain's index over time per group of a `ccexp compare` folder: the median over the group's
runs of each 1 s bucket's index (at its start) over the active connections (summary.json "fairness_1s",
docs/metrics.md). Writes fairness.dat next to fairness.gp and draws fairness.png with it.

Usage: fairness.py COMPARE_DIR   (the folder `ccexp compare -o` wrote)"""
import csv
import json
import os
import statistics
import subprocess
import sys


def main():
    cmp_dir = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    groups = {}
    for r in csv.DictReader(open(os.path.join(cmp_dir, "runs.csv"))):
        if r["included"] != "1":
            continue
        fair = json.load(open(os.path.join(r["run"], "summary.json")))["fairness_1s"]
        g = groups.setdefault(r["group"], {"cc": r["flows.f1.cc"], "runs": []})
        g["runs"].append(dict(zip(fair["t_s"], fair["jain_conns"])))
    with open(os.path.join(here, "fairness.dat"), "w") as f:
        for gid in sorted(groups, key=int):
            g = groups[gid]
            f.write(f"# {g['cc']}: t_s median_jain runs (n={len(g['runs'])})\n")
            times = sorted({t for run in g["runs"] for t in run})
            for t in times:
                vals = [run[t] for run in g["runs"] if run.get(t) is not None]
                if vals:
                    f.write(f"{t:.1f} {statistics.median(vals):.4f} {len(vals)}\n")
            f.write("\n\n")
    names = " ".join(f"{groups[g]['cc']}(n={len(groups[g]['runs'])})"
                     for g in sorted(groups, key=int))
    subprocess.run(["gnuplot", "-e", f"names='{names}'", "fairness.gp"], cwd=here, check=True)


if __name__ == "__main__":
    main()
