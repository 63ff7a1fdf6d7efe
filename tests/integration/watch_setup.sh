# Sourced by watch.sh and bench/watch_overhead.sh: a scratch cgroup ccxw<pid>, namespaces
# ccxw<pid>a (clients) and ccxw<pid>b (iperf3 servers on 46101-46103) joined by a veth whose
# tbf (20 Mbit/s, 12 KB queue, each way) drops, and the helpers both use. Removed on exit.
# A test may set WS_NAME (ccxw), WS_NET (198.18.200) and WS_PORT (46101) to stay apart.
WS_NAME=${WS_NAME:-ccxw}
WS_NET=${WS_NET:-198.18.200}
WS_PORT=${WS_PORT:-46101}
CG=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CG" ] || skip "no cgroup2 mount"

id=$$
cg="$CG/$WS_NAME$id"
na=$WS_NAME${id}a
nb=$WS_NAME${id}b
tmp=$(mktemp -d "/tmp/ccx-${WS_TMP:-watch}-XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for f in "$tmp"/srv*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	sleep 0.2
	# The state files of this test's watches, should one have been killed and left its own.
	for m in "$tmp"/*/meta.json; do
		p=$(run_prefix "$(dirname "$m")")
		[ -n "$p" ] && rm -f "/run/ccexp/$p"
	done
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
	rmdir "$cg" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$cg" || skip "cannot create a cgroup under $CG"
ip netns add "$na" && ip netns add "$nb" || skip "cannot create network namespaces"
ip link add $WS_NAME${id}x type veth peer name $WS_NAME${id}y
ip link set $WS_NAME${id}x netns "$na"
ip link set $WS_NAME${id}y netns "$nb"
ip -n "$na" addr add $WS_NET.1/24 dev $WS_NAME${id}x
ip -n "$nb" addr add $WS_NET.2/24 dev $WS_NAME${id}y
for n in "$na" "$nb"; do ip -n "$n" link set lo up; done
ip -n "$na" link set $WS_NAME${id}x up
ip -n "$nb" link set $WS_NAME${id}y up
# 20 Mbit/s with a 12 KB queue: the clients' bursts overflow it, so they retransmit.
for n in "$na:$WS_NAME${id}x" "$nb:$WS_NAME${id}y"; do
	ip netns exec "${n%%:*}" tc qdisc add dev "${n#*:}" root tbf rate 20mbit burst 16kb limit 12kb ||
		skip "tbf is not available"
done
for port in $WS_PORT $((WS_PORT + 1)) $((WS_PORT + 2)); do
	ip netns exec "$nb" iperf3 -s -p $port -D --pidfile "$tmp/srv$port.pid" || skip "iperf3 -s failed"
done
sleep 0.5

# A client inside the cgroup: the shell joins it, then becomes the client (ip netns exec
# remounts /sys, so the cgroup is joined before entering the namespace).
in_cgroup() {
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"
}

# The BPF programs and links process $1 holds, from its file descriptors' fdinfo (this
# bpftool does not name the processes).
bpf_ids() {
	for f in /proc/"$1"/fdinfo/*; do
		awk '$1 == "prog_id:" {print "prog " $2} $1 == "link_id:" {print "link " $2}' "$f"
	done 2>/dev/null | sort -u | while read -r kind n; do
		if [ "$kind" = prog ]; then
			echo "prog $n $(bpftool -j prog show id "$n" 2>/dev/null | jq -r .name)"
		else
			echo "link $n"
		fi
	done | sort
}
# Which of the objects listed in $1 still exist.
still_there() {
	{
		bpftool -j prog show | jq -r '.[] | "prog \(.id) \(.name)"'
		bpftool -j link show | jq -r '.[] | "link \(.id)"'
	} 2>/dev/null | sort | comm -12 - "$1"
}

# The BPF objects listed in $1 (there were some) are all gone.
# The kernel frees a program after its last reference, with an RCU grace period: allow 2 s.
all_gone() {
	[ -s "$1" ] || return 1
	for _ in $(seq 20); do
		[ -z "$(still_there "$1")" ] && return 0
		sleep 0.1
	done
	echo "left: $(still_there "$1" | tr '\n' ' ')"
	return 1
}


# Waits until watch (pid $1, log $2) is attached.
wait_watching() {
	for _ in $(seq 100); do
		grep -q "watching" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
