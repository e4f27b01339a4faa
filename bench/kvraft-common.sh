# Shared by the benchmarks that start kvraft-server processes by hand (catch-up.sh, grow-shrink.sh, memory.sh,
# join-under-load.sh; sourced, not run). The sourcing script sets WORK (its temporary folder, named on every node's
# command line) and the associative array PIDS (node id -> pid) first, and log().

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
