#!/usr/bin/env bash
# A learner joining under load (a smaller bench/grow-shrink.sh): 3 nodes started by hand, loadgen 64 clients for
# DURATION (default 30s); node 4 joins JOIN_AFTER seconds (default 5) into the load. Every second it prints the
# learner's applied index and the leader's commit index read from /metrics at once, and stops when the learner has
# applied the commit index the leader had a second before (CAUGHT_UP_MS, from the learner's start, its process start
# included). Then, while the load runs, it runs grow-shrink.sh's former check (three CLI runs one after the other)
# next to a sample of the metrics taken at once, to show how far that check's two readings are apart.
#
#   DURATION=90s JOIN_AFTER=15 bash bench/join-under-load.sh   # from the repository root
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${DURATION:-30s}; JOIN_AFTER=${JOIN_AFTER:-5}
WORK=$(mktemp -d -t kvraft-join.XXXXXX)
declare -A PIDS=()
LOAD_PID=""
cleanup() {
    if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; fi
    kill_nodes
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "[join-under-load $(date +%T)] $*" >&2; }
# shellcheck source=bench/kvraft-common.sh
source bench/kvraft-common.sh
build_kvraft
declare -A PEER=() CLIENT=() METRICS=()
for id in 1 2 3 4; do PEER[$id]=127.0.0.1:$(free_port); CLIENT[$id]=127.0.0.1:$(free_port); METRICS[$id]=127.0.0.1:$(free_port); done
PEERS="1=${PEER[1]},2=${PEER[2]},3=${PEER[3]}"; CLIENT_PEERS="1=${CLIENT[1]},2=${CLIENT[2]},3=${CLIENT[3]}"
ENDPOINTS="${CLIENT[1]},${CLIENT[2]},${CLIENT[3]}"
start() { local id=$1; shift
    dotnet "$SERVER" --id "$id" --peer-listen "${PEER[$id]}" --client-listen "${CLIENT[$id]}" --metrics-listen "${METRICS[$id]}" --data-dir "$WORK/data/$id" "$@" >>"$WORK/node-$id.log" 2>&1 &
    PIDS[$id]=$!; }
metric() { curl -s "http://${METRICS[$1]}/metrics" 2>/dev/null | awk -v m="$2" '$1 == m { print int($2) }' || true; }
leader() { for id in 1 2 3; do [ "$(curl -s "http://${METRICS[$id]}/metrics" | awk '$1 ~ /^kvraft_role\{.*leader/ { print int($2) }')" = 1 ] && { echo $id; return; }; done; return 0; }
for id in 1 2 3; do start "$id" --peers "$PEERS" --client-peers "$CLIENT_PEERS"; done
until [ -n "$(leader)" ]; do sleep 0.5; done
dotnet "$LOADGEN" --endpoints "$ENDPOINTS" --duration "$DURATION" --clients 64 --chart "$WORK/chart.png" >"$WORK/load.log" 2>&1 &
LOAD_PID=$!
sleep "$JOIN_AFTER"
start 4 --join "$ENDPOINTS"
joined=$(date +%s%N); caught=""; previous=999999999
while true; do
    sleep 1
    l=$(leader); commit=$(metric "$l" kvraft_commit_index); applied=$(metric 4 kvraft_applied_index)
    t=$(( ($(date +%s%N) - joined) / 1000000 ))
    running=$(kill -0 "$LOAD_PID" 2>/dev/null && echo load || echo idle)
    echo "t=${t}ms $running leader=$l commit=$commit learner_applied=${applied:-?}"
    if [ -n "$applied" ] && [ "$applied" -ge "$previous" ]; then caught=$t; break; fi  # within a second of log
    [ -n "$commit" ] && previous=$commit
    [ $t -gt 240000 ] && break
done
CLI=src/KvRaft.Cli/bin/Release/net10.0/kvraft.dll
ALL="$ENDPOINTS,${CLIENT[4]}"
kvraft() { dotnet "$CLI" "$@" --endpoints "$ALL" --timeout 10; }
status_field() { kvraft status 2>/dev/null | awk -v id="$1" -v c="$2" 'NR > 1 && $2 == id { print $c }'; }
cli_leader() { kvraft status 2>/dev/null | awk 'NR > 1 && $3 == "leader" { print $2; exit }'; }
for i in 1 2 3 4 5 6; do  # grow-shrink's caught_up check, next to a simultaneous sample of the metrics
    kill -0 "$LOAD_PID" 2>/dev/null || break
    l=$(leader); lag=$(( $(metric "$l" kvraft_commit_index) - $(metric 4 kvraft_applied_index) ))
    s0=$(date +%s%N); a=$(status_field 4 7); tl=$(cli_leader); c=$(status_field "$tl" 6)
    echo "grow-shrink check: applied=$a target=$c (target - applied = $((c - a)); passes when <= 1000) took $(( ($(date +%s%N) - s0) / 1000000 )) ms; lag sampled at once: $lag entries"
done
echo "CAUGHT_UP_MS=${caught:-never} (applied >= the leader commit of 1 s before) (load ${DURATION}, joined ${JOIN_AFTER}s in)"
wait "$LOAD_PID" || true; LOAD_PID=""
grep -E "ops/s|Throughput|throughput" "$WORK/load.log" | head -3
