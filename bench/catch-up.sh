#!/usr/bin/env bash
# Large-state catch-up (issue 15, item 3): how long a node that starts empty takes to catch up with a loaded cluster
# (a snapshot streamed and installed, then the log), and what it costs the clients meanwhile.
#
# Three kvraft-server processes on 127.0.0.1 are loaded with N keys (100-byte values); loadgen's peak put rate is
# measured (closed loop); then loadgen runs open loop at half of it while a new node (id 4, an empty data directory)
# joins as a learner (`kvraft-server --join`: the leader adds it through the client protocol) and is brought up to
# date: a snapshot streamed and installed, then the log (catch_up_node below). Prints the time to catch up and loadgen's p99 (and throughput) before,
# during and after, as a Markdown table on stdout; progress goes to stderr.
#
#   bash bench/catch-up.sh                         # N = 2,000,000 keys; 15-30 minutes on 2 cores
#   KEYS=200000 bash bench/catch-up.sh             # a quick trial
#
# Settings (environment): KEYS (2000000), VALUE_SIZE (100), FILL_PUTS (2 x KEYS: uniform keys, so about 86% of
# them are written), CLIENTS (256), PEAK_DURATION (10s), SEGMENT (30: seconds per loadgen run of the measured
# load), WARM (2: seconds at the start of each run left out of the figures, while its JIT warms up), BEFORE (20: seconds of load before the catch-up starts), AFTER (20), CATCH_UP_MAX (1800 s: the
# script gives up), SNAPSHOT_AFTER_BYTES (log bytes between snapshots; default KEYS x 16, at most 64 MiB, so the
# leader's log is compacted and the new node needs a snapshot).
#
# The measured load runs as back-to-back loadgen runs of SEGMENT seconds (loadgen has no way to stop on a signal);
# each one writes its history (loadgen refuses --warmup with --history, so the first WARM seconds of each run are
# dropped from the figures instead: the load itself runs on through them), whose call times (CLOCK_MONOTONIC, the clock of .NET's Stopwatch on Linux) are
# split at the moments the catch-up started and ended. Every process it starts and its temporary folder are removed
# on exit (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

KEYS=${KEYS:-2000000}
VALUE_SIZE=${VALUE_SIZE:-100}
FILL_PUTS=${FILL_PUTS:-$((2 * KEYS))}
CLIENTS=${CLIENTS:-256}
PEAK_DURATION=${PEAK_DURATION:-10s}
SEGMENT=${SEGMENT:-30}
WARM=${WARM:-2}
BEFORE=${BEFORE:-20}
AFTER=${AFTER:-20}
CATCH_UP_MAX=${CATCH_UP_MAX:-1800}
SNAPSHOT_AFTER_BYTES=${SNAPSHOT_AFTER_BYTES:-$(( KEYS * 16 < 64 * 1024 * 1024 ? KEYS * 16 : 64 * 1024 * 1024 ))}

log() { echo "[catch-up $(date +%T)] $*" >&2; }
now_ns() { python3 -c 'import time; print(time.monotonic_ns())'; }

WORK=$(mktemp -d -t kvraft-catch-up.XXXXXX)
declare -A PIDS=()   # node id -> pid (each node's command line names $WORK)
LOAD_PID=""

cleanup() {
    touch "$WORK/stop-load"
    if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; fi
    kill_nodes
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=bench/kvraft-common.sh
source bench/kvraft-common.sh
trap 'exit 130' INT TERM

build_kvraft

pick_ports 4

# `kvraft status` as "id role commit applied snapshot" lines (nodes that answered, the joining one included).
status() {
    dotnet "$CLI" status --endpoints "$ENDPOINTS,127.0.0.1:${CLIENT_PORT[4]}" --timeout 3 2>/dev/null \
        | awk 'NR > 1 && $3 != "unreachable" { print $2, $3, $6, $7, $10 }' || true
}

# Brings new node $1 up to date from an empty data directory; returns once its applied index reached the leader's
# commit index as read just before. The node starts with --join: it asks the cluster to add it as a learner, and the
# leader's log being compacted, it gets a snapshot, then the log after it.
catch_up_node() { # id
    local id=$1
    start_node "$id" "\"join\": \"$ENDPOINTS\""
    local deadline=$((SECONDS + CATCH_UP_MAX)) target applied
    while [ $SECONDS -lt $deadline ]; do
        target=$(status | awk '$2 ~ /[Ll]eader/ { print $3 }')
        applied=$(status | awk -v id="$id" '$1 == id { print $4 }')
        if [ -n "$target" ] && [ -n "$applied" ] && [ "$applied" -ge "$target" ]; then return 0; fi
        sleep 0.2
    done
    echo "node $id did not catch up within $CATCH_UP_MAX s" >&2; exit 1
}

loadgen() { dotnet "$LOADGEN" --endpoints "$ENDPOINTS" --keys "$KEYS" --value-size "$VALUE_SIZE" --chart "$WORK/chart.png" "$@"; }

log "starting 3 nodes (snapshot every $SNAPSHOT_AFTER_BYTES log bytes)"
for id in 1 2 3; do start_node $id; done
wait_for_leader

log "loading $FILL_PUTS puts over $KEYS keys ($VALUE_SIZE-byte values)"
loadgen --mix put=100 --clients 256 --operations "$FILL_PUTS" --out "$WORK/fill.json" >"$WORK/fill.txt" 2>&1
log "measuring the peak ($PEAK_DURATION, $CLIENTS clients, closed loop)"
loadgen --mix put=100 --clients "$CLIENTS" --duration "$PEAK_DURATION" --warmup 3s --out "$WORK/peak.json" >"$WORK/peak.txt" 2>&1
PEAK=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["results"]["throughputPerSecond"]))' "$WORK/peak.json")
RATE=$((PEAK / 2))
log "peak $PEAK puts/s; measured load at $RATE puts/s"

