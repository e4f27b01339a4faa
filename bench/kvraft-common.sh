# Shared by the benchmarks that start kvraft-server processes by hand (catch-up.sh, grow-shrink.sh, memory.sh,
# join-under-load.sh; sourced, not run). The sourcing script sets WORK (its temporary folder, named on every node's
# command line) and the associative array PIDS (node id -> pid) first, and log(); for start_node, SNAPSHOT_AFTER_BYTES;
# for wait_for_leader, a status() printing "id role ..." lines.

# True while $1 is still one of our processes: an exited child's pid may already belong to someone else.
ours() { grep -qF "$WORK" "/proc/$1/cmdline" 2>/dev/null; }

# SIGKILLs every node still ours and waits for them (the cleanup on exit).
kill_nodes() {
    local pid
    for pid in "${PIDS[@]}"; do if ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Builds the server, the CLI and loadgen (Release) and sets SERVER, CLI and LOADGEN to their assemblies.
build_kvraft() {
    command -v python3 >/dev/null || { echo "python3 is needed (free ports, clocks, percentiles)" >&2; exit 1; }
    log "building server, CLI and loadgen (Release)"
    local project
    for project in src/KvRaft.Server src/KvRaft.Cli tools/loadgen; do
        dotnet build -c Release "$project" -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
    done
    SERVER=src/KvRaft.Server/bin/Release/net10.0/kvraft-server.dll
    CLI=src/KvRaft.Cli/bin/Release/net10.0/kvraft.dll
    LOADGEN=tools/loadgen/bin/Release/net10.0/loadgen.dll
}

# Free ports for nodes 1..$1 (PEER_PORT and CLIENT_PORT by id), and the initial voters 1-3 as PEERS, CLIENT_PEERS and
# ENDPOINTS.
pick_ports() { # node count
    declare -gA PEER_PORT=() CLIENT_PORT=()
    local id
    for id in $(seq 1 "$1"); do PEER_PORT[$id]=$(free_port); CLIENT_PORT[$id]=$(free_port); done
    PEERS=$(for id in 1 2 3; do printf '%s=127.0.0.1:%s,' "$id" "${PEER_PORT[$id]}"; done); PEERS=${PEERS%,}
    CLIENT_PEERS=$(for id in 1 2 3; do printf '%s=127.0.0.1:%s,' "$id" "${CLIENT_PORT[$id]}"; done); CLIENT_PEERS=${CLIENT_PEERS%,}
    ENDPOINTS=$(for id in 1 2 3; do printf '127.0.0.1:%s,' "${CLIENT_PORT[$id]}"; done); ENDPOINTS=${ENDPOINTS%,}
}

# Starts node $1 from a configuration file (the only way to set SNAPSHOT_AFTER_BYTES); $2 is the JSON of how it finds
# the cluster (default: the initial voters; a joining node gives "join" instead).
start_node() { # id [membership]
    local id=$1 membership=${2:-"\"peers\": \"$PEERS\", \"clientPeers\": \"$CLIENT_PEERS\""}
    mkdir -p "$WORK/data/$id"
    cat >"$WORK/node-$id.json" <<JSON
{ "id": $id, "peerListen": "127.0.0.1:${PEER_PORT[$id]}", "clientListen": "127.0.0.1:${CLIENT_PORT[$id]}",
  $membership, "dataDir": "$WORK/data/$id", "snapshotAfterLogBytes": $SNAPSHOT_AFTER_BYTES${SNAPSHOT_MIN_BYTES:+, \"snapshotAfterLogBytesMin\": $SNAPSHOT_MIN_BYTES} }
JSON
    dotnet "$SERVER" --config "$WORK/node-$id.json" >>"$WORK/node-$id.log" 2>&1 &
    PIDS[$id]=$!
}

# Waits (at most 60 s) until the sourcing script's status() lists a leader.
wait_for_leader() {
    local i
    for i in $(seq 1 120); do
        if status | grep -qi " leader "; then return 0; fi
        sleep 0.5
    done
    echo "no leader after 60 s" >&2; exit 1
}
