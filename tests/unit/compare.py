#!/usr/bin/env python3
"""`ccexp compare` on the committed fixture folders (tests/fixtures/compare: real 2 s runs).
compare.csv and groups.csv are checked against the runs' own summary.csv files and
statistics computed here (mean, sample sd, Student's t interval from the table below); each
refusal must exit 2 and leave no output folder. Needs no root."""
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

CCEXP = os.environ.get("CCEXP")
SRC = os.environ.get("CCX_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(SRC, "tests", "fixtures", "compare")

# t_0.975 with df degrees of freedom (two-sided 95%), from a printed table.
T975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 6: 2.4469, 7: 2.3646}

failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + ("" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def compare(tmp, *args):
    p = subprocess.run([CCEXP, "compare", *args], cwd=tmp, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def close(a, b):
    return abs(a - b) <= 1e-5 + 1e-4 * abs(b)


def stats(xs):
    n = len(xs)
    mean = sum(xs) / n
    if n < 2:
        return n, mean, None, None, None
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = T975[n - 1] * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def summary_of(run_dir):
    """The run's metrics from its summary.csv: {(scope, flow, metric): value text}."""
    out = {}
    for r in rows(os.path.join(run_dir, "summary.csv")):
        flow = r["flow"] + ("#" + r["conn"] if r["conn"] else "")
        out[(r["scope"], flow, r["metric"])] = r["value"]
    return out


def check_groups(name, out, groups_of_runs, settings):
    """groups.csv of folder `out` against the runs' summaries; groups_of_runs: the sets of
    run folders that must form the groups."""
    cmp_rows = rows(os.path.join(out, "compare.csv"))
    grp_rows = rows(os.path.join(out, "groups.csv"))
    ids = {}
    for r in cmp_rows:
        ids.setdefault(r["group"], set()).add(r["run"])
    check(f"{name}: the groups are the expected sets of runs",
          sorted(map(sorted, ids.values())) == sorted(map(sorted, groups_of_runs)),
          str(sorted(map(sorted, ids.values()))))
    header = list(grp_rows[0].keys()) if grp_rows else []
    check(f"{name}: groups.csv's columns", header == ["group", *settings, "scope", "flow",
                                                      "metric", "n", "mean", "sd", "ci95_low",
                                                      "ci95_high", "median", "min", "max"],
          str(header))
    bad = []
    checked = 0
    for g, runs in ids.items():
        sums = [summary_of(r) for r in sorted(runs)]
        keys = set().union(*sums)
        mine = {(r["scope"], r["flow"], r["metric"]): r for r in grp_rows if r["group"] == g}
        if set(mine) != keys:
            bad.append(f"group {g}: metrics {sorted(keys ^ set(mine))[:3]}")
            continue
        for key in keys:
            xs = [float(s[key]) for s in sums if s.get(key, "") != ""]
            row = mine[key]
            if int(row["n"]) != len(xs):
                bad.append(f"group {g} {key}: n {row['n']} != {len(xs)}")
                continue
            if not xs:
                continue
            n, mean, sd, lo, hi = stats(xs)
            want = {"mean": mean, "sd": sd, "ci95_low": lo, "ci95_high": hi,
                    "median": median(xs), "min": min(xs), "max": max(xs)}
            for col, v in want.items():
                got = row[col]
                if v is None:
                    ok = got == ""
                else:
                    ok = got != "" and close(float(got), v)
                if not ok:
                    bad.append(f"group {g} {key} {col}: {got} != {v}")
            checked += 1
    check(f"{name}: groups.csv's n, mean, sd, t interval, median, min, max "
          f"({checked} metric rows)", not bad and checked > 0, "; ".join(bad[:5]))
    return ids


def main():
    if not CCEXP:
        print("CCEXP is not set (run through meson test)")
        return 77
    tmp = tempfile.mkdtemp(prefix="ccx-cmp-test-")
    try:
        # compare writes a missing summary into a run folder: work on a copy.
        fx = os.path.join(tmp, "fx")
        shutil.copytree(FIXTURES, fx)
        sweep = os.path.join(fx, "sweep")
        points = rows(os.path.join(sweep, "points.csv"))
        run_of = {os.path.join(sweep, p["run_dir"]): p for p in points}

        print("== a 2 x 2 sweep with repeat 2")
        out = os.path.join(tmp, "all")
        rc, so, se = compare(tmp, "-o", out, sweep)
        check("exit 0", rc == 0, se)
        settings = ["link.queue_bdp", "flows.b.cc"]
        by_point = {}
        for d, p in run_of.items():
            by_point.setdefault(p["point_id"], set()).add(d)
        ids = check_groups("sweep", out, list(by_point.values()), settings)
        check("4 groups", len(ids) == 4, str(len(ids)))
        # compare.csv: every run's summary.csv rows, with the run's point values and repeat.
        cmp_rows = rows(os.path.join(out, "compare.csv"))
        check("compare.csv's columns", list(cmp_rows[0].keys()) ==
              ["run", "group", "repeat", *settings, "scope", "flow", "metric", "value"])
        want = set()
        for d, p in run_of.items():
            for (scope, flow, metric), v in summary_of(d).items():
                want.add((d, p["repeat"], p["link.queue_bdp"], p["flows.b.cc"], scope, flow,
                          metric, v))
        got = {(r["run"], r["repeat"], r["link.queue_bdp"], r["flows.b.cc"], r["scope"],
                r["flow"], r["metric"], r["value"]) for r in cmp_rows}
        check("compare.csv holds each run's summary.csv rows with its point's values",
              got == want and len(cmp_rows) == len(want),
              f"{len(got ^ want)} rows differ")
        runs = rows(os.path.join(out, "runs.csv"))
        check("runs.csv: 8 runs, all included", len(runs) == 8 and
              all(r["included"] == "1" and r["status"] == "complete" for r in runs))
        check("no temporary files in the output folder",
              sorted(os.listdir(out)) == ["charts", "compare.csv", "groups.csv", "report.html",
                                          "runs.csv"]
              or sorted(os.listdir(out)) == ["compare.csv", "groups.csv", "report.html", "runs.csv"],
              str(os.listdir(out)))
        check("the terminal table shows each group with n",
              all(f"group {g}:" in so for g in range(4)) and "(n=2)" in so, so)

        print("== run folders of a sweep given one by one, and a run named twice")
        out = os.path.join(tmp, "single")
        picked = [d for d in sorted(run_of) if run_of[d]["repeat"] == "1"][:2]
        rc, so, se = compare(tmp, "-o", out, *picked, picked[0])
        check("exit 0", rc == 0, se)
        r = rows(os.path.join(out, "runs.csv"))
        check("runs.csv: each run once, its repeat from the sweep's points.csv",
              sorted(x["run"] for x in r) == picked and all(x["repeat"] == "1" for x in r),
              str(r))
        rc, so, se = compare(tmp, "-o", os.path.join(tmp, "twice"), sweep, picked[0])
        check("a sweep and one of its runs: 8 runs", rc == 0 and
              len(rows(os.path.join(tmp, "twice", "runs.csv"))) == 8, se)

        print("== --by flows.b.cc: two groups of 4")
        out = os.path.join(tmp, "by")
        rc, so, se = compare(tmp, "--by", "flows.b.cc", "-o", out, sweep)
        check("exit 0", rc == 0, se)
        by_cc = {}
        for d, p in run_of.items():
            by_cc.setdefault(p["flows.b.cc"], set()).add(d)
        check_groups("--by", out, list(by_cc.values()), ["flows.b.cc"])

        print("== a failed run is listed and left out, kept with --include-failed")
        failed = sorted(run_of)[0]
        meta = os.path.join(failed, "meta.json")
        text = open(meta).read()
        with open(meta, "w") as f:
            f.write(text.replace('"status": "complete"', '"status": "failed"', 1))
        out = os.path.join(tmp, "failed")
        rc, so, se = compare(tmp, "-o", out, sweep)
        check("exit 0", rc == 0, se)
        check("stderr names the failed run", failed in se and "failed" in se, se)
        r = {x["run"]: x for x in rows(os.path.join(out, "runs.csv"))}
        check("runs.csv: status failed, included 0", r[failed]["status"] == "failed" and
              r[failed]["included"] == "0", str(r[failed]))
        check("compare.csv has no row of it",
              all(x["run"] != failed for x in rows(os.path.join(out, "compare.csv"))))
        groups = [set(s) - {failed} for s in by_point.values()]
        check_groups("without the failed run", out, groups, settings)
        out = os.path.join(tmp, "failed-kept")
        rc, so, se = compare(tmp, "--include-failed", "-o", out, sweep)
        check("--include-failed: exit 0", rc == 0, se)
        check_groups("--include-failed", out, list(by_point.values()), settings)
        with open(meta, "w") as f:
            f.write(text)

        print("== a sweep with a run missing: listed with its point's values, left out")
        part = os.path.join(tmp, "part")
        shutil.copytree(sweep, part)
        prow = rows(os.path.join(part, "points.csv"))
        gone = prow[2]
        shutil.rmtree(os.path.join(part, gone["run_dir"]))
        missing_dir = os.path.join(part, "runs", gone["point_id"] + "-r" + gone["repeat"])
        gone.update(status="missing", run_dir="", exit_code="", started="", ended="")
        with open(os.path.join(part, "points.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(prow[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(prow)
        out = os.path.join(tmp, "part-out")
        rc, so, se = compare(tmp, "-o", out, part)
        check("exit 0, stderr names the missing run", rc == 0 and missing_dir in se, se)
        r = {x["run"]: x for x in rows(os.path.join(out, "runs.csv"))}
        m = r.get(missing_dir, {})
        mates = [x for x in r.values() if x["run"] != missing_dir and
                 x["link.queue_bdp"] == gone["link.queue_bdp"] and
                 x["flows.b.cc"] == gone["flows.b.cc"]]
        check("runs.csv: missing, included 0, its point's values and group",
              m.get("status") == "missing" and m.get("included") == "0" and
              m.get("link.queue_bdp") == gone["link.queue_bdp"] and len(mates) == 1 and
              m.get("group") == mates[0]["group"], str(m))

        print("== an older run without a summary is read (its summary is made)")
        old = os.path.join(fx, "old-run")
        out = os.path.join(tmp, "old")
        rc, so, se = compare(tmp, "-o", out, sweep, old)
        check("exit 0", rc == 0, se)
        check("the old run now has summary.csv",
              os.path.exists(os.path.join(old, "summary.csv")))
        groups = list(by_point.values()) + [{old}]
        check_groups("sweep + old run", out, groups, settings)

        print("== one run: one group, no setting columns")
        out = os.path.join(tmp, "one")
        rc, so, se = compare(tmp, "-o", out, os.path.join(fx, "other-flows"))
        g = rows(os.path.join(out, "groups.csv"))
        check("exit 0, groups.csv: group 0, n = 1, sd and interval empty",
              rc == 0 and list(g[0])[:2] == ["group", "scope"] and
              all(r["group"] == "0" and r["n"] in ("0", "1") and r["sd"] == "" and
                  r["ci95_low"] == "" for r in g), se)

        print("== a knob written with its side groups under its sweep path")
        knob = []
        for i, text in enumerate(['{ value = 20; side = "sender"; }', "40"]):
            d = os.path.join(tmp, f"knob{i}")
            shutil.copytree(os.path.join(fx, "other-flows"), d)
            cfg = os.path.join(d, "config.cfg")
            body = open(cfg).read().replace('start_s = 0.5; }',
                                            'start_s = 0.5; sockops = { init_cwnd_pkts = '
                                            + text + '; }; }')
            open(cfg, "w").write(body)
            knob.append(d)
        out = os.path.join(tmp, "knob")
        rc, so, se = compare(tmp, "-o", out, *knob)
        r = rows(os.path.join(out, "runs.csv"))
        check("runs.csv: flows.y.sockops.init_cwnd_pkts 20 and 40, two groups",
              rc == 0 and [x.get("flows.y.sockops.init_cwnd_pkts") for x in r] == ["20", "40"]
              and [x["group"] for x in r] == ["0", "1"], str(r))

        print("== plots.formats in the runs' configs: the charts' formats without --format")
        fmt = os.path.join(tmp, "fmt-run")
        shutil.copytree(os.path.join(fx, "other-flows"), fmt)
        with open(os.path.join(fmt, "config.cfg"), "a") as f:
            f.write('plots = { formats = ["svg"]; };\n')
        out = os.path.join(tmp, "fmt")
        rc, so, se = compare(tmp, "-o", out, fmt)
        charts = os.listdir(os.path.join(out, "charts")) if os.path.isdir(
            os.path.join(out, "charts")) else []
        check("svg charts and no png", rc == 0 and any(n.endswith(".svg") for n in charts)
              and not any(n.endswith(".png") for n in charts), f"rc {rc}: {charts} {se}")
        out = os.path.join(tmp, "fmt-png")
        rc, so, se = compare(tmp, "-o", out, "--format", "png", fmt)
        charts = os.listdir(os.path.join(out, "charts")) if os.path.isdir(
            os.path.join(out, "charts")) else []
        check("--format png wins over plots.formats",
              rc == 0 and any(n.endswith(".png") for n in charts)
              and not any(n.endswith(".svg") for n in charts), f"rc {rc}: {charts}")

        print("== refusals: exit 2, no output folder")
        os.mkdir(os.path.join(tmp, "empty"))
        newer = os.path.join(fx, "newer")
        cases = [
            ("not a results folder", [os.path.join(tmp, "empty")], "not a results folder"),
            ("a path that does not exist", [os.path.join(tmp, "nothing")], "not a folder"),
            ("a newer format_version", [sweep, newer], "format_version 2"),
            ("flows that cannot be matched", [sweep, os.path.join(fx, "other-flows")],
             "flows cannot be matched"),
            ("an unknown --by setting", ["--by", "link.no_such", sweep], "--by link.no_such"),
            ("an unknown --format", ["--format", "gif", sweep], "gif"),
            ("-o naming a file", [sweep], "is not a folder"),
        ]
        for i, (what, args, msg) in enumerate(cases):
            out = os.path.join(tmp, f"refused{i}")
            if what == "-o naming a file":
                out = os.path.join(fx, "sweep", "points.csv")
            before = open(out).read() if os.path.isfile(out) else None
            rc, so, se = compare(tmp, "-o", out, *args)
            if before is not None:
                check(f"{what}: the file is untouched", open(out).read() == before)
                out = os.path.join(tmp, f"refused{i}")
            check(f"{what}: exit 2, says '{msg}', no output folder",
                  rc == 2 and msg in se and not os.path.exists(out), f"rc {rc}: {se.strip()}")
        left = [n for n in os.listdir(tmp) if n.startswith("compare-")]
        check("no default output folder left by a refusal", not left, str(left))
    finally:
        shutil.rmtree(tmp)
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
