#!/bin/bash
# Integration test: bad input changes nothing; SIGINT and SIGTERM end a run cleanly with
# its results marked interrupted; after SIGKILL `ccexp cleanup` removes the leftovers,
# and it spares runs that are still alive.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

tmp=$(mktemp -d /tmp/ccx-test-cleanup-XXXXXX)
short=$CCX_SOURCE_DIR/tests/fixtures/config/short.cfg
bad=$CCX_SOURCE_DIR/tests/fixtures/config/bad-cc.cfg
before=$(leftovers)

# Bad config: exit 2, file:line: setting: what, and nothing created.
"$CCEXP" run -o "$tmp/bad" "$bad" 2>"$tmp/bad.err"
rc=$?
check "a bad config exits 2" [ "$rc" = 2 ]
want="$bad:4: flows[0].cc: unknown congestion control \"no-such-cc\" (available: "
got=$(cat "$tmp/bad.err")
check "the message names file, line and setting" [ "${got#"$want"}" != "$got" ]
[ "${got#"$want"}" != "$got" ] || { echo "got:  $got"; echo "want: $want..."; }
for cc in $(cat /proc/sys/net/ipv4/tcp_available_congestion_control) nv vegas; do
	check "the message lists $cc as available" bash -c "grep -qw -- '$cc' '$tmp/bad.err'"
done
check "a bad config creates no results folder" [ ! -e "$tmp/bad" ]
check "a bad config leaves no kernel object" [ -z "$(new_leftovers "$before")" ]

"$CCEXP" run >/dev/null 2>&1
check "run without CONFIG exits 2" [ $? = 2 ]
"$CCEXP" run "$short" "$short" >/dev/null 2>&1
check "run with two configs exits 2" [ $? = 2 ]
"$CCEXP" run --bogus "$short" >/dev/null 2>&1
check "run with an unknown option exits 2" [ $? = 2 ]
"$CCEXP" bogus >/dev/null 2>&1
check "an unknown command exits 2" [ $? = 2 ]
mkdir -p "$tmp/notempty" && touch "$tmp/notempty/x"
"$CCEXP" run -o "$tmp/notempty" "$short" >/dev/null 2>&1
check "run into a non-empty folder exits 2" [ $? = 2 ]

# SIGINT and SIGTERM mid-run.
for sig in INT TERM; do
	out=$tmp/sig$sig
	"$CCEXP" run -o "$out" "$short" >"$tmp/sig$sig.log" 2>&1 &
	pid=$!
	prefix=$(wait_running "$out")
	check "SIG$sig: the run got going" [ -n "$prefix" ]
	sleep 1
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	check "SIG$sig: ccexp exits 1" [ "$rc" = 1 ]
	status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$out/meta.json")
	check "SIG$sig: meta.json says interrupted" [ "$status" = interrupted ]
	check "SIG$sig: flows.csv was written" [ -s "$out/flows.csv" ]
	check "SIG$sig: events were written" [ "$(wc -l <"$out/events/state.csv")" -ge 3 ]
	left=$(leftovers "$prefix")
	check "SIG$sig: nothing of the run is left" [ -z "$left" ]
done

# SIGKILL leaves objects behind; cleanup removes them, sparing a live run.
out=$tmp/killed
"$CCEXP" run -o "$out" "$short" >"$tmp/killed.log" 2>&1 &
pid=$!
prefix=$(wait_running "$out")
check "SIGKILL: the run got going" [ -n "$prefix" ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "SIGKILL leaves the run's objects behind" [ -n "$(leftovers "$prefix")" ]

# As if ccexp had died while replacing its page: cleanup removes the temporary file.
touch "$out/.report.html.Ab12Cd"

live=$tmp/live
"$CCEXP" run -o "$live" "$short" >"$tmp/live.log" 2>&1 &
live_pid=$!
live_prefix=$(wait_running "$live")
check "the live run got going" [ -n "$live_prefix" ]

"$CCEXP" cleanup >"$tmp/cleanup.log" 2>&1
rc=$?
cat "$tmp/cleanup.log"
check "ccexp cleanup exits 0" [ "$rc" = 0 ]
check "cleanup removed the killed run's objects" [ -z "$(leftovers "$prefix")" ]
check "cleanup reported what it removed" grep -q "removed netns $prefix-snd" "$tmp/cleanup.log"
check "cleanup unmounted the killed run's namespaces" \
	bash -c "! grep -q '/run/netns/$prefix-' /proc/self/mountinfo"
check "cleanup spared the live run" [ -n "$(leftovers "$live_prefix")" ]
check "the killed run's flow processes are gone" no_process "$out"
# meta.json said "running" when ccexp died; cleanup marks it killed and lists the CSV files
# whose last line has no \n (a cut row), which this test finds on its own.
python3 - "$out" <<'PY' >"$tmp/killed.meta" 2>&1
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "meta.json")))
cut = []
for sub in ("", "timeline", "events"):
    for n in sorted(os.listdir(os.path.join(d, sub))):
        p = os.path.join(d, sub, n)
        if n.endswith(".csv") and os.path.isfile(p):
            data = open(p, "rb").read()
            if not data.endswith(b"\n"):
                cut.append(os.path.join(sub, n))
print(m["status"])
print(sorted(m.get("cut_files", ["(none)"])) == sorted(cut), cut, m.get("cut_files"))
print(bool(m.get("error")) and bool(m.get("killed_found")))
PY
check "SIGKILL + cleanup: meta.json says killed" [ "$(sed -n 1p "$tmp/killed.meta")" = killed ]
check "SIGKILL + cleanup: meta.json lists the files with a cut last row" \
	[ "$(sed -n 2p "$tmp/killed.meta" | cut -d' ' -f1)" = True ]
check "SIGKILL + cleanup: meta.json says what happened and when it was found" \
	[ "$(sed -n 3p "$tmp/killed.meta")" = True ]
[ "$fail" = 0 ] || cat "$tmp/killed.meta"
check "no temporary file is left beside meta.json" [ -z "$(ls -A "$out" | grep '^\.')" ]
check "SIGKILL + cleanup: report.html says killed, prominently" \
	grep -q 'class="badge bad" id="status">killed<' "$out/report.html"
check "SIGKILL + cleanup: report.html gives meta.json's error and every cut file" python3 -c '
import html, json, sys
m, page = json.load(open(sys.argv[1])), open(sys.argv[2]).read()
sys.exit(not all(t in html.unescape(page) for t in [m["error"]] + m.get("cut_files", [])))
' "$out/meta.json" "$out/report.html"

wait "$live_pid"
check "the live run still completed" [ $? = 0 ]
status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$live/meta.json")
check "the live run's meta.json says complete" [ "$status" = complete ]
check "cleanup did not touch the live run's folder" bash -c "! grep -q '$live' '$tmp/cleanup.log'"
left=$(new_leftovers "$before")
check "nothing is left at the end" [ -z "$left" ]
[ -z "$left" ] || echo "left: $left" >&2

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "files kept in $tmp"; fi
exit $fail
