#!/usr/bin/env bash
# A soak, on loopback: `loadgen --client pool` for DURATION seconds over a
# pool of three `server` processes (release examples), while every
# FAULT_EVERY seconds or so (± half) one server, chosen at random, gets a
# fault chosen at random:
#
#   kill     SIGKILL, down for 1-3 s, then a new server on the same port;
#   freeze   SIGSTOP for 2-5 s, then SIGCONT;
#   restart  SIGTERM (it drains) and at once a new server on the same port.
#
# The first and last tenth of the run (at most 30 s, at least 10 s at the
# end) have no fault. Every SAMPLE_EVERY seconds the RSS of loadgen and of
# each server (VmRSS in /proc/<pid>/status) is sampled; loadgen prints its
# counts every second.
#
# What must hold:
# * every call has exactly one outcome: sent == ok + errors, none
#   `unfinished` (still open when the run ended), no wrong answer;
# * RSS stays flat: at the end, no process is above both RSS_MAX_GROWTH
#   times and RSS_SLACK_MIB more than its RSS once warm (first sample
#   after the first tenth);
# * throughput comes back after each fault: before the next fault (or the
#   end), some second has at least half the ok/s of the 5 s before it.
#
# Prints Markdown: the machine, RSS over time (MiB; * frozen), RSS at
# start/warm/middle/end/peak, the faults with the throughput around each,
# the outcomes and loadgen's final JSON line. Exits 1 if a target is
# missed.
#
#   DURATION=600 scripts/soak.sh
#
# Environment (default): DURATION (600) s of load, FAULT_EVERY (20) s,
# SAMPLE_EVERY (5) s, INFLIGHT (256) calls in flight, CONNS (6, two per
# server), TIMEOUT (2) s request timeout, RSS_MAX_GROWTH (1.5),
# RSS_SLACK_MIB (16), SCHEDULE (random) to pick the fault schedule; KEEP, a
# directory to copy the raw samples and loadgen's output to.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-600}
fault_every=${FAULT_EVERY:-20}
sample_every=${SAMPLE_EVERY:-5}
inflight=${INFLIGHT:-256}
conns=${CONNS:-6}
timeout=${TIMEOUT:-2}
max_growth=${RSS_MAX_GROWTH:-1.5}
slack_mib=${RSS_SLACK_MIB:-16}
schedule=${SCHEDULE:-$RANDOM}
RANDOM=$schedule
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
build_examples server loadgen

servers=(a b c)
declare -A addr_of pid_of state_of
for s in "${servers[@]}"; do
    start_server "$s" 127.0.0.1:0
    addr_of[$s]=$addr pid_of[$s]=$pid state_of[$s]=up
done
load_at=$(cut -d' ' -f1 /proc/loadavg)

"$bin/loadgen" --client pool \
    --addr "${addr_of[a]},${addr_of[b]},${addr_of[c]}" --conns "$conns" \
    --inflight "$inflight" --duration "${duration}s" --timeout "${timeout}s" \
    --interval 1s >"$tmp/loadgen.out" 2>"$tmp/loadgen.err" &
loadgen=$!
pids+=("$loadgen")
# The load starts once every connection is up; the first line comes a
# second later. Times below are ms since the load started ($t0, in µs).
until [ -s "$tmp/loadgen.out" ]; do
    if ! kill -0 "$loadgen" 2>/dev/null; then
        echo "$me: loadgen did not start:" >&2
        cat "$tmp/loadgen.err" >&2
        exit 1
    fi
    sleep 0.01
