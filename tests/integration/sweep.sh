#!/bin/bash
# Integration test: `ccexp sweep` runs a set of short runs (2 x 2 points, 2 repeats), resumes
# after SIGINT, runs only the points a longer list adds, marks a failing point failed and
# retries it on request, refuses bad input before creating anything, and --list, --dry-run
# and --point do what they say. Checked on the folders themselves with Python, not ccexp.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v gnuplot >/dev/null || skip "gnuplot is not installed"

tmp=$(mktemp -d /tmp/ccx-test-sweep-XXXXXX)
t_begin=$(date +%s)

# sweep.cfg NAME QUEUE_VALUES: the 2 x 2 sweep (queue_bdp x flow b's cc), repeat 2.
write_cfg() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "swp"; duration_s = 2.0; seed = 11; repeat = 2; };
link = { backend = "tun"; rate_mbit = 20.0; delay_ms = 2.0; queue_bdp = 1.0; };
flows = ( { name = "a"; cc = "cubic"; }, { name = "b"; cc = "reno"; } );
sweep = (
  { set = "link.queue_bdp"; values = [$2]; },
  { set = "flows.b.cc"; values = ["cubic", "reno"]; }
);
CFG
}

# points.csv as rows of dicts, for the checks below.
py_points='
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/points.csv")))
'

# Prints "run_id mtime_ns(folder) mtime_ns(meta.json)" of every complete run of sweep folder $1.
complete_mtimes() {
	python3 -c "$py_points"'
import os
for r in rows:
    if r["status"] == "complete":
        d = os.path.join(sys.argv[1], r["run_dir"])
        print(r["run_dir"], os.stat(d).st_mtime_ns, os.stat(d + "/meta.json").st_mtime_ns)
' "$1"
}

# How many runs of sweep folder $1 are not complete, by points.csv.
not_complete() {
	python3 -c "$py_points"'
print(sum(r["status"] != "complete" for r in rows))' "$1"
}

starts() { grep -c 'sweep: start ' "$1"; }

