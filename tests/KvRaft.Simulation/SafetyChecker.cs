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

    /// <summary>The highest commit index any node has reached.</summary>
    public long GlobalCommitted { get; private set; }

    public void AfterStep(IReadOnlyList<SimHost> hosts)
    {
        foreach (SimHost host in hosts)
        {
            if (host.Node is not { } node) continue;
            RaftNode raft = node.RaftNode;
            CheckCommitAdvance(host, raft);
            if (raft.Role != Role.Leader) continue;
            if (_leaderOfTerm.TryGetValue(raft.Term, out int leader) && leader != host.Id)
            {
                simulation.Fail(ViolationKind.ElectionSafety, $"n{leader} and n{host.Id} both lead term {raft.Term}");
            }
            _leaderOfTerm[raft.Term] = host.Id;
            if (_leadersChecked.Add((host.Id, raft.Term))) CheckLeaderCompleteness(host, raft);
        }
    }

    private void CheckCommitAdvance(SimHost host, RaftNode raft)
    {
        long committed = raft.Committed;
        if (committed < host.CommitSeen)
        {
            simulation.Fail(ViolationKind.CommitWentBack, $"n{host.Id} commit index went back from {host.CommitSeen} to {committed}");
        }
        for (long index = Math.Max(host.CommitSeen + 1, host.Log.FirstIndex); index <= committed && index <= host.Log.LastIndex; index++)
        {
            (long Term, int Payload) entry = Entry(host.Log, index);
            if (_committed.TryGetValue(index, out (long Term, int Payload) seen))
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
        for (long index = host.Log.FirstIndex; index <= GlobalCommitted; index++)
        {
            if (!_committed.TryGetValue(index, out (long Term, int Payload) committed)) continue;
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
        LogEntry entry = _scratch[0];
        var hash = default(HashCode);
        hash.Add(entry.Type);
        hash.AddBytes(entry.Data.Span);
        return (entry.Term, hash.ToHashCode());
    }
}
