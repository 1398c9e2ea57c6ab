#!/usr/bin/env bash
# One slow replica of three: does the default client keep its tail and its
# throughput when one server is slow for everybody?
#
# Three `server` processes (the release example) on loopback, and
# `loadgen --client pool --conns 3 --inflight 64` over them: first all
# healthy, then with the third replaced by one that burns 300 µs of CPU
# per request (`server --busy-us 300`). The same with hedging on
# (`--hedge p95`), and with a second client at the same time that loads
# only the third server (16 calls in flight), so that it is slow for
# everybody while the first client sends it little: the first client's
# view of it comes from the server's own word on its answers.
#
# Prints a Markdown table (throughput, p50, p99, errors, retries, hedges,
# and each run's ratio to the healthy run of its kind) and exits 1 if a
# slow run's p99 is above 1.5x its healthy run's or its throughput below
# 0.8x.
#
#   scripts/slow-replica.sh [seconds]            # default: 5 s a run
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
build_examples server loadgen

must_start h1 "$bin/server" --addr 127.0.0.1:0
h1=$addr
must_start h2 "$bin/server" --addr 127.0.0.1:0
h2=$addr
must_start h3 "$bin/server" --addr 127.0.0.1:0
h3=$addr
must_start slow "$bin/server" --addr 127.0.0.1:0 --busy-us 300
slow=$addr

load() { # out addrs extra-args...
    local out=$1 addrs=$2
    shift 2
    "$bin/loadgen" --client pool --conns 3 --inflight 64 --addr "$addrs" \
        --duration "${secs}s" "$@" 2>/dev/null | tail -1 >"$tmp/$out.json" || true
}
# The first client, and a second one that loads only the third server.
shared() { # out addrs third extra-args...
    local out=$1 addrs=$2 third=$3
    shift 3
    "$bin/loadgen" --client pool --conns 1 --inflight 16 --addr "$third" \
        --duration "${secs}s" >/dev/null 2>&1 &
    local other=$!
    load "$out" "$addrs" "$@"
    wait "$other" || true
}

load healthy "$h1,$h2,$h3"
load slow "$h1,$h2,$slow"
load healthy-hedged "$h1,$h2,$h3" --hedge p95
load slow-hedged "$h1,$h2,$slow" --hedge p95
shared healthy-shared "$h1,$h2,$h3" "$h3"
shared slow-shared "$h1,$h2,$slow" "$slow"

python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
def run(name):
    with open(f"{tmp}/{name}.json") as f:
        return json.load(f)
print("| run | rps | p50 µs | p99 µs | errors | retries | hedges (won) | p99 / healthy | rps / healthy |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
missed = []
for kind in ["", "-hedged", "-shared"]:
    base = run("healthy" + kind)
    for name in ["healthy" + kind, "slow" + kind]:
        r = run(name)
        p99 = r["p99_us"] / base["p99_us"]
        rps = r["rps"] / base["rps"]
        print(f"| {name} | {r['rps']:.0f} | {r['p50_us']} | {r['p99_us']} | {r['errors']} "
              f"| {r.get('retries', 0)} | {r.get('hedges', 0)} ({r.get('hedges_won', 0)}) "
              f"| {p99:.2f} | {rps:.2f} |")
        if name.startswith("slow") and (p99 > 1.5 or rps < 0.8 or r["errors"] > 0):
            missed.append(name)
if missed:
    print(f"\nmissed: {', '.join(missed)} (goal: p99 at most 1.5x, throughput at least 0.8x, no errors)")
    sys.exit(1)
PY
