#!/bin/sh
# Integration test: `ccexp list` shows the kernel's and the bundled congestion controls, what a
# bundled name resolves to here, the link backends and the knobs; --json agrees; bad args exit 2.
set -u
. "$(dirname "$0")/lib.sh"

[ -n "${CCEXP:-}" ] && [ -x "$CCEXP" ] || skip "CCEXP is not set to the ccexp binary (run through meson test)"
avail=/proc/sys/net/ipv4/tcp_available_congestion_control
[ -r "$avail" ] || skip "no $avail"

out=$("$CCEXP" list)
check "list exits 0" [ $? = 0 ]
for k in reno cubic bbr; do
	if grep -qw "$k" "$avail"; then
		check "$k listed as kernel" sh -c 'printf "%s\n" "$1" | grep -Eq "^$2 +kernel "' - "$out" "$k"
	fi
done
for b in nv vegas; do
	check "$b listed as bundled" sh -c 'printf "%s\n" "$1" | grep -Eq "^$2 +bundled "' - "$out" "$b"
	if grep -qw "$b" "$avail"; then
		want=kernel
	else
		want=bpf
	fi
	check "$b -> $want" sh -c 'printf "%s\n" "$1" | grep -q "$2 -> $3"' - "$out" "$b" "$want"
done
# auto is netem where the kernel has it (and ccexp may try: root), else tun.
if [ "$(id -u)" = 0 ] && unshare -n tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
	auto=netem netem=yes
else
	auto=tun netem=no
fi
check "link backends listed" sh -c 'printf "%s\n" "$1" | grep -Eq "^auto +yes +resolves to $2"' - "$out" "$auto"
check "netem usable: $netem" sh -c 'printf "%s\n" "$1" | grep -Eq "^netem +$2 "' - "$out" "$netem"
check "knobs listed" sh -c 'printf "%s\n" "$1" | grep -Eq "^syn_rto_ms +ms +both +TIMEOUT_INIT"' - "$out"

json=$("$CCEXP" list --json)
check "list --json exits 0" [ $? = 0 ]
check "--json parses and agrees with the kernel" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
avail = open("/proc/sys/net/ipv4/tcp_available_congestion_control").read().split()
cc = {c["name"]: c for c in d["congestion_controls"]}
for k in avail:
    if not k.startswith("ccx"):
        assert cc[k]["source"] == "kernel", k
for b in ("nv", "vegas"):
    assert cc[b]["source"] == "bundled", b
    assert cc[b]["resolves_to"] == ("kernel" if b in avail else "bpf"), b
be = {x["name"]: x for x in d["link_backends"]}
assert set(be) == {"auto", "netem", "tun", "tc", "none"}, be
assert be["netem"]["usable"] == (sys.argv[2] == "yes")
assert sys.argv[3] in be["auto"]["detail"]
assert any(k["name"] == "syn_rto_ms" and k["unit"] == "ms" for k in d["knobs"])
' "$json" "$netem" "$auto"
check "table and --json list the same algorithms" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
names = [c["name"] for c in d["congestion_controls"]]
rows = [l.split()[0] for l in sys.argv[2].splitlines()[1:len(names) + 1]]
assert rows == names, (rows, names)
' "$json" "$out"

"$CCEXP" list --bogus >/dev/null 2>&1
check "list --bogus exits 2" [ $? = 2 ]
"$CCEXP" list extra >/dev/null 2>&1
check "list with an argument exits 2" [ $? = 2 ]
check "list --help ends with EXAMPLES" sh -c '"$1" list --help | grep -q "^EXAMPLES"' - "$CCEXP"

exit $fail
