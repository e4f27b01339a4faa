#!/usr/bin/env bash
# How flat is put throughput, second by second, over a long run (issue 14, point 2: "steady-state throughput per
# second within ±10% of its mean over a 60 s put run, snapshots included"), and what it costs in CPU per put.
#
# Three kvraft-server processes on 127.0.0.1 (the server's default snapshot policy, so snapshots happen during the
# run) are loaded by loadgen: puts only, CLIENTS logical clients, KEYS 16-byte keys, VALUE_SIZE-byte values, a
# WARMUP unmeasured, then DURATION measured. Prints on stdout (Markdown): the mean of the per-second throughput, its
# min and max as a % of the mean, how many seconds fall outside ±10%, p50/p99, CPU µs per put (servers + loadgen,
# the warm-up's puts counted as its CPU is), then the per-second series aligned with what else happened in that
# second: each node's CPU, the snapshots the nodes logged ("Snapshot N written in X ms" ends in it), and, when
# dotnet-counters is found (PATH or ~/.dotnet/tools), each process's GC collections and pause time in it; and the
# machine's state in it: the VM's idle, iowait and steal shares of CPU (/proc/stat) and the data disk's writes and
# flushes with their mean service times (/proc/diskstats), to tell a second slowed by the cores, the hypervisor or the
# disk apart.
# Progress goes to stderr.
#
#   bash bench/put-flatness.sh                     # closed loop, 256 clients, 60 s (about 105 s in all)
#   RATE=60000 bash bench/put-flatness.sh          # open loop: 60,000 puts/s offered over the clients
#   DURATION=20s CLIENTS=64 bash bench/put-flatness.sh
#
# Settings (environment): DURATION (60s), WARMUP (20s), CLIENTS (256), KEYS (10000), VALUE_SIZE (100), RATE (empty:
# closed loop), SNAPSHOT_AFTER_BYTES (the server's default, 64 MiB), KEEP (a folder: copy the node logs, loadgen's
# JSON and the samples there), NO_BUILD (1: use the Release builds already there), LOADGEN_ENV (variables for loadgen
# alone; default DOTNET_GCgen0size=0x8000000, a 128 MiB gen0 budget: with the default one of a few MiB the requests
# in flight of 256 clients survive every gen0 collection and nearly all of loadgen's collections were gen1 ones, 0.47
# per 1,000 puts against 0.02 with it (docs/benchmarks-history.md, 2026-12-07; the runtimeconfig property
# System.GC.Gen0Size is not honoured); LOADGEN_ENV= for the runtime's defaults).
# Every process it starts and its temporary folder are removed on exit (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-60s}
# 20 s of unmeasured warm-up: a fresh node's tiered JIT takes 15-20 s of this load to reach steady state (puts/s per
# second rose from 19k to 70k over the first 15 s after a 5 s warm-up; with DOTNET_TieredCompilation=0, flat from the
# first second at a lower steady state: 2026-12-07 late); the goal is about the steady state.
WARMUP=${WARMUP:-20s}
CLIENTS=${CLIENTS:-256}
KEYS=${KEYS:-10000}
VALUE_SIZE=${VALUE_SIZE:-100}
RATE=${RATE:-}
SNAPSHOT_AFTER_BYTES=${SNAPSHOT_AFTER_BYTES:-$((64 * 1024 * 1024))}
KEEP=${KEEP:-}

log() { echo "[put-flatness $(date +%T)] $*" >&2; }

WORK=$(mktemp -d -t kvraft-put-flatness.XXXXXX)
declare -A PIDS=()   # node id -> pid (each node's command line names $WORK)
HELPERS=()           # the CPU sampler and the dotnet-counters sessions

