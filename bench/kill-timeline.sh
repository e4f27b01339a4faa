#!/usr/bin/env bash
# Where each leader kill of a loadgen run loses its time (issue 14): joins loadgen's faults on the wall clock (the
# third table of its --markdown file: the SIGKILL, the process reaped, the first write acknowledged after it) with the
# nodes' log lines kept by --keep-logs (a survivor's "lost peer V", "no known leader", "leader is node L"), and prints
# one Markdown row per kill with its phases in milliseconds:
#   exit seen        the SIGKILL to the process reaped, as loadgen saw it (its wait also waits for the node's output
#                    pipes to close, and runs among 64 busy clients: a survivor often notices first);
#   kill→noticed     the SIGKILL to the first survivor that noticed: its "lost peer V" line (the dead leader's connection
#                    closed) or, when earlier, its "no known leader" line (an election timeout ran out first: "timeout");
#   second close     how much later the other survivor logged its "lost peer V" (its own view of the same death);
#   noticed→leader   to the first "leader is node L" (L not the victim) any node logged: the new leader elected;
#   leader→commit    to the new leader's "first commit as leader" line: its term's first entry committed, which
#                    needs the other survivor to hold the whole log (a restarted survivor may have to catch up);
#   commit→write     to the first write acknowledged once the victim had exited (the clients finding the new leader,
#                    and that write's own commit).
# kill→noticed, noticed→leader, leader→commit and commit→write add up to the kill's unavailability (loadgen's figure).
# Times are the nodes' log timestamps and loadgen's table, both HH:mm:ss.fff in local time on one machine (loadgen's
# local cluster); a run across midnight is not handled.
#
#   bash bench/kill-timeline.sh RUN.md LOGDIR     # LOGDIR holds node-1.log, node-2.log, ... (loadgen --keep-logs)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RUN.md LOGDIR" >&2; exit 2; }
markdown=$1 logs=$2

# One line per event, sorted by time: "ms kind node other" (kind: kill, lost, noleader, leader).
events() {
    awk -F'|' '$2 ~ /^ [0-9][0-9]:[0-9][0-9]:/ && $3 ~ /^ kill-leader / {
        split($2, hms, ":"); t = (hms[1] * 3600 + hms[2] * 60 + hms[3]) * 1000
        split($3, name, " "); victim = substr(name[2], 2)
        gsub(/ /, "", $4); gsub(/ /, "", $7)
        printf "%.3f kill %s %s %s\n", t, victim, $4, $7
    }' "$markdown"
    for file in "$logs"/node-*.log; do
        awk '$1 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+$/ {
            split($1, hms, ":"); t = (hms[1] * 3600 + hms[2] * 60 + hms[3]) * 1000
            if ($4 == "Node" && $6 == "lost" && $7 == "peer") printf "%.3f lost %s %s\n", t, $5, $8
            else if ($4 == "Node" && $6 == "no" && $7 == "known" && $8 == "leader") printf "%.3f noleader %s -\n", t, $5 + 0
            else if ($4 == "Node" && $6 == "leader" && $7 == "is" && $8 == "node") printf "%.3f leader %s %s\n", t, $5 + 0, $9
            else if ($4 == "Node" && $6 == "first" && $7 == "commit") printf "%.3f commit %s -\n", t, $5 + 0
        }' "$file"
    done
}

events | sort -g -k1,1 | awk '
    function ms(x) { return (x == "" || x == "-") ? "-" : sprintf("%.0f", x) }
    function close_kill() {
        if (k == 0) return
        noticed = lost1; how = "lost peer"
        if (noleader != "" && (noticed == "" || noleader < noticed)) { noticed = noleader; how = "timeout" }
        a = (noticed == "") ? "-" : noticed - at
        b = (noticed == "" || leader == "") ? "-" : leader - noticed
        c = (leader == "" || committed == "") ? "-" : committed - leader
        d = (committed == "" || first == "-") ? "-" : first - (committed - at)
        second = (lost1 != "" && lost2 != "") ? lost2 - lost1 : "-"
        printf "| %d | %s | n%s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k, clock(at), victim, ms(exit_ms), ms(a),
            (noticed == "") ? "-" : how, ms(second), ms(b), ms(c), ms(d), ms(first)
        keep(1, exit_ms); keep(2, a); keep(3, second); keep(4, b); keep(5, c); keep(6, d); keep(7, first)
        if (how == "timeout") timeouts++
    }
    function keep(column, x) { if (x != "" && x != "-") { n[column]++; v[column, n[column]] = x + 0 } }
    function median(column,    i, j, t, m) {
        m = n[column]; if (m == 0) return "-"
        for (i = 2; i <= m; i++) for (j = i; j > 1 && v[column, j - 1] > v[column, j]; j--) {
            t = v[column, j]; v[column, j] = v[column, j - 1]; v[column, j - 1] = t
        }
        return ms((m % 2) ? v[column, (m + 1) / 2] : (v[column, m / 2] + v[column, m / 2 + 1]) / 2)
    }
    function clock(t) { return sprintf("%02d:%02d:%06.3f", int(t / 3600000), int(t % 3600000 / 60000), (t % 60000) / 1000) }
    BEGIN {
        print "| kill | at | victim | exit seen (ms) | kill→noticed (ms) | noticed by | second close (ms) | noticed→leader (ms) | leader→commit (ms) | commit→write (ms) | unavailable (ms) |"
        print "|---:|---|---|---:|---:|---|---:|---:|---:|---:|---:|"
    }
    $2 == "kill" { close_kill(); k++; at = $1; victim = $3; exit_ms = $4; first = $5; lost1 = lost2 = noleader = leader = committed = ""; split("", lostby); next }
    k == 0 || $1 - at > 10000 { next }
    # A survivor logs one "lost peer" per lane (bulk and control): its first is its view of the death.
    $2 == "lost" && $4 == victim && $3 != victim && !($3 in lostby) { lostby[$3] = 1; if (lost1 == "") lost1 = $1; else if (lost2 == "") lost2 = $1 }
    $2 == "noleader" && $3 != victim && noleader == "" { noleader = $1 }
    $2 == "leader" && $4 != victim && $3 != victim && leader == "" { leader = $1; elected = $4 }
    $2 == "commit" && leader != "" && $3 == elected && committed == "" { committed = $1 }
    END {
        close_kill()
        printf "| median of %d | | | %s | %s | %d by timeout | %s | %s | %s | %s | %s |\n", k, median(1), median(2), timeouts,
            median(3), median(4), median(5), median(6), median(7)
    }'
