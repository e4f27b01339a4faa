#!/usr/bin/env bash
# Memory, disk and restart of a loaded node (issue 14, points 3 and 4): each node's RSS, its data directory's size by
# part against the live data, and how long one follower takes to come back after a SIGKILL.
#
# Three kvraft-server processes on 127.0.0.1 are loaded by loadgen (closed loop, puts of VALUE_SIZE-byte values over
# KEYS uniformly drawn 16-byte keys), then the script prints as Markdown on stdout: per node, VmRSS and VmHWM (peak
# RSS) from /proc/PID/status and the sizes of the Raft log, the FasterKV store (log, checkpoints) and the snapshots;
# the live data (distinct keys written x (16 + VALUE_SIZE) bytes, estimated from the puts) and each component's disk
# use as a multiple of it; then it kills a follower with SIGKILL, restarts it on the same data directory and reports
# the time until it serves clients (its "serving clients" log line) and until its applied index reaches the commit
# index read before the kill (`kvraft status`, polled). Progress goes to stderr.
#
#   bash bench/memory.sh                                  # 1,000,000 keys: 3,000,000 puts (~95% of the keys written)
#   KEYS=10000000 bash bench/memory.sh                    # 10 M keys: about 4.5 GB of FasterKV log per node, hours on 2 cores
#   KEYS=10000 DURATION=600 bash bench/memory.sh          # disk use during 10 minutes of overwrites of 10,000 keys
#   DOTNET_GCgen0size=0x400000 bash bench/memory.sh       # the nodes inherit the environment: GC settings to compare
#
# Settings (environment): KEYS (1000000), VALUE_SIZE (100), FILL_PUTS (3 x KEYS: about 1 - e^-3 = 95% of the keys are
# written at least once), CLIENTS (256), DURATION (0: load FILL_PUTS puts; N > 0: instead run N seconds of puts and
# print the sizes every SAMPLE_SECONDS, 60; OVERWRITE_MINUTES=M is DURATION=60M), SNAPSHOT_AFTER_BYTES (the server's
# default, 64 MiB), RESTART (1; 0: skip the restart), RESTART_MAX (600 s: the script gives up waiting for the restarted
# node). The DOTNET_GC* variables of the environment (GC settings) are printed with the results. Every process it starts
# and its temporary folder are removed on exit (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

KEYS=${KEYS:-1000000}
VALUE_SIZE=${VALUE_SIZE:-100}
FILL_PUTS=${FILL_PUTS:-$((3 * KEYS))}
CLIENTS=${CLIENTS:-256}
DURATION=${DURATION:-$((${OVERWRITE_MINUTES:-0} * 60))}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-60}
SNAPSHOT_AFTER_BYTES=${SNAPSHOT_AFTER_BYTES:-$((64 * 1024 * 1024))}
RESTART_MAX=${RESTART_MAX:-600}
RESTART=${RESTART:-1}

log() { echo "[memory $(date +%T)] $*" >&2; }
now_ns() { date +%s%N; }

WORK=$(mktemp -d -t kvraft-memory.XXXXXX)
declare -A PIDS=()   # node id -> pid (each node's command line names $WORK)
SAMPLER_PID=""

