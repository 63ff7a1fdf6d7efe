# Shared by the integration test scripts: the skip rule, checks, and leftover detection.

fail=0

# A test that cannot run exits 77 (SKIP), but under CI=true every test must run.
skip() {
	if [ "${CI:-}" = "true" ]; then
		echo "FAIL (CI=true, skips are failures): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

check() {
	# check "what" command...
	what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what" >&2
		fail=1
	fi
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root: network namespaces, cgroups and BPF"
	[ -n "${CCEXP:-}" ] && [ -x "$CCEXP" ] || skip "CCEXP is not set to the ccexp binary (run through meson test)"
}

# Prints every ccx object of run prefix $1 (all runs when empty) still on the machine.
leftovers() {
	p=${1:-ccx[0-9a-f]}
	ip netns list 2>/dev/null | grep "^$p" || true
	ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | grep "^$p" || true
	cg=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
	[ -n "$cg" ] && find "$cg" -maxdepth 1 -name "$p*" 2>/dev/null || true
	ls /run/ccexp 2>/dev/null | grep "^$p" || true
}

# What leftovers prints now that it did not print in $1, less the objects of runs still alive
# (their state file names a live ccexp): another test or user may be running beside this one.
new_leftovers() {
	# POSIX sh: lib.sh is also sourced by sh scripts.
	leftovers | while read -r o; do
		printf '%s\n' "$1" | grep -Fxq -- "$o" && continue
		p=$(basename "$o" | grep -o '^ccx[0-9a-f]\{6\}')
		pid=$(head -n 1 "/run/ccexp/$p" 2>/dev/null)
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && continue
		echo "$o"
	done
}

# run_ok OUT CONFIG LABEL: `ccexp run` into OUT (its output in OUT.log), which must exit 0
# and leave nothing of itself behind.
run_ok() {
	"$CCEXP" -q run -o "$1" "$2" >"$1.log" 2>&1
	rc=$?
	check "$3: ccexp run exits 0" [ "$rc" = 0 ]
	[ "$rc" = 0 ] || cat "$1.log"
	check "$3: nothing of the run is left" [ -z "$(leftovers "$(run_prefix "$1")")" ]
}

# The run prefix (ccx + id) of a results folder, from its meta.json.
run_prefix() {
	python3 -c 'import json,sys; print("ccx" + json.load(open(sys.argv[1]))["run_id"])' "$1/meta.json" 2>/dev/null
}

# Waits (up to 10 s) until the run writing to results folder $1 has built its namespaces;
# prints its prefix.
wait_running() {
	for _ in $(seq 100); do
		p=$(run_prefix "$1")
		if [ -n "$p" ] && ip netns list | grep -q "^$p-snd" && [ -n "$(tail -n +2 "$1/events/state.csv" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# True when no ccexp process writes to results folder $1 ("[c]" keeps pgrep from matching a
# shell whose command line holds the pattern).
no_process() {
	! pgrep -f "[c]cexp run -o $1 " >/dev/null
}

# run_link NAME BACKEND LINK FLOWS [DURATION] [SEED]: writes a config with that link section
# and flows, runs it into $tmp/NAME, and checks it exited 0 and left nothing behind.
run_link() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = ${5:-6.0}; seed = ${6:-1}; };
link = { backend = "$2"; $3 };
flows = ( $4 );
collect = { sample_interval_ms = 10; };
CFG
	"$CCEXP" -q run -o "$tmp/$1" "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1
	local rc=$?
	check "$1: ccexp run exits 0" [ "$rc" = 0 ]
	[ "$rc" = 0 ] || cat "$tmp/$1.log"
	check "$1: nothing of the run is left" [ -z "$(leftovers "$(run_prefix "$tmp/$1")")" ]
}

# start_bulk_run NAME LINK: a 10 s single-flow run with that link section, started in the
# background into $tmp/NAME (for the signal tests); sets pid, and prefix once it runs.
start_bulk_run() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = 10.0; };
link = { $2 };
flows = ( { name = "bulk"; cc = "cubic"; } );
CFG
	"$CCEXP" -q run -o "$tmp/$1" "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1 &
	pid=$!
	prefix=$(wait_running "$tmp/$1")
}
