#!/usr/bin/env bash
# KvRaft side by side with etcd on this machine (issues 6 and 14). Three KvRaft nodes, then three etcd members,
# all on 127.0.0.1 and both durable (each fsyncs its log before acknowledging; etcd's default, no
# --unsafe-no-fsync). KvRaft is driven by loadgen. etcd is driven two ways: by its own Go client (clientv3) in
# bench/etcd-load, as etcd's tools/benchmark drives it (one request in flight per client, 16 gRPC connections, to
# the leader): the etcd columns of the table; and by loadgen --target etcd (dotnet-etcd over every member, the
# slower driver the earlier comparisons used), shown alongside. Then one leader-kill run on each. Prints Markdown
# tables on stdout (progress goes to stderr). Installs etcd and the Go toolchain with etcd's client sources from
# Debian (etcd-server, golang-go, golang-etcd-server-dev) when missing.
#
#   bash bench/compare-etcd.sh                       # from the repository root; 4-6 minutes on 2 cores
#   DURATION=15s CLIENTS=256 KILL_RUNS=0 bash bench/compare-etcd.sh
#
# Every process it starts and its temporary folder are removed on exit (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}   # each measured workload
CLIENTS=${CLIENTS:-256}     # logical clients of the measured workloads
KILL_RUNS=${KILL_RUNS:-1}   # 1: also a leader-kill run on each (10 s, 64 clients, SIGKILL of the leader at 5 s)
WARMUP=5s                   # the first run on each cluster: warms it up and checks linearizability
# Each measured run first runs its workload this long, unmeasured, on both stores. 10 s, not 3: a fresh KvRaft node's
# .NET tiered JIT takes 15-20 s of load to reach steady state (bench/put-flatness.sh, 2026-12-07 late: puts/s per second
# rose from 19k to 70k over the first 15 s; with DOTNET_TieredCompilation=0 they were flat from the first second, at a
# lower steady state); 3 s measured KvRaft partly during its start-up. etcd (Go: no JIT) gets the same warm-up.
LOADGEN_WARMUP=${LOADGEN_WARMUP:-10s}
# Variables for every loadgen process (on KvRaft and on etcd alike): a 128 MiB gen0 budget, as bench/put-flatness.sh
# measured (loadgen's GC pauses per 1,000 puts 1.39 -> 0.47 ms, its CPU per put 16 -> 9 us: with the default budget
# the 256 clients' requests in flight survive every gen0 collection). Only the environment variable is honoured
# (runtimeconfig's System.GC.Gen0Size is not). LOADGEN_ENV= runs loadgen with the runtime's defaults.
LOADGEN_ENV=${LOADGEN_ENV-DOTNET_GCgen0size=0x8000000}

BENCH_NAME=compare-etcd
# shellcheck source=bench/etcd-common.sh
source bench/etcd-common.sh

# --- prerequisites -----------------------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3 ]; then
    log "Go or etcd's client sources are missing: installing Debian's golang-go and golang-etcd-server-dev"
    apt_install apt-go.log golang-go golang-etcd-server-dev
fi
log "$(etcd --version | head -1), $(dotnet --version | sed 's/^/.NET SDK /'), $(go version)"

log "building bench/etcd-load (Go, GOPATH mode against Debian's etcd client sources)"
ETCD_LOAD="$WORK/etcd-load"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$WORK/go-cache" GOFLAGS= go build -o "$ETCD_LOAD" bench/etcd-load/main.go \
    >"$WORK/go-build.log" 2>&1 || { cat "$WORK/go-build.log" >&2; exit 1; }

log "building loadgen and kvraft-server (Release)"
dotnet build tools/loadgen -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
LOADGEN=tools/loadgen/bin/Release/net10.0/loadgen.dll
SERVER=src/KvRaft.Server/bin/Release/net10.0/kvraft-server.dll