echo "== bad input: exit 2 with file:line, nothing created"
bad_case() {
	# bad_case NAME "sweep entries" "expected message (grep -E)" [options]
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "bad"; duration_s = 1.0; };
link = { backend = "tun"; rate_mbit = 20.0; delay_ms = 2.0; };
flows = ( { name = "a"; cc = "cubic"; } );
sweep = (
$2
);
CFG
	"$CCEXP" sweep -o "$tmp/$1.out" $4 "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1
	local rc=$?
	cat "$tmp/$1.log"
	check "$1: exit 2" [ "$rc" = 2 ]
	check "$1: the message names file:line" grep -qE "^$tmp/$1.cfg:[0-9]+: $3" "$tmp/$1.log"
	check "$1: nothing created" [ ! -e "$tmp/$1.out" ]
}
bad_case unknown-path '{ set = "link.nosuch"; values = [1.0]; }' '.*link.nosuch: unknown setting'
bad_case wrong-type '{ set = "link.queue_bdp"; values = ["big"]; }' '.*link.queue_bdp: must be a number'
bad_case empty-list '{ set = "link.queue_bdp"; values = []; }' '.*is empty'
bad_case same-path '{ set = "link.queue_bdp"; values = [1.0]; },
{ set = "link.queue_bdp"; values = [2.0]; }' '.*already swept'
many=$(seq -s, 1 40 | sed 's/\([0-9]\+\)/\1.0/g')
bad_case too-many "{ set = \"link.rate_mbit\"; values = [$many]; },
{ set = \"link.delay_ms\"; values = [$many]; }" '.*more than 1000'
(cd "$tmp" && "$CCEXP" sweep --list --force too-many.cfg) >"$tmp/too-many.list" 2>&1
check "too-many: --force lifts the limit (1600 runs listed)" \
	[ "$(tail -n +2 "$tmp/too-many.list" | wc -l)" = 1600 ]

echo "== --list and --dry-run: the table, nothing created"
write_cfg s "0.5, 2.0"
(cd "$tmp" && "$CCEXP" sweep --list s.cfg) >"$tmp/list.tsv" 2>"$tmp/list.err"
check "--list: exit 0" [ $? = 0 ]
check "--list: a header and 8 rows" python3 -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
h = lines[0].split("\t")
ok = h == ["index", "point_id", "repeat", "seed", "link.queue_bdp", "flows.b.cc"] and len(lines) == 9
ok = ok and [l.split("\t")[0] for l in lines[1:]] == [str(i) for i in range(8)]
sys.exit(0 if ok else 1)' "$tmp/list.tsv"
(cd "$tmp" && "$CCEXP" sweep --dry-run -j 2 s.cfg) >"$tmp/dry.out" 2>&1
rc=$?
cat "$tmp/dry.out"
check "--dry-run: exit 0" [ "$rc" = 0 ]
check "--dry-run: 8 runs, 8 to run" grep -q '^0 done.*8 to run$' "$tmp/dry.out"
# 8 x (2 s + 3 s) / 2 = 20 s
check "--dry-run: expected wall time" grep -q '^expected wall time: 20s ' "$tmp/dry.out"
check "--dry-run and --list: nothing created (not even results/)" [ ! -e "$tmp/results" ]

echo "== a 2 x 2 sweep with repeat 2, interrupted by SIGINT after its second run"
out=$tmp/sweep
"$CCEXP" sweep -o "$out" "$tmp/s.cfg" >"$tmp/first.out" 2>"$tmp/first.err" &
pid=$!
for _ in $(seq 300); do
	[ "$(grep -c 'sweep: end ' "$tmp/first.err")" -ge 2 ] && break
	sleep 0.1
done
sleep 0.5
kill -INT "$pid"
wait "$pid"
rc=$?
cat "$tmp/first.out" "$tmp/first.err"
check "SIGINT: exit 1" [ "$rc" = 1 ]
check "SIGINT: sweep.json says interrupted" python3 -c '
import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["status"] == "interrupted" else 1)' "$out/sweep.json"
check "SIGINT: no .partial folder or run config left" \
	[ -z "$(find "$out/runs" -maxdepth 1 -name '.*')" ]
check "SIGINT: the stopped run is marked interrupted" python3 -c "$py_points"'
sys.exit(0 if sum(r["status"] == "interrupted" for r in rows) == 1 else 1)' "$out"
missing=$(not_complete "$out")
complete_mtimes "$out" >"$tmp/mtimes.before"
echo "after SIGINT: $(wc -l <"$tmp/mtimes.before") complete, $missing to run again"
check "SIGINT: some runs done, some not" [ "$missing" -gt 0 -a "$missing" -lt 8 ]

"$CCEXP" sweep -o "$out" "$tmp/s.cfg" >"$tmp/resume.out" 2>"$tmp/resume.err"
rc=$?
cat "$tmp/resume.out" "$tmp/resume.err"
check "resume: exit 0" [ "$rc" = 0 ]
echo "resume: $(starts "$tmp/resume.err") runs started ($missing were not complete)"
check "resume: only the runs not complete ran" [ "$(starts "$tmp/resume.err")" = "$missing" ]
complete_mtimes "$out" | grep -Ff <(cut -d' ' -f1 "$tmp/mtimes.before") >"$tmp/mtimes.after"
check "resume: the complete runs' folders are untouched (mtimes)" \
	cmp -s "$tmp/mtimes.before" "$tmp/mtimes.after"

