#!/usr/bin/env bash
# Throughput of a sharded cluster by its number of data groups (issue 16, point 5): three kvraft-server processes on
# 127.0.0.1, each with --groups G (the controller group 0 and the data groups 1..G, every group on every process, all
# over one shared log per process), loaded by loadgen exactly as bench/compare-etcd.sh loads KvRaft for its puts (closed
# loop, CLIENTS clients, put 100%, 100-byte values), over KEYS keys; the clients route each key to its group. For G in
# GROUP_COUNTS, and first the one-group server (no --groups) as the baseline row. Prints a Markdown table on stdout
# (progress on stderr): puts/s, p50 and p99, CPU per put of the servers and of loadgen (from /proc: user + system over
# the whole loadgen run, warm-up included, divided by the puts it made, warm-up included: it counts the JIT's tiering
# of the hot paths too, a one-off cost that weighs more when fewer puts share it), then per process the
# durable log commits per second (each one fsync: `kvraft_shared_log_commits_total`, or for the one-group server
# `kvraft_log_write_duration_seconds_count`), the group log writes each commit covered (a group's Ready batch is one
# write: `kvraft_group_log_writes_total` summed over the groups, per commit) and the puts per commit. The commit rates
# are read from each process's /metrics twice while loadgen runs: after its warm-up, and a second before its end. A
# second table gives the work per put in that window: the servers' CPU, and fsyncs, group log writes, event-loop turns
# and events, peer frames and proposals, summed over the processes.
#
#   bash bench/groups.sh                                          # 15 s per run after 3 s of warm-up; 3-4 minutes on 2 cores
#   DURATION=5s WARMUP=2s GROUP_COUNTS="1 2" bash bench/groups.sh  # a quick check that it works
#
# Every process it starts and its temporary folder are removed on exit (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
CLIENTS=${CLIENTS:-256}
KEYS=${KEYS:-10000}
VALUE_SIZE=${VALUE_SIZE:-100}
GROUP_COUNTS=${GROUP_COUNTS:-"1 2 4 8"}
SNAPSHOT_AFTER_BYTES=$((64 * 1024 * 1024)) # the server's default

log() { echo "[groups $(date +%T)] $*" >&2; }

WORK=$(mktemp -d -t kvraft-groups.XXXXXX)
declare -A PIDS=()   # node id -> pid (each node's command line names $WORK)
LOADGEN_PID=""

