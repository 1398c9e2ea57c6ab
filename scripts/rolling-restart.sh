#!/usr/bin/env bash
# A rolling restart under load, on loopback: two `server` processes (the
# release example) and `loadgen --client pool` over both; while the load
# runs, each server in turn gets SIGTERM (it drains: listener closed at
# once, going-away notice, calls in flight answered) and a new server is
# started on the same port, several times.
#
# What must hold: no call fails (errors 0, sent == ok) and no interval of
# the run has zero throughput.
#
# Prints a Markdown table of the restarts (when each began, how long the
# port was free, how long the old server took to drain, its exit status), the
# per-interval throughput, and loadgen's final JSON line; exits 1 if the
# target is missed.
#
#   scripts/rolling-restart.sh [restarts]     # default: 6, 2.5 s apart
set -euo pipefail
cd "$(dirname "$0")/.."
restarts=${1:-6}
every=2.5 # seconds between restarts
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
declare -A pid_of
build_examples server loadgen

start_server a 127.0.0.1:0
addr_a=$addr pid_of[a]=$pid
start_server b 127.0.0.1:0
addr_b=$addr pid_of[b]=$pid

"$bin/loadgen" --client pool --addr "$addr_a,$addr_b" --conns 3 --inflight 256 \
    --duration 20s --interval 1s >"$tmp/loadgen.out" 2>"$tmp/loadgen.err" &
loadgen=$!
pids+=("$loadgen")
# The load starts once every connection is up; restarts count from the
# first interval line.
until [ -s "$tmp/loadgen.out" ]; do
    kill -0 "$loadgen" 2>/dev/null || break
    sleep 0.01
done
t0=$(now)

rows=()
for i in $(seq "$restarts"); do
    sleep "$every"
    if [ $((i % 2)) -eq 1 ]; then name=a want=$addr_a; else name=b want=$addr_b; fi
    old=${pid_of[$name]}
    signalled=$(now)
    kill -TERM "$old"
    # Watch the old one drain on the side.
    (
        while kill -0 "$old" 2>/dev/null; do sleep 0.005; done
        now >"$tmp/exit.$old"
    ) &
    start_server "$name" "$want"
    pid_of[$name]=$pid
    up=$(now)
    rows+=("$i $name $old $signalled $up")
done

wait "$loadgen" || true
report=$(tail -n 1 "$tmp/loadgen.out")

echo "| # | server | SIGTERM at s | port free again after ms | old server drained in ms | old server exit |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
    read -r i name old signalled up <<<"$row"
    status=0
    wait "$old" || status=$?
    exited=$(cat "$tmp/exit.$old" 2>/dev/null || echo "$signalled")
    python3 - "$i" "$name" "$t0" "$signalled" "$up" "$exited" "$status" <<'PY'
import sys
i, name, t0, sig, up, exited, status = sys.argv[1:]
t0, sig, up, exited = map(float, (t0, sig, up, exited))
print(f"| {i} | {name} | {sig - t0 + 1:.1f} | {(up - sig) * 1e3:.0f} | {(exited - sig) * 1e3:.0f} | {status} |")
PY
done
echo
python3 - "$tmp/loadgen.out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
intervals, final = lines[:-1], lines[-1]
print("| second | ok | errors | ok/s |")
print("|---|---|---|---|")
for l in intervals:
    print(f"| {l['t_s']:.0f} | {l['ok']} | {l['errors']} | {l['rps']:.0f} |")
print()
slowest = min(l["ok"] for l in intervals)
print(f"sent {final['sent']}, ok {final['ok']}, errors {final['errors']} {final['errors_by_kind'] or ''}, "
      f"slowest second {slowest} ok, p50 {final['p50_us'] / 1000:.2f} ms, "
      f"p99 {final['p99_us'] / 1000:.2f} ms, max {final['max_us'] / 1000:.1f} ms")
PY
echo
echo "$report"
sed -n 's/^loadgen: /loadgen: /p' "$tmp/loadgen.err" >&2
python3 - "$tmp/loadgen.out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
intervals, final = lines[:-1], lines[-1]
ok = final["errors"] == 0 and final["sent"] == final["ok"] and all(l["ok"] > 0 for l in intervals)
print("target met: 0 errors, sent == ok, no interval at 0" if ok else "TARGET MISSED", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
