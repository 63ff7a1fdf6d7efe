# A single-node Slurm cluster (munged, slurmctld, slurmd) in a scratch folder, for tests.
# Source it, then `slurm_up DIR` (DIR must not exist yet or be empty); it sets SLURM_CONF and
# a trap on EXIT that runs slurm_down, which cancels the jobs, waits for them to go, stops the
# daemons in that order by their recorded PIDs and removes DIR. Ports 6817/6818 are fixed, so
# only one fixture runs at a time on a machine.

slurm_dir=
slurm_pids=
slurm_prev_trap=

# The daemons and client commands the fixture needs; prints the first one missing.
slurm_missing() {
	local p

	for p in munged slurmctld slurmd sbatch squeue scancel sinfo; do
		command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$p" >/dev/null 2>&1 ||
			{ echo "$p"; return 0; }
	done
	return 1
}

# Waits up to $1 tenths of a second for the command that follows to succeed.
slurm_wait() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# Prints what the fixture's logs say, for a test that failed to bring it up.
slurm_logs() {
	local f
	for f in "$slurm_dir"/log/*; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 20 "$f"
	done
}

slurm_idle() {
	[ "$(sinfo -h -n "$slurm_host" -o %T 2>/dev/null)" = idle ]
}

slurm_port_free() {
	! ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q .
}

# slurm_pidfile NAME PID: the PID in run/NAME.pid when that process runs, else PID.
slurm_pidfile() {
	local p
	p=$(cat "$slurm_dir/run/$1.pid" 2>/dev/null)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; else echo "$2"; fi
}

# slurm_up DIR: starts the cluster in DIR; returns 0 once its node is idle, else 1 with the
# reason on stderr (what it started is then stopped by the trap, or by calling slurm_down).
slurm_up() {
	local m p
	export PATH=$PATH:/usr/sbin
	m=$(slurm_missing) && { echo "slurm_up: $m is not installed" >&2; return 1; }
	for p in 6817 6818; do
		slurm_port_free "$p" || { echo "slurm_up: port $p is taken (another Slurm?)" >&2; return 1; }
	done
	slurm_dir=$1
	slurm_host=$(hostname -s)
	# Runs before the test's own EXIT trap, if it has one; a signal must exit through it too
	# (bash skips the EXIT trap when a signal kills it in `wait`).
	slurm_prev_trap=
	local t
	t=$(trap -p EXIT)
	[ -n "$t" ] && eval "set -- $t" && slurm_prev_trap=$3
	trap "slurm_down; $slurm_prev_trap" EXIT
	trap 'exit 143' TERM INT HUP
	mkdir -p "$slurm_dir"/{etc,state,spool,log,run,munge} || return 1
	# munged refuses a socket folder that others cannot enter.
	chmod 755 "$slurm_dir" "$slurm_dir/munge"
	local mk=$slurm_dir/munge/munge.key
	dd if=/dev/urandom of="$mk" bs=1024 count=1 status=none && chmod 400 "$mk" || return 1
	# Its own session too: a signal to the test's process group (meson's timeout) must not take
	# munged away before the jobs are cancelled, or their slurmstepd hang.
	setsid munged -F --key-file="$mk" --socket="$slurm_dir/munge/munge.socket" \
		--pid-file="$slurm_dir/run/munged.pid" --log-file="$slurm_dir/log/munged.log" \
		--seed-file="$slurm_dir/munge/munge.seed" >/dev/null 2>&1 &
	slurm_pids="$!"
	if ! slurm_wait 50 test -S "$slurm_dir/munge/munge.socket"; then
		echo "slurm_up: munged did not create its socket" >&2
		slurm_logs >&2
		return 1
	fi

	export SLURM_CONF=$slurm_dir/etc/slurm.conf
	cat >"$SLURM_CONF" <<CONF
ClusterName=ccxtest
SlurmctldHost=$slurm_host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$slurm_dir/munge/munge.socket
StateSaveLocation=$slurm_dir/state
SlurmdSpoolDir=$slurm_dir/spool
SlurmctldPidFile=$slurm_dir/run/slurmctld.pid
SlurmdPidFile=$slurm_dir/run/slurmd.pid
SlurmctldLogFile=$slurm_dir/log/slurmctld.log
SlurmdLogFile=$slurm_dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$(slurmd -C | head -1) NodeAddr=127.0.0.1
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
	# setsid: the daemons must not get the signals sent to the test's process group; their
	# PIDs are recorded because they are reparented to PID 1 if the test dies before its trap.
	setsid slurmctld -D -i >"$slurm_dir/log/slurmctld.stderr" 2>&1 &
	slurm_pids="$slurm_pids $!"
	setsid slurmd -D -N "$slurm_host" >"$slurm_dir/log/slurmd.stderr" 2>&1 &
	slurm_pids="$slurm_pids $!"
	if ! slurm_wait 300 slurm_idle; then
		echo "slurm_up: the node did not become idle in 30 s" >&2
		sinfo >&2
		slurm_logs >&2
		return 1
	fi
	# $! is the daemon itself unless setsid had to fork (a shell with job control): the pid
	# files say for sure.
	set -- $slurm_pids
	slurm_pids="$(slurm_pidfile munged "$1") $(slurm_pidfile slurmctld "$2") $(slurm_pidfile slurmd "$3")"
	echo "$slurm_pids" >"$slurm_dir/run/pids"
	return 0
}

# Stops a daemon by PID: TERM, then KILL after 10 s.
slurm_stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	slurm_wait 100 eval "! kill -0 $1 2>/dev/null" && return 0
	kill -KILL "$1" 2>/dev/null
	slurm_wait 20 eval "! kill -0 $1 2>/dev/null"
}

slurm_queue_empty() {
	[ -z "$(squeue -h 2>/dev/null)" ]
}

# The PIDs of the slurmstepd processes of this cluster: each listens on a socket in the spool
# folder (slurmd double-forks them, so they are no children of it).
slurm_steps() {
	ss -Hxlp 2>/dev/null | grep -F " $slurm_dir/spool/" | grep -o 'pid=[0-9]*' | cut -d= -f2 |
		sort -u
}

# Cancels every job and waits for the queue to empty (a running job's slurmstepd outlives the
# daemons otherwise), then stops slurmd, slurmctld and munged, and removes the folder.
slurm_down() {
	local p ctld_pid
	[ -n "$slurm_dir" ] || return 0
	# Called directly, it leaves the test's own trap in place; from the trap, that one runs next.
	if [ -n "$slurm_prev_trap" ]; then trap "$slurm_prev_trap" EXIT; else trap - EXIT; fi
	set -- $slurm_pids
	ctld_pid=${2:-}
	if [ -n "$ctld_pid" ] && kill -0 "$ctld_pid" 2>/dev/null; then
		scancel --full --quiet --user=root 2>/dev/null
		slurm_wait 300 slurm_queue_empty || echo "slurm_down: jobs still queued after 30 s" >&2
	fi
	# A cancelled job leaves the queue before its slurmstepd is done; one whose slurmd is gone
	# waits for it forever.
	slurm_wait 300 eval '[ -z "$(slurm_steps)" ]' ||
		echo "slurm_down: slurmstepd still there after 30 s: $(slurm_steps)" >&2
	for p in $(slurm_steps); do
		kill -KILL "$p"
	done
	# slurmd, slurmctld, munged: the reverse of the order they started in.
	for p in ${3:-} ${2:-} ${1:-}; do
		slurm_stop "$p"
	done
	rm -rf "$slurm_dir"
	slurm_dir=
	slurm_pids=
}
