#!/usr/bin/env bash
# Latency at 1 in flight with and without busy polling, on each side:
# `loadgen --client stack` (with and without --busy-poll-us) against two
# `server`s started side by side (with and without --busy-poll-us), one
# after another in each round. Prints one JSON line per run.
#
#   scripts/compare-busy-poll.sh [rounds] [window_us]    # default: 3 rounds, 50 us
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; window=${2:-50}
cargo build --release --example server --example loadgen >/dev/null 2>&1
bin=./target/release/examples
"$bin/server" --addr 127.0.0.1:3871 >/dev/null 2>&1 & plain=$!
"$bin/server" --addr 127.0.0.1:3872 --busy-poll-us "$window" >/dev/null 2>&1 & polling=$!
trap 'kill $plain $polling 2>/dev/null || true' EXIT
for port in 3871 3872; do
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
done

run() { # client_window server_port server_window
    local out
    out=$("$bin/loadgen" --client stack --conns 1 --inflight 1 --duration 2s \
        --busy-poll-us "$1" --addr "127.0.0.1:$2" 2>/dev/null)
    python3 - "$1" "$3" "$out" <<'PY'
import json, sys
c, s, out = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
print(json.dumps({"client_busy_poll_us": int(c), "server_busy_poll_us": int(s),
                  "rps": round(out["rps"]), "errors": out["errors"],
                  "p50_us": out["p50_us"], "p99_us": out["p99_us"]}))
PY
}

for _ in $(seq "$rounds"); do
    run 0 3871 0
    run 0 3872 "$window"
    run "$window" 3871 0
    run "$window" 3872 "$window"
done
