using System.Buffers;
using KvRaft.Raft;
using KvRaft.Storage;

namespace KvRaft.Simulation;

/// <summary>
/// Raft's safety properties over the running KvNodes, checked after every tick: election safety (one leader a
/// term), committed entries never change (every node that commits an index commits the same term and payload:
/// log matching for what matters), a running node's commit index never moves back, and leader completeness (a
/// leader holds every entry committed before its term). State machine safety and exactly-once are the
/// <see cref="ApplyAudit"/>'s; linearizability is checked on the history at the end.
/// </summary>
internal sealed class SafetyChecker(Simulation simulation)
{
    private readonly Dictionary<long, int> _leaderOfTerm = new();
    private readonly Dictionary<long, (long Term, int Payload)> _committed = new();
    private readonly HashSet<(int Node, long Term)> _leadersChecked = new();
    private readonly List<LogEntry> _scratch = new();

    private readonly Dictionary<int, ConfigState> _configSeen = new(); // each running node's configuration at the last tick
    private readonly HashSet<int> _removed = new(); // members some node saw leave its configuration (none is added again)
    // Members whose removal a majority of the voters left has applied, as of this tick (not sticky: a restart sends a
    // node's applied state back to its snapshot, and the configuration with it).
    private readonly HashSet<int> _removedOnMajority = new();

    /// <summary>The highest commit index any node has reached.</summary>
    public long GlobalCommitted { get; private set; }

    public void AfterStep(IReadOnlyList<SimHost> hosts)
    {
        foreach (var host in hosts)
        {
            if (host.Node is not { } node)
            {
                continue;
            }

            var raft = node.RaftNode;
            CheckCommitAdvance(host, raft);
            if (raft.Role != Role.Leader)
            {
                continue;
            }

            if (_leaderOfTerm.TryGetValue(raft.Term, out var leader) && leader != host.Id)
            {
                simulation.Fail(ViolationKind.ElectionSafety, $"n{leader} and n{host.Id} both lead term {raft.Term}");
            }
            _leaderOfTerm[raft.Term] = host.Id;
            if (!_leadersChecked.Add((host.Id, raft.Term)))
            {
                continue;
            }

            CheckLeaderCompleteness(host, raft);
            if (!raft.Config.IsVoter(host.Id) || (_removedOnMajority.Contains(host.Id) && !HoldsItsRemoval(host, raft)))
            {
                simulation.Fail(ViolationKind.RemovedNodeLeads, $"n{host.Id} leads term {raft.Term} after a majority of the voters left applied its removal");
            }
        }
    }

    /// <summary>
    /// Notes every member whose removal a majority of the remaining voters has applied (a running node's configuration,
    /// not joint, without it, and a majority of its voters running with a configuration without it): while so, it
    /// becomes leader only holding its removal (<see cref="HoldsItsRemoval"/>); a node that applied its removal never
    /// leads. Checked before <see cref="AfterStep"/> sees the next leaders.
    /// </summary>
    public void TrackRemovals(IReadOnlyList<SimHost> hosts)
    {
        _removedOnMajority.Clear();
        foreach (var host in hosts)
        {
            if (host.Node is not { } node)
            {
                _configSeen.Remove(host.Id); // a restart may go back to an older configuration: no removal in that
                continue;
            }
            var config = node.Config;
            if (_configSeen.TryGetValue(host.Id, out var before))
            {
                foreach (var id in before.Voters.Concat(before.VotersOutgoing).Concat(before.Learners).Where(id => !config.IsMember(id)))
                {
                    _removed.Add(id);
                }
            }
            _configSeen[host.Id] = config;
            if (config.IsJoint)
            {
                continue;
            }

            foreach (var id in _removed)
            {
                if (config.IsMember(id) || _removedOnMajority.Contains(id))
                {
                    continue;
                }
                // Counted among the running voters only: what a crashed node applied may be lost with its restart.
                var applied = config.Voters.Count(v => hosts[v - 1].Node is { } voter && !voter.Config.IsMember(id));
                if (applied > config.Voters.Length / 2)
                {
                    _removedOnMajority.Add(id);
                }
            }
        }
    }

    /// <summary>
    /// Whether the log of <paramref name="host"/> holds, above what it applied, the Config entry that removes it. A
    /// removed node that has not applied its removal campaigns in the configuration before it, a correct campaign it
    /// may win (as in etcd-io/raft: configurations take effect when applied); holding its removal, it then commits and
    /// applies it, and steps down. One that lacks it cannot win: the quorum that committed it meets every quorum of the
    /// configuration before.
    /// </summary>
    private bool HoldsItsRemoval(SimHost host, RaftNode raft)
    {
        _scratch.Clear();
        var from = Math.Max(host.Machine.AppliedIndex + 1, host.Log.FirstIndex);
        if (from <= host.Log.LastIndex)
        {
            host.Log.Read(from, host.Log.LastIndex + 1, long.MaxValue, _scratch);
        }

        var config = raft.Config;
        foreach (var entry in _scratch.Where(e => e.Type == (byte)EntryType.Config))
        {
            if (RaftNode.TryApplyConfigEntry(config, entry.Data.Span, out var next))
            {
                config = next;
            }

            if (!config.IsVoter(host.Id))
            {
                return true;
            }
        }
        return false;
    }

    private void CheckCommitAdvance(SimHost host, RaftNode raft)
    {
        var committed = raft.Committed;
        if (committed < host.CommitSeen)
        {
            simulation.Fail(ViolationKind.CommitWentBack, $"n{host.Id} commit index went back from {host.CommitSeen} to {committed}");
        }
        if (raft.RestoredSnapshot is not null)
        {
            // The core took a snapshot whose install runs (off the loop, for ticks): its commit index is the snapshot's,
            // but the log store still holds the entries the install's Ready will discard. Checked again after it.
            return;
        }

        for (var index = Math.Max(host.CommitSeen + 1, host.Log.FirstIndex); index <= committed && index <= host.Log.LastIndex; index++)
        {
            var entry = Entry(host.Log, index);
            if (_committed.TryGetValue(index, out var seen))
            {
                if (seen != entry)
                {
                    simulation.Fail(ViolationKind.CommittedEntryChanged,
                        $"n{host.Id} committed {index}@{entry.Term} but {index}@{seen.Term} was committed before (payload equal: {seen.Payload == entry.Payload})");
                }
            }
            else
            {
                _committed[index] = entry;
            }
        }
        host.CommitSeen = committed;
        GlobalCommitted = Math.Max(GlobalCommitted, committed);
    }

    private void CheckLeaderCompleteness(SimHost host, RaftNode raft)
    {
        for (var index = host.Log.FirstIndex; index <= GlobalCommitted; index++)
        {
            if (!_committed.TryGetValue(index, out var committed))
            {
                continue;
            }

            if (index > host.Log.LastIndex || Entry(host.Log, index) != committed)
            {
                simulation.Fail(ViolationKind.LeaderCompleteness, $"n{host.Id} leads term {raft.Term} without committed entry {index}@{committed.Term}");
            }
        }
    }

    private (long Term, int Payload) Entry(IRaftLogStore log, long index)
    {
        _scratch.Clear();
        log.Read(index, index + 1, long.MaxValue, _scratch);
        var entry = _scratch[0];
        var hash = default(HashCode);
        hash.Add(entry.Type);
        hash.AddBytes(entry.Data.Span);
        return (entry.Term, hash.ToHashCode());
    }
}