# --- processes ---------------------------------------------------------------------------------------------
start_kvraft() {
    local base i peers="" clients=""
    base=$(pick_ports)
    for i in 1 2 3; do
        peers+="${peers:+,}$i=127.0.0.1:$((base + 2 + i))"; clients+="${clients:+,}$i=127.0.0.1:$((base - 1 + i))"
    done
    for i in 1 2 3; do
        dotnet "$SERVER" --id "$i" --peer-listen "127.0.0.1:$((base + 2 + i))" --client-listen "127.0.0.1:$((base - 1 + i))" \
            --peers "$peers" --client-peers "$clients" --data-dir "$WORK/kvraft/$i" >"$WORK/kvraft-$i.log" 2>&1 &
        CLUSTER+=($!)
    done
    for i in 0 1 2; do wait_port $((base + i)) 30; done
    ENDPOINTS="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
}

# --- runs --------------------------------------------------------------------------------------------------
# CPU seconds (user + system) used so far by the processes $@ (those still running).
cpu_seconds() {
    local ticks=0 pid
    for pid in "$@"; do
        if ours "$pid"; then ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); fi
    done
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# run NAME LOADGEN-ARGS...: one loadgen run; its Markdown table goes to $WORK/NAME.md, its output to NAME.log,
# "loadgen-cpu-seconds servers-cpu-seconds" to NAME.cpu (servers: the running $CLUSTER, if any).
run() {
    local name=$1; shift
    log "$name: loadgen $*"
    local status=0 before TIMEFORMAT='%U %S'
    before=$(cpu_seconds "${CLUSTER[@]}")
    # shellcheck disable=SC2086 # LOADGEN_ENV is a list of NAME=VALUE words
    { time env $LOADGEN_ENV dotnet "$LOADGEN" "$@" --markdown "$WORK/$name.md" --chart "$WORK/$name.png" >"$WORK/$name.log" 2>&1; } \
        2>"$WORK/$name.time" || status=$?
    awk -v before="$before" -v after="$(cpu_seconds "${CLUSTER[@]}")" '{ printf "%.2f %.2f\n", $1 + $2, after - before }' \
        "$WORK/$name.time" >"$WORK/$name.cpu"
    if [ "$status" -ne 0 ]; then
        log "$name: loadgen exited with $status"; tail -40 "$WORK/$name.log" >&2
        if [ "$status" -ne 1 ]; then exit "$status"; fi   # 1 = history not linearizable: reported in the table
    fi
    log "$name: $(sed -n 3p "$WORK/$name.md" | awk -F'|' '{gsub(/ /, ""); print $2 " ops/s, p50 " $7 " ms, p99 " $9 " ms, not ok " $5 "+" $6}')"
}

# field NAME COLUMN: a column of the results row (2 ops/s, 5 failed, 6 unknown, 7 p50, 9 p99).
field() { sed -n 3p "$WORK/$1.md" | awk -F'|' -v c="$2" '{gsub(/ /, "", $c); print $c}'; }
# warmup_ops NAME: operations of the run's unmeasured warm-up (0 without one).
warmup_ops() { { grep -m1 '^warm-up operations' "$WORK/$1.log" || echo ": 0"; } | awk -F': ' '{ print $2 + 0 }'; }
# cpu_per_op NAME WHICH: CPU µs per operation (successful ones and the warm-up's, which the CPU also covers) of the
# servers (WHICH=2) or of loadgen (WHICH=1).
cpu_per_op() { awk -v ok="$(( $(field "$1" 4) + $(warmup_ops "$1") ))" -v w="$2" '{ if (ok > 0) printf "%.0f", $w * 1e6 / ok; else print "-" }' "$WORK/$1.cpu"; }
unavailable() { grep -m1 '^| kill-' "$WORK/$1.md" | awk -F'|' '{gsub(/ /, "", $4); print $4}'; }
verdict() { grep -m1 -E '^(Linearizable|NotLinearizable|Unknown): ' "$WORK/$1.log" | cut -d: -f1 || echo "not checked"; }

