#!/bin/bash
# Integration test: a run's exit code and meta.json status say what happened. A flow whose
# program fails or never connects, a disk that fills, a chart gnuplot does not finish, a
# signal while the flows start, a link emulator that must be killed, an output path with no
# room: each is reported, and nothing is left behind.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v gnuplot >/dev/null || skip "gnuplot is not installed"
command -v python3 >/dev/null || skip "python3 is not installed (the cmd flows' programs)"

tmp=$(mktemp -d /tmp/ccx-test-status-XXXXXX)
mnt=
cleanup_all() {
	[ -n "$mnt" ] && mountpoint -q "$mnt" && umount "$mnt"
	rm -rf "$tmp"
}
trap cleanup_all EXIT

# meta KEY_EXPR DIR: prints a value of DIR/meta.json (python expression on m), or
# "unreadable" when the file does not parse.
meta() {
	python3 -c 'import json,sys
try:
    m = json.load(open(sys.argv[2] + "/meta.json"))
except Exception as e:
    print("unreadable:", e); sys.exit(0)
print(eval(sys.argv[1]))' "$1" "$2"
}

# A flows.csv column of a flow's first row.
flow_col() {
	python3 -c 'import csv,sys
rows = [r for r in csv.DictReader(open(sys.argv[1] + "/flows.csv")) if r["flow"] == sys.argv[2]]
print(rows[0].get(sys.argv[3], "<no column>") if rows else "<no row>")' "$1" "$2" "$3"
}

# The programs of the cmd flows: a server that accepts and reads, a client that sends for a
# second, and a client that tries once and exits 0 whatever happened (as some tools do).
cat >"$tmp/listen.py" <<'PY'
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
def drain(c):
    while c.recv(65536):
        pass
while True:
    c, _ = s.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
PY
cat >"$tmp/send.py" <<'PY'
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
end = time.time() + 1.0
while time.time() < end:
    c.sendall(b"x" * 16384)
c.close()
PY
cat >"$tmp/try.py" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError as e:
    print("connect:", e, file=sys.stderr)
PY

# cmd_run NAME FLOW-SETTINGS: a 1.5 s run of one cmd flow into $tmp/NAME; sets rc.
cmd_run() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = 1.5; };
link = { rate_mbit = 50.0; delay_ms = 2.0; };
flows = ( { name = "app"; cc = "cubic"; $2 } );
CFG
	"$CCEXP" run -o "$tmp/$1" "$tmp/$1.cfg" >"$tmp/$1.out" 2>"$tmp/$1.err"
	rc=$?
	cat "$tmp/$1.out" "$tmp/$1.err"
	check "$1: nothing of the run is left" [ -z "$(leftovers "$(run_prefix "$tmp/$1")")" ]
}

echo "== a cmd flow that works: exit 0, its program's exit status recorded"
cmd_run cmd-ok "cmd = \"python3 $tmp/send.py {dst} {port}\";
	server_cmd = \"python3 $tmp/listen.py {dst} {port}\";"
check "cmd-ok: exit 0" [ "$rc" = 0 ]
check "cmd-ok: status complete" [ "$(meta 'm["status"]' "$tmp/cmd-ok")" = complete ]
check "cmd-ok: flows.csv exit_code 0" [ "$(flow_col "$tmp/cmd-ok" app exit_code)" = 0 ]
check "cmd-ok: flows.csv status ok" [ "$(flow_col "$tmp/cmd-ok" app status)" = ok ]
check "cmd-ok: meta.json client exit 0" \
	[ "$(meta 'm["flows"][0]["client_process"]["exit_code"]' "$tmp/cmd-ok")" = 0 ]
check "cmd-ok: meta.json server stopped by ccexp (SIGTERM)" \
	[ "$(meta 'm["flows"][0]["server_process"]["exit_signal"], m["flows"][0]["server_process"]["stopped_by_ccexp"]' "$tmp/cmd-ok")" = "('SIGTERM', True)" ]

