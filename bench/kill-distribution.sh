#!/usr/bin/env bash
# Leader failover, KvRaft and etcd side by side (issue 14, "Failover in half a second, every time"): KILLS SIGKILLs
# of the leader on each store under load, the write unavailability of each (loadgen's kill metric: from the SIGKILL
# to the first successful write called after the killed process exited), and their distribution.
#   KvRaft: one loadgen run on its own 3-process local cluster, a kill every 10 s and a restart 3 s after each; then
#           the same with SIGTERM instead of SIGKILL (stop-leader: the leader hands over before it exits).
#   etcd:   a 3-member cluster on 127.0.0.1, one loadgen run per kill (--target etcd, SIGKILL of the leader 3 s in),
#           the killed member restarted on its data after the run and given 7 s before the next kill (the same
#           rhythm). Twice: with etcd's default timing (heartbeat 100 ms, election timeout 1,000 ms) and tuned to
#           KvRaft's (heartbeat 30 ms, election timeout 300 ms) so that the comparison is not only a setting.
# Both: 64 clients, the mixed workload, fsync on. Prints one Markdown table on stdout (progress on stderr).
#
#   bash bench/kill-distribution.sh                  # from the repository root; about 15 minutes on 2 cores
#   KILLS=5 ETCD_TIMINGS="tuned" bash bench/kill-distribution.sh
#   ETCD_TIMINGS= bash bench/kill-distribution.sh    # KvRaft only
#   KILLS=60 STOPS=0 ETCD_TIMINGS= bash bench/kill-distribution.sh   # 60 SIGKILLs in one run, no SIGTERM run
#   KEEP_LOGS=/tmp/kill-logs ETCD_TIMINGS= bash bench/kill-distribution.sh   # keep the KvRaft nodes' logs there
#
# After the table, one row per KvRaft SIGKILL with its phases (bench/kill-timeline.sh: the SIGKILL to a survivor
# noticing, to the new leader, to the first write acknowledged), from loadgen's faults on the wall clock and the nodes'
# logs (kept in the temporary folder when KEEP_LOGS is not set).
#
# Every process it starts and its temporary folder are removed on exit (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

KILLS=${KILLS:-20}
STOPS=${STOPS:-1}                              # 0: skip the SIGTERM run
ETCD_TIMINGS=${ETCD_TIMINGS-"default tuned"}   # which etcd timings to measure (empty: KvRaft only)
CLIENTS=64

BENCH_NAME=kill-distribution
# shellcheck source=bench/etcd-common.sh
source bench/etcd-common.sh

log "$(etcd --version | head -1), $(dotnet --version | sed 's/^/.NET SDK /')"
log "building loadgen and kvraft-server (Release)"
dotnet build tools/loadgen -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
LOADGEN=tools/loadgen/bin/Release/net10.0/loadgen.dll

# kills NAME [FAULT]: the unavailability (ms) of every FAULT row (default kill-leader) of run NAME's table, one a line.
kills() { grep "^| ${2:-kill-leader} " "$WORK/$1.md" | awk -F'|' '{gsub(/ /, "", $4); print $4}'; }
# gaps NAME FAULT: the longest write gap (ms) in the 2 s after every FAULT row of run NAME's table, one a line.
gaps() { grep "^| $2 " "$WORK/$1.md" | awk -F'|' '{gsub(/ /, "", $9); print $9}'; }

# loadgen NAME ARGS...: one loadgen run, its table in $WORK/NAME.md, its output in NAME.log.
loadgen() {
    local name=$1; shift
    local keep=()
    if [[ $name == kvraft* ]]; then keep=(--keep-logs "$(logs_of "$name")"); fi
    dotnet "$LOADGEN" "$@" "${keep[@]}" --clients "$CLIENTS" --markdown "$WORK/$name.md" --chart "$WORK/$name.png" \
        >"$WORK/$name.log" 2>&1 || { log "$name: loadgen failed"; tail -30 "$WORK/$name.log" >&2; exit 1; }
    if [[ $name == kvraft* ]]; then cp "$WORK/$name.md" "$(logs_of "$name")/"; fi # beside the logs, for kill-timeline.sh
}

# logs_of NAME: where run NAME's node logs are kept.
logs_of() { echo "${KEEP_LOGS:-$WORK/logs}/$1"; }

