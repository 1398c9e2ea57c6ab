#!/usr/bin/env python3
"""Pool of 3 vs 1 connection, measured in the same run.

Starts the `server` example once, then runs `loadgen --client pool` against
it in alternating rounds: 1 connection, 3 least-loaded (the default), 3
packed (`--pack-up-to 256`). Prints one JSON line per run with requests/s
and the CPU time per request of the client (loadgen) and of the server
(utime + stime from /proc/PID/stat, before and after), then the median of
each mode and its ratio to 1 connection.

    scripts/compare-pool.py [rounds] [--busy-us N] [--inflight N] [--duration 2s]

Build first: cargo build --release --examples
"""

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BIN = os.path.join(ROOT, "target", "release", "examples")
MODES = {
    "1 connection": ["--conns", "1"],
    "3, least-loaded": ["--conns", "3"],
    "3, pack_up_to(256)": ["--conns", "3", "--pack-up-to", "256"],
}


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_listening(addr, within=10.0):
    host, port = addr.rsplit(":", 1)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"server at {addr} did not come up")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rounds", nargs="?", type=int, default=5)
    p.add_argument("--busy-us", default="0")
    p.add_argument("--inflight", default="256")
    p.add_argument("--duration", default="2s")
    p.add_argument("--addr", default="127.0.0.1:3811")
    a = p.parse_args()

    server = subprocess.Popen(
        [f"{BIN}/server", "--addr", a.addr, "--busy-us", a.busy_us],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = {m: [] for m in MODES}
    try:
        wait_listening(a.addr)
        for _ in range(a.rounds):
            for mode, flags in MODES.items():
                cmd = [f"{BIN}/loadgen", "--addr", a.addr, "--client", "pool",
                       "--inflight", a.inflight, "--duration", a.duration, *flags]
                s0, c0 = cpu_s(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                s1, c1 = cpu_s(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                ok = max(r["ok"], 1)
                client = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
                line = {"pool": mode, "rps": round(r["rps"]), "errors": r["errors"],
                        "client_cpu_us_per_req": round(client * 1e6 / ok, 2),
                        "server_cpu_us_per_req": round((s1 - s0) * 1e6 / ok, 2)}
                results[mode].append(line)
                print(json.dumps(line), flush=True)
    finally:
        server.terminate()
        server.wait()

    one = statistics.median(x["rps"] for x in results["1 connection"])
    for mode, runs in results.items():
        med = lambda k: statistics.median(x[k] for x in runs)
        print(json.dumps({"pool": mode, "median_rps": round(med("rps")),
                          "vs_1_connection": round(med("rps") / one, 2),
                          "client_cpu_us_per_req": med("client_cpu_us_per_req"),
                          "server_cpu_us_per_req": med("server_cpu_us_per_req")}))


if __name__ == "__main__":
    main()
