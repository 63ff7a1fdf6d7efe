#!/bin/bash
# Integration test: ring-buffer drops are counted and reported, never silent. First the
# collector alone (ccx_flood --check-drops: a 64 KiB ring buffer that nobody drains while
# 200000 events are offered; the rows on disk plus the counted drops must be the 200000). Then
# a real `ccexp run` with a 64 KiB ring buffer and no TCP connection, into whose collector
# ccx_flood offers 200000 events in one burst: meta.json "events" must show them all
# (seen_in_bpf = 200000 = received + ringbuf_drops, drops > 0) and ccexp must warn.
# Usage: flood_drops.sh PATH_TO_CCX_FLOOD
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed (reads the results)"
flood=$1
[ -x "$flood" ] || skip "ccx_flood is not built (run through meson test)"
offered=200000

"$flood" --check-drops
check "the collector counts every event it could not take" [ $? = 0 ]

tmp=$(mktemp -d /tmp/ccx-flood-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The flow's processes open no connection: every event of the run is the flood's.
cat >"$tmp/drops.cfg" <<CFG
experiment = { name = "flood_drops"; duration_s = 3.0; seed = 1; };
link = { backend = "none"; };
flows = ( { name = "idle"; cc = "cubic"; cmd = "sleep 2"; server_cmd = "sleep 2"; } );
collect = { ringbuf_kb = 64; };
CFG
"$CCEXP" -q run -o "$tmp/out" "$tmp/drops.cfg" >"$tmp/out.log" 2>&1 &
pid=$!
# Flow id 1 belongs to no flow of this config: the events are received and counted, not
# written as rows of a connection that does not exist.
"$flood" --into-pid "$pid" --burst "$offered" --flow-id 1
check "the flood reached the run's collector" [ $? = 0 ]
wait "$pid"
rc=$?
check "ccexp run exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/out.log"
check "nothing of the run is left" [ -z "$(leftovers "$(run_prefix "$tmp/out")")" ]

export PYTHONPATH=$here
python3 - "$tmp/out" "$offered" <<'PY' || fail=1
import re, sys
from ccx_results import check, meta, done

out, offered = sys.argv[1], int(sys.argv[2])
m = meta(out)
s = m["events"]["sample"]
check("meta.json: every offered event was seen in BPF", s["seen_in_bpf"] == offered, s)
check("meta.json: the 64 KiB ring buffer dropped some", s["ringbuf_drops"] > 0, s)
check("meta.json: seen = received + drops, exactly",
      s["seen_in_bpf"] == s["received"] + s["ringbuf_drops"], s)
check("meta.json: events_dropped sums the drops", m["events_dropped"] == s["ringbuf_drops"],
      m["events_dropped"])
check("meta.json: the flood's events matched no flow", m["events_unmatched"] == s["received"],
      m["events_unmatched"])
log = open(out + ".log").read()
w = re.search(r"warning: (\d+) event\(s\) dropped in the ring buffer, (\d+) without a row", log)
check("ccexp warns with the count of drops",
      w is not None and int(w.group(1)) == s["ringbuf_drops"] > 0 and int(w.group(2)) == offered,
      log.strip())
done()
PY
exit $fail
