#!/usr/bin/env bash
# Runs the same load against the Go server and the jsonmux server on
# each of its engines (jsonmux's own, tokio-tower's multiplex::Server),
# alternately, and reports throughput and server CPU time per request
# (utime + stime from /proc/PID/stat, before and after each run): one JSON
# line per run, then each server's range and median over the rounds, and
# its ratios to jsonmux's engine taken round by round.
#
#   scripts/compare-servers.sh [rounds] [loadgen flags...]
#   e.g. scripts/compare-servers.sh 3 --conns 4 --inflight 256 --duration 3s --client raw
#   GOLOAD=1 scripts/compare-servers.sh 3    # load from scripts/goload instead: Go, one
#                                            # write per request, 4 conns x 64 in flight
#   GOLOAD=pipelined scripts/compare-servers.sh 3   # the same Go load generator, batched
#                                            # writes and byte-scan checks (cheaper per request)
#   GOLOAD=pipelined GOLOAD_CONNS=16 GOLOAD_INFLIGHT=16 scripts/compare-servers.sh 3
#                                            # the Go load with other shapes (default 4 x 64, 3s;
#                                            # GOLOAD_DURATION too)
#
#   BASELINE=1 scripts/compare-servers.sh 3 # also the hand-written tokio server
#                                            # (examples/baseline_server.rs), for calibration
#   BEFORE=/tmp/old scripts/compare-servers.sh 3   # also another build's server
#                                            # (/tmp/old/server), as jsonmux-before
#   SERVERS="jsonmux baseline" scripts/compare-servers.sh 3   # only these, of go, jsonmux,
#                                            # tokio-tower, baseline (default: the first three)
#
#   SERVER_FLAGS="--busy-poll-us 50" scripts/compare-servers.sh 3   # flags for the jsonmux servers
#   BUSY_POLL_US=50 scripts/compare-servers.sh 3   # also jsonmux with --busy-poll-us 50
#   SYSCALLS=1 scripts/compare-servers.sh 3  # also the server's reads, writes, polls, futex
#                                            # calls and context switches per request (perf stat
#                                            # on its syscall tracepoints; needs perf)
#
# Needs Go (apt-get install -y golang-go): builds interop/go-server into target/interop-go.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
flags=("$@"); [ ${#flags[@]} -gt 0 ] || flags=(--conns 4 --inflight 256 --duration 3s --client raw)
gobin=target/interop-go
(cd interop && GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 go build -o "../$gobin/" ./go-server)
cargo build --release --example server --example baseline_server --example loadgen >/dev/null 2>&1
load=(./target/release/examples/loadgen "${flags[@]}")
if [ -n "${GOLOAD:-}" ]; then
    (cd scripts/goload && GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "${TMPDIR:-/tmp}/jsonmux-goload" .)
    mode=go-client; [ "$GOLOAD" != pipelined ] || mode=pipelined
    load=("${TMPDIR:-/tmp}/jsonmux-goload" -mode "$mode" -conns "${GOLOAD_CONNS:-4}"
        -inflight "${GOLOAD_INFLIGHT:-64}" -duration "${GOLOAD_DURATION:-3s}")
fi
tick=$(getconf CLK_TCK)
results=$(mktemp); trap 'rm -f "$results"' EXIT

syscall_events=$(printf 'syscalls:sys_enter_%s,' read recvfrom write writev sendto epoll_wait epoll_pwait futex)context-switches

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # name port cmd...
    local name=$1 port=$2; shift 2
    "$@" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
    local counts=/dev/null perf_pid=
    if [ -n "${SYSCALLS:-}" ]; then
        counts=$(mktemp)
        perf stat -x, -o "$counts" -p $pid -e "$syscall_events" &
        perf_pid=$!
    fi
    local before; before=$(cpu_ticks $pid)
    local out; out=$("${load[@]}" --addr "127.0.0.1:$port" 2>/dev/null)
    local after; after=$(cpu_ticks $pid)
    [ -z "$perf_pid" ] || { kill -INT $perf_pid; wait $perf_pid 2>/dev/null || true; }
    kill -TERM $pid; wait $pid 2>/dev/null || true
    python3 - "$name" "$out" "$before" "$after" "$tick" "$counts" <<'PY'
import json, sys
name, out, before, after, tick = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu_s = (after - before) / tick
row = {"server": name, "rps": round(out["rps"]), "ok": out["ok"], "errors": out["errors"],
       "p50_us": out.get("p50_us"), "p99_us": out.get("p99_us"), "server_cpu_s": cpu_s,
       "cpu_us_per_req": round(cpu_s * 1e6 / max(out["ok"], 1), 2)}
# Go and tokio make different calls for the same thing: count them together.
kinds = {"read": "reads", "recvfrom": "reads", "write": "writes", "writev": "writes", "sendto": "writes",
         "epoll_wait": "polls", "epoll_pwait": "polls", "futex": "futex",
         "context-switches": "switches"}
counts = {}
for line in open(sys.argv[6]):
    fields = line.strip().split(",")
    if len(fields) > 2 and fields[0].isdigit():
        kind = kinds[fields[2].split(":")[-1].removeprefix("sys_enter_")]
        counts[kind] = counts.get(kind, 0) + int(fields[0])
for kind, n in counts.items():
    row[kind + "_per_req"] = round(n / max(out["ok"], 1), 3)
print(json.dumps(row))
PY
    [ "$counts" = /dev/null ] || rm -f "$counts"
}

servers=" ${SERVERS:-go jsonmux tokio-tower} "
[ -z "${BASELINE:-}" ] || servers+="baseline "
wanted() { [[ $servers == *" $1 "* ]]; }

for _ in $(seq "$rounds"); do
    ! wanted go || run go 3801 "$gobin/go-server" -addr 127.0.0.1:3801 -quiet
    # shellcheck disable=SC2086 # SERVER_FLAGS is a list of flags
    ! wanted jsonmux || run jsonmux 3802 ./target/release/examples/server --addr 127.0.0.1:3802 ${SERVER_FLAGS:-}
    # shellcheck disable=SC2086
    [ -z "${BEFORE:-}" ] || run jsonmux-before 3806 "$BEFORE/server" --addr 127.0.0.1:3806 ${SERVER_FLAGS:-}
    # shellcheck disable=SC2086
    ! wanted tokio-tower || run tokio-tower 3805 ./target/release/examples/server --addr 127.0.0.1:3805 \
        --engine tokio-tower ${SERVER_FLAGS:-}
    [ -z "${BUSY_POLL_US:-}" ] || run jsonmux-busy-poll 3804 ./target/release/examples/server \
        --addr 127.0.0.1:3804 --busy-poll-us "$BUSY_POLL_US"
    ! wanted baseline || run baseline 3803 ./target/release/examples/baseline_server --addr 127.0.0.1:3803
done | tee -a "$results"

python3 - "$results" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r["server"], []).append(r)
def spread(xs, fmt):
    return f"{fmt.format(min(xs))}-{fmt.format(max(xs))} (median {fmt.format(statistics.median(xs))})"
# Ratios to jsonmux are taken round by round (the runs of a round are back to back).
ref = runs.get("jsonmux")
for name, rs in runs.items():
    line = (f"{name:17} requests/s {spread([r['rps'] for r in rs], '{:.0f}'):32}"
            f"  CPU/request {spread([r['cpu_us_per_req'] for r in rs], '{:.2f}')} us"
            f"  errors {sum(r['errors'] for r in rs)}")
    per_req = sorted(k for k in rs[0] if k.endswith("_per_req") and k != "cpu_us_per_req")
    if per_req:
        line += "  per request: " + ", ".join(
            f"{k.removesuffix('_per_req')} {statistics.median(r[k] for r in rs):.2f}" for k in per_req)
    if ref and name != "jsonmux":
        tput = [r["rps"] / j["rps"] for r, j in zip(rs, ref)]
        cpu = [r["cpu_us_per_req"] / j["cpu_us_per_req"] for r, j in zip(rs, ref)]
        line += f"  vs jsonmux: requests/s {spread(tput, '{:.2f}')}x, CPU {spread(cpu, '{:.2f}')}x"
    print(line)
PY
