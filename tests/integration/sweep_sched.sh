#!/bin/bash
# Integration test: a 4-run sweep handed to real schedulers, GNU parallel (the command line
# `ccexp sweep --emit parallel` prints, -j 2, then again to see --resume run nothing) and a
# single-node Slurm started here (the job array `--emit slurm` prints), each gives the same
# runs and statuses as `ccexp sweep` on its own.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/slurm_fixture.sh"
need_root
command -v parallel >/dev/null || skip "GNU parallel is not installed (apt-get install parallel)"
m=$(slurm_missing) && skip "$m is not installed (apt-get install slurmctld slurmd munge slurm-client)"
for p in 6817 6818; do
	slurm_port_free "$p" || skip "port $p is taken: another Slurm runs on this machine"
done

tmp=$(mktemp -d /tmp/ccx-test-sweep-sched-XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# 2 points x repeat 2 of 2 s each on the tc backend (the cheapest link), one flow.
cfg=$tmp/sched.cfg
cat >"$cfg" <<'CFG'
experiment = { name = "sched"; duration_s = 2.0; seed = 7; repeat = 2; };
link = { backend = "tc"; rate_mbit = 20.0; };
flows = ( { name = "a"; cc = "cubic"; } );
sweep = ( { set = "link.queue_pkts"; values = [20, 200]; } );
CFG

# Everything the runs were given to the Slurm and parallel jobs is checked against this one.
t0=$(date +%s.%N)
"$CCEXP" sweep -o "$tmp/ref" "$cfg" >"$tmp/ref.log" 2>&1
rc=$?
echo "== ccexp sweep (reference): exit $rc in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
check "ccexp sweep exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/ref.log"

# same_sweep NAME DIR [SERIAL]: DIR holds the same runs as the reference, each complete, two of
# them run at the same time unless SERIAL is given.
same_sweep() {
	python3 - "$tmp/ref" "$2" "$1" "${3:-}" <<'PY'
import csv, json, os, re, sys

ref, got, name, serial = sys.argv[1:5]
bad = 0
def check(what, ok, detail=""):
    global bad
    print(("ok: " if ok else "FAIL: ") + f"{name}: {what}" + (f" ({detail})" if detail else ""))
    bad |= not ok

def rows(d):
    with open(os.path.join(d, "points.csv")) as f:
        return list(csv.DictReader(f))

# The seed rule of docs/sweep.md, written out here: repeat 0 keeps the config's seed, the
# others get splitmix64(seed + r) cut to 63 bits.
def seed_of(seed, r):
    if r == 0:
        return seed
    m = (1 << 64) - 1
    z = (seed + r + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return (z ^ (z >> 31)) & ((1 << 63) - 1)

want = ["index", "point_id", "repeat", "seed", "link.queue_pkts", "status"]
r_rows, g_rows = rows(ref), rows(got)
check("points.csv has 4 rows", len(g_rows) == 4, len(g_rows))
key = lambda rs: sorted(tuple(r.get(c) for c in want) for r in rs)
check("points.csv: index, point_id, repeat, seed, parameter and status as the reference's",
      key(g_rows) == key(r_rows), (key(g_rows), key(r_rows)))
check("every run complete with exit code 0",
      all(r["status"] == "complete" and r["exit_code"] == "0" for r in g_rows),
      [(r["run_dir"], r["status"], r["exit_code"]) for r in g_rows])
check("two points, two repeats each",
      len({r["point_id"] for r in g_rows}) == 2 and
      sorted(r["repeat"] for r in g_rows) == ["0", "0", "1", "1"])
check("seeds follow the rule (7 for repeat 0, splitmix64 for repeat 1)",
      all(int(r["seed"]) == seed_of(7, int(r["repeat"])) for r in g_rows),
      [(r["repeat"], r["seed"]) for r in g_rows])

dirs = lambda d: sorted(e for e in os.listdir(os.path.join(d, "runs")) if not e.startswith("."))
check("runs/ holds the same run folders", dirs(got) == dirs(ref), (dirs(got), dirs(ref)))
check("no partial run folder is left",
      not [e for e in os.listdir(os.path.join(got, "runs")) if e.endswith(".partial")])
for r in g_rows:
    run = os.path.join(got, r["run_dir"])
    check(f"{r['run_dir']} is runs/<point_id>-r<repeat>",
          r["run_dir"] == f"runs/{r['point_id']}-r{r['repeat']}")
    try:
        meta = json.load(open(os.path.join(run, "meta.json")))
        cfg = open(os.path.join(run, "config.cfg")).read()
        ref_cfg = open(os.path.join(ref, r["run_dir"], "config.cfg")).read()
    except OSError as e:
        check(f"{r['run_dir']} has meta.json and config.cfg", False, e)
        continue
    check(f"{r['run_dir']}: meta.json complete, its seed as points.csv's",
          meta["status"] == "complete" and str(meta["seed"]) == r["seed"],
          (meta["status"], meta["seed"]))
    check(f"{r['run_dir']}: config.cfg as the reference's, queue_pkts = {r['link.queue_pkts']}",
          cfg == ref_cfg and re.search(rf"\bqueue_pkts\s*=\s*{r['link.queue_pkts']}\s*;", cfg))
sj = json.load(open(os.path.join(got, "sweep.json")))
check("sweep.json status complete", sj.get("status") == "complete", sj.get("status"))

# Runs that overlapped in time: the scheduler did run two at once.
span = sorted((r["started"], r["ended"]) for r in g_rows)
if not serial:
    check("two runs ran at once (one started before another ended)",
          any(b[0] < a[1] for a, b in zip(span, span[1:])), span)
sys.exit(bad)
PY
	check "$1: the sweep folder matches ccexp sweep's" [ $? = 0 ]
}

# Prints the run prefixes of a sweep folder's runs that left anything behind.
sweep_leftovers() {
	local d
	for d in "$1"/runs/*/; do
		leftovers "$(run_prefix "$d")"
	done
}

# a) GNU parallel.
echo
echo "== GNU parallel"
pcmd=$("$CCEXP" sweep --emit parallel -j 2 -o "$tmp/par" "$cfg")
rc=$?
check "--emit parallel exits 0" [ "$rc" = 0 ]
echo "emitted: $pcmd"
check "the command has --joblog and --resume and -j 2" \
	bash -c '[[ $1 == *"--joblog "* && $1 == *"--resume"* && $1 == *"-j 2"* ]]' _ "$pcmd"
t0=$(date +%s.%N)
bash -c "$pcmd" >"$tmp/par.out" 2>"$tmp/par.err"
rc=$?
t_par=$(echo "$(date +%s.%N) - $t0" | bc)
echo "parallel: exit $rc in $(printf '%.1f' "$t_par") s"
check "parallel exits 0 (no job failed)" [ "$rc" = 0 ]
echo "jobs' stdout and stderr (first lines):"
head -n 8 "$tmp/par.out" "$tmp/par.err" | sed 's/^/  /'
[ "$rc" = 0 ] || cat "$tmp/par.err"
jl=$tmp/par/parallel.joblog
echo "joblog ($jl):"
cat "$jl"
python3 - "$jl" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
head, rows = rows[0], rows[1:]
ok = len(rows) == 4 and all(r[head.index("Exitval")] == "0" for r in rows)
print(("ok: " if ok else "FAIL: ") + "joblog: 4 jobs, each exit 0")
# Two at once: some job started before another one ended.
t = sorted((float(r[head.index("Starttime")]), float(r[head.index("Starttime")]) +
            float(r[head.index("JobRuntime")])) for r in rows)
both = any(b[0] < a[1] for a, b in zip(t, t[1:]))
print(("ok: " if both else "FAIL: ") + "joblog: jobs ran two at once")
sys.exit(0 if ok and both else 1)
PY
check "the joblog says 4 jobs ran, two at once, and none failed" [ $? = 0 ]
same_sweep parallel "$tmp/par"

# --resume: the same command again runs nothing; the run folders stay as they are.
stat -c '%n %Y %i' "$tmp"/par/runs/*/meta.json >"$tmp/par.stat1"
t0=$(date +%s.%N)
bash -c "$pcmd" >"$tmp/par2.out" 2>&1
rc=$?
t=$(echo "$(date +%s.%N) - $t0" | bc)
echo "parallel again (--resume): exit $rc in $(printf '%.1f' "$t") s"
check "parallel again exits 0" [ "$rc" = 0 ]
check "--resume ran no job (joblog still 4 rows)" [ "$(tail -n +2 "$jl" | wc -l)" = 4 ]
check "--resume: no output from a job" [ ! -s "$tmp/par2.out" ]
stat -c '%n %Y %i' "$tmp"/par/runs/*/meta.json >"$tmp/par.stat2"
check "--resume: the run folders are untouched" cmp -s "$tmp/par.stat1" "$tmp/par.stat2"
check "parallel: nothing of the runs is left" [ -z "$(sweep_leftovers "$tmp/par")" ]

# b) Slurm, a job array on a cluster of one node started for this test.
echo
echo "== Slurm"
t0=$(date +%s.%N)
if ! slurm_up "$tmp/slurm"; then
	check "a single-node Slurm comes up" false
	exit 1
fi
echo "slurm: node idle after $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
"$CCEXP" sweep --emit slurm -j 2 -o "$tmp/slu" "$cfg" >"$tmp/job.sh"
rc=$?
check "--emit slurm exits 0" [ "$rc" = 0 ]
echo "emitted script:"
cat "$tmp/job.sh"
check "the script asks for an array of 4, two at once" grep -q '^#SBATCH --array=0-3%2$' "$tmp/job.sh"
# Slurm does not create the folder of --output: without it, no task runs (slurmd logs "Could
# not open stdout file", sbatch says nothing). --emit makes it.
check "--emit slurm made the folder of #SBATCH --output" [ -d "$tmp/slu/slurm" ]
t0=$(date +%s.%N)
job=$(sbatch --parsable "$tmp/job.sh")
rc=$?
check "sbatch takes the script" [ "$rc" = 0 ]
echo "sbatch: job $job"
# Poll the queue until the array is gone, printing each change.
last=
for _ in $(seq 240); do
	q=$(squeue -h -o '%i %T %r' 2>&1)
	[ -n "$q" ] || break
	[ "$q" = "$last" ] || { echo "squeue at +$(printf '%.0f' "$(echo "$(date +%s.%N) - $t0" | bc)") s:"; echo "$q" | sed 's/^/  /'; }
	last=$q
	sleep 1
done
t_slurm=$(echo "$(date +%s.%N) - $t0" | bc)
echo "slurm: the array ran in $(printf '%.1f' "$t_slurm") s"
check "the queue emptied within 240 s" [ -z "$(squeue -h 2>&1)" ]
n=$(ls "$tmp/slu/slurm/${job}"_*.out 2>/dev/null | wc -l)
check "one output file per array task" [ "$n" = 4 ]
for f in "$tmp/slu/slurm/${job}"_*.out; do
	[ -f "$f" ] || continue
	echo "--- $(basename "$f"):"
	sed 's/^/  /' "$f"
done
same_sweep slurm "$tmp/slu"
echo "points.csv of the Slurm run:"
sed 's/^/  /' "$tmp/slu/points.csv"
check "slurm: nothing of the runs is left" [ -z "$(sweep_leftovers "$tmp/slu")" ]
pids=$slurm_pids
slurm_down
alive=
for p in $pids; do
	kill -0 "$p" 2>/dev/null && alive="$alive $p"
done
check "the Slurm daemons ($pids) are gone" [ -z "$alive" ]
# c) Merging folders made on two machines: repeat 0 from the parallel folder, then repeat 1
# from the Slurm one, copied into a new folder. `--point` of a run that is there runs nothing
# and rewrites points.csv from the run folders; once all are there, `ccexp sweep` runs nothing.
echo
echo "== merge"
mkdir -p "$tmp/merged/runs"
cp -a "$tmp"/par/runs/*-r0 "$tmp/merged/runs/"
first=$(basename "$(ls -d "$tmp"/merged/runs/*-r0 | head -1)")
"$CCEXP" sweep --point "$first" -o "$tmp/merged" "$cfg" >"$tmp/merge-point.out" 2>&1
rc=$?
echo "ccexp sweep --point $first on a folder holding the two repeat-0 runs: exit $rc"
sed 's/^/  /' "$tmp/merge-point.out"
check "--point of a run that is there exits 0" [ "$rc" = 0 ]
echo "points.csv then:"
sed 's/^/  /' "$tmp/merged/points.csv"
check "points.csv: the two copied runs complete, the two others missing" \
	[ "$(tail -n +2 "$tmp/merged/points.csv" | cut -d, -f3,6 | sort | paste -sd' ')" = \
	  "0,complete 0,complete 1,missing 1,missing" ]
cp -a "$tmp"/slu/runs/*-r1 "$tmp/merged/runs/"
"$CCEXP" sweep --dry-run -o "$tmp/merged" "$cfg" >"$tmp/merge-dry.out" 2>&1
echo "ccexp sweep --dry-run once all four are there:"
sed 's/^/  /' "$tmp/merge-dry.out"
check "--dry-run counts the copied runs as done" grep -q '^4 done' "$tmp/merge-dry.out"
stat -c '%n %Y %i' "$tmp"/merged/runs/*/meta.json >"$tmp/merged.stat1"
t0=$(date +%s.%N)
"$CCEXP" sweep -o "$tmp/merged" "$cfg" >"$tmp/merge.out" 2>&1
rc=$?
echo "ccexp sweep on the merged folder: exit $rc in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
sed 's/^/  /' "$tmp/merge.out"
check "ccexp sweep on the merged folder exits 0" [ "$rc" = 0 ]
stat -c '%n %Y %i' "$tmp"/merged/runs/*/meta.json >"$tmp/merged.stat2"
check "merge: no run ran again" cmp -s "$tmp/merged.stat1" "$tmp/merged.stat2"
same_sweep merged "$tmp/merged" serial
exit $fail
