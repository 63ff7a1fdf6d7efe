#!/usr/bin/env python3
"""One bulk TCP connection, bracketed by the kernel's own TCP counters of the sender's network
namespace, so that a test can compare what ccexp saw with what the kernel counted.
The other end is integrity.py's server.
  netstat_flow.py client HOST PORT SECONDS [BURST_KB PAUSE_MS]
      sends for SECONDS (in bursts of BURST_KB with PAUSE_MS between them: each burst has a
      tail, for loss probes), waits until all is acknowledged, prints "counters start|end
      {json}" (TcpExt and Tcp RetransSegs) before and after
"""
import json
import socket
import struct
import sys
import time


def counters():
    out = {}
    for path in ("/proc/net/netstat", "/proc/net/snmp"):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[0::2], lines[1::2]):
            prefix, names = names.split(":", 1)
            values = values.split(":", 1)[1]
            for n, v in zip(names.split(), values.split()):
                out[f"{prefix}{n}"] = int(v)
    return out


TCP_FIN_WAIT2, TCP_TIME_WAIT = 5, 6


def client(host, port, seconds, burst_kb=0, pause_ms=0):
    print("counters start " + json.dumps(counters()), flush=True)
    block = bytes((burst_kb << 10) or (1 << 16))
    with socket.create_connection((host, port)) as s:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            s.sendall(block)
            time.sleep(pause_ms / 1e3)
        s.shutdown(socket.SHUT_WR)
        while s.recv(1 << 16):
            pass
        # Our FIN may still be in flight (or be retransmitted): the counters are read once
        # the kernel has nothing left unacknowledged.
        for _ in range(400):
            info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            state, unacked = info[0], struct.unpack_from("I", info, 24)[0]
            if state in (TCP_FIN_WAIT2, TCP_TIME_WAIT) and unacked == 0:
                break
            time.sleep(0.05)
        print("counters end " + json.dumps(counters()), flush=True)


if __name__ == "__main__":
    if len(sys.argv) in (5, 7) and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), *map(int, sys.argv[5:]))
    else:
        sys.exit(__doc__)
