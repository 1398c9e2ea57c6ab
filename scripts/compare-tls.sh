#!/usr/bin/env bash
# Plain TCP, a Unix socket, TLS and mutual TLS side by side, alternating in
# each round: throughput and server CPU per request at 256 in flight
# (`loadgen --client stack --conns 4`), then the rate of new connections,
# each with its handshake and one call (`loadgen --client dial`), with the
# server's CPU per connection. Server CPU is utime + stime from
# /proc/PID/stat before and after each run. Prints one JSON line per run.
#
#   scripts/compare-tls.sh [rounds]      # default: 3
#
# Certificates are made for the run (examples/certs.rs) in a temporary
# directory and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cargo build --release --features tls --example server --example loadgen --example certs >/dev/null 2>&1
bin=./target/release/examples
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin/certs" --out "$dir" >/dev/null
tick=$(getconf CLK_TCK)
tls_server=(--tls-cert "$dir/server.pem" --tls-key "$dir/server.key")
tls_client=(--tls-ca "$dir/ca.pem")
mtls_client=(--tls-ca "$dir/ca.pem" --tls-cert "$dir/client.pem" --tls-key "$dir/client.key")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run LOAD TRANSPORT ADDR "SERVER FLAGS" "CLIENT FLAGS" LOADGEN_FLAGS...
run() {
    local load=$1 transport=$2 addr=$3 server_flags=$4 client_flags=$5; shift 5
    # shellcheck disable=SC2086 # the flags are lists
    "$bin/server" --addr "$addr" $server_flags >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do
        "$bin/loadgen" --addr "$addr" $client_flags --inflight 1 --duration 10ms >/dev/null 2>&1 && break
        sleep 0.05
    done
    local before; before=$(cpu_ticks $pid)
    local out; out=$("$bin/loadgen" --addr "$addr" $client_flags "$@" 2>/dev/null || true)
    local after; after=$(cpu_ticks $pid)
    kill -TERM $pid; wait $pid 2>/dev/null || true
    python3 - "$load" "$transport" "$out" "$before" "$after" "$tick" <<'PY'
import json, sys
load, transport, out = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
before, after, tick = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
cpu_s = (after - before) / tick
print(json.dumps({"load": load, "transport": transport, "rps": round(out["rps"]),
                  "ok": out["ok"], "errors": out["errors"], "p50_us": out["p50_us"],
                  "p99_us": out["p99_us"], "server_cpu_s": cpu_s,
                  "server_cpu_us_per_op": round(cpu_s * 1e6 / max(out["ok"], 1), 2)}))
PY
}

sock="$dir/jsonmux.sock"
throughput=(--client stack --conns 4 --inflight 256 --duration 3s)
dials=(--client dial --inflight 16 --duration 2s)
for _ in $(seq "$rounds"); do
    run inflight-256 tcp 127.0.0.1:3881 "" "" "${throughput[@]}"
    run inflight-256 unix "unix:$sock" "" "" "${throughput[@]}"
    run inflight-256 tls 127.0.0.1:3882 "${tls_server[*]}" "${tls_client[*]}" "${throughput[@]}"
    run inflight-256 mtls 127.0.0.1:3883 "${tls_server[*]} --client-ca $dir/ca.pem" \
        "${mtls_client[*]}" "${throughput[@]}"
done
for _ in $(seq "$rounds"); do
    run dial tcp 127.0.0.1:3884 "" "" "${dials[@]}"
    run dial tls 127.0.0.1:3885 "${tls_server[*]}" "${tls_client[*]}" "${dials[@]}"
    run dial mtls 127.0.0.1:3886 "${tls_server[*]} --client-ca $dir/ca.pem" \
        "${mtls_client[*]}" "${dials[@]}"
done
