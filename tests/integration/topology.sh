#!/bin/bash
# Integration test: the namespaces, veth wires, addresses, routes, static neighbours and
# gso_max_segs of a running run are those docs/design.md "The emulated path" describes, as
# ip(8) reads them back, for the routed (tc) and the direct (none) topology.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root

tmp=$(mktemp -d /tmp/ccx-test-topology-XXXXXX)

# end NAME NS IF MAC ADDR/PLEN PEER PEER_MAC
end() {
	local n=$1 ns=$2 dev=$3 mac=$4 cidr=$5 peer=$6 peer_mac=$7
	local link
	link=$(ip -n "$ns" -d link show dev "$dev" 2>&1)
	check "$n: $dev is a veth in $ns" grep -q "veth" <<<"$link"
	check "$n: $dev has address $mac" grep -q "link/ether $mac " <<<"$link"
	check "$n: $dev is up" grep -q "state UP" <<<"$link"
	check "$n: $dev has gso_max_segs 1" grep -q "gso_max_segs 1 " <<<"$link"
	check "$n: $dev has $cidr" grep -q "inet $cidr " <<<"$(ip -n "$ns" -4 addr show dev "$dev")"
	check "$n: $dev has a permanent neighbour $peer at $peer_mac" \
		grep -q "^$peer lladdr $peer_mac PERMANENT" <<<"$(ip -n "$ns" neigh show dev "$dev")"
	check "$n: lo is up in $ns" grep -q "state UNKNOWN\|LOOPBACK,UP" \
		<<<"$(ip -n "$ns" link show dev lo)"
	check "$n: IPv6 is off in $ns" [ "$(ip netns exec "$ns" sysctl -n net.ipv6.conf.all.disable_ipv6)" = 1 ]
}

run_bg() {
	cat >"$tmp/$1.cfg" <<CFG
experiment = { name = "$1"; duration_s = 4.0; };
link = { backend = "$2"; $3 };
flows = ( { name = "bulk"; cc = "cubic"; } );
CFG
	"$CCEXP" -q run -o "$tmp/$1" "$tmp/$1.cfg" >"$tmp/$1.log" 2>&1 &
	pid=$!
	p=$(wait_running "$tmp/$1")
	check "$1: the run is running" [ -n "$p" ]
}

run_bg routed tc "rate_mbit = 50.0; queue_pkts = 100;"
if [ -n "$p" ]; then
	for ns in snd rtr rcv; do
		check "routed: $p-$ns in ip netns list" bash -c "ip netns list | grep -q '^$p-$ns\b'"
		# As ip netns add leaves it: a namespace of its own, bind-mounted (nsfs) on its name.
		check "routed: /run/netns/$p-$ns is an nsfs mount" \
			[ "$(findmnt -no FSTYPE "/run/netns/$p-$ns")" = nsfs ]
		check "routed: $p-$ns is not the host's namespace" \
			[ "$(stat -Lc %i "/run/netns/$p-$ns")" != "$(stat -Lc %i /proc/1/ns/net)" ]
	done
	check "routed: /run/netns is a shared mount point" \
		grep -q shared <<<"$(findmnt -no PROPAGATION /run/netns)"
	end routed "$p-snd" "$p-s" 02:cc:00:00:01:01 198.18.0.1/24 198.18.0.2 02:cc:00:00:01:02
	end routed "$p-rtr" "$p-rs" 02:cc:00:00:01:02 198.18.0.2/24 198.18.0.1 02:cc:00:00:01:01
	end routed "$p-rtr" "$p-rr" 02:cc:00:00:02:01 198.19.0.1/24 198.19.0.2 02:cc:00:00:02:02
	end routed "$p-rcv" "$p-r" 02:cc:00:00:02:02 198.19.0.2/24 198.19.0.1 02:cc:00:00:02:01
	check "routed: the sender routes 198.19.0.0/24 via the router" \
		grep -q "^198.19.0.0/24 via 198.18.0.2 dev $p-s *$" <<<"$(ip -n "$p-snd" route)"
	check "routed: the receiver routes 198.18.0.0/24 via the router" \
		grep -q "^198.18.0.0/24 via 198.19.0.1 dev $p-r *$" <<<"$(ip -n "$p-rcv" route)"
	check "routed: the sender has no other route" \
		[ "$(ip -n "$p-snd" route | grep -vc '^198.18.0.0/24 dev\|^198.19.0.0/24 via')" = 0 ]
	check "routed: the router forwards" \
		[ "$(ip netns exec "$p-rtr" sysctl -n net.ipv4.ip_forward)" = 1 ]
fi
wait "$pid"
check "routed: ccexp run exits 0" [ $? = 0 ]
check "routed: nothing of the run is left" [ -z "$(leftovers "$p")" ]
check "routed: no mount of the run's namespaces is left" \
	bash -c "! grep -q '/run/netns/$p-' /proc/self/mountinfo"

run_bg direct none ""
if [ -n "$p" ]; then
	check "direct: no router namespace" bash -c "! ip netns list | grep -q '^$p-rtr'"
	end direct "$p-snd" "$p-s" 02:cc:00:00:01:01 198.18.0.1/15 198.19.0.2 02:cc:00:00:02:02
	end direct "$p-rcv" "$p-r" 02:cc:00:00:02:02 198.19.0.2/15 198.18.0.1 02:cc:00:00:01:01
fi
wait "$pid"
check "direct: ccexp run exits 0" [ $? = 0 ]
check "direct: nothing of the run is left" [ -z "$(leftovers "$p")" ]

[ "$fail" = 0 ] && rm -rf "$tmp"
exit "$fail"
