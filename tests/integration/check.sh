#!/bin/sh
# Integration test for `ccexp check`: every probe reports, the answers match what this kernel
# really does, --json agrees with the table, and no ccxchk* object survives the run.

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (BPF, cgroups, network namespaces)"
if [ -z "$CCEXP" ] || [ ! -x "$CCEXP" ]; then
	skip "CCEXP is not set to the ccexp binary (meson sets it)"
fi
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
command -v tc >/dev/null 2>&1 || skip "tc (iproute2) not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed (parses --json)"

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

tmp=$(mktemp -d /tmp/ccxchk-test.XXXXXX) || exit 1
ns="ccxchkt$$"
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

# Everything that could carry the ccxchk prefix, one "kind name" per line.
leftovers() {
	ip netns list 2>/dev/null | awk '{ print "netns " $1 }'
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "link " $2 }'
	tr ' ' '\n' </proc/sys/net/ipv4/tcp_available_congestion_control |
		awk 'NF { print "cc " $1 }'
	[ -n "$cg2" ] && find "$cg2" -type d -name 'ccxchk*' 2>/dev/null | sed 's/^/cgroup /'
	if command -v bpftool >/dev/null 2>&1; then
		bpftool struct_ops list 2>/dev/null | awk '{ print "struct_ops " $2 }'
	fi
	grep -c ' tracefs ' /proc/mounts | sed 's/^/tracefs-mounts /'
}
leftovers | grep -E 'ccxchk|^tracefs-mounts' | sort >"$tmp/before"

# --- exit status and one line per probe
"$CCEXP" check >"$tmp/table" 2>"$tmp/table.err"
rc=$?
[ "$rc" = 0 ] || fail "ccexp check exited $rc, want 0; output:
$(cat "$tmp/table" "$tmp/table.err")"
probes="kernel libbpf privileges bpf-syscall btf cgroup2 sockops-attach struct-ops-cc tp-btf
	tracepoint netns veth tun qdisc-tbf qdisc-htb qdisc-netem link-auto congestion-controls config-hz"
for p in $probes; do
	grep -Eq "^(OK|WARN|MISSING) +$p " "$tmp/table" || fail "no line for probe '$p'"
done
for p in privileges bpf-syscall btf cgroup2 sockops-attach netns veth qdisc-tbf; do
	grep -Eq "^MISSING +$p " "$tmp/table" && fail "required probe '$p' reported MISSING"
done

# --- netem: ccexp must agree with what tc says in a namespace of our own
if ! ip netns add "$ns"; then
	fail "cannot make scratch netns $ns"
else
	if tc -n "$ns" qdisc add dev lo root netem delay 10ms >/dev/null 2>&1; then
		want=OK
	else
		want=MISSING
	fi
	ip netns del "$ns" || fail "cannot delete scratch netns $ns"
	grep -Eq "^$want +qdisc-netem " "$tmp/table" ||
		fail "qdisc-netem: tc says $want, ccexp says: $(grep qdisc-netem "$tmp/table")"
	if [ "$want" = MISSING ]; then
		grep -E "^MISSING +qdisc-netem " "$tmp/table" | grep -q "tun backend" ||
			fail "qdisc-netem MISSING line does not name the tun backend fallback"
	fi
fi

# --- --json: valid JSON, the same probes, HZ equal to the kernel config
"$CCEXP" check --json >"$tmp/json" 2>"$tmp/json.err"
rc=$?
[ "$rc" = 0 ] || fail "ccexp check --json exited $rc, want 0"
python3 -m json.tool "$tmp/json" >/dev/null 2>&1 || fail "--json output does not parse:
$(cat "$tmp/json")"
json_names=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True, "ok is not true"
assert all(c["status"] in ("ok", "warn", "missing") for c in d["checks"])
print(" ".join(c["name"] for c in d["checks"]))' "$tmp/json" 2>&1) ||
	fail "--json content: $json_names"
for p in $probes; do
	case " $json_names " in
	*" $p "*) ;;
	*) fail "--json has no check '$p'" ;;
	esac
done
if [ -r /proc/config.gz ]; then
	config_hz=$(zcat /proc/config.gz | sed -n 's/^CONFIG_HZ=//p')
	json_hz=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hz"])' \
		"$tmp/json" 2>/dev/null)
	if [ -z "$config_hz" ] || [ "$json_hz" != "$config_hz" ]; then
		fail "--json hz is '$json_hz', /proc/config.gz says CONFIG_HZ=$config_hz"
	fi
else
	echo "note: no /proc/config.gz, hz not compared" >&2
fi

# --- command line
"$CCEXP" check --bogus >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || fail "ccexp check --bogus exited $rc, want 2"
"$CCEXP" check --help >"$tmp/help" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "ccexp check --help exited $rc, want 0"
grep -q '^EXAMPLES' "$tmp/help" || fail "ccexp check --help has no EXAMPLES section"

# --- nothing left behind (what existed before the test is not ours)
leftovers | grep -E 'ccxchk|^tracefs-mounts' | sort >"$tmp/after"
new=$(comm -13 "$tmp/before" "$tmp/after")
[ -z "$new" ] || fail "left behind after ccexp check:
$new"
old=$(grep ccxchk "$tmp/before")
[ -z "$old" ] || echo "note: present before the test (not counted): $old" >&2

if [ "$failures" -gt 0 ]; then
	echo "check.sh: $failures failure(s)" >&2
	exit 1
fi
echo "check.sh: all passed"
exit 0
