#!/usr/bin/env bash
# Client and server through the fault proxy (examples/faultproxy), on
# loopback, with ephemeral ports:
#
# 1. 50 ms ± 10 ms of latency each way: `loadgen` over one connection with 1
#    request in flight (the Go client's one-at-a-time use) and with 256; the
#    throughput of each and the ratio, what multiplexing buys.
# 2. The same latency plus faults (resets, stalls longer than the request
#    timeout, connections closed at random): errors are expected and
#    reported; what must hold is that every call ends in one outcome, by its
#    deadline (no `unfinished`, slowest outcome <= timeout + slack).
#
# Prints a Markdown table (one row per run), the ratio, and an example of
# each kind of error; loadgen's JSON lines go to stderr.
#
#   scripts/faults.sh [seconds per run]     # default: 5
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
timeout_ms=1000 # request timeout of the fault runs
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
build_examples server loadgen faultproxy

must_start server "$bin/server" --addr 127.0.0.1:0
server=$addr
latency=latency=50ms,jitter=10ms

# One run: a proxy with these faults, loadgen through it, then the proxy's
# counts. Prints the table row.
run() { # name inflight request_timeout_ms proxy-flags...
    local name=$1 inflight=$2 deadline=$3
    shift 3
    must_start "proxy-$name" "$bin/faultproxy" --upstream "$server" "$@"
    local proxy=$pid
    local out
    # loadgen exits 1 when any call failed: expected under faults.
    out=$(timeout $((secs + 30)) "$bin/loadgen" --addr "$addr" --conns 1 \
        --inflight "$inflight" --duration "${secs}s" --timeout "${deadline}ms" \
        2>"$tmp/loadgen-$name.err" | tail -n 1) || true
    kill -TERM "$proxy"
    wait "$proxy" 2>/dev/null || true
    echo "$out" >&2
    sed -n "s/^loadgen: /$name: /p" "$tmp/loadgen-$name.err" >>"$tmp/samples"
    python3 - "$name" "$*" "$deadline" "$out" "$(tail -n 1 "$tmp/proxy-$name.err")" <<'PY'
import json, re, sys
name, flags, deadline_ms, out, counts = sys.argv[1:6]
if not out:
    print(f"| {name} | `{flags}` | loadgen printed nothing (see its stderr) |")
    sys.exit(0)
r = json.loads(out)
c = dict((k, int(v)) for k, v in re.findall(r"(\w+): (\d+)", counts))
kinds = ", ".join(f"{k} {n}" for k, n in r["errors_by_kind"].items()) or "-"
slowest_ms = max(r["max_us"], r["error_max_us"]) / 1e3
# An outcome by its deadline: timers fire a little late on a busy machine.
in_time = "yes" if slowest_ms <= int(deadline_ms) + 250 else "NO"
unfinished = r["errors_by_kind"].get("unfinished", 0)
print(f"| {name} | `{flags}` | {r['inflight']} | {r['sent']} | {r['ok']} | {kinds} "
      f"| {r['rps']:.0f} | {r['p50_us'] / 1e3:.1f} | {r['p99_us'] / 1e3:.1f} "
      f"| {slowest_ms:.0f} / {deadline_ms} | {unfinished} | {in_time} "
      f"| {c.get('accepted', 0)} / {c.get('resets', 0)} / {c.get('dropped', 0)} |")
PY
}

echo "| run | proxy flags | in flight | sent | ok | errors by kind | ok/s | p50 ms | p99 ms | slowest outcome / timeout ms | unfinished | by deadline | conns / resets / drops |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# (Run in this shell, not in $(...), so that the trap knows every process.)
run latency-1 1 2000 --both "$latency" >"$tmp/one"
run latency-256 256 2000 --both "$latency" >"$tmp/many"
cat "$tmp/one" "$tmp/many"
run resets 256 "$timeout_ms" --both "$latency" --up reset-after=200000
run stalls 256 "$timeout_ms" --both "$latency,stall=1500ms/4s"
run drops 256 "$timeout_ms" --both "$latency" --close-within 2s
rps() { echo "$1" | awk -F'|' '{gsub(/ /, "", $8); print $8}'; }
python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); \
print(f'\n256 in flight / 1 in flight over one connection at 50 ms ± 10 ms each way: {b / a:.1f}x')" \
    "$(rps "$(cat "$tmp/one")")" "$(rps "$(cat "$tmp/many")")"
if [ -s "$tmp/samples" ]; then
    echo
    echo "Errors, one example of each kind:"
    sed 's/^/    /' "$tmp/samples"
fi
