#!/usr/bin/env python3
"""RSS per idle connection of a running server.

Opens N connections to 127.0.0.1:PORT (optionally sending one request on
each and reading its answer), waits two seconds, and prints the growth of the
server's VmRSS per connection as JSON.

    cargo run --release --example server -- --addr 127.0.0.1:3900 &
    scripts/idle-rss.py $(pgrep -f 'examples/server') 3900 5000 request   # or: connect
"""
import json
import socket
import sys
import time

pid, port, n, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


before = rss_kib()
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
if mode == "request":
    for i, s in enumerate(socks):
        s.sendall(json.dumps({"Uid": f"u{i}", "Val": "x" * 100}).encode())
    for s in socks:
        buf = b""
        while not buf.endswith(b"\n"):
            buf += s.recv(4096)
time.sleep(2.0)  # idle connections release their buffers after 1 s
after = rss_kib()
print(json.dumps({"mode": mode, "conns": n, "rss_before_kib": before, "rss_after_kib": after,
                  "bytes_per_conn": round((after - before) * 1024 / n)}))