done
t0=$((${EPOCHREALTIME//[.,]/} - 1000000))

# Sets $t: ms since the load started (no process forked).
tick() { t=$(((${EPOCHREALTIME//[.,]/} - t0) / 1000)); }
# Sets $r to a random number in [lo, hi] (in this shell: a subshell would
# not follow $SCHEDULE).
between() { # lo hi
    r=$(($1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1)))
}
rss_kb() { # pid
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# One line of $tmp/rss: seconds, then KiB of loadgen and of each server
# (`down`, or a trailing * when frozen).
sample() {
    local line s
    line="$((t / 1000)).$((t % 1000 / 100)) $(rss_kb "$loadgen")"
    for s in "${servers[@]}"; do
        case ${state_of[$s]} in
        down) line+=" down" ;;
        frozen) line+=" $(rss_kb "${pid_of[$s]}")*" ;;
        *) line+=" $(rss_kb "${pid_of[$s]}")" ;;
        esac
    done
    echo "$line" >>"$tmp/rss"
}

# A fault starts on a random server; a restart is over at once.
begin_fault() {
    fault_server=${servers[RANDOM % 3]}
    fault_kind=${kinds[RANDOM % 3]}
    fault_start=$t
    local s=$fault_server
    case $fault_kind in
    kill)
        kill -KILL "${pid_of[$s]}"
        wait "${pid_of[$s]}" 2>/dev/null || true
        state_of[$s]=down
        between 1000 3000
        fault_end=$((t + r))
        ;;
    freeze)
        kill -STOP "${pid_of[$s]}"
        state_of[$s]=frozen
        between 2000 5000
        fault_end=$((t + r))
        ;;
    restart)
        kill -TERM "${pid_of[$s]}"
        fault_end=$t
        ;;
    esac
}

# The faulty server is back: restarted on its port, or resumed; the
# next fault is scheduled.
end_fault() {
    local s=$fault_server
    case $fault_kind in
    kill | restart)
        start_server "$s.$fault_start" "${addr_of[$s]}"
        pid_of[$s]=$pid
        ;;
    freeze) kill -CONT "${pid_of[$s]}" ;;
    esac
    state_of[$s]=up
    tick
    echo "$fault_start $t $fault_kind $s" >>"$tmp/faults"
    between $((fault_every * 500)) $((fault_every * 1500))
    next_fault=$((t + r))
    in_fault=no
}

duration_ms=$((duration * 1000))
warm_ms=$((duration_ms / 10 < 30000 ? duration_ms / 10 : 30000))
quiet_end_ms=$((warm_ms > 10000 ? warm_ms : 10000))
faults_until=$((duration_ms - quiet_end_ms))
kinds=(kill freeze restart)
next_sample=0
between $((fault_every * 500)) $((fault_every * 1500))
next_fault=$((warm_ms + r))
in_fault=no
: >"$tmp/rss"
: >"$tmp/faults"
tick
while [ "$t" -lt "$duration_ms" ]; do
    if [ "$t" -ge "$next_sample" ]; then
        sample
        next_sample=$((next_sample + sample_every * 1000))
    fi
    if [ "$in_fault" = no ] && [ "$t" -ge "$next_fault" ] && [ "$t" -lt "$faults_until" ]; then
        begin_fault
        in_fault=yes
    fi
    if [ "$in_fault" = yes ] && [ "$t" -ge "$fault_end" ]; then
        end_fault
    fi
    sleep 0.1
    tick
done
wait "$loadgen" || true # exits 1 when any call failed: expected under faults
load_end=$(cut -d' ' -f1 /proc/loadavg)

echo "Machine: nproc $(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "load average $load_at at the start, $load_end at the end; schedule $schedule"
echo

# RSS over time, about ten rows, then the summary per process.
awk -v every="$((duration / 10))" -v warm="$((warm_ms / 1000))" -v mid="$((duration / 2))" \
    -v growth="$max_growth" -v slack="$slack_mib" -v verdict="$tmp/rss.verdict" '
function mib(v) { return v == "down" ? "down" : sprintf("%.1f%s", v / 1024, v ~ /\*$/ ? "*" : "") }
function kb(v) { sub(/\*$/, "", v); return v + 0 }
BEGIN { split("loadgen server-a server-b server-c", name, " ") }
{
    if (NR == 1 || $1 >= next_row) { rows[++n] = $0; next_row += every; if (next_row <= $1) next_row = $1 + every }
    last = $0
    for (i = 2; i <= 5; i++) {
        if ($i == "down") continue
        v = kb($i)
        if (!(i in start)) start[i] = v
        if (!(i in warmv) && $1 >= warm) warmv[i] = v
        if (!(i in midv) && $1 >= mid) midv[i] = v
        endv[i] = v
        if (v > peak[i]) peak[i] = v
    }
}
END {
    if (rows[n] != last) rows[++n] = last
    print "| t s | loadgen | server a | server b | server c |"
    print "|---|---|---|---|---|"
    for (r = 1; r <= n; r++) {
        split(rows[r], f, " ")
        printf "| %s | %s | %s | %s | %s |\n", f[1], mib(f[2]), mib(f[3]), mib(f[4]), mib(f[5])
    }
    print ""
    print "| RSS MiB | start | warm (" warm " s) | middle (" mid " s) | end | peak | end / warm | flat |"
    print "|---|---|---|---|---|---|---|---|"
    bad = 0
    for (i = 2; i <= 5; i++) {
        flat = !(endv[i] > warmv[i] * growth && endv[i] - warmv[i] > slack * 1024)
        if (!flat) bad = 1
        printf "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %s |\n", name[i - 1], start[i] / 1024,
            warmv[i] / 1024, midv[i] / 1024, endv[i] / 1024, peak[i] / 1024, endv[i] / warmv[i], flat ? "yes" : "NO"
    }
    print (bad ? "grew" : "flat") > verdict
}' "$tmp/rss"
echo

