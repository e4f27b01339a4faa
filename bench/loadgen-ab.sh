#!/usr/bin/env bash
# Two loadgen builds against ONE KvRaft cluster, alternated (gets, then puts, ROUNDS times), so a change in the client or
# in loadgen is measured apart from the servers and from the cluster's age: puts/s, operations, p50 and p99 of each run,
# and loadgen's user and system CPU seconds (its warm-up included). Three kvraft-server processes of this checkout.
#
#   LOADGEN_A=/path/to/other/checkout/tools/loadgen/bin/Release/net10.0/loadgen.dll bash bench/loadgen-ab.sh
#
# Build the other checkout's loadgen first (`git worktree add /tmp/old REV && dotnet build /tmp/old/tools/loadgen -c
# Release`). Settings (environment): LOADGEN_A (required), LOADGEN_B (default: this checkout's loadgen), ROUNDS (2),
# DURATION (8s), WARMUP (3s), CLIENTS (256). Every process it starts and its temporary folder are removed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${LOADGEN_A:?set LOADGEN_A to the other loadgen.dll}"
LOADGEN_B=${LOADGEN_B:-tools/loadgen/bin/Release/net10.0/loadgen.dll}
ROUNDS=${ROUNDS:-2}; DURATION=${DURATION:-8s}; WARMUP=${WARMUP:-3s}; CLIENTS=${CLIENTS:-256}
SNAPSHOT_AFTER_BYTES=$((64 * 1024 * 1024))
WORK=$(mktemp -d -t kvraft-loadgen-ab.XXXXXX)
declare -A PIDS=()
log() { echo "[loadgen-ab $(date +%T)] $*" >&2; }
# shellcheck source=bench/kvraft-common.sh
source bench/kvraft-common.sh
trap 'kill_nodes; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
build_kvraft
status() { dotnet "$CLI" status --endpoints "$ENDPOINTS" --timeout 3 2>/dev/null | awk 'NR > 1 && $3 != "unreachable" { print $2, $3, "-" }' || true; }
pick_ports 3
for id in 1 2 3; do start_node "$id"; done
wait_for_leader
echo "| round | workload | loadgen | ops/s | operations | p50 (ms) | p99 (ms) | loadgen CPU s (user / system) |"
echo "|---:|---|---|---:|---:|---:|---:|---|"
for round in $(seq 1 "$ROUNDS"); do
    for mix in get=100 put=100; do
        for which in A B; do
            dll=LOADGEN_$which
            /usr/bin/time -f "%U / %S" -o "$WORK/time" env DOTNET_GCgen0size=0x8000000 dotnet "${!dll}" --endpoints "$ENDPOINTS" \
                --mix "$mix" --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP" >"$WORK/out" 2>&1
            row=$(grep -A2 "throughput (ops/s)" "$WORK/out" | tail -1 | cut -d'|' -f2,3,7,9)
            echo "| $round | $mix | $which |$row | $(cat "$WORK/time") |"
        done
    done
done
