#!/usr/bin/env python3
"""The client's engines, with and without a Buffer, measured in the same run.

Starts the `server` example (or uses `--addr` of a server already running,
e.g. the Go server), then runs `loadgen --client stack` against it in
alternating rounds, at each in-flight count: jsonmux's engine, tokio-tower's
(`--engine tokio-tower`), and each with `--buffer 1024`. Prints one JSON
line per run with requests/s, errors and the client's (loadgen's) CPU time
per request, then per in-flight count the median of each mode and its ratio
to jsonmux's engine.

    scripts/compare-client-engines.py [rounds] [--inflight 1,256] [--duration 3s] [--addr HOST:PORT]

Build first: cargo build --release --examples
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BIN = os.path.join(ROOT, "target", "release", "examples")
MODES = {
    "jsonmux": ["--engine", "jsonmux"],
    "tokio-tower": ["--engine", "tokio-tower"],
    "jsonmux + buffer": ["--engine", "jsonmux", "--buffer", "1024"],
    "tokio-tower + buffer": ["--engine", "tokio-tower", "--buffer", "1024"],
}


def start_server():
    server = subprocess.Popen(
        [f"{BIN}/server", "--addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = server.stdout.readline()
    if not line.startswith("listening on "):
        sys.exit(f"server said {line!r}")
    return server, line.split()[-1]


def run(addr, inflight, duration, flags):
    cmd = [f"{BIN}/loadgen", "--addr", addr, "--client", "stack",
           "--inflight", inflight, "--duration", duration, *flags]
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    client = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    return r["rps"], r["errors"], client / max(r["ok"], 1) * 1e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rounds", nargs="?", type=int, default=3)
    p.add_argument("--inflight", default="1,256")
    p.add_argument("--duration", default="3s")
    p.add_argument("--addr", help="a server already running (default: start the server example)")
    a = p.parse_args()

    server, addr = (None, a.addr) if a.addr else start_server()
    depths = a.inflight.split(",")
    results = {(d, m): [] for d in depths for m in MODES}
    try:
        for _ in range(a.rounds):
            for d in depths:
                for mode, flags in MODES.items():
                    rps, errors, cpu_us = run(addr, d, a.duration, flags)
                    results[(d, mode)].append((rps, cpu_us))
                    line = {"inflight": int(d), "client": mode, "rps": round(rps),
                            "errors": errors, "client_cpu_us_per_req": round(cpu_us, 2)}
                    print(json.dumps(line), flush=True)
    finally:
        if server:
            server.terminate()
            server.wait()
    print("\n| in flight | client | requests/s (median) | / jsonmux | client CPU µs/req | / jsonmux |")
    print("|---|---|---|---|---|---|")
    for d in depths:
        base = results[(d, "jsonmux")]
        base_rps = statistics.median(r for r, _ in base)
        base_cpu = statistics.median(c for _, c in base)
        for mode in MODES:
            rps = statistics.median(r for r, _ in results[(d, mode)])
            cpu = statistics.median(c for _, c in results[(d, mode)])
            print(f"| {d} | {mode} | {rps:,.0f} | {rps / base_rps:.2f} | {cpu:.1f} | {cpu / base_cpu:.2f} |")


if __name__ == "__main__":
    main()