cleanup() {
    if [ -n "$LOADGEN_PID" ]; then kill "$LOADGEN_PID" 2>/dev/null || true; wait "$LOADGEN_PID" 2>/dev/null || true; fi
    kill_nodes
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/kvraft-common.sh
source bench/kvraft-common.sh
trap 'exit 130' INT TERM

seconds_of() { awk -v d="$1" 'BEGIN { if (d ~ /ms$/) print substr(d, 1, length(d) - 2) / 1000; else if (d ~ /m$/) print substr(d, 1, length(d) - 1) * 60; else print d + 0 }'; }

# `kvraft status` as "id role -" lines (group 0's replica of each process that answered; wait_for_leader looks for " leader ").
status() { dotnet "$CLI" status --endpoints "$ENDPOINTS" --timeout 3 2>/dev/null | awk 'NR > 1 && $3 != "unreachable" { print $2, $3, "-" }' || true; }

# CPU seconds (user + system) used so far by our running nodes.
servers_cpu_seconds() {
    local ticks=0 pid
    for pid in "${PIDS[@]}"; do
        if ours "$pid"; then ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); fi
    done
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# scrape ID: "commits group-log-writes turns events peer-frames-sent proposals" of node ID's /metrics now (the
# one-group server has no turn or event counters: -1).
scrape() {
    curl -sf "http://127.0.0.1:${METRICS_PORT[$1]}/metrics" | awk '
        /^kvraft_shared_log_commits_total / || /^kvraft_log_write_duration_seconds_count / { commits += $2 }
        /^kvraft_group_log_writes_total/ { writes += $2 }
        /^kvraft_loop_turns_total / { turns += $2; sharded = 1 }
        /^kvraft_loop_events_total / { events += $2 }
        /^kvraft_peer_frames_sent_total / || /^kvraft_peer_sent_messages_total/ { frames += $2 }
        /^kvraft_group_proposals_committed_total/ || /^kvraft_proposals_committed_total / { proposals += $2 }
        END { if (!sharded) { turns = -1; events = -1 }; printf "%d %d %d %d %d %d\n", commits, writes, turns, events, frames, proposals }'
}

# start_cluster GROUPS (0: the one-group server): three fresh nodes with /metrics.
start_cluster() {
    local groups=$1 id sharding=""
    rm -rf "$WORK/data"
    pick_ports 3
    declare -gA METRICS_PORT=()
    if [ "$groups" -gt 0 ]; then sharding=", \"groups\": $groups"; fi
    for id in 1 2 3; do
        METRICS_PORT[$id]=$(free_port)
        start_node "$id" "\"peers\": \"$PEERS\", \"clientPeers\": \"$CLIENT_PEERS\", \"metricsListen\": \"127.0.0.1:${METRICS_PORT[$id]}\"$sharding"
    done
    wait_for_leader
}

stop_cluster() { kill_nodes; PIDS=(); }

# measure NAME: one loadgen run on the running cluster; its table row to NAME.md, CPU to NAME.cpu, per node the
# metrics window to NAME.rates ("id seconds commits group-writes").
measure() {
    local name=$1 id before_cpu start_ns end_ns TIMEFORMAT='%U %S'
    log "$name: loadgen --clients $CLIENTS --mix put=100 --keys $KEYS --duration $DURATION --warmup $WARMUP"
    before_cpu=$(servers_cpu_seconds)
    { time dotnet "$LOADGEN" --endpoints "$ENDPOINTS" --mix put=100 --clients "$CLIENTS" --keys "$KEYS" --value-size "$VALUE_SIZE" \
        --duration "$DURATION" --warmup "$WARMUP" --markdown "$WORK/$name.md" --chart "$WORK/$name.png" >"$WORK/$name.log" 2>&1; } \
        2>"$WORK/$name.time" &
    LOADGEN_PID=$!
    sleep "$(awk -v w="$(seconds_of "$WARMUP")" 'BEGIN { print w + 1.5 }')" # loadgen's start, then its warm-up
    for id in 1 2 3; do echo "$id $(scrape "$id")"; done >"$WORK/$name.first"
    window_cpu=$(servers_cpu_seconds)
    start_ns=$(date +%s%N)
    sleep "$(awk -v d="$(seconds_of "$DURATION")" 'BEGIN { print (d > 3 ? d - 1.5 : d / 2) }')"
    for id in 1 2 3; do echo "$id $(scrape "$id")"; done >"$WORK/$name.second"
    window_cpu=$(awk -v a="$window_cpu" -v b="$(servers_cpu_seconds)" 'BEGIN { printf "%.2f", b - a }')
    end_ns=$(date +%s%N)
    wait "$LOADGEN_PID" || { log "$name: loadgen failed"; tail -30 "$WORK/$name.log" >&2; exit 1; }
    LOADGEN_PID=""
    awk -v before="$before_cpu" -v after="$(servers_cpu_seconds)" -v w="$window_cpu" '{ printf "%.2f %.2f %s\n", $1 + $2, after - before, w }' "$WORK/$name.time" >"$WORK/$name.cpu"
    join "$WORK/$name.first" "$WORK/$name.second" | awk -v s="$(( (end_ns - start_ns) / 1000000 ))" '{ print $1, s / 1000, $8 - $2, $9 - $3, ($4 < 0 ? -1 : $10 - $4), ($5 < 0 ? -1 : $11 - $5), $12 - $6, $13 - $7 }' >"$WORK/$name.rates"
    log "$name: $(sed -n 3p "$WORK/$name.md" | awk -F'|' '{gsub(/ /, ""); print $2 " puts/s, p99 " $9 " ms"}')"
}

# field NAME COLUMN: a column of loadgen's results row (2 ops/s, 4 ok, 7 p50, 9 p99).
field() { sed -n 3p "$WORK/$1.md" | awk -F'|' -v c="$2" '{gsub(/ /, "", $c); print $c}'; }
warmup_ops() { { grep -m1 '^warm-up operations' "$WORK/$1.log" || echo ": 0"; } | awk -F': ' '{ print $2 + 0 }'; }
# cpu_per_put NAME WHICH: CPU µs per put of loadgen (1) or of the servers (2).
cpu_per_put() { awk -v ok="$(( $(field "$1" 4) + $(warmup_ops "$1") ))" -v w="$2" '{ if (ok > 0) printf "%.0f", $w * 1e6 / ok; else print "-" }' "$WORK/$1.cpu"; }
# window_per_put NAME: over the metrics window, summed over the processes and divided by the puts of the window (puts/s
# times its length): server CPU µs, fsyncs, group log writes, loop turns, loop events, peer frames sent, proposals
# ("-" for the counters the one-group server does not have).
window_per_put() {
    awk -v puts="$(field "$1" 2)" -v cpu="$(cut -d' ' -f3 "$WORK/$1.cpu")" '
        { seconds = $2; commits += $3; writes += ($5 < 0 ? -1e18 : $4); turns += $5; events += $6; frames += $7; proposals += $8 }
        function cell(x, f) { return x < 0 ? "-" : sprintf(f, x / (puts * seconds)) }
        END {
            if (puts * seconds <= 0) { print " - | - | - | - | - | - | - |"; exit }
            printf " %s | %s | %s | %s | %s | %s | %s |", cell(cpu * 1e6, "%.0f"), cell(commits, "%.4f"), cell(writes, "%.4f"),
                cell(turns, "%.3f"), cell(events, "%.2f"), cell(frames, "%.2f"), cell(proposals, "%.4f")
        }' "$WORK/$1.rates"
}

# per_node NAME: per process "fsyncs/s, group writes per commit, puts per commit" as "a / b / c" cells.
per_node() {
    local puts
    puts=$(field "$1" 2)
    awk -v puts="$puts" '{
        rate = $3 / $2; writes = ($3 > 0 ? $4 / $3 : 0); per = (rate > 0 ? puts / rate : 0)
        printf " %.0f / %s / %.1f |", rate, ($4 > 0 ? sprintf("%.2f", writes) : "1"), per }' "$WORK/$1.rates"
}

