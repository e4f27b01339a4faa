using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// Clients that propose unique writes and ask for linearizable reads, and the read check:
/// a released read must see every write committed before it was asked.
/// </summary>
internal sealed class SimClients
{
    private readonly Simulation _simulation;
    private readonly Dictionary<long, PendingRead> _reads = new();
    private readonly Dictionary<long, int> _askedAt = new(); // every read ever asked: context -> node
    private readonly ReadOnlyMemory<byte>[] _batch = new ReadOnlyMemory<byte>[3];
    private long _nextWriteId = 1;
    private long _nextReadContext = 1;

    private readonly record struct PendingRead(int NodeId, int Incarnation, long CommittedAtAsk);

    public SimClients(Simulation simulation) => _simulation = simulation;

    public long ReadsReleased { get; private set; }

    public long WritesProposed { get; private set; }

    /// <summary>Write ids proposed in the liveness phase.</summary>
    public HashSet<long> LivenessWrites { get; } = new();

    /// <summary>Proposes 1–3 writes to <paramref name="node"/>; returns whether it accepted them.</summary>
    public bool Propose(SimNode node, bool liveness)
    {
        int count = 1 + _simulation.Random.Next(_batch.Length);
        long first = _nextWriteId;
        for (int i = 0; i < count; i++) _batch[i] = StateMachine.EncodeWrite(_nextWriteId++);
        ProposeStatus status = node.Raft!.Propose(_batch.AsSpan(0, count), out long firstIndex);
        _simulation.Trace($"propose w{first}..w{_nextWriteId - 1} at n{node.Id}: {status} {firstIndex}");
        if (status != ProposeStatus.Accepted) return false;
        WritesProposed += count;
        if (liveness)
        {
            for (long id = first; id < _nextWriteId; id++) LivenessWrites.Add(id);
        }
        return true;
    }

    public void Read(SimNode node, IReadOnlyList<SimNode> nodes)
    {
        long committed = _simulation.Checker.GlobalCommitted;
        foreach (SimNode other in nodes)
        {
            if (other.Raft is { } raft) committed = Math.Max(committed, raft.Committed);
        }
        long context = _nextReadContext++;
        ReadIndexStatus status = node.Raft!.ReadIndex(context);
        _simulation.Trace($"read r{context} at n{node.Id} (committed {committed}): {status}");
        if (status != ReadIndexStatus.Accepted) return;
        _reads[context] = new PendingRead(node.Id, node.Incarnation, committed);
        _askedAt[context] = node.Id;
    }

    public void OnReadReleased(SimNode node, ReadState read)
    {
        if (!_reads.Remove(read.Context, out PendingRead pending))
        {
            // A duplicated message may release a read twice, and a read may outlive a crash of
            // its node: hosts ignore those. A read never asked at this node is a bug.
            if (_askedAt.TryGetValue(read.Context, out int askedAt) && askedAt == node.Id) return;
            throw new SimulationFailure(_simulation.Options.Seed, _simulation.Tick, $"n{node.Id} released unknown read r{read.Context}");
        }
        if (pending.NodeId != node.Id || pending.Incarnation != node.Incarnation)
        {
            throw new SimulationFailure(_simulation.Options.Seed, _simulation.Tick, $"read r{read.Context} released by the wrong node or incarnation");
        }
        long applied = node.Machine.Applied;
        _simulation.Trace($"read r{read.Context} released at n{node.Id}: index {read.Index}, applied {applied}, needed {pending.CommittedAtAsk}");
        if (read.Index < pending.CommittedAtAsk || applied < pending.CommittedAtAsk)
        {
            throw new SimulationFailure(_simulation.Options.Seed, _simulation.Tick,
                $"stale read: r{read.Context} at n{node.Id} served at index {read.Index} (applied {applied}) but {pending.CommittedAtAsk} was committed before it was asked");
        }
        ReadsReleased++;
    }

    public void OnReadDropped(long context) => _reads.Remove(context);

    /// <summary>Reads of a crashed node never come back.</summary>
    public void OnCrash(SimNode node)
    {
        foreach (var (context, read) in _reads.ToArray())
        {
            if (read.NodeId == node.Id) _reads.Remove(context);
        }
    }
}
