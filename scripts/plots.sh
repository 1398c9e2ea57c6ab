#!/usr/bin/env bash
# Draws the charts of PERFORMANCE.md: one `loadgen --sweep` over the jsonmux
# server on each of its engines (jsonmux's own, tokio-tower's
# multiplex::Server), the hand-written baseline server
# (examples/baseline_server.rs) and the Go server (interop/), at 1 to 256
# requests in flight over one connection, each point for a few seconds.
# Writes DIR/throughput-latency.svg and DIR/latency-histogram.svg, prints
# loadgen's JSON line for each point and, last, the loadgen command it ran,
# to quote under the pictures.
#
#   scripts/plots.sh [DIR]                     # default: docs/perf
#   SECS=5 scripts/plots.sh                    # seconds per point (default: 2)
#   DEPTHS=1,8,64,512 scripts/plots.sh         # in-flight depths (default: 1,4,16,64,256)
#   LOADGEN_FLAGS="--client raw" scripts/plots.sh   # more loadgen flags
#
# The Go server is built into target/interop-go as scripts/compare-servers.sh
# builds it, and left out, with a message, when `go` is not installed
# (apt-get install -y golang-go).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-docs/perf}
secs=${SECS:-2}
depths=${DEPTHS:-1,4,16,64,256}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
build_examples server baseline_server loadgen

# The servers, each on a port of its own, and loadgen's --target for each.
targets=()
must_start jsonmux "$bin/server" --addr 127.0.0.1:0
targets+=(--target "jsonmux=$addr")
must_start tokio-tower "$bin/server" --addr 127.0.0.1:0 --engine tokio-tower
targets+=(--target "tokio-tower=$addr")
must_start baseline "$bin/baseline_server" --addr 127.0.0.1:0
targets+=(--target "baseline=$addr")
if command -v go >/dev/null; then
    gobin=target/interop-go
    (cd interop && GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 go build -o "../$gobin/" ./go-server)
    must_start go "$gobin/go-server" -addr 127.0.0.1:0 -quiet
    targets+=(--target "go=$addr")
else
    echo "$me: go is not installed: the Go server is left out (apt-get install -y golang-go)" >&2
fi

# shellcheck disable=SC2206 # LOADGEN_FLAGS is a list of flags
cmd=("$bin/loadgen" --sweep "$depths" --duration "${secs}s" ${LOADGEN_FLAGS:-}
    "${targets[@]}" --svg "$dir")
# loadgen exits 1 when a point had errors; its JSON lines tell which.
status=0
"${cmd[@]}" || status=$?
echo
echo "The charts in $dir were drawn by:"
echo "    ${cmd[*]}"
exit "$status"
