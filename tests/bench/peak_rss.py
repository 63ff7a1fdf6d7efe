#!/usr/bin/env python3
"""Runs a command and reports the peak memory of it and every process it starts.

Every 0.1 s it walks /proc for the command's descendants and sums their proportional set
sizes (Pss: a page shared by n processes, as the fork()ed flow processes share their
parent's, counts 1/n in each, so the sum is the memory they take together) and their
resident sets (VmRSS, which counts a shared page in every process). It also keeps each
process's own high-water mark (VmHWM). Prints JSON on stderr: the largest sums seen and the
largest high-water mark per command name. Exits with the command's status."""
import json, os, subprocess, sys, time


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(root):
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


proc = subprocess.Popen(sys.argv[1:])
peak_sum, peak_pss, hwm, names, samples = 0, 0, {}, {}, 0
while proc.poll() is None:
    pids = children_of(proc.pid)
    total = pss = 0
    for p in pids:
        pss += pss_kb(p)
        rss = status_kb(p, "VmRSS")
        total += rss
        h = status_kb(p, "VmHWM")
        if h:
            hwm[p] = max(hwm.get(p, 0), h)
            names[p] = comm(p)
    peak_sum = max(peak_sum, total)
    peak_pss = max(peak_pss, pss)
    samples += 1
    time.sleep(0.1)
by_name = {}
for p, h in hwm.items():
    by_name[names[p]] = max(by_name.get(names[p], 0), h)
print(json.dumps({"peak_pss_sum_kb": peak_pss, "peak_rss_sum_kb": peak_sum, "hwm_sum_kb": sum(hwm.values()),
                  "processes": len(hwm), "samples": samples,
                  "hwm_max_by_name_kb": by_name}), file=sys.stderr)
sys.exit(proc.returncode)
