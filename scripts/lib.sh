# shellcheck shell=bash
# What the scripts that run the examples share: a scratch directory, the
# processes they start (stopped on exit, Ctrl-C included), the release
# build of the examples, and starting a program that prints
# `listening on <addr>`.
#
# Sourced from the repository's root, after `set -euo pipefail`:
#
#   cd "$(dirname "$0")/.."
#   . scripts/lib.sh
#   build_examples server loadgen
#   must_start server "$bin/server" --addr 127.0.0.1:0   # sets $addr and $pid

# (The variables below are the sourcing script's to use.)
# shellcheck disable=SC2034

# Scratch space, removed on exit.
tmp=$(mktemp -d)
# Every process started in the background; `cleanup` stops them.
pids=()
# Where `build_examples` puts the binaries.
bin=./target/release/examples
# The script's name, for its messages.
me=${0##*/}

# Stops every process in $pids (a frozen one is resumed first, so that it
# can take the signal), waits for them and removes $tmp.
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -CONT "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# Builds the named examples (release); on failure shows the log and exits.
build_examples() { # example...
    local args=() example
    for example in "$@"; do args+=(--example "$example"); done
    if ! cargo build --release "${args[@]}" >"$tmp/build.log" 2>&1; then
        cat "$tmp/build.log" >&2
        exit 1
    fi
}

# Starts `cmd...` in the background, its output in $tmp/<name>.out and
# .err, and waits for it to print `listening on <addr>`; sets $addr and
# $pid, and adds $pid to $pids. Returns 1 if it exits first (its port
# still taken, say); exits the script if it is still silent after 10 s.
start_listening() { # name cmd...
    local name=$1
    shift
    : >"$tmp/$name.out"
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    pids+=("$pid")
    local _
    for _ in $(seq 1000); do
        addr=$(sed -n 's/^listening on //p' "$tmp/$name.out")
        [ -z "$addr" ] || return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.01
    done
    echo "$me: $name is not listening after 10 s:" >&2
    cat "$tmp/$name.err" >&2
    exit 1
}

# Starts the `server` example as `name` on `addr` (port 0: any free one);
# sets $addr and $pid. A server going away closes its listener a moment
# after SIGTERM, so a bind that fails is retried for up to 5 s.
start_server() { # name addr
    local name=$1 want=$2 n=0
    until start_listening "$name.$((n += 1))" "$bin/server" --addr "$want"; do
        if [ "$n" -ge 500 ]; then
            echo "$me: server $name did not start:" >&2
            cat "$tmp/$name.$n.err" >&2
            exit 1
        fi
        sleep 0.01
    done
}

# `start_listening`, exiting the script with the program's stderr if it
# does not start.
must_start() { # name cmd...
    if ! start_listening "$@"; then
        echo "$me: $1 did not start:" >&2
        cat "$tmp/$1.err" >&2
        exit 1
    fi
}