# run_go NAME ARGS...: one bench/etcd-load run against $ENDPOINTS; its key=value line goes to $WORK/NAME.kv,
# "load-cpu-seconds servers-cpu-seconds" to NAME.cpu.
run_go() {
    local name=$1; shift
    log "$name: etcd-load $*"
    local before
    before=$(cpu_seconds "${CLUSTER[@]}")
    "$ETCD_LOAD" --endpoints "$ENDPOINTS" "$@" >"$WORK/$name.kv" 2>"$WORK/$name.err" || { cat "$WORK/$name.err" >&2; exit 1; }
    echo "$(gofield "$name" cpu_seconds) $(awk -v b="$before" -v a="$(cpu_seconds "${CLUSTER[@]}")" 'BEGIN { printf "%.2f", a - b }')" >"$WORK/$name.cpu"
    log "$name: $(cat "$WORK/$name.kv")"
}
# gofield NAME KEY: a value of an etcd-load run's line.
gofield() { tr ' ' '\n' <"$WORK/$1.kv" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# go_cpu_per_op NAME WHICH: CPU µs per operation (the key fill's and warm-up's included, as the CPU is) of the servers
# (2) or of etcd-load (1).
go_cpu_per_op() { awk -v ok="$(( $(gofield "$1" ops) + $(gofield "$1" unmeasured_ops) ))" -v w="$2" '{ if (ok > 0) printf "%.0f", $w * 1e6 / ok; else print "-" }' "$WORK/$1.cpu"; }

WORKLOADS=(mixed put get)
declare -A MIX=([mixed]="get=50,put=30,append=10,cas=10" [put]="put=100" [get]="get=100")
declare -A TITLE=(
    [mixed]="mixed get 50 / put 30 / append 10 / cas 10, $CLIENTS clients"
    [put]="put 100%, $CLIENTS clients"
    [get]="get 100% (linearizable), $CLIENTS clients")

# The same sequence on one fresh cluster: a warm-up run of the mixed workload whose history is checked (the
# checker assumes every key starts absent, so only the first run on a cluster can be checked), then the
# measured runs: mixed, puts, gets (reading what the earlier runs wrote).
measure() { # target extra-args...
    local target=$1; shift
    run "$target-check" --target "$target" --endpoints "$ENDPOINTS" "$@" --mix "${MIX[mixed]}" --clients "$CLIENTS" \
        --duration "$WARMUP" --check --history "$WORK/$target-check.history"
    local workload
    for workload in "${WORKLOADS[@]}"; do
        run "$target-$workload" --target "$target" --endpoints "$ENDPOINTS" "$@" --mix "${MIX[$workload]}" \
            --clients "$CLIENTS" --duration "$DURATION" --warmup "$LOADGEN_WARMUP"
    done
    run "$target-put1" --target "$target" --endpoints "$ENDPOINTS" "$@" --mix "${MIX[put]}" \
        --clients 1 --duration "$DURATION" --warmup "$LOADGEN_WARMUP"
}

# etcd at its best: its own client, as tools/benchmark drives it (to the leader, 16 connections).
measure_etcd_go() {
    local op
    for op in put get get-serializable; do
        run_go "etcdgo-$op" --op "$op" --clients "$CLIENTS" --conns 16 --duration "$DURATION" --warmup "$LOADGEN_WARMUP"
    done
    run_go "etcdgo-put1" --op put --clients 1 --conns 1 --duration "$DURATION" --warmup "$LOADGEN_WARMUP"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$SECONDS

log "KvRaft: starting 3 nodes"
start_kvraft
measure kvraft
stop_cluster

log "etcd: starting 3 members (driven by its own Go client)"
start_etcd
measure_etcd_go
stop_cluster

log "etcd: starting 3 fresh members (driven by loadgen through dotnet-etcd)"
start_etcd
measure etcd
stop_cluster

if [ "$KILL_RUNS" = 1 ]; then
    log "KvRaft leader kill (loadgen starts its own 3-node cluster)"
    run kvraft-kill --faults kill-leader@5s --duration 10s --clients 64 --check
    log "etcd leader kill (a fresh 3-member cluster)"
    start_etcd
    run etcd-kill --target etcd --endpoints "$ENDPOINTS" --etcd-pids "$(IFS=,; echo "${CLUSTER[*]}")" \
        --faults kill-leader@5s --duration 10s --clients 64 --check
    stop_cluster
fi

# --- the table ---------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
not_ok() { echo $(( $(field "$1" 5) + $(field "$1" 6) )); }

echo
echo "KvRaft vs etcd $(etcd --version | head -1 | awk '{print $3}'): 3 nodes each on 127.0.0.1, fsync on, 16-byte keys, 100-byte values,"
echo "closed loop, $DURATION per workload after $LOADGEN_WARMUP of it unmeasured; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
echo "load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg); $((SECONDS - STARTED)) s of runs;"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC')."
echo
echo "etcd's columns: bench/etcd-load (clientv3, $CLIENTS clients with one request in flight each, 16 gRPC connections to the leader, as etcd's tools/benchmark)."
echo "The last columns: etcd driven by loadgen --target etcd (dotnet-etcd, every member), the driver the earlier comparisons used."
echo
echo "| workload | KvRaft ops/s | p50 (ms) | p99 (ms) | server CPU µs/op | etcd (Go client) ops/s | p50 (ms) | p99 (ms) | server CPU µs/op | KvRaft / etcd | etcd (loadgen) ops/s | p99 (ms) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
row() { # title kvraft-run etcdgo-run etcd-loadgen-run
    local k=$2 g=$3 e=$4
    echo "| $1 | $(field "$k" 2) | $(field "$k" 7) | $(field "$k" 9) | $(cpu_per_op "$k" 2) | $(gofield "$g" ops_per_second) | $(gofield "$g" p50_ms) | $(gofield "$g" p99_ms) | $(go_cpu_per_op "$g" 2) | $(ratio "$(field "$k" 2)" "$(gofield "$g" ops_per_second)") | $( [ -n "$e" ] && field "$e" 2 || echo -) | $( [ -n "$e" ] && field "$e" 9 || echo -) |"
}
row "put 100%, $CLIENTS clients" kvraft-put etcdgo-put etcd-put
row "get 100% (linearizable), $CLIENTS clients" kvraft-get etcdgo-get etcd-get
row "put 100%, 1 client" kvraft-put1 etcdgo-put1 etcd-put1
echo "| get 100% (serializable: etcd may answer stale; KvRaft has no such mode), $CLIENTS clients | - | - | - | - | $(gofield etcdgo-get-serializable ops_per_second) | $(gofield etcdgo-get-serializable p50_ms) | $(gofield etcdgo-get-serializable p99_ms) | $(go_cpu_per_op etcdgo-get-serializable 2) | - | - | - |"
echo "| ${TITLE[mixed]} (etcd: loadgen only) | $(field kvraft-mixed 2) | $(field kvraft-mixed 7) | $(field kvraft-mixed 9) | $(cpu_per_op kvraft-mixed 2) | - | - | - | - | $(ratio "$(field kvraft-mixed 2)" "$(field etcd-mixed 2)") (vs loadgen) | $(field etcd-mixed 2) | $(field etcd-mixed 9) |"
if [ "$KILL_RUNS" = 1 ]; then
    echo "| leader SIGKILLed at 5 s (mixed, 64 clients, 10 s) | $(field kvraft-kill 2) | $(field kvraft-kill 7) | $(field kvraft-kill 9) | - | $(field etcd-kill 2) | $(field etcd-kill 7) | $(field etcd-kill 9) | - | $(ratio "$(field kvraft-kill 2)" "$(field etcd-kill 2)") |"
fi
echo
echo "Server CPU µs/op: user + system CPU of the three server processes during the run (warm-up included), per successful operation (the warm-up's included)."
echo "Load generators' own CPU µs/op: loadgen on KvRaft (its ~1 s start-up included) $(for w in put get put1; do printf '%s %s; ' "$w" "$(cpu_per_op "kvraft-$w" 1)"; done)etcd-load on etcd $(for w in put get put1; do printf '%s %s; ' "$w" "$(go_cpu_per_op "etcdgo-$w" 1)"; done)"
echo "History of the first $WARMUP mixed run on each fresh cluster (warm-up, not in the table): KvRaft $(verdict kvraft-check), etcd $(verdict etcd-check)."
echo "Operations not ok (failed + unknown), KvRaft / etcd: $(for w in "${WORKLOADS[@]}"; do printf '%s %s / %s; ' "$w" "$(not_ok "kvraft-$w")" "$(not_ok "etcd-$w")"; done)"
if [ "$KILL_RUNS" = 1 ]; then
    echo "Leader kill: time from the SIGKILL to the first successful write called after the process exited: KvRaft $(unavailable kvraft-kill) ms,"
    echo "etcd $(unavailable etcd-kill) ms (histories: KvRaft $(verdict kvraft-kill), etcd $(verdict etcd-kill); not ok: KvRaft $(not_ok kvraft-kill), etcd $(not_ok etcd-kill))."
fi
log "done"
