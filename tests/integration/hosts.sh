#!/bin/bash
# Integration test: the hosts group sets its sysctls inside the run's sender and receiver
# namespaces only (each on the sides asked), as /proc/sys shows them there while the run
# goes; meta.json records what was asked and what each namespace holds; the machine's own
# values stay as they were. A global sysctl is refused before anything is built.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed (reads meta.json)"

tmp=$(mktemp -d /tmp/ccx-test-hosts-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

sys() { tr '\t' ' ' <"/proc/sys/net/ipv4/$1"; }
in_ns() { ip netns exec "$1" cat "/proc/sys/net/ipv4/$2" | tr '\t' ' '; }

# Values no kernel has by default, so that seeing them proves they were written.
rmem="4096 131072 50331648"
wmem="4096 16384 41943040"
host_rmem=$(sys tcp_rmem)
host_wmem=$(sys tcp_wmem)
host_ssai=$(sys tcp_slow_start_after_idle)
check "the test's values differ from the machine's" \
	[ "$host_rmem" != "$rmem" ] && [ "$host_wmem" != "$wmem" ] && [ "$host_ssai" = 1 ]

cat >"$tmp/run.cfg" <<CFG
experiment = { name = "hosts"; duration_s = 4.0; };
link = { rate_mbit = 50.0; delay_ms = 5.0; };
flows = ( { name = "f"; cc = "cubic"; } );
hosts = {
  tcp_rmem = "$rmem";
  tcp_wmem = { value = "$wmem"; side = "sender"; };
  tcp_slow_start_after_idle = { value = 0; side = "receiver"; };
};
CFG
"$CCEXP" -q run -o "$tmp/out" "$tmp/run.cfg" >"$tmp/run.log" 2>&1 &
pid=$!
prefix=$(wait_running "$tmp/out")
check "the run got going" [ -n "$prefix" ]
if [ -n "$prefix" ]; then
	check "sender: tcp_rmem set" [ "$(in_ns "$prefix-snd" tcp_rmem)" = "$rmem" ]
	check "receiver: tcp_rmem set" [ "$(in_ns "$prefix-rcv" tcp_rmem)" = "$rmem" ]
	check "sender: tcp_wmem set" [ "$(in_ns "$prefix-snd" tcp_wmem)" = "$wmem" ]
	check "receiver: tcp_wmem as the machine's (sender only)" \
		[ "$(in_ns "$prefix-rcv" tcp_wmem)" = "$host_wmem" ]
	check "receiver: tcp_slow_start_after_idle set" \
		[ "$(in_ns "$prefix-rcv" tcp_slow_start_after_idle)" = 0 ]
	check "sender: tcp_slow_start_after_idle as the machine's (receiver only)" \
		[ "$(in_ns "$prefix-snd" tcp_slow_start_after_idle)" = "$host_ssai" ]
	check "the machine's tcp_rmem unchanged during the run" [ "$(sys tcp_rmem)" = "$host_rmem" ]
fi
wait "$pid"
rc=$?
check "ccexp run exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$tmp/run.log"

check "meta.json records asked, side and what each host read back" python3 - "$tmp/out/meta.json" \
	"$rmem" "$wmem" "$host_wmem" "$host_ssai" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["hosts"]
rmem, wmem, host_wmem, host_ssai = sys.argv[2:]
want = {
    "net.ipv4.tcp_rmem": {"asked": rmem, "side": "both", "sender": rmem, "receiver": rmem},
    "net.ipv4.tcp_wmem": {"asked": wmem, "side": "sender", "sender": wmem,
                          "receiver": host_wmem},
    "net.ipv4.tcp_slow_start_after_idle": {"asked": "0", "side": "receiver",
                                           "sender": host_ssai, "receiver": "0"},
}
if h != want:
    print("got ", h, "\nwant", want)
    sys.exit(1)
PY
check "the machine's tcp_rmem unchanged after" [ "$(sys tcp_rmem)" = "$host_rmem" ]
check "the machine's tcp_wmem unchanged after" [ "$(sys tcp_wmem)" = "$host_wmem" ]
check "the machine's tcp_slow_start_after_idle unchanged after" \
	[ "$(sys tcp_slow_start_after_idle)" = "$host_ssai" ]
# Without a prefix, leftovers would list every run on the machine, other tests' too.
check "nothing of the run is left" [ -n "$prefix" ] && [ -z "$(leftovers "$prefix")" ]

# A sysctl of the whole machine is refused at config time: exit 2, file:line, no folder.
cat >"$tmp/global.cfg" <<'CFG'
experiment = { name = "global"; duration_s = 4.0; };
link = { rate_mbit = 50.0; };
flows = ( { name = "f"; cc = "cubic"; } );
hosts = { tcp_mem = "1 2 3"; };
CFG
"$CCEXP" -q run -o "$tmp/global" "$tmp/global.cfg" >"$tmp/global.log" 2>&1
rc=$?
check "tcp_mem: exit 2" [ "$rc" = 2 ]
check "tcp_mem: file, line and reason" \
	grep -q "global.cfg:4: hosts.tcp_mem: cannot be set per run: .*not per network namespace" \
	"$tmp/global.log"
check "tcp_mem: no results folder" [ ! -e "$tmp/global" ]
exit $fail
