#!/bin/bash
# Integration test: what `ccexp run` does with a config before the run: a trace is read and
# judged before anything exists, and a config's @include is taken from its own folder and
# saved, resolved, with the results.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v gnuplot >/dev/null || skip "gnuplot is not installed"

tmp=$(mktemp -d /tmp/ccx-test-config-run-XXXXXX)

# A trace whose second line is not a timestamp: exit 2 naming the config's line and the
# trace's, before any namespace (the results folder is made just before them).
mkdir "$tmp/bad"
printf '12\nabc\n24\n' >"$tmp/bad/bad.trace"
cat >"$tmp/bad/bad.cfg" <<'CFG'
experiment = { name = "badtrace"; duration_s = 1.0; };
link = { backend = "tun";
         trace_up = "bad.trace"; };
flows = ( { name = "a"; cc = "cubic"; } );
CFG
before=$(ip netns list | grep -c '^ccx' || true)
"$CCEXP" -q run -o "$tmp/bad/out" "$tmp/bad/bad.cfg" >"$tmp/bad.log" 2>&1
rc=$?
cat "$tmp/bad.log"
check "malformed trace: exit 2" [ "$rc" = 2 ]
check "malformed trace: the message names the config's line and the trace's" \
	grep -qF "$tmp/bad/bad.cfg:3: link.trace_up: $tmp/bad/bad.trace:2: not a millisecond timestamp" "$tmp/bad.log"
check "malformed trace: no results folder, so nothing was built" [ ! -e "$tmp/bad/out" ]
after=$(ip netns list | grep -c '^ccx' || true)
echo "ccx namespaces before: $before, after: $after (other runs may come and go)"

# A config that describes a set of runs is `ccexp sweep`'s: run refuses it, exit 2, at the
# line of its sweep.
cat >"$tmp/set.cfg" <<'CFG'
experiment = { name = "set"; duration_s = 1.0; };
link = { rate_mbit = 20.0; };
flows = ( { name = "a"; cc = "cubic"; } );
sweep = ( { set = "link.rate_mbit"; values = [10.0, 20.0]; } );
CFG
"$CCEXP" -q run -o "$tmp/set-out" "$tmp/set.cfg" >"$tmp/set.log" 2>&1
rc=$?
cat "$tmp/set.log"
check "a sweep config: ccexp run exits 2" [ "$rc" = 2 ]
check "a sweep config: the message points at ccexp sweep" \
	grep -qF "$tmp/set.cfg:4: sweep: this config describes a set of runs: run it with \`ccexp sweep" "$tmp/set.log"
check "a sweep config: nothing made" [ ! -e "$tmp/set-out" ]

# @include from the config's folder while the working directory is elsewhere; the saved
# config.cfg holds the included settings, and runs the same on its own.
mkdir "$tmp/inc"
cat >"$tmp/inc/link.inc" <<'CFG'
link = { backend = "tun"; rate_mbit = 20.0; delay_ms = 3.0; };
CFG
cat >"$tmp/inc/main.cfg" <<'CFG'
experiment = { name = "include"; duration_s = 1.0; };
@include "link.inc"
flows = ( { name = "a"; cc = "cubic"; } );
CFG
(cd / && "$CCEXP" -q run -o "$tmp/inc/out" "$tmp/inc/main.cfg") >"$tmp/inc.log" 2>&1
rc=$?
cat "$tmp/inc.log"
check "@include: ccexp run exits 0 from another working directory" [ "$rc" = 0 ]
check "@include: config.cfg holds the included settings" \
	grep -qE '^link = \{ backend = "tun"; rate_mbit = 20.0; delay_ms = 3.0; \};$' "$tmp/inc/out/config.cfg"
check "@include: config.cfg includes nothing any more" \
	bash -c "! grep -qE '^[[:space:]]*@include' '$tmp/inc/out/config.cfg'"
check "@include: meta.json has the included rate" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(0 if m["link"]["up"]["rate_mbit"] == 20.0 and m["status"] == "complete" else 1)' "$tmp/inc/out/meta.json"
prefix=$(run_prefix "$tmp/inc/out")
check "@include: nothing of the run is left" [ -z "$(leftovers "$prefix")" ]
mkdir "$tmp/copy"
cp "$tmp/inc/out/config.cfg" "$tmp/copy/saved.cfg"
"$CCEXP" -q run -o "$tmp/copy/out" "$tmp/copy/saved.cfg" >"$tmp/copy.log" 2>&1
rc=$?
cat "$tmp/copy.log"
check "@include: the saved config runs alone" [ "$rc" = 0 ]
check "@include: and is saved again as it was" cmp -s "$tmp/copy/saved.cfg" "$tmp/copy/out/config.cfg"
check "@include: nothing of the second run is left" [ -z "$(leftovers "$(run_prefix "$tmp/copy/out")")" ]

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit $fail