cleanup() {
    local pid
    for pid in "${HELPERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${HELPERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    kill_nodes
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/kvraft-common.sh
source bench/kvraft-common.sh

status() { dotnet "$CLI" status --endpoints "$ENDPOINTS" --timeout 3 2>/dev/null | awk 'NR > 1 && $3 != "unreachable" { print $2, $3, "-" }' || true; }

if [ -n "${NO_BUILD:-}" ]; then # already built (Release)
    SERVER=src/KvRaft.Server/bin/Release/net10.0/kvraft-server.dll; CLI=src/KvRaft.Cli/bin/Release/net10.0/kvraft.dll; LOADGEN=tools/loadgen/bin/Release/net10.0/loadgen.dll
else
    build_kvraft
fi
pick_ports 3
for id in 1 2 3; do start_node "$id"; done
wait_for_leader
log "cluster up: $ENDPOINTS"

COUNTERS=$(command -v dotnet-counters || { [ -x "$HOME/.dotnet/tools/dotnet-counters" ] && echo "$HOME/.dotnet/tools/dotnet-counters"; } || true)

# Per second: wall time and each process's CPU ticks (user + system) until the run ends; started with loadgen.
start_sampler() { # loadgen-pid
    python3 - "$WORK/cpu.tsv" "$WORK" "$1" "${PIDS[1]}" "${PIDS[2]}" "${PIDS[3]}" <<'PY' &
import os, sys, time
out, work, pids = sys.argv[1], sys.argv[2], sys.argv[3:]
device = os.stat(work).st_dev
major, minor = os.major(device), os.minor(device)
def machine():
    # /proc/stat's cpu line (user nice system idle iowait irq softirq steal), then the data folder's disk from
    # /proc/diskstats: writes completed, ms spent writing, flushes completed, ms spent flushing (0 if not shown).
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:9]]
    disk = [0, 0, 0, 0]
    with open("/proc/diskstats") as f:
        for line in f:
            fields = line.split()
            if int(fields[0]) == major and int(fields[1]) == minor:
                disk = [int(fields[7]), int(fields[10]), int(fields[18]) if len(fields) > 19 else 0, int(fields[19]) if len(fields) > 19 else 0]
    return cpu + disk
def ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return -1
with open(out, "w", buffering=1) as f:
    next_at = time.monotonic()
    while True:
        row = [ticks(p) for p in pids]
        f.write("%.3f\t%s\t%s\n" % (time.time(), "\t".join(map(str, row)), "\t".join(map(str, machine()))))
        if row[0] < 0:
            break
        next_at += 1.0
        time.sleep(max(0.0, next_at - time.monotonic()))
PY
    HELPERS+=($!)
}

start_counters() { # loadgen-pid
    [ -n "$COUNTERS" ] || return 0
    local name pid
    for name in loadgen 1 2 3; do
        if [ "$name" = loadgen ]; then pid=$1; else pid=${PIDS[$name]}; fi
        "$COUNTERS" collect --process-id "$pid" --refresh-interval 1 --format csv -o "$WORK/counters-$name.csv" \
            --counters "System.Runtime[dotnet.gc.collections,dotnet.gc.pause.time,dotnet.gc.heap.total_allocated]" >"$WORK/counters-$name.log" 2>&1 &
        HELPERS+=($!)
    done
}

RATE_ARGS=()
if [ -n "$RATE" ]; then RATE_ARGS=(--rate "$RATE"); fi
log "loadgen: puts, $CLIENTS clients, $KEYS keys, $VALUE_SIZE-byte values, ${RATE:-closed loop}${RATE:+ puts/s offered}, $WARMUP warm-up + $DURATION"
servers_ticks() { local id; for id in 1 2 3; do awk '{ print $14 + $15 }' "/proc/${PIDS[$id]}/stat"; done | awk '{ t += $1 } END { print t }'; }
SERVERS_BEFORE=$(servers_ticks)
# Each progress line of loadgen is stamped with the wall clock: its "E s" (seconds since the measured start) then
# gives the measured start on the wall clock, to place the node logs' and the sampler's times in the series.
env ${LOADGEN_ENV-DOTNET_GCgen0size=0x8000000} dotnet "$LOADGEN" --endpoints "$ENDPOINTS" --mix put=100 --clients "$CLIENTS" --keys "$KEYS" --value-size "$VALUE_SIZE" \
    --duration "$DURATION" --warmup "$WARMUP" "${RATE_ARGS[@]}" --out "$WORK/run.json" --markdown "$WORK/run.md" \
    --chart "$WORK/run.png" > >(while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done >"$WORK/loadgen.out") 2>"$WORK/loadgen.err" &