check "8 rows in points.csv, all complete, exit code 0, each with its folder" python3 -c "$py_points"'
import os
ok = len(rows) == 8 and all(r["status"] == "complete" and r["exit_code"] == "0" for r in rows)
ok = ok and all(os.path.isfile(os.path.join(sys.argv[1], r["run_dir"], "meta.json")) for r in rows)
ok = ok and sorted(os.listdir(sys.argv[1] + "/runs")) == sorted(r["run_dir"][5:] for r in rows)
sys.exit(0 if ok else 1)' "$out"
check "each run's config.cfg holds its point's values and seed; meta.json the seed" python3 -c "$py_points"'
import json, os, re
bad = 0
for r in rows:
    d = os.path.join(sys.argv[1], r["run_dir"])
    text = open(d + "/config.cfg").read()
    link = re.search(r"^link = \{(.*?)\};", text, re.S | re.M).group(1)
    q = float(re.search(r"queue_bdp\s*=\s*([0-9.e+-]+)\s*;", link).group(1))
    flows = re.search(r"^flows = \((.*)\);", text, re.S | re.M).group(1)
    b = [f for f in re.findall(r"\{(.*?)\}", flows, re.S) if re.search(r"name\s*=\s*\"b\"", f)][0]
    cc = re.search(r"cc\s*=\s*\"([^\"]*)\"", b).group(1)
    seed = re.search(r"seed\s*=\s*([0-9]+)L?\s*;", text).group(1)
    meta = json.load(open(d + "/meta.json"))
    if (q != float(r["link.queue_bdp"]) or cc != r["flows.b.cc"] or seed != r["seed"]
            or str(meta["seed"]) != r["seed"] or meta["status"] != "complete"):
        print("mismatch:", r, q, cc, seed, meta["seed"]); bad += 1
    if re.search(r"^\s*(sweep|repeat)\s*=", text, re.M) or re.search(r"\brepeat\s*=", text):
        print("not an ordinary config:", d); bad += 1
sys.exit(bad)' "$out"
check "the repeats of a point have different seeds; repeat 0 has the config's" python3 -c "$py_points"'
pts = {}
for r in rows:
    pts.setdefault(r["point_id"], {})[r["repeat"]] = r["seed"]
ok = len(pts) == 4 and all(len(p) == 2 and p["0"] == "11" and p["1"] != "11" for p in pts.values())
ok = ok and len({p["1"] for p in pts.values()}) == 1
sys.exit(0 if ok else 1)' "$out"
check "sweep.json: complete, 8 runs, shuffled with seed 11, the parameters" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
ok = (s["status"] == "complete" and s["runs"] == 8 and s["counts"]["complete"] == 8
      and s["order"] == "shuffled" and s["order_seed"] == 11
      and [p["path"] for p in s["parameters"]] == ["link.queue_bdp", "flows.b.cc"]
      and s["parameters"][0]["values"] == ["0.5", "2.0"] and s["ended"] >= s["started"])
sys.exit(0 if ok else 1)' "$out/sweep.json"
check "sweep.cfg is the config as given" cmp -s "$tmp/s.cfg" "$out/sweep.cfg"

echo "== ccexp compare on the sweep: 4 groups of 2 repeats"
"$CCEXP" compare -o "$tmp/cmp" "$out" >"$tmp/cmp.out" 2>"$tmp/cmp.err"
rc=$?
cat "$tmp/cmp.out" "$tmp/cmp.err"
check "compare: exit 0 (every chart drawn)" [ "$rc" = 0 ]
# Every chart is a whole PNG, and its script draws it again from the charts folder.
for chart in goodput_vs_setting srtt_p95_vs_setting goodput_delay srtt_cdf timeseries goodput_box; do
	png=$tmp/cmp/charts/$chart.png
	check "compare: $chart.png is a whole PNG" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(0 if d[:8] == b"\x89PNG\r\n\x1a\n" and d[-8:-4] == b"IEND" else 1)' "$png"
	rm -f "$png"
	(cd "$tmp/cmp/charts" && gnuplot "$chart.gp" >/dev/null 2>&1)
	check "compare: $chart.gp draws it again from the charts folder" [ -s "$png" ]
done
# Each point's flow goodput: the mean over its two runs of bytes x 8 / life, from flows.csv.
check "compare: groups.csv has the 4 points, n = 2, flow goodput means from flows.csv" python3 -c "$py_points"'
per_point = {}
for p in rows:
    flows = list(csv.DictReader(open(sys.argv[1] + "/" + p["run_dir"] + "/flows.csv")))
    for f in flows:
        g = int(f["bytes"]) * 8 / (float(f["end_s"]) - float(f["start_s"])) / 1e6
        per_point.setdefault((p["link.queue_bdp"], p["flows.b.cc"], f["flow"]), []).append(g)
