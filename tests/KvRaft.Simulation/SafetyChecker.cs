using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// Raft's safety properties, checked incrementally after every step: election safety, log
/// matching, leader completeness, state machine safety, monotonic commit, and (with the clients)
/// linearizable reads. A broken property throws a <see cref="SimulationFailure"/>.
/// </summary>
internal sealed class SafetyChecker
{
    private readonly Simulation _simulation;
    private readonly Dictionary<long, int> _leaderOfTerm = new();
    // (index, term) -> (payload fingerprint, term of the entry before it): log matching by induction.
    private readonly Dictionary<(long, long), (ulong Payload, long PreviousTerm)> _entries = new();
    private readonly Dictionary<long, long> _committedTerm = new();
    private readonly Dictionary<long, ulong> _appliedHash = new();
    private readonly HashSet<(int, long)> _leadersChecked = new();

    public SafetyChecker(Simulation simulation) => _simulation = simulation;

    /// <summary>The highest commit index any node has reached.</summary>
    public long GlobalCommitted { get; private set; }

    public Dictionary<long, long> AppliedWrites { get; } = new(); // index -> write id

    private void Fail(string property) => throw new SimulationFailure(_simulation.Options.Seed, _simulation.Tick, property);

    /// <summary>Entries about to be made durable on <paramref name="node"/>.</summary>
    public void OnPersist(SimNode node, IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return;
        long previousTerm = 0;
        if (entries[0].Index > 1 && !node.Storage.TryGetTerm(entries[0].Index - 1, out previousTerm))
        {
            Fail($"n{node.Id} persists {entries[0]} without its predecessor");
        }
        foreach (Entry entry in entries)
        {
            ulong payload = Fingerprint(entry);
            var key = (entry.Index, entry.Term);
            if (_entries.TryGetValue(key, out var seen))
            {
                if (seen.Payload != payload || seen.PreviousTerm != previousTerm)
                {
                    Fail($"log matching: n{node.Id} has {entry} after term {previousTerm}, another node after term {seen.PreviousTerm} (payload equal: {seen.Payload == payload})");
                }
            }
            else
            {
                _entries[key] = (payload, previousTerm);
            }
            previousTerm = entry.Term;
        }
    }

    public void OnApply(SimNode node, Entry entry, long writeId)
    {
        long index = entry.Index;
        if (index > GlobalCommitted) GlobalCommitted = index; // applied implies committed
        CheckCommittedTerm(node, index, entry.Term);
        ulong hash = node.Machine.Hash;
        if (_appliedHash.TryGetValue(index, out ulong seen))
        {
            if (seen != hash) Fail($"state machine safety: n{node.Id} applied a different entry at {index} ({entry})");
        }
        else
        {
            _appliedHash[index] = hash;
            AppliedWrites[index] = writeId;
        }
    }

    public void OnSnapshotInstalled(SimNode node, SnapshotData snapshot)
    {
        if (_appliedHash.TryGetValue(snapshot.Index, out ulong seen) && seen != snapshot.Hash)
        {
            Fail($"n{node.Id} installed a snapshot at {snapshot.Index} whose state differs from what was applied there");
        }
    }

    /// <summary>After every step: leaders per term, commit monotonicity and leader completeness.</summary>
    public void AfterStep(IReadOnlyList<SimNode> nodes)
    {
        foreach (SimNode node in nodes)
        {
            if (node.Raft is not { } raft) continue;
            CheckCommitAdvance(node, raft);
            if (raft.Role != Role.Leader) continue;
            if (_leaderOfTerm.TryGetValue(raft.Term, out int leader) && leader != node.Id)
            {
                Fail($"election safety: n{leader} and n{node.Id} both lead term {raft.Term}");
            }
            _leaderOfTerm[raft.Term] = node.Id;
            if (_leadersChecked.Add((node.Id, raft.Term))) CheckLeaderCompleteness(node, raft);
        }
    }

    private void CheckCommitAdvance(SimNode node, RaftNode raft)
    {
        long committed = raft.Committed;
        if (committed < node.CommitSeen) Fail($"n{node.Id} commit index went back from {node.CommitSeen} to {committed}");
        for (long index = Math.Max(node.CommitSeen + 1, raft.FirstLogIndex); index <= committed; index++)
        {
            if (!raft.TryGetLogTerm(index, out long term)) Fail($"n{node.Id} committed {index} but has no such entry");
            CheckCommittedTerm(node, index, term);
        }
        node.CommitSeen = committed;
        if (committed > GlobalCommitted) GlobalCommitted = committed;
    }

    private void CheckCommittedTerm(SimNode node, long index, long term)
    {
        if (_committedTerm.TryGetValue(index, out long seen))
        {
            if (seen != term) Fail($"n{node.Id} committed {index}@{term} but {index}@{seen} was committed before");
        }
        else
        {
            _committedTerm[index] = term;
        }
    }

    private void CheckLeaderCompleteness(SimNode node, RaftNode raft)
    {
        for (long index = raft.FirstLogIndex; index <= GlobalCommitted; index++)
        {
            if (!_committedTerm.TryGetValue(index, out long term)) continue;
            if (!raft.TryGetLogTerm(index, out long actual) || actual != term)
            {
                Fail($"leader completeness: n{node.Id} leads term {raft.Term} without committed entry {index}@{term}");
            }
        }
    }

    private static ulong Fingerprint(Entry entry)
    {
        ulong value = (ulong)entry.Type << 56;
        if (entry.Type == EntryType.Normal) value ^= (ulong)StateMachine.DecodeWrite(entry.Data);
        return value;
    }
}