LOADGEN_PID=$!
start_sampler "$LOADGEN_PID"
start_counters "$LOADGEN_PID"
status_code=0
wait "$LOADGEN_PID" || status_code=$?
sleep 0.5 # the timestamping reader drains
if [ "$status_code" -ne 0 ]; then log "loadgen exited with $status_code"; tail -30 "$WORK/loadgen.err" >&2; exit "$status_code"; fi
SERVERS_AFTER=$(servers_ticks)
# loadgen's own CPU: its last sample (it ran until the end).
LOADGEN_TICKS=$(awk -F'\t' '$2 >= 0 { t = $2 } END { print t + 0 }' "$WORK/cpu.tsv")

python3 - "$WORK" "$(getconf CLK_TCK)" "$((SERVERS_AFTER - SERVERS_BEFORE))" "$LOADGEN_TICKS" "$CLIENTS" "${RATE:-closed}" <<'PY'
import csv, datetime, glob, json, os, re, sys
work, hz, server_ticks, loadgen_ticks, clients, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
summary = json.load(open(os.path.join(work, "run.json")))["results"]
warmup_ops = 0
start_wall = None
for line in open(os.path.join(work, "loadgen.out")):
    stamp, _, text = line.partition(" ")
    m = re.match(r"\s*([0-9.]+) s\s+\d+ ops/s", text)
    if m and start_wall is None:
        start_wall = float(stamp) - float(m.group(1))
    m = re.match(r"warm-up operations \(not measured\): (\d+)", text)
    if m:
        warmup_ops = int(m.group(1))

# Per-second throughput from the 100 ms timeline (a second is complete only if its ten slices are).
timeline = summary["timeline"]
seconds = {}
for point in timeline:
    second = int(point["startSeconds"] + 1e-6)
    seconds.setdefault(second, []).append(point["operationsPerSecond"])
whole = int(summary["durationSeconds"] + 1e-6)
series = [sum(seconds[s]) / len(seconds[s]) for s in range(whole) if len(seconds.get(s, [])) == 10]
mean = sum(series) / len(series)
outside = [i for i, v in enumerate(series) if abs(v - mean) > 0.1 * mean]
ok = summary["succeeded"]
cpu_servers = server_ticks / hz
cpu_loadgen = loadgen_ticks / hz
puts = ok + warmup_ops
lat = summary["latency"]
print(f"### Put flatness: {clients} clients, {rate} {'(closed loop)' if rate == 'closed' else 'puts/s offered'}, {len(series)} s measured\n")
print("| mean (puts/s) | min / mean | max / mean | seconds outside ±10% | p50 (ms) | p99 (ms) | CPU/put servers (µs) | CPU/put loadgen (µs) | CPU/put total (µs) |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {mean:,.0f} | {min(series) / mean:.0%} | {max(series) / mean:.0%} | {len(outside)} of {len(series)} | {lat['p50Milliseconds']:.2f} | {lat['p99Milliseconds']:.2f} "
      f"| {cpu_servers * 1e6 / puts:.1f} | {cpu_loadgen * 1e6 / puts:.1f} | {(cpu_servers + cpu_loadgen) * 1e6 / puts:.1f} |")

# What happened in each second: CPU per process (from the sampler), snapshots ended (node logs), GCs (counters).
cpu = {}
machine = {}
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "cpu.tsv"))]
for before, after in zip(rows, rows[1:]):
    if start_wall is None:
        break
    second = int(float(after[0]) - start_wall - 0.5) # the sample ends a second: it counts for the second it mostly covers
    cpu[second] = [(int(a) - int(b)) / hz if int(a) >= 0 and int(b) >= 0 else float("nan") for a, b in zip(after[1:5], before[1:5])]
    if len(after) >= 17 and len(before) >= 17:
        d = [int(a) - int(b) for a, b in zip(after[5:17], before[5:17])]
        ticks_all = sum(d[0:8]) or 1
        writes, write_ms, flushes, flush_ms = d[8], d[9], d[10], d[11]
        machine[second] = (f"{d[3] / ticks_all:.0%} / {d[4] / ticks_all:.0%} / {d[7] / ticks_all:.0%}",
                           f"{writes:,} / {write_ms / writes if writes else 0:.2f} / {flushes:,} / {flush_ms / flushes if flushes else 0:.2f}")
