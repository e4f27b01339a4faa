# Shared by bench/compare-etcd.sh and bench/kill-distribution.sh (sourced, not run): the temporary folder, the
# processes started (each named by $WORK on its command line, so an exited child's reused pid is never signalled),
# etcd's installation from Debian and 3-member etcd clusters on free loopback ports.
# The sourcing script sets BENCH_NAME (the log prefix) first.

log() { echo "[$BENCH_NAME $(date +%T)] $*" >&2; }

WORK=$(mktemp -d -t "kvraft-$BENCH_NAME.XXXXXX")
CLUSTER=()   # pids of the cluster now running (each node's command line names $WORK)

# True while $1 is still one of our nodes: an exited child's pid may already belong to someone else.
ours() { grep -qF "$WORK" "/proc/$1/cmdline" 2>/dev/null; }

stop_cluster() { # signal
    local pid
    for pid in "${CLUSTER[@]}"; do if ours "$pid"; then kill "-${1:-TERM}" "$pid" 2>/dev/null || true; fi; done
    for pid in "${CLUSTER[@]}"; do wait "$pid" 2>/dev/null || true; done
    CLUSTER=()
}

cleanup() {
    stop_cluster KILL
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# apt_install LOG PACKAGES...: Debian packages, with sudo when not root.
apt_install() {
    local logfile=$1 sudo=""; shift
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >"$WORK/$logfile" 2>&1 || { cat "$WORK/$logfile" >&2; exit 1; }
}

if ! command -v etcd >/dev/null 2>&1; then
    log "etcd is missing: installing Debian's etcd-server package"
    apt_install apt.log etcd-server
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Six ports in a row (3 client, 3 peer) that nothing listens on, below the ephemeral range (32768 and up) so
# that no outgoing connection holds one as its local port (as LoopbackPorts does for the tests).
pick_ports() {
    local base port busy
    while :; do
        base=$((20000 + RANDOM % 12700)); busy=0
        for port in $(seq "$base" $((base + 5))); do if port_open "$port"; then busy=1; break; fi; done
        if [ "$busy" -eq 0 ]; then echo "$base"; return; fi
    done
}

wait_port() { # port seconds
    local deadline=$((SECONDS + $2))
    until port_open "$1"; do
        if [ "$SECONDS" -ge "$deadline" ]; then log "nothing listens on 127.0.0.1:$1 after $2 s"; return 1; fi
        sleep 0.1
    done
}

ETCD_RUN=0
ETCD_BASE=0
ETCD_FLAGS=()   # extra flags of every member (e.g. --election-timeout 300 --heartbeat-interval 30)

# start_etcd_member I: member I (1..3) of the current etcd cluster ($ETCD_RUN, ports from $ETCD_BASE), in the
# background; sets CLUSTER[I-1] to its pid. Started again on its data folder, it rejoins (the initial flags are
# then ignored by etcd).
start_etcd_member() {
    local i=$1 initial="" j
    for j in 1 2 3; do initial+="${initial:+,}e$j=http://127.0.0.1:$((ETCD_BASE + 2 + j))"; done
    local client="http://127.0.0.1:$((ETCD_BASE - 1 + i))" peer="http://127.0.0.1:$((ETCD_BASE + 2 + i))"
    etcd --name "e$i" --data-dir "$WORK/etcd-$ETCD_RUN/$i" \
        --listen-client-urls "$client" --advertise-client-urls "$client" \
        --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
        --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "kvraft-bench-$ETCD_RUN" \
        "${ETCD_FLAGS[@]}" --logger zap --log-outputs "$WORK/etcd-$ETCD_RUN-$i.log" >/dev/null 2>&1 &
    CLUSTER[i - 1]=$!
}

# start_etcd: a fresh 3-member etcd cluster; sets ENDPOINTS (client host:port list, member order).
start_etcd() {
    local i
    ETCD_BASE=$(pick_ports); ETCD_RUN=$((ETCD_RUN + 1))
    for i in 1 2 3; do start_etcd_member "$i"; done
    for i in 0 1 2; do wait_port $((ETCD_BASE + i)) 30; done
    ENDPOINTS="127.0.0.1:$ETCD_BASE,127.0.0.1:$((ETCD_BASE + 1)),127.0.0.1:$((ETCD_BASE + 2))"
}