cleanup() {
    if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
    kill_nodes
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/kvraft-common.sh
source bench/kvraft-common.sh
trap 'exit 130' INT TERM

build_kvraft

pick_ports 3

# `kvraft status` as "id role commit applied" lines (nodes that answered), of the given endpoints (default: all).
status() {
    dotnet "$CLI" status --endpoints "${1:-$ENDPOINTS}" --timeout 3 2>/dev/null \
        | awk 'NR > 1 && $3 != "unreachable" { print $2, $3, $6, $7 }' || true
}

wait_all_applied() { # every node's applied index at the leader's commit index
    local i target lowest
    for i in $(seq 1 600); do
        target=$(status | awk '$2 == "leader" { print $3 }')
        lowest=$(status | awk 'BEGIN { m = -1 } { if (m < 0 || $4 < m) m = $4 } END { print m }')
        if [ -n "$target" ] && [ "$lowest" -ge "$target" ]; then return 0; fi
        sleep 0.5
    done
    echo "the nodes did not all apply the leader's commit index within 300 s" >&2; exit 1
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
bytes_of() { du -sb --apparent-size "$@" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
# The parts of a node's data directory: the Raft log (log/), FasterKV (state/ but its snapshots: the store's log
# and checkpoints), the snapshots (state/snapshots/, and incoming/ where a received one is staged), everything; and,
# within FasterKV, its log's segment files (state/g-*/hlog.log.*) and its checkpoints (state/g-*/checkpoints).
sizes() { # id -> "raftLog fasterKv snapshots total fasterKvLog fasterKvCheckpoints" in bytes
    local dir=$WORK/data/$1 raft state snap total kvlog kvcheck
    raft=$(bytes_of "$dir/log")
    state=$(bytes_of "$dir/state")
    snap=$(bytes_of "$dir/state/snapshots" "$dir/incoming")
    total=$(bytes_of "$dir")
    kvlog=$(bytes_of "$dir"/state/g-*/hlog.log.*)
    kvcheck=$(bytes_of "$dir"/state/g-*/checkpoints)
    echo "$raft $((state - $(bytes_of "$dir/state/snapshots"))) $snap $total $kvlog $kvcheck"
}
# The live data: the distinct keys written (KEYS x (1 - e^(-puts/KEYS)) for uniformly drawn keys) x (16 + VALUE_SIZE).
live_bytes() { # puts
    python3 -c 'import math,sys; k,p,v=map(int,sys.argv[1:]); print(round(k*(1-math.exp(-p/k))*(16+v)))' "$KEYS" "$1" "$VALUE_SIZE"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "?" }'; }
rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; } # pid field

report_nodes() {
    echo "| node | role | VmRSS (MiB) | VmHWM (MiB) | Raft log (MiB) | FasterKV (MiB: log + checkpoints) | snapshots (MiB) | data directory (MiB) |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|"
    local id role raft kv snap total kvlog kvcheck
    for id in 1 2 3; do
        role=$(status "127.0.0.1:${CLIENT_PORT[$id]}" | awk '{ print $2 }')
        read -r raft kv snap total kvlog kvcheck <<<"$(sizes "$id")"
        echo "| $id | ${role:-?} | $(mib $(( $(rss_kib "${PIDS[$id]}" VmRSS) * 1024 ))) | $(mib $(( $(rss_kib "${PIDS[$id]}" VmHWM) * 1024 ))) | $(mib "$raft") | $(mib "$kv") ($(mib "$kvlog") + $(mib "$kvcheck")) | $(mib "$snap") | $(mib "$total") |"
    done
    echo
    echo "Disk use as a multiple of the live data ($(mib "$LIVE_BYTES") MiB: $KEYS keys x (1 - e^(-puts/keys)) x $((16 + VALUE_SIZE)) bytes):"
    echo
    echo "| node | Raft log | FasterKV log | FasterKV checkpoints | snapshots | data directory |"
    echo "|---:|---:|---:|---:|---:|---:|"
    for id in 1 2 3; do
        read -r raft kv snap total kvlog kvcheck <<<"$(sizes "$id")"
        echo "| $id | $(ratio "$raft" "$LIVE_BYTES") | $(ratio "$kvlog" "$LIVE_BYTES") | $(ratio "$kvcheck" "$LIVE_BYTES") | $(ratio "$snap" "$LIVE_BYTES") | $(ratio "$total" "$LIVE_BYTES") |"
    done
}

loadgen() { dotnet "$LOADGEN" --endpoints "$ENDPOINTS" --keys "$KEYS" --value-size "$VALUE_SIZE" --chart "$WORK/chart.png" "$@"; }

log "starting 3 nodes (snapshot every $SNAPSHOT_AFTER_BYTES log bytes); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for id in 1 2 3; do start_node $id; done
wait_for_leader

if [ "$DURATION" -gt 0 ]; then
    log "overwriting $KEYS keys for $DURATION s ($CLIENTS clients, closed loop)"
    (
        second=0
        while true; do
            for id in 1 2 3; do echo "$second $id $(sizes "$id")"; done >>"$WORK/samples.txt"
            sleep "$SAMPLE_SECONDS"
            second=$((second + SAMPLE_SECONDS))
        done
    ) &
    SAMPLER_PID=$!
    loadgen --mix put=100 --clients "$CLIENTS" --duration "${DURATION}s" --out "$WORK/load.json" >"$WORK/load.txt" 2>&1
    kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""
    for id in 1 2 3; do echo "end $id $(sizes "$id")"; done >>"$WORK/samples.txt"
else
    log "loading $FILL_PUTS puts over $KEYS keys ($VALUE_SIZE-byte values, $CLIENTS clients)"
    loadgen --mix put=100 --clients "$CLIENTS" --operations "$FILL_PUTS" --out "$WORK/load.json" >"$WORK/load.txt" 2>&1
fi
LOAD_AVERAGE=$(cut -d' ' -f1-3 /proc/loadavg)
PUTS_PER_SECOND=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("{:,.0f} puts/s".format(r["throughputPerSecond"]))' "$WORK/load.json" 2>/dev/null || echo "?")
PUTS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"]["succeeded"])' "$WORK/load.json" 2>/dev/null || echo "$FILL_PUTS")
LIVE_BYTES=$(live_bytes "$PUTS")
log "load done ($PUTS_PER_SECOND); waiting until every node applied the leader's commit index"
wait_all_applied

echo "Keys $KEYS, values $VALUE_SIZE bytes, $( [ "$DURATION" -gt 0 ] && echo "$DURATION s of overwrites" || echo "$FILL_PUTS puts"), loadgen: $PUTS_PER_SECOND; load average at the end of the load: $LOAD_AVERAGE; GC environment: $(env | grep -i '^DOTNET_GC' | sort | tr '\n' ' ' || true)"
echo
report_nodes
if [ "$DURATION" -gt 0 ]; then
    echo
    echo "Data directory every $SAMPLE_SECONDS s (MiB; node: Raft log / FasterKV / snapshots / total):"
    echo
    echo "| second | node 1 | node 2 | node 3 |"
    echo "|---:|---|---|---|"
    awk -v step="$SAMPLE_SECONDS" '{ row[$1] = row[$1] sprintf(" %.1f / %.1f / %.1f / %.1f |", $3/1048576, $4/1048576, $5/1048576, $6/1048576) }
         END { for (s = 0; s in row; s += step) print "| " s " |" row[s]; print "| end |" row["end"] }' "$WORK/samples.txt"
fi

echo
echo "Snapshots written (each node's \"Snapshot I written in M ms\" lines: the export and checkpoint time; with compaction"
echo "it follows the live data, not the history):"
echo
echo "| node | snapshots | first (ms) | median (ms) | last (ms) | max (ms) |"
echo "|---:|---:|---:|---:|---:|---:|"
for id in 1 2 3; do
    { grep -ho "written in [0-9]* ms" "$WORK/node-$id.log" || true; } | awk '{ print $3 }' | python3 -c '
import statistics, sys
t = [int(line) for line in sys.stdin]
print("| {} | {} | {} | {} | {} | {} |".format(sys.argv[1], len(t), *((t[0], int(statistics.median(t)), t[-1], max(t)) if t else ("",) * 4)))' "$id"
done

if [ "$RESTART" -eq 0 ]; then log "done (no restart: RESTART=0); load average $(cut -d' ' -f1-3 /proc/loadavg)"; exit 0; fi

# Restart: a follower killed with SIGKILL, then started again on its data directory.
FOLLOWER=$(status | awk '$2 == "follower" { print $1; exit }')
[ -n "$FOLLOWER" ] || { echo "no follower found" >&2; exit 1; }
TARGET=$(status | awk '$2 == "leader" { print $3 }')
read -r RAFT_BYTES _ <<<"$(sizes "$FOLLOWER")"
log "killing follower $FOLLOWER (SIGKILL); leader's commit index $TARGET"
kill -KILL "${PIDS[$FOLLOWER]}"; wait "${PIDS[$FOLLOWER]}" 2>/dev/null || true
SERVING_BEFORE=$(grep -c "serving clients" "$WORK/node-$FOLLOWER.log" || true)
LINES_BEFORE=$(wc -l <"$WORK/node-$FOLLOWER.log")
START_NS=$(now_ns)
start_node "$FOLLOWER"
SERVING_NS="" APPLIED_NS=""
deadline=$((SECONDS + RESTART_MAX))
while [ $SECONDS -lt $deadline ]; do
    if [ -z "$SERVING_NS" ] && [ "$(grep -c "serving clients" "$WORK/node-$FOLLOWER.log" || true)" -gt "$SERVING_BEFORE" ]; then
        SERVING_NS=$(now_ns)
    fi
    applied=$(status "127.0.0.1:${CLIENT_PORT[$FOLLOWER]}" | awk '{ print $4 }')
    if [ -n "$applied" ] && [ "$applied" -ge "$TARGET" ]; then APPLIED_NS=$(now_ns); break; fi
    sleep 0.1
done
[ -n "$APPLIED_NS" ] || { echo "node $FOLLOWER did not apply index $TARGET within $RESTART_MAX s" >&2; exit 1; }
SERVING_NS=${SERVING_NS:-$APPLIED_NS}
log "the restarted node's log up to serving clients:"
tail -n +"$((LINES_BEFORE + 1))" "$WORK/node-$FOLLOWER.log" | sed '/serving clients/q' | head -40 | cut -c1-220 >&2
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
echo
echo "| restarted node | Raft log at the kill (MiB) | start to serving clients (s) | start to applied >= commit before the kill ($TARGET) (s) | VmRSS after (MiB) | VmHWM after (MiB) |"
echo "|---:|---:|---:|---:|---:|---:|"
echo "| $FOLLOWER | $(mib "$RAFT_BYTES") | $(seconds "$START_NS" "$SERVING_NS") | $(seconds "$START_NS" "$APPLIED_NS") | $(mib $(( $(rss_kib "${PIDS[$FOLLOWER]}" VmRSS) * 1024 ))) | $(mib $(( $(rss_kib "${PIDS[$FOLLOWER]}" VmHWM) * 1024 ))) |"
log "done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