events = {}
day = datetime.datetime.now(datetime.timezone.utc).date()
for node_log in sorted(glob.glob(os.path.join(work, "node-*.log"))):
    node = re.search(r"node-(\d+)\.log", node_log).group(1)
    for line in open(node_log, errors="replace"):
        m = re.match(r"(\d\d):(\d\d):(\d\d\.\d+) .*Snapshot (\d+) written in (\d+) ms", line)
        if m and start_wall is not None:
            h, mi, s = int(m.group(1)), int(m.group(2)), float(m.group(3))
            wall = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp() + h * 3600 + mi * 60 + s
            events.setdefault(int(wall - start_wall), []).append(f"n{node} snapshot {m.group(5)} ms")
gcs = {}
totals = {}
for name in ["loadgen", "1", "2", "3"]:
    path = os.path.join(work, f"counters-{name}.csv")
    if not os.path.exists(path):
        continue
    who = "lg" if name == "loadgen" else "n" + name
    total = totals.setdefault(who, {"gen0": 0.0, "gen1": 0.0, "gen2": 0.0, "pause": 0.0, "allocated": 0.0})
    for row in csv.DictReader(open(path)):
        counter, value = row.get("Counter Name", ""), float(row.get("Mean/Increment", "0") or 0)
        if not value:
            continue
        if "dotnet.gc.collections" in counter:
            what = re.search(r"generation=(gen\d)", counter).group(1)
            total[what] += value
        elif "dotnet.gc.pause.time" in counter:
            what, value = "pause", value * 1000
            total[what] += value
        elif "total_allocated" in counter:
            total["allocated"] += value
            continue
        else:
            continue
        if start_wall is not None:
            t = datetime.datetime.strptime(row["Timestamp"], "%m/%d/%Y %H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
            gcs.setdefault(int(t - start_wall) - 1, []).append(f"{who} {what} {value:.0f}{' ms' if what == 'pause' else ''}")
if totals:
    print(f"\nGC over the whole run (warm-up included, per 1,000 puts; pause in ms per 1,000 puts; allocated bytes per put), from dotnet-counters:\n")
    print("| process | gen0 | gen1 | gen2 | pause | allocated (B/put) |")
    print("|---|---:|---:|---:|---:|---:|")
    for who, total in totals.items():
        k = 1000 / puts
        print(f"| {who} | {total['gen0'] * k:.3f} | {total['gen1'] * k:.3f} | {total['gen2'] * k:.3f} | {total['pause'] * k:.2f} | {total['allocated'] / puts:,.0f} |")
print("\nMachine: the whole VM's CPU idle / iowait / steal (the hypervisor's share), from /proc/stat; disk: the data folder's device,"
      " writes / ms per write / flushes (fsyncs reaching the device) / ms per flush, from /proc/diskstats.\n")
print("| second | puts/s | vs mean | CPU s: loadgen, n1, n2, n3 | machine idle / iowait / steal | disk writes / ms / flushes / ms | snapshots ended, GCs (count, pause) |")
print("|---:|---:|---:|---|---|---|---|")
for i, value in enumerate(series):
    c = ", ".join(f"{x:.2f}" for x in cpu.get(i, []))
    m, d = machine.get(i, ("", ""))
    what = "; ".join(events.get(i, []) + gcs.get(i, []))
    print(f"| {i} | {value:,.0f} | {value / mean - 1:+.0%} | {c} | {m} | {d} | {what} |")
PY

if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP"
    cp "$WORK"/node-*.log "$WORK"/run.json "$WORK"/run.md "$WORK"/run.png "$WORK"/cpu.tsv "$WORK"/loadgen.out "$KEEP"/ 2>/dev/null || true
    cp "$WORK"/counters-*.csv "$KEEP"/ 2>/dev/null || true
    log "kept the logs and samples in $KEEP"
fi
