#!/bin/bash
# Integration test of link.capture: tshark reads the tun emulator's pcap files, finds in them
# as many packets per direction as the model counted (delivered + dropped), the dropped ones
# again in link_drops.pcap, and flags as retransmissions the segments events/retrans.csv
# lists, at the same times. Backends without a capture refuse the setting at config time.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v tshark >/dev/null || skip "tshark is not installed (it reads the capture)"
command -v python3 >/dev/null || skip "python3 is not installed"

tmp=$(mktemp -d /tmp/ccx-test-capture-XXXXXX)
export PYTHONPATH=$here

# Refused before anything exists: file:line:setting, exit 2, no results folder.
cat >"$tmp/netem.cfg" <<'CFG'
experiment = { name = "netem"; duration_s = 1.0; };
link = { backend = "netem"; rate_mbit = 10.0;
         capture = "full"; };
flows = ( { name = "bulk"; cc = "cubic"; } );
CFG
"$CCEXP" -q run -o "$tmp/netem" "$tmp/netem.cfg" >"$tmp/netem.log" 2>&1
rc=$?
check "netem + capture: exit 2" [ "$rc" = 2 ]
check "netem + capture: the error names file, line and setting" \
	grep -q "netem.cfg:3: link.capture: netem has no packet capture" "$tmp/netem.log"
check "netem + capture: no results folder" [ ! -e "$tmp/netem" ]
sed 's/"netem"; rate_mbit/"tun"; rate_mbit/; s/"full"/"all"/' "$tmp/netem.cfg" >"$tmp/bad.cfg"
"$CCEXP" -q run -o "$tmp/bad" "$tmp/bad.cfg" >"$tmp/bad.log" 2>&1
rc=$?
check "capture = \"all\": exit 2" [ "$rc" = 2 ]
check "capture = \"all\": the error names file, line and setting" \
	grep -q "bad.cfg:3: link.capture" "$tmp/bad.log"