# awk: the number in a flat JSON line's field `k` (0 if absent).
json_field='
function field(s, k,   i, r) {
    i = index(s, "\"" k "\":"); if (!i) return 0
    r = substr(s, i + length(k) + 3); sub(/[,}].*/, "", r); return r + 0
}'

# The faults, with the throughput around each (loadgen seconds: the line
# at t_s k counts the calls that ended in (k-1, k]).
awk -v timeout="$timeout" -v verdict="$tmp/faults.verdict" "$json_field"'
FILENAME ~ /faults$/ { n++; fs[n] = $1 / 1000; fe[n] = $2 / 1000; kind[n] = $3; srv[n] = $4; next }
/"t_s"/ { k = int(field($0, "t_s") + 0.5); ok[k] = field($0, "ok"); err[k] = field($0, "errors"); if (k > last) last = k }
END {
    print "| # | at s | fault | server | lasted s | ok/s 5 s before | lowest ok/s | ok/s 5 s after | back (≥ half) after s | errors until next fault |"
    print "|---|---|---|---|---|---|---|---|---|---|"
    missed = 0
    for (i = 1; i <= n; i++) {
        s = int(fs[i]); e = int(fe[i]) + 1
        stop = i < n ? int(fs[i + 1]) : last
        before = 0; for (k = s - 4; k <= s; k++) before += ok[k]; before /= 5
        low = -1; for (k = s + 1; k <= e + timeout && k <= stop; k++) if (low < 0 || ok[k] + 0 < low) low = ok[k] + 0
        after = 0; m = 0; for (k = e + timeout + 1; k <= e + timeout + 5 && k <= stop; k++) { after += ok[k]; m++ }
        back = "no"; for (k = e; k <= stop; k++) if (ok[k] >= before / 2) { back = sprintf("%.1f", k - fe[i]); break }
        if (back == "no") missed = 1
        errors = 0; for (k = s + 1; k <= stop; k++) errors += err[k]
        printf "| %d | %.1f | %s | %s | %.1f | %.0f | %s | %s | %s | %d |\n", i, fs[i], kind[i], srv[i],
            fe[i] - fs[i], before, low < 0 ? "-" : low, m ? sprintf("%.0f", after / m) : "-", back, errors
    }
    print (missed ? "slow" : "back") > verdict
}' "$tmp/faults" "$tmp/loadgen.out"
echo

# The outcomes, from loadgen's final line.
report=$(tail -n 1 "$tmp/loadgen.out")
awk -v timeout="$timeout" -v verdict="$tmp/outcomes.verdict" "$json_field"'
{
    raw = $0; sub(/.*"errors_by_kind":\{/, "", raw); sub(/\}.*/, "", raw)
    kinds = raw; gsub(/"/, "", kinds); gsub(/:/, " ", kinds); gsub(/,/, ", ", kinds)
    sent = field($0, "sent"); ok = field($0, "ok"); errors = field($0, "errors")
    unfinished = field("{" raw "}", "unfinished")
    wrong = index(raw, "\"wrong_answer\":") > 0
    slowest = (field($0, "max_us") > field($0, "error_max_us") ? field($0, "max_us") : field($0, "error_max_us")) / 1000
    one = sent == ok + errors && unfinished == 0 && !wrong
    printf "sent %d, ok %d, errors %d (%s); sent == ok + errors: %s, unfinished %d, wrong answers %s; " \
        "slowest outcome %.0f ms (timeout %d s); every call one outcome: %s\n", sent, ok, errors,
        kinds == "" ? "none" : kinds, sent == ok + errors ? "yes" : "NO", unfinished, wrong ? "YES" : "none",
        slowest, timeout, one ? "yes" : "NO"
    print (one ? "one" : "lost") > verdict
}' <<<"$report"
echo
sed -n 's/^loadgen: /    /p' "$tmp/loadgen.err"
echo
echo "$report"

if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP"
    cp "$tmp/rss" "$tmp/faults" "$tmp/loadgen.out" "$tmp/loadgen.err" "$KEEP/"
fi
verdicts="$(cat "$tmp/outcomes.verdict" "$tmp/rss.verdict" "$tmp/faults.verdict" 2>/dev/null | tr '\n' ' ')"
if [ "$verdicts" = "one flat back " ]; then
    echo "targets met: every call one outcome, RSS flat, throughput back after each fault" >&2
else
    echo "TARGET MISSED: $verdicts(want: one flat back)" >&2
    exit 1
fi
