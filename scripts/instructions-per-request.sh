#!/usr/bin/env bash
# Instructions per request of a build's server, or of its client, counted
# by valgrind's callgrind: deterministic where wall-clock time on these
# shared machines is not, so two builds can be compared on one change.
#
#   scripts/instructions-per-request.sh server DIR [LOADGEN_ARGS...]
#       DIR/server under callgrind, driven by DIR/loadgen (default
#       `--client raw --conns 1 --inflight 64`): counters zeroed after a
#       1 s warm-up, read after a 4 s run.
#   scripts/instructions-per-request.sh client DIR [LOADGEN_ARGS...]
#       DIR/loadgen under callgrind (default `--client pool --conns 1
#       --inflight 1`) against DIR/server: a 2 s and a 6 s run; the
#       difference divided by the difference in requests (start-up cancels).
#
# DIR holds release builds of the `server` and `loadgen` examples (e.g.
# target/release/examples). Prints `<instructions per request> <requests>`.
# Batching changes with timing under valgrind: compare builds run after
# run, alternating, and with the same arguments.
set -euo pipefail
what=$1 dir=$2
shift 2
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Starts `cmd...` (a server printing `listening on <addr>`); sets $addr, $pid.
start() {
    : >"$tmp/server.out"
    "$@" >"$tmp/server.out" 2>/dev/null &
    pid=$!
    for _ in $(seq 600); do
        addr=$(sed -n 's/^listening on //p' "$tmp/server.out")
        [ -n "$addr" ] && return 0
        sleep 0.05
    done
    echo "instructions-per-request.sh: the server did not start" >&2
    exit 1
}
ok() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["ok"])'; }
total() { sed -n 's/^summary: //p' "$1"; }

case $what in
server)
    [ $# -gt 0 ] || set -- --client raw --conns 1 --inflight 64
    start valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.%p" "$dir/server" --addr 127.0.0.1:0
    "$dir/loadgen" --addr "$addr" "$@" --duration 1s >/dev/null 2>&1 || true
    callgrind_control -z "$pid" >/dev/null 2>&1
    n=$("$dir/loadgen" --addr "$addr" "$@" --duration 4s 2>/dev/null | ok)
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 1
    ir=$(total "$(ls "$tmp"/cg.*.1)")
    ;;
client)
    [ $# -gt 0 ] || set -- --client pool --conns 1 --inflight 1
    start "$dir/server" --addr 127.0.0.1:0
    run() { # seconds loadgen-args... -> "instructions requests"
        local secs=$1 n
        shift
        n=$(valgrind --tool=callgrind --callgrind-out-file="$tmp/client.$secs" "$dir/loadgen" \
            --addr "$addr" "$@" --duration "${secs}s" 2>/dev/null | ok)
        echo "$(total "$tmp/client.$secs") $n"
    }
    read -r ir_a n_a <<<"$(run 2 "$@")"
    read -r ir_b n_b <<<"$(run 6 "$@")"
    ir=$((ir_b - ir_a)) n=$((n_b - n_a))
    ;;
*)
    echo "usage: $0 server|client DIR [LOADGEN_ARGS...]" >&2
    exit 2
    ;;
esac
echo "$((ir / n)) $n"