# verify NAME SNAPLEN: tshark's reading of $tmp/NAME's capture against the run's own counts.
verify() {
	local out=$tmp/$1
	# Frame by frame; the IP header checksum is checked (tshark does not by default).
	tshark -r "$out/link.pcap" -o ip.check_checksum:TRUE -T fields -E separator=, \
		-e frame.number -e frame.time_epoch -e ip.src -e frame.len -e frame.cap_len \
		-e ip.len -e ip.checksum.status -e tcp.srcport -e tcp.seq_raw -e tcp.len \
		>"$out/frames.txt" 2>"$out/tshark.err" || return 1
	tshark -r "$out/link.pcap" -Y tcp.analysis.retransmission -T fields -e frame.number \
		>"$out/retrans.txt" 2>>"$out/tshark.err" || return 1
	tshark -r "$out/link.pcap" -Y tcp.analysis.out_of_order -T fields -e frame.number \
		>"$out/ooo.txt" 2>>"$out/tshark.err" || return 1
	tshark -r "$out/link_drops.pcap" -T fields -E separator=, -e frame.time_epoch \
		-e tcp.srcport -e tcp.seq_raw -e frame.len >"$out/drops.txt" 2>>"$out/tshark.err" ||
		return 1
	python3 - "$out" "$1" "$2" <<'PY'
import sys
from ccx_results import check, rows, meta, done

out, name, snaplen = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = meta(out)["link"]
cap = m["capture"]
t0 = cap["t0_unix_ns"] / 1e9
frames = [l.rstrip("\n").split(",") for l in open(out + "/frames.txt")]
drops = [l.rstrip("\n").split(",") for l in open(out + "/drops.txt")]
flagged = {int(l) for l in open(out + "/retrans.txt")}
ooo = {int(l) for l in open(out + "/ooo.txt")}

# Counts: what tshark read against what the model counted, per direction.
src = {"up": "198.18.0.1", "down": "198.19.0.2"}
ndrop = 0
for d in ("up", "down"):
    tot = m[d]["totals"]
    dropped = sum(tot[k] for k in ("dropped_loss_pkts", "dropped_queue_pkts",
                                   "dropped_aqm_pkts", "dropped_nobuf_pkts"))
    ndrop += dropped
    n = sum(1 for f in frames if f[2] == src[d])
    check(f"{name}: {d}: tshark's packets = delivered + dropped",
          n == tot["delivered_pkts"] + dropped == tot["arrived_pkts"],
          f"tshark {n}, delivered {tot['delivered_pkts']} + dropped {dropped}")
check(f"{name}: every packet is one of the two directions",
      all(f[2] in src.values() for f in frames), len(frames))
check(f"{name}: meta.json's capture counts are tshark's",
      cap["packets"] == len(frames) and cap["drop_packets"] == len(drops) and cap["complete"],
      cap)
check(f"{name}: the uplink lost packets", m["up"]["totals"]["dropped_loss_pkts"] > 0)
check(f"{name}: link_drops.pcap holds every drop", len(drops) == ndrop ==
      len(rows(out, "events/link_drops.csv")), f"{len(drops)} of {ndrop}")
# A drop's record is its link.pcap record again: same time, flow, sequence number, length.
key = lambda t, port, seq, ln: (round(float(t), 6), port, seq, ln)
seen = {key(f[1], f[7], f[8], f[3]) for f in frames}
check(f"{name}: each drop is in link.pcap at its arrival time",
      all(key(*x) in seen for x in drops))

# Wire packets: lengths as on the wire, the snap length kept, IP checksums right.
check(f"{name}: IP length = packet length, at most an MTU",
      all(f[5] and int(f[5]) == int(f[3]) <= 1500 for f in frames))
check(f"{name}: captured bytes = min(length, {snaplen})",
      all(int(f[4]) == min(int(f[3]), snaplen) for f in frames))
check(f"{name}: full-sized packets were captured", any(int(f[3]) == 1500 for f in frames))
check(f"{name}: every IP header checksum is good", all(f[6] == "1" for f in frames),
      sum(f[6] != "1" for f in frames))
dur = float(meta(out)["duration_s"])
check(f"{name}: times are the run's (t0 .. end)",
      all(-0.2 <= float(f[1]) - t0 <= dur + 5 for f in frames))

# Retransmissions: tshark's against the kernel's (sender rows of events/retrans.csv). A row
# of `segs` segments from `seq` is that many wire packets from seq on. Tolerance: the same raw
# sequence numbers, and a time within 10 ms: the emulator stamps a packet when it reads it
# from the device, after the kernel's RETRANS_CB (up to 3 ms later seen on a busy 2-vCPU VM);
# 10 ms is half the path's RTT, so the original transmission, a round trip or more earlier,
# is not taken for it. tshark flags a resent segment as a retransmission, or as out-of-order
# when it comes within the handshake's RTT of the flow's newest segment and is not the one
# the duplicate ACKs ask for (with SACK, Linux also resends later holes): both count as
# found; at least a third must be called retransmissions.
TOL_S = 0.010
by_seq = {}
for f in frames:
    if f[8] and f[9] != "0":
        by_seq.setdefault(int(f[8]), []).append((int(f[0]), float(f[1]) - t0, int(f[9])))
ev = [r for r in rows(out, "events/retrans.csv") if r["side"] == "sender"]
found = as_retrans = 0
covered = set()
for r in ev:
    t, seq = float(r["t_s"]), int(r["seq"])
    first = [(n, ln) for n, tf, ln in by_seq.get(seq, []) if abs(tf - t) <= TOL_S]
    found += any(n in flagged or n in ooo for n, _ in first)
    as_retrans += any(n in flagged for n, _ in first)
    for n, ln in first[:1]:
        for k in range(int(r["segs"])):
            covered |= {m for m, tf, _ in by_seq.get((seq + k * ln) % 2**32, [])
                        if abs(tf - t) <= TOL_S}
check(f"{name}: retransmissions happened", len(ev) > 0, len(ev))
check(f"{name}: every retrans.csv row is a frame tshark flags, same seq, within 10 ms",
      found == len(ev), f"{found} of {len(ev)}")
check(f"{name}: tshark calls a third or more retransmissions", 3 * as_retrans >= len(ev),
      f"{as_retrans} of {len(ev)}")
extra = flagged - covered
check(f"{name}: every frame tshark flags as a retransmission is in retrans.csv",
      not extra, f"{len(extra)} not: frames {sorted(extra)[:5]}")
done()
PY
}

link='rate_mbit = 20.0; delay_ms = 10.0; loss = 0.02; queue_pkts = 100;'
flows='{ name = "bulk"; cc = "cubic"; count = 2; }'
run_link full tun "$link capture = \"full\";" "$flows" 4.0 5
check "full: tshark reads the capture and it matches the run" verify full 65535
run_link headers tun "$link capture = \"headers\";" "$flows" 3.0 6
check "headers: tshark reads the capture and it matches the run" verify headers 128

if [ "$fail" = 0 ]; then
	rm -rf "$tmp"
else
	echo "results kept in $tmp" >&2
fi
exit "$fail"