echo "== a cmd flow whose program does not exist: failed, exit 1, a flows.csv row"
cmd_run cmd-missing "cmd = \"/nonexistent/prog {dst}\";
	server_cmd = \"python3 $tmp/listen.py {dst} {port}\";"
check "cmd-missing: exit 1" [ "$rc" = 1 ]
check "cmd-missing: status failed" [ "$(meta 'm["status"]' "$tmp/cmd-missing")" = failed ]
check "cmd-missing: the error names the flow and the exit status" \
	grep -q "flow app: .*status 127" <<<"$(meta 'm.get("error")' "$tmp/cmd-missing")"
check "cmd-missing: flows.csv has the flow's row with exit_code 127" \
	[ "$(flow_col "$tmp/cmd-missing" app exit_code)" = 127 ]
check "cmd-missing: meta.json client exit_code 127" \
	[ "$(meta 'm["flows"][0]["client_process"]["exit_code"]' "$tmp/cmd-missing")" = 127 ]

echo "== a cmd client with nothing listening, which exits 0: failed, exit 1"
cmd_run cmd-nolisten "cmd = \"python3 $tmp/try.py {dst} {port}\"; server_cmd = \"true\";"
check "cmd-nolisten: exit 1" [ "$rc" = 1 ]
check "cmd-nolisten: status failed" [ "$(meta 'm["status"]' "$tmp/cmd-nolisten")" = failed ]
check "cmd-nolisten: the error says it never connected" \
	grep -Eq "flow app: .*(never connected|no connection)" <<<"$(meta 'm.get("error")' "$tmp/cmd-nolisten")"
check "cmd-nolisten: flows.csv does not say ok" \
	[ "$(flow_col "$tmp/cmd-nolisten" app status)" != ok ]
check "cmd-nolisten: flows.csv exit_code 0 (the program did exit 0)" \
	[ "$(flow_col "$tmp/cmd-nolisten" app exit_code)" = 0 ]

