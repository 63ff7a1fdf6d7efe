#!/usr/bin/env python3
"""Sends a known byte stream through the link and checks it arrives whole: the emulator
splits and joins TCP super-packets and nobody verifies the checksums it leaves to finish.
  integrity.py server PORT           prints "received N sha256 H" after one connection
  integrity.py client HOST PORT MB   prints "sent N sha256 H"
"""
import hashlib
import random
import socket
import sys


def server(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(1)
        conn, _ = s.accept()
        h, n = hashlib.sha256(), 0
        with conn:
            while True:
                b = conn.recv(1 << 16)
                if not b:
                    break
                h.update(b)
                n += len(b)
        print(f"received {n} sha256 {h.hexdigest()}", flush=True)


def client(host, port, mb):
    rng = random.Random(20261125)
    h, n = hashlib.sha256(), 0
    with socket.create_connection((host, port)) as s:
        for _ in range(mb * 16):
            b = rng.randbytes(1 << 16)
            s.sendall(b)
            h.update(b)
            n += len(b)
    print(f"sent {n} sha256 {h.hexdigest()}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "server":
        server(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