got = {(r["link.queue_bdp"], r["flows.b.cc"], r["flow"]): r
       for r in csv.DictReader(open(sys.argv[2] + "/groups.csv"))
       if r["scope"] == "flow" and r["metric"] == "goodput_mbit"}
ok = set(got) == set(per_point) and len({r["group"] for r in got.values()}) == 4
for k, xs in per_point.items():
    ok = ok and int(got[k]["n"]) == 2 == len(xs)
    ok = ok and abs(float(got[k]["mean"]) - sum(xs) / 2) < 1e-3 * sum(xs)
sys.exit(0 if ok else 1)' "$out" "$tmp/cmp"
one=$(find "$out/runs" -mindepth 1 -maxdepth 1 | head -1)
"$CCEXP" -q run -o "$tmp/alone" "$one/config.cfg" >"$tmp/alone.log" 2>&1
check "a run's config.cfg runs alone with ccexp run, and is saved again as it was" \
	[ $? = 0 -a -n "$(cmp "$one/config.cfg" "$tmp/alone/config.cfg" && echo same)" ]

"$CCEXP" sweep -o "$out" "$tmp/s.cfg" >"$tmp/again.out" 2>"$tmp/again.err"
rc=$?
check "a third run of the same command runs nothing and exits 0" \
	[ "$rc" = 0 -a "$(starts "$tmp/again.err")" = 0 ]

echo "== a value added to one list: only the new points run (-j 2)"
write_cfg s "0.5, 2.0, 4.0"
complete_mtimes "$out" >"$tmp/mtimes.before"
"$CCEXP" sweep -j 2 -o "$out" "$tmp/s.cfg" >"$tmp/added.out" 2>"$tmp/added.err"
rc=$?
cat "$tmp/added.out" "$tmp/added.err"
check "added: exit 0" [ "$rc" = 0 ]
check "added: 4 runs started (2 points x 2 repeats)" [ "$(starts "$tmp/added.err")" = 4 ]
check "added: the new runs are those of queue_bdp 4.0" python3 -c "$py_points"'
import re
started = re.findall(r"sweep: start (\S+)", open(sys.argv[2]).read())
new = sorted(r["run_dir"][5:] for r in rows if r["link.queue_bdp"] == "4.0")
ok = len(rows) == 12 and sorted(started) == new and all(r["status"] == "complete" for r in rows)
sys.exit(0 if ok else 1)' "$out" "$tmp/added.err"
complete_mtimes "$out" | grep -Ff <(cut -d' ' -f1 "$tmp/mtimes.before") >"$tmp/mtimes.after"
check "added: the 8 older runs' folders are untouched" cmp -s "$tmp/mtimes.before" "$tmp/mtimes.after"
check "added: two runs overlapped (-j 2)" python3 -c "$py_points"'
new = sorted((r["started"], r["ended"]) for r in rows if r["link.queue_bdp"] == "4.0")
sys.exit(0 if any(new[i + 1][0] < new[i][1] for i in range(len(new) - 1)) else 1)' "$out"

echo "== a point whose program fails: failed with its exit code, the sweep goes on"
cat >"$tmp/fail.cfg" <<CFG
experiment = { name = "swf"; duration_s = 1.5; };
link = { backend = "tun"; rate_mbit = 20.0; delay_ms = 2.0; };
flows = ( { name = "app"; cc = "cubic"; cmd = "true"; server_cmd = "sleep 30"; } );
sweep = ( { set = "flows.app.cmd"; values = ["true", "sh -c 'test -e $tmp/fixed || exit 3'"]; } );
CFG
fo=$tmp/failing
"$CCEXP" sweep --order given -o "$fo" "$tmp/fail.cfg" >"$tmp/fail.out" 2>"$tmp/fail.err"
rc=$?
cat "$tmp/fail.out" "$tmp/fail.err"
check "failing: exit 1" [ "$rc" = 1 ]
check "failing: both points ran" [ "$(starts "$tmp/fail.err")" = 2 ]
check "failing: point 1 failed with ccexp run's exit code 1, its program's 3 in flows.csv" \
	python3 -c "$py_points"'