# row STORE FILE: one table row from a file of unavailabilities (ms), one a line ("no write after" counts as failed).
row() {
    sort -g "$2" | awk -v store="$1" '
        { all[NR] = $1; if ($1 + 0 == $1 && $1 < 500) under++; if ($1 + 0 != $1) failed++ }
        END {
            n = NR; median = (n % 2) ? all[(n + 1) / 2] : (all[n / 2] + all[n / 2 + 1]) / 2
            list = ""; for (i = 1; i <= n; i++) list = list (i > 1 ? ", " : "") sprintf("%.0f", all[i])
            printf "| %s | %d | %d | %.0f ms | %.0f ms | %s |\n", store, n, under, median, all[n], list
        }'
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$SECONDS

schedule=""
for k in $(seq 0 $((KILLS - 1))); do schedule+="${schedule:+,}kill-leader@$((5 + 10 * k))s,restart@$((8 + 10 * k))s"; done
log "KvRaft: $KILLS leader kills in one run ($((KILLS * 10 + 5)) s)"
loadgen kvraft --faults "$schedule" --duration "$((KILLS * 10 + 5))s"
kills kvraft >"$WORK/kvraft.kills"
gaps kvraft kill-leader >"$WORK/kvraft.gaps"
log "KvRaft: $(tr '\n' ' ' <"$WORK/kvraft.kills")"
if [ "$STOPS" != 0 ]; then
    log "KvRaft: $KILLS leader stops (SIGTERM) in one run"
    loadgen kvraft-stop --faults "${schedule//kill-leader/stop-leader}" --duration "$((KILLS * 10 + 5))s"
    kills kvraft-stop stop-leader >"$WORK/kvraft-stop.kills"
    gaps kvraft-stop stop-leader >"$WORK/kvraft-stop.gaps"
    log "KvRaft stops: $(tr '\n' ' ' <"$WORK/kvraft-stop.kills")"
fi

for timing in $ETCD_TIMINGS; do
    case $timing in
        default) ETCD_FLAGS=() ;;
        tuned) ETCD_FLAGS=(--heartbeat-interval 30 --election-timeout 300) ;;
        *) log "unknown etcd timing $timing (default, tuned)"; exit 2 ;;
    esac
    log "etcd ($timing timing): a fresh 3-member cluster, $KILLS leader kills, one run each"
    start_etcd
    : >"$WORK/etcd-$timing.kills"; : >"$WORK/etcd-$timing.gaps"
    for k in $(seq 1 "$KILLS"); do
        loadgen "etcd-$timing-$k" --target etcd --endpoints "$ENDPOINTS" --etcd-pids "$(IFS=,; echo "${CLUSTER[*]}")" \
            --faults kill-leader@3s --duration 6s
        kills "etcd-$timing-$k" >>"$WORK/etcd-$timing.kills"
        gaps "etcd-$timing-$k" kill-leader >>"$WORK/etcd-$timing.gaps"
        for i in 1 2 3; do
            if ! ours "${CLUSTER[i - 1]}"; then
                wait "${CLUSTER[i - 1]}" 2>/dev/null || true
                start_etcd_member "$i"; wait_port $((ETCD_BASE - 1 + i)) 30
            fi
        done
        sleep 7 # the restarted member catches up before the next kill, as KvRaft's get 7 s
        log "etcd ($timing) kill $k: $(tail -1 "$WORK/etcd-$timing.kills") ms"
    done
    stop_cluster
done

echo "Leader SIGKILLs under load: $CLIENTS clients, mixed workload, 3 nodes on 127.0.0.1, fsync on;"
echo "load average before: $LOAD_BEFORE; $(( SECONDS - STARTED )) s in all; etcd driven by loadgen --target etcd."
echo
echo "| store | faults | under 500 ms | median | max | sorted (ms) |"
echo "|---|---:|---:|---:|---:|---|"
row "KvRaft (election timeout 300 ms)" "$WORK/kvraft.kills"
row "KvRaft, longest write gap in the 2 s after each kill" "$WORK/kvraft.gaps"
if [ "$STOPS" != 0 ]; then
    row "KvRaft, SIGTERM instead (the leader hands over)" "$WORK/kvraft-stop.kills"
    row "KvRaft, longest write gap in the 2 s after each SIGTERM" "$WORK/kvraft-stop.gaps"
fi
for timing in $ETCD_TIMINGS; do
    case $timing in
        default) row "etcd, default timing (heartbeat 100 ms, election 1,000 ms)" "$WORK/etcd-$timing.kills"
                 row "etcd default, longest write gap in the 2 s after each kill" "$WORK/etcd-$timing.gaps" ;;
        tuned) row "etcd tuned to KvRaft's (heartbeat 30 ms, election 300 ms)" "$WORK/etcd-$timing.kills"
               row "etcd tuned, longest write gap in the 2 s after each kill" "$WORK/etcd-$timing.gaps" ;;
    esac
done
echo
echo "Where each KvRaft SIGKILL lost its time (bench/kill-timeline.sh; ms from the SIGKILL unless said):"
echo
bash bench/kill-timeline.sh "$WORK/kvraft.md" "$(logs_of kvraft)"
