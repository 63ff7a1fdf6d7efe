#!/usr/bin/env python3
"""Writes the GSO fuzz target's seed corpus (corpus/gso): TSO super-packets as the kernel hands
them to a TUN device; and regressions/gso: the inputs that crashed it once. Each file: the
virtio-net header's fields (flags, gso_type, hdr_len, gso_size, csum_start, csum_offset;
little-endian 16-bit), one loss-pattern byte (bit i % 8 drops packet i of the split before the
join), then the IP packet."""
import os
import struct
import sys

NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_TCPV6, GSO_ECN = 0, 1, 4, 0x80


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def words(b):
    if len(b) % 2:
        b += b"\0"
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def super_packet(version, payload_len, flags, ip_options=b"", tcp_options=12):
    payload = bytes((i * 7 + i // 251) & 0xFF for i in range(payload_len))
    tcp_len = 20 + tcp_options + payload_len
    tcp = struct.pack("!HHIIBBHHH", 50000, 5201, 0xFFFFF000, 1, (5 + tcp_options // 4) << 4,
                      flags, 502, 0, 0) + bytes(range(0x20, 0x20 + tcp_options))
    if version == 4:
        ihl = 5 + len(ip_options) // 4
        src, dst = bytes([198, 18, 0, 1]), bytes([198, 19, 0, 1])
        ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + tcp_len, 0xFFFE, 0x4000, 64,
                         6, 0, src, dst) + ip_options
        ip = ip[:10] + struct.pack("!H", 0xFFFF & ~fold(words(ip))) + ip[12:]
        pseudo = words(src + dst) + 6 + tcp_len
    else:
        src = bytes([0x20] + [0] * 14 + [1])
        dst = bytes([0x20] + [0] * 14 + [2])
        ip = struct.pack("!IHBB16s16s", 0x60000000, tcp_len, 6, 64, src, dst)
        pseudo = words(src + dst) + 6 + tcp_len
    # The checksum left to finish: the pseudo-header's sum, folded, not inverted.
    tcp = tcp[:16] + struct.pack("!H", fold(pseudo)) + tcp[18:]
    return ip + tcp + payload, len(ip), len(ip) + 20 + tcp_options


def seed(pkt, ip_len, hdr_len, gso_type, gso_size, loss=0, flags=NEEDS_CSUM):
    vh = struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, ip_len, 16)
    return vh + bytes([loss]) + pkt


def write(out, cases):
    os.makedirs(out, exist_ok=True)
    for name, data in cases.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main(top):
    cases = {}
    for v, t in ((4, GSO_TCPV4), (6, GSO_TCPV6)):
        pkt, ip_len, hdr = super_packet(v, 3500, 0x80 | 0x10 | 0x08 | 0x01)
        cases["v%d-3500-mss1000" % v] = seed(pkt, ip_len, hdr, t | GSO_ECN, 1000)
        cases["v%d-3500-mss1000-loss" % v] = seed(pkt, ip_len, hdr, t, 1000, loss=0x04)
        pkt, ip_len, hdr = super_packet(v, 1448 * 6, 0x10)
        cases["v%d-6x1448" % v] = seed(pkt, ip_len, hdr, t, 1448, loss=0x20)
    pkt, ip_len, hdr = super_packet(4, 66 * 10 + 3, 0x18, ip_options=b"\x01\x01\x01\x00")
    cases["v4-options-67-segments"] = seed(pkt, ip_len, hdr, GSO_TCPV4, 10)
    pkt, ip_len, hdr = super_packet(4, 0, 0x10)
    cases["v4-ack-alone"] = seed(pkt, ip_len, hdr, GSO_NONE, 0)
    pkt, ip_len, hdr = super_packet(4, 1200, 0x10, tcp_options=0)
    cases["v4-one-segment"] = seed(pkt, ip_len, hdr, GSO_TCPV4, 1448)
    write(os.path.join(top, "corpus", "gso"), cases)
    # A TUN device with a 9000-byte MTU: gso_size 8948 overflowed the emulator's 2 KB
    # scratch buffer (issue 9); now refused whole.
    pkt, ip_len, hdr = super_packet(4, 8948 + 1000, 0x10)
    write(os.path.join(top, "regressions", "gso"),
          {"mtu9000-gso8948": seed(pkt, ip_len, hdr, GSO_TCPV4, 8948)})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