echo "== the output path leaves no room for the run's files: exit 2, nothing made"
long=$tmp/long
while [ ${#long} -lt 4070 ]; do long=$long/$(printf 'd%.0s' $(seq 100)); done
"$CCEXP" run -o "$long" "$CCX_SOURCE_DIR/tests/fixtures/config/short.cfg" >"$tmp/long.out" 2>&1
rc=$?
cat "$tmp/long.out" | cut -c1-200
check "long path: exit 2" [ "$rc" = 2 ]
check "long path: the error says the path is too long" grep -q "PATH_MAX" "$tmp/long.out"
check "long path: nothing created" [ ! -e "$tmp/long" ]

# A short bulk run in the background into $1 with link section $2; sets pid.
bulk_bg() {
	cat >"$tmp/$(basename "$1").cfg" <<CFG
experiment = { name = "bulk"; duration_s = ${3:-2.0}; };
link = { $2 };
flows = ( { name = "bulk"; cc = "cubic"; } );
collect = { sample_interval_ms = 10; };
CFG
	"$CCEXP" run -o "$1" "$tmp/$(basename "$1").cfg" >"$1.out" 2>"$1.err" &
	pid=$!
}

echo "== the disk fills mid-run: meta.json whole, the error is ENOSPC, exit 1"
mnt=$tmp/mnt
mkdir -p "$mnt"
mount -t tmpfs -o size=2m ccx-test-status "$mnt" || skip "cannot mount a tmpfs"
bulk_bg "$mnt/run" 'backend = "tun"; rate_mbit = 20.0; delay_ms = 5.0;'
prefix=$(wait_running "$mnt/run")
# Fill what is left, so every later write of the run finds the disk full.
dd if=/dev/zero of="$mnt/fill" bs=64k 2>/dev/null
wait "$pid"
rc=$?
cat "$mnt/run.out" "$mnt/run.err"
check "disk full: exit 1" [ "$rc" = 1 ]
check "disk full: meta.json parses and says failed" [ "$(meta 'm["status"]' "$mnt/run")" = failed ]
check "disk full: the error is ENOSPC, not EIO" \
	grep -q "No space left on device" <<<"$(meta 'm.get("error")' "$mnt/run")"
check "disk full: no 'Input/output error' anywhere" \
	bash -c "! grep -q 'Input/output error' '$mnt/run.err' '$mnt/run/meta.json'"
check "disk full: meta.json says the link timeline is incomplete" \
	[ "$(meta 'm["link"]["timeline_complete"]' "$mnt/run")" = False ]
check "disk full: stderr names the link file that failed" grep -q "link.csv\|link_drops.csv" "$mnt/run.err"
check "disk full: no temporary file left" bash -c "! ls -a '$mnt/run' | grep -q 'tmp\|spare'"
check "disk full: nothing of the run is left" [ -z "$(leftovers "$prefix")" ]
rm -f "$mnt/fill"

echo "== the disk fills while drawing: the charts are reported, exit 3"
rm -rf "$mnt/run" "$mnt"/run.*
# Everything but the charts fits: the run's files are ~100 KB, a chart ~40 KB.
bulk_bg "$mnt/run" 'rate_mbit = 20.0; delay_ms = 5.0;' 1.0
wait "$pid"
rc0=$?
check "charts: a first run completes" [ "$rc0" = 0 ]
rm -f "$mnt/run"/plots/*.png
used=$(du -sk "$mnt" | cut -f1)
dd if=/dev/zero of="$mnt/fill" bs=1k count=$((2048 - used - 60)) 2>/dev/null
"$CCEXP" plot "$mnt/run" >"$tmp/plotfull.out" 2>&1
rc=$?
cat "$tmp/plotfull.out"
check "plot on a full disk: exit 3" [ "$rc" = 3 ]
check "plot on a full disk: status charts_failed" [ "$(meta 'm["status"]' "$mnt/run")" = charts_failed ]
check "plot on a full disk: meta.json lists failed charts with a reason" \
	[ "$(meta 'len(m["charts"]["failed"]) > 0 and all(f["reason"] for f in m["charts"]["failed"])' "$mnt/run")" = True ]
rm -f "$mnt/fill"
umount "$mnt" && mnt=

echo "== gnuplot killed, or a PNG cut short: the run and ccexp plot say so"
mkdir -p "$tmp/bin-kill" "$tmp/bin-cut"
printf '#!/bin/sh\nkill -KILL $$\n' >"$tmp/bin-kill/gnuplot"
# The real gnuplot, then the PNG cut to 1000 bytes, and exit 0.
printf '#!/bin/sh\n%s "$@" || exit $?\nf=plots/$(basename "$1" .gp).png\ntruncate -s 1000 "$f"\n' \
	"$(command -v gnuplot)" >"$tmp/bin-cut/gnuplot"
chmod +x "$tmp/bin-kill/gnuplot" "$tmp/bin-cut/gnuplot"
cat >"$tmp/charts.cfg" <<CFG
experiment = { name = "charts"; duration_s = 1.0; };
link = { rate_mbit = 20.0; };
flows = ( { name = "bulk"; cc = "cubic"; } );
CFG
PATH=$tmp/bin-kill:$PATH "$CCEXP" run -o "$tmp/charts" "$tmp/charts.cfg" >"$tmp/charts.out" 2>"$tmp/charts.err"
rc=$?
cat "$tmp/charts.out" "$tmp/charts.err"
check "gnuplot killed: exit 3" [ "$rc" = 3 ]
# Four charts: throughput, cwnd, srtt and limits.
check "gnuplot killed: status charts_failed, every chart failed, drawn empty" \
	[ "$(meta 'm["status"], len(m["charts"]["drawn"]), len(m["charts"]["failed"])' "$tmp/charts")" = "('charts_failed', 0, 4)" ]
check "gnuplot killed: the reason names the signal" \
	grep -q "signal 9" <<<"$(meta 'm["charts"]["failed"][0]["reason"]' "$tmp/charts")"
check "gnuplot killed: no PNG path printed as if drawn" bash -c "! grep -q 'plots/.*\.png$' '$tmp/charts.err'"
PATH=$tmp/bin-cut:$PATH "$CCEXP" plot "$tmp/charts" >"$tmp/plotcut.out" 2>&1
rc=$?
cat "$tmp/plotcut.out"
check "PNG cut short: ccexp plot exits 3" [ "$rc" = 3 ]
check "PNG cut short: meta.json says cut short" \
	grep -q "cut short" <<<"$(meta 'm["charts"]["failed"][0]["reason"]' "$tmp/charts")"
"$CCEXP" plot "$tmp/charts" >"$tmp/plotok.out" 2>&1
rc=$?
check "real gnuplot: ccexp plot exits 0" [ "$rc" = 0 ]
check "real gnuplot: meta.json lists 4 drawn, 0 failed, status complete again" \
	[ "$(meta 'len(m["charts"]["drawn"]), len(m["charts"]["failed"]), m["status"]' "$tmp/charts")" = "(4, 0, 'complete')" ]

echo "== SIGINT while the flows start: interrupted, not failed"
# The server takes 3 s to listen; the signal comes while the run waits for it.
cat >"$tmp/slow.cfg" <<CFG
experiment = { name = "slow"; duration_s = 1.5; };
link = { rate_mbit = 20.0; };
flows = ( { name = "app"; cc = "cubic"; cmd = "python3 $tmp/send.py {dst} {port}";
	    server_cmd = "sh -c 'sleep 3; exec python3 $tmp/listen.py {dst} {port}'"; } );
CFG
"$CCEXP" run -o "$tmp/slow" "$tmp/slow.cfg" >"$tmp/slow.out" 2>"$tmp/slow.err" &
pid=$!
for _ in $(seq 100); do
	p=$(run_prefix "$tmp/slow")
	[ -n "$p" ] && [ -n "$(ip netns pids "$p-rcv" 2>/dev/null)" ] && break
	sleep 0.02
done
t0=$(date +%s.%N)
kill -INT "$pid"
wait "$pid"
rc=$?
t=$(echo "$(date +%s.%N) - $t0" | bc)
cat "$tmp/slow.out" "$tmp/slow.err"
check "SIGINT at start: exit 1 (as any interruption)" [ "$rc" = 1 ]
check "SIGINT at start: status interrupted" [ "$(meta 'm["status"]' "$tmp/slow")" = interrupted ]
check "SIGINT at start: no error claimed" [ "$(meta 'm.get("error")' "$tmp/slow")" = None ]
check "SIGINT at start: the run stops within 1.5 s of the signal ($t s)" \
	[ "$(echo "$t < 1.5" | bc)" = 1 ]
check "SIGINT at start: nothing of the run is left" [ -z "$(leftovers "$p")" ]

# The same while the run waits for its built-in receivers to listen: the signal is sent once
# the run has forked all 8 (watched every ~0.1 ms), while it waits for them. Before, such
# a run said "could not start the flows: Connection timed out" (5 times in 6 tries).
cat >"$tmp/race.cfg" <<CFG
experiment = { name = "race"; duration_s = 1.0; };
link = { backend = "none"; };
flows = ( { name = "a"; cc = "cubic"; }, { name = "b"; cc = "reno"; }, { name = "c"; cc = "cubic"; },
	  { name = "d"; cc = "reno"; }, { name = "e"; cc = "cubic"; }, { name = "f"; cc = "reno"; },
	  { name = "g"; cc = "cubic"; }, { name = "h"; cc = "reno"; } );
CFG
for i in 1 2 3; do
	python3 - "$CCEXP" "$tmp/race$i" "$tmp/race.cfg" 8 >"$tmp/race$i.txt" <<'PY'
import os, signal, subprocess, sys, time
ccexp, out, cfg, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = subprocess.Popen([ccexp, "-q", "run", "-o", out, cfg], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
children = f"/proc/{p.pid}/task/{p.pid}/children"
end = time.time() + 10
while time.time() < end:
    try:
        if len(open(children).read().split()) >= n:
            os.kill(p.pid, signal.SIGINT)
            break
    except OSError:
        break
err = p.communicate()[1].decode()
print(p.returncode, err.strip().replace("\n", " / "))
PY
	st=$(meta 'm["status"], m.get("error")' "$tmp/race$i")
	echo "race $i: $st; $(cat "$tmp/race$i.txt")"
	check "SIGINT as the receivers start ($i): exit 1, interrupted, no error" \
		grep -q "^1 " "$tmp/race$i.txt"
	check "SIGINT as the receivers start ($i): status interrupted, no error claimed" \
		[ "$st" = "('interrupted', None)" ]
	check "SIGINT as the receivers start ($i): nothing of the run is left" \
		[ -z "$(leftovers "$(run_prefix "$tmp/race$i")")" ]
done

echo "== the link emulator must be killed at the end: said, timeline incomplete"
bulk_bg "$tmp/stuck" 'backend = "tun"; rate_mbit = 20.0;' 3.0
prefix=$(wait_running "$tmp/stuck")
emu=$(pgrep -P "$pid" -x ccexp-link)
kill -STOP "$emu"
sleep 0.2
kill -INT "$pid"
wait "$pid"
rc=$?
cat "$tmp/stuck.out" "$tmp/stuck.err"
check "emulator stuck: exit 1" [ "$rc" = 1 ]
check "emulator stuck: status is not complete" [ "$(meta 'm["status"]' "$tmp/stuck")" != complete ]
check "emulator stuck: meta.json link timeline_complete false, with why" \
	grep -q "^False .*killed" <<<"$(meta 'm["link"]["timeline_complete"], m["link"].get("error")' "$tmp/stuck" | tr -d "(),'")"
check "emulator stuck: stderr says it was killed" grep -q "emulator.*killed" "$tmp/stuck.err"
check "emulator stuck: the emulator is gone" bash -c "! kill -0 $emu 2>/dev/null"
check "emulator stuck: nothing of the run is left" [ -z "$(leftovers "$prefix")" ]

echo "== SIGTERM to the run's whole process group (as scancel does): interrupted, not failed"
cat >"$tmp/group.cfg" <<CFG
experiment = { name = "group"; duration_s = 3.0; };
link = { backend = "tc"; rate_mbit = 20.0; queue_pkts = 50; };
flows = ( { name = "bulk"; cc = "cubic"; } );
CFG
setsid "$CCEXP" run -o "$tmp/group" "$tmp/group.cfg" >"$tmp/group.out" 2>"$tmp/group.err" &
pid=$!
prefix=$(wait_running "$tmp/group")
sleep 0.5
# The sampler (ccexp-qstats) and the flows get the signal too, as in a Slurm job.
kill -TERM -- "-$pid"
wait "$pid"
rc=$?
cat "$tmp/group.out" "$tmp/group.err"
check "group SIGTERM: exit 1" [ "$rc" = 1 ]
check "group SIGTERM: status interrupted, no error" \
	[ "$(meta 'm["status"], m.get("error"), m.get("signal")' "$tmp/group")" = "('interrupted', None, 'SIGTERM')" ]
check "group SIGTERM: the link's timeline is marked cut" \
	[ "$(meta 'm["link"]["timeline_complete"]' "$tmp/group")" = False ]
check "group SIGTERM: nothing of the run is left" [ -z "$(leftovers "$prefix")" ]

exit $fail