import csv, os
f = list(csv.DictReader(open(os.path.join(sys.argv[1], rows[1]["run_dir"], "flows.csv"))))
ok = [(r["status"], r["exit_code"]) for r in rows] == [("complete", "0"), ("failed", "1")]
ok = ok and f[0]["exit_code"] == "3"
sys.exit(0 if ok else 1)' "$fo"
check "failing: sweep.json says failed" python3 -c '
import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["status"] == "failed" else 1)' "$fo/sweep.json"
"$CCEXP" sweep -o "$fo" "$tmp/fail.cfg" >"$tmp/fail2.out" 2>"$tmp/fail2.err"
rc=$?
check "failing: a rerun without --retry-failed runs nothing and exits 1" \
	[ "$rc" = 1 -a "$(starts "$tmp/fail2.err")" = 0 ]
touch "$tmp/fixed"
complete_mtimes "$fo" >"$tmp/mtimes.before"
"$CCEXP" sweep --retry-failed -o "$fo" "$tmp/fail.cfg" >"$tmp/retry.out" 2>"$tmp/retry.err"
rc=$?
cat "$tmp/retry.out" "$tmp/retry.err"
check "--retry-failed: exit 0 once the program succeeds" [ "$rc" = 0 ]
failed_id=$(python3 -c "$py_points"'print(rows[1]["run_dir"][5:])' "$fo")
check "--retry-failed: only the failed run ran" \
	[ "$(grep 'sweep: start ' "$tmp/retry.err" | cut -d' ' -f4)" = "$failed_id" ]
complete_mtimes "$fo" | grep -Ff <(cut -d' ' -f1 "$tmp/mtimes.before") >"$tmp/mtimes.after"
check "--retry-failed: the complete run is untouched" cmp -s "$tmp/mtimes.before" "$tmp/mtimes.after"

echo "== --point runs exactly one run"
po=$tmp/point
id=$(awk -F'\t' '$1 == 5 {print $2 "-r" $3}' "$tmp/list.tsv")
"$CCEXP" sweep --point 5 -o "$po" "$tmp/s.cfg" >"$tmp/point.out" 2>"$tmp/point.err"
rc=$?
cat "$tmp/point.out" "$tmp/point.err"
check "--point 5: exit 0" [ "$rc" = 0 ]
check "--point 5: one run folder, run 5's" [ "$(ls "$po/runs")" = "$id" ]
check "--point 5: points.csv has 12 rows, only run 5 complete, the rest missing" python3 -c "$py_points"'
ok = len(rows) == 12 and [r["status"] for r in rows] == ["missing"] * 5 + ["complete"] + ["missing"] * 6
sys.exit(0 if ok else 1)' "$po"
"$CCEXP" sweep --point "$id" -o "$po" "$tmp/s.cfg" >"$tmp/point2.out" 2>&1
rc=$?
check "--point RUN_ID of a complete run: exit 0, nothing run" \
	[ "$rc" = 0 -a -n "$(grep 'done already' "$tmp/point2.out")" ]
"$CCEXP" sweep --point 12 -o "$po" "$tmp/s.cfg" >"$tmp/point3.out" 2>&1
check "--point past the last run: exit 2" [ $? = 2 ]

check "no ccx object of the sweeps' runs is left" python3 -c '
import glob, json, os, subprocess, sys
ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
ids = [json.load(open(m))["run_id"] for m in glob.glob(sys.argv[1] + "/*/runs/*/meta.json")]
left = [i for i in ids if "ccx" + i in ns or os.path.exists("/run/ccexp/ccx" + i)]
print(len(ids), "runs,", len(left), "with leftovers")
sys.exit(1 if left else 0)' "$tmp"

echo "sweep test: $(($(date +%s) - t_begin)) s"
if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit $fail