# The measured load: back-to-back loadgen runs until told to stop.
(
    segment=0
    while [ ! -f "$WORK/stop-load" ]; do
        loadgen --mix put=100 --clients "$CLIENTS" --rate "$RATE" --duration "${SEGMENT}s" \
            --history "$WORK/history-$segment.jsonl" --out "$WORK/segment-$segment.json" >"$WORK/segment-$segment.txt" 2>&1 \
            || { log "load segment $segment failed:"; tail -5 "$WORK/segment-$segment.txt" >&2; sleep 1; }
        segment=$((segment + 1))
    done
) &
LOAD_PID=$!

sleep "$BEFORE"
FOLLOWER=4
log "adding node $FOLLOWER as a learner (--join) and bringing it up to date from an empty data directory"
START_NS=$(now_ns)
catch_up_node "$FOLLOWER"
END_NS=$(now_ns)
log "node $FOLLOWER caught up in $(python3 -c "print(f'{($END_NS - $START_NS) / 1e9:.1f}')") s"
sleep "$AFTER"
touch "$WORK/stop-load"
wait "$LOAD_PID" || true
LOAD_PID=""

INSTALLED=$(grep -c "installed snapshot" "$WORK/node-$FOLLOWER.log" || true)
STREAM=$(grep -h "Sending snapshot" "$WORK"/node-*.log | tail -3 || true)
python3 - "$WORK" "$START_NS" "$END_NS" "$KEYS" "$PEAK" "$RATE" "$FOLLOWER" "$INSTALLED" "$WARM" <<'EOF'
import glob, json, sys
work, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keys, peak, rate, node, installed = sys.argv[4:9]
warm = float(sys.argv[9]) * 1e9
windows = {"before": [], "during": [], "after": []}
failed = {"before": 0, "during": 0, "after": 0}
bounds = {}
paths = glob.glob(f"{work}/history-*.jsonl")
if not paths or all(not open(path).readline() for path in paths):
    sys.exit("no history from the measured load; its first run said:\n" + open(f"{work}/segment-0.txt").read()[-2000:])
for path in paths:
    ops = [json.loads(line) for line in open(path)]
    first = min((op["call"] for op in ops), default=0)
    for op in ops:
        call, ret = op["call"], op.get("return")
        if call < first + warm:
            continue
        window = "before" if call < start else "during" if call < end else "after"
        lo, hi = bounds.get(window, (call, call))
        bounds[window] = (min(lo, call), max(hi, call))
        if op.get("ok") is True and ret is not None:
            windows[window].append((ret - call) / 1e6)
        else:
            failed[window] += 1
def p(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]
print(f"| keys | peak (puts/s) | load (puts/s) | node | snapshot installed | time to catch up (s) |")
print(f"|---:|---:|---:|---:|---|---:|")
print(f"| {int(keys):,} | {int(peak):,} | {int(rate):,} | {node} | {'yes' if int(installed) > 0 else 'no'} | {(end - start) / 1e9:.1f} |")
print()
print("| window | puts/s | ok | failed or unknown | p50 (ms) | p99 (ms) | max (ms) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for window, values in windows.items():
    lo, hi = bounds.get(window, (0, 0))
    seconds = max((hi - lo) / 1e9, 1e-9)
    print(f"| {window} | {len(values) / seconds:,.0f} | {len(values):,} | {failed[window]:,} | {p(values, 0.5):.2f} | {p(values, 0.99):.2f} | {max(values) if values else float('nan'):.2f} |")
EOF
[ -n "$STREAM" ] && log "leader's snapshot stream log lines: $STREAM"
log "done"
