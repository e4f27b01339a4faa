#!/usr/bin/env python3
# How late election answers arrive: pairs each "Node Y ... sent PreVoteResponse|VoteResponse R for term T to node X"
# line of the nodes' logs with X's "received ... for term T from node Y" and prints the distribution of the gaps.
# The gap is from the sender's Raft step (the message is flushed at the end of that event-loop turn) to the
# receiver's step: a sender's or receiver's stalled turn counts, as does any queue the answer waited behind.
#   python3 bench/vote-delays.py LOGDIR     # LOGDIR holds node-1.log, ... (kill-distribution.sh's KEEP_LOGS/kvraft)
import glob
import re
import statistics
import sys

SENT = re.compile(r'(\d\d:\d\d:\d\d\.\d+) .*Node (\d+) \(term \d+[^)]*\) sent (PreVoteResponse|VoteResponse) \w+ for term (\d+) to node (\d+)')
RECEIVED = re.compile(r'(\d\d:\d\d:\d\d\.\d+) .*Node (\d+) \(term \d+[^)]*\) received (PreVoteResponse|VoteResponse) \w+ for term (\d+) from node (\d+)')


def milliseconds(clock):
    hours, minutes, seconds = clock.split(':')
    return (int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000


def lines(folder):
    for name in sorted(glob.glob(folder + '/node-*.log')):
        with open(name, errors='replace') as file:
            yield from file


sent = {}
for line in lines(sys.argv[1]):
    if match := SENT.match(line):
        sent[(match[2], match[5], match[3], match[4])] = milliseconds(match[1])
gaps = []
for line in lines(sys.argv[1]):
    if (match := RECEIVED.match(line)) and (key := (match[5], match[2], match[3], match[4])) in sent:
        gaps.append((milliseconds(match[1]) - sent[key], match[1], key))
gaps.sort()
values = [gap for gap, _, _ in gaps]
if not values:
    sys.exit('no answers matched')
print(f'{len(values)} answers: median {statistics.median(values):.0f} ms, 90th percentile {values[int(len(values) * 0.9)]:.0f} ms, '
      f'max {values[-1]:.0f} ms; over 100 ms: {sum(v > 100 for v in values)}, over 200 ms: {sum(v > 200 for v in values)}')
for gap, clock, (sender, receiver, kind, term) in gaps[-5:]:
    print(f'  {gap:.0f} ms: {kind} for term {term}, node {sender} -> node {receiver}, received at {clock}')
