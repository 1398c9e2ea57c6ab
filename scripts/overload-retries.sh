#!/usr/bin/env bash
# Calls a server answers without running them, and the client's retries:
# are they sent again where there is room, and within the budget?
#
# Two `server` processes (the release example) on loopback whose handler
# waits 1 ms per request (`--wait-us 1000`, so calls pile up), and
# `loadgen --client pool` over both, retrying nothing itself (the client's
# own retries, on by default, are the only ones):
#
#   burst   one server takes 32 calls at once (`--max-concurrent 32`,
#           shedding the rest), the other has room; 64 calls in flight,
#           twice the first one's cap. Goal: 0 errors, every shed call
#           answered by the other server, retries within the budget.
#   storm   both servers take 16 at once; 256 calls in flight, eight times
#           what they hold together: most calls are shed. Goal: retries
#           (counted by the client) at most a fifth of the calls sent plus
#           10 a second, whatever the load.
#
# Each runs with the client's retries on, then off (`--retries off`), for
# comparison. Prints a Markdown table and exits 1 if a goal is missed.
#
#   scripts/overload-retries.sh [seconds]        # default: 5 s a run
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
build_examples server loadgen

must_start capped "$bin/server" --addr 127.0.0.1:0 --wait-us 1000 --max-concurrent 32
capped=$addr
must_start roomy "$bin/server" --addr 127.0.0.1:0 --wait-us 1000
roomy=$addr
must_start tight1 "$bin/server" --addr 127.0.0.1:0 --wait-us 1000 --max-concurrent 16
tight1=$addr
must_start tight2 "$bin/server" --addr 127.0.0.1:0 --wait-us 1000 --max-concurrent 16
tight2=$addr

load() { # out inflight addrs extra-args...
    local out=$1 inflight=$2 addrs=$3
    shift 3
    "$bin/loadgen" --client pool --conns 2 --inflight "$inflight" --addr "$addrs" \
        --duration "${secs}s" "$@" 2>/dev/null | tail -1 >"$tmp/$out.json" || true
}
load burst 64 "$capped,$roomy"
load burst-no-retries 64 "$capped,$roomy" --retries off
load storm 256 "$tight1,$tight2"
load storm-no-retries 256 "$tight1,$tight2" --retries off

python3 - "$tmp" "$secs" <<'PY'
import json, sys
tmp, secs = sys.argv[1], float(sys.argv[2])
def run(name):
    with open(f"{tmp}/{name}.json") as f:
        return json.load(f)
print("| run | calls | ok | errors | retries | refused by the budget | retries / calls | budget (0.2 × calls + 10/s) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
missed = []
for name in ["burst", "burst-no-retries", "storm", "storm-no-retries"]:
    r = run(name)
    sent, retries = r["sent"], r.get("retries", 0)
    budget = 0.2 * sent + 10 * (secs + 10)
    print(f"| {name} | {sent} | {r['ok']} | {r['errors']} | {retries} | {r.get('retries_refused', 0)} "
          f"| {retries / sent:.3f} | {budget:.0f} |")
    if retries > budget:
        missed.append(f"{name}: retries over the budget")
if run("burst")["errors"] > 0:
    missed.append("burst: errors where a retry could succeed")
if missed:
    print("\nmissed: " + "; ".join(missed))
    sys.exit(1)
PY