# title_of RUN: its row title.
title_of() { if [ "$1" = baseline ]; then echo "none (one-group server)"; else echo "${1#groups-}"; fi; }

build_kvraft
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$SECONDS
RUNS=(baseline)
log "the one-group server (no --groups): the baseline"
start_cluster 0
measure baseline
stop_cluster
for groups in $GROUP_COUNTS; do
    log "--groups $groups"
    start_cluster "$groups"
    measure "groups-$groups"
    stop_cluster
    RUNS+=("groups-$groups")
done

echo
echo "Sharded KvRaft by data groups: 3 processes on 127.0.0.1, fsync on, loadgen put 100%, $CLIENTS clients, $KEYS 16-byte keys,"
echo "$VALUE_SIZE-byte values, closed loop, $DURATION after $WARMUP of warm-up; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
echo "load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg); $((SECONDS - STARTED)) s of runs; commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC')."
echo "Per process: durable log commits (fsyncs) per second / group log writes per commit / puts per commit."
echo
echo "| data groups | puts/s | p50 (ms) | p99 (ms) | server CPU µs/put | loadgen CPU µs/put | process 1 | process 2 | process 3 |"
echo "|---|---:|---:|---:|---:|---:|---|---|---|"
for run in "${RUNS[@]}"; do
    echo "| $(title_of "$run") | $(field "$run" 2) | $(field "$run" 7) | $(field "$run" 9) | $(cpu_per_put "$run" 2) | $(cpu_per_put "$run" 1) |$(per_node "$run")"
done
echo
echo "Work per put in the metrics window (after the warm-up), summed over the 3 processes: server CPU, fsyncs, group log"
echo "writes, event-loop turns and events, peer frames sent and proposals (one-group server: no turn or event counters)."
echo
echo "| data groups | server CPU µs/put after warm-up | fsyncs/put | group log writes/put | turns/put | events/put | peer frames/put | proposals/put |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for run in "${RUNS[@]}"; do echo "| $(title_of "$run") |$(window_per_put "$run")"; done
