using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// One simulated node: the durable part (storage and snapshot bytes) survives a crash; the core,
/// the state machine and anything not yet persisted do not. Handles Ready in two phases, so a
/// crash can fall between sending and persisting, as it can on a real machine. With asynchronous
/// storage writes, accepted Readies queue their writes, which end in order after a drawn delay while
/// further Readies are taken.
/// </summary>
internal sealed partial class SimNode
{
    private readonly Simulation _simulation;
    private readonly int[] _voters;
    private readonly Dictionary<long, SnapshotData> _incomingSnapshots = new();
    private Ready? _pendingReady;
    private long _pendingReadyDueTick;

    public SimNode(Simulation simulation, int id, int[] voters)
    {
        _simulation = simulation;
        _voters = voters;
        Id = id;
        Storage = new MemoryStorage(voters);
    }

    public int Id { get; }

    public MemoryStorage Storage { get; }

    /// <summary>The durable snapshot bytes (matching Storage.Snapshot).</summary>
    public SnapshotData? Snapshot
    {
        get => _snapshot;
        private set
        {
            _snapshot = value;
            if (value is null) return;
            // Keep a few older ones: a Snapshot message made before the latest may still be on its way out.
            _recentSnapshots.Add(value);
            if (_recentSnapshots.Count > 4) _recentSnapshots.RemoveAt(0);
        }
    }

    private SnapshotData? _snapshot;
    private readonly List<SnapshotData> _recentSnapshots = new();

    public RaftNode? Raft { get; private set; }

    public StateMachine Machine { get; private set; } = new();

    public int Incarnation { get; private set; }

    public long CommitSeen { get; set; }

    public long LastSkippedTick { get; set; } = long.MinValue / 2;

    public bool LeaseReads { get; init; }

    public bool AsyncStorageWrites { get; init; }

    public bool IsUp => Raft is not null;

    public bool HasPendingPersist => _pendingReady is not null || _writes.Count > 0;

    public int SnapshotEveryEntries { get; init; } = 32;

    public int AppendEntriesMax { get; init; } = 8;

    public int InflightMessagesMax { get; init; } = 4;

    public int CompactionLagEntries { get; init; } = 4;

    public void Start()
    {
        Invariant.True(Raft is null);
        Machine = new StateMachine();
        if (Snapshot is not null) Machine.Restore(Snapshot);
        Raft = new RaftNode(new RaftConfig
        {
            Id = Id,
            Storage = Storage,
            Random = new Prng(_simulation.Random.NextUInt64()),
            ElectionTicks = Simulation.ElectionTicks,
            HeartbeatTicks = 1,
            Applied = Machine.Applied,
            AppendEntriesMax = AppendEntriesMax,
            InflightMessagesMax = InflightMessagesMax,
            Faults = _simulation.Options.Faults,
            LeaseReads = LeaseReads,
            AsyncStorageWrites = AsyncStorageWrites,
        });
        Incarnation++;
        CommitSeen = Raft.Committed;
    }

    /// <summary>Loses everything that is not durable.</summary>
    public void Crash()
    {
        Raft = null;
        _pendingReady = null;
        _writes.Clear();
        _incomingSnapshots.Clear();
    }

    public void Receive(Envelope envelope)
    {
        if (Raft is null) return;
        if (envelope.SnapshotData is { } data) _incomingSnapshots[data.Index] = data;
        Raft.Step(envelope.Message);
    }

    /// <summary>Handles Readies until the node has nothing more to do this tick.</summary>
    public void Process(long tick)
    {
        if (AsyncStorageWrites)
        {
            ProcessAsync(tick);
            return;
        }
        for (int round = 0; Raft is not null && round < 16; round++)
        {
            if (_pendingReady is not null)
            {
                if (tick < _pendingReadyDueTick) return;
                PersistAndApply(_pendingReady);
                _pendingReady = null;
            }
            if (!Raft.HasReady) return;
            Ready ready = Raft.GetReady();
            SendAll(ready.Messages);
            _pendingReady = ready;
            _pendingReadyDueTick = tick + _simulation.PersistDelayTicks();
        }
    }

    private void SendAll(IReadOnlyList<Message> messages)
    {
        foreach (Message message in messages)
        {
            Message owned = message;
            owned.Entries = message.Entries.ToArray(); // the core reuses this memory once the Ready is advanced
            _simulation.SendFrom(this, owned);
        }
    }

    public SnapshotData? SnapshotFor(long index) => _recentSnapshots.LastOrDefault(s => s.Index == index);

    private void PersistAndApply(Ready ready)
    {
        RaftNode raft = Raft!;
        if (ready.Snapshot is { } snapshot) InstallSnapshot(snapshot);
        _simulation.Checker.OnPersist(this, ready.Entries);
        Storage.Append(ready.Entries);
        if (ready.HardStateChanged) Storage.SetHardState(ready.HardState);
        SendAll(ready.MessagesAfterPersist);
        foreach (Entry entry in ready.CommittedEntries)
        {
            long writeId = Machine.Apply(entry);
            _simulation.Checker.OnApply(this, entry, writeId);
        }
        foreach (ReadState read in ready.ReadStates) _simulation.Clients.OnReadReleased(this, read);
        foreach (long context in ready.DroppedReads) _simulation.Clients.OnReadDropped(context);
        raft.Advance();
        MaybeSnapshot();
    }

    private void InstallSnapshot(SnapshotMetadata snapshot)
    {
        Invariant.True(_incomingSnapshots.TryGetValue(snapshot.Index, out SnapshotData? data), snapshot.Index);
        Invariant.True(data.Term == snapshot.Term);
        Storage.ApplySnapshot(snapshot);
        Snapshot = data;
        Machine.Restore(data);
        foreach (long index in _incomingSnapshots.Keys.Where(i => i <= snapshot.Index).ToList()) _incomingSnapshots.Remove(index);
        _simulation.Checker.OnSnapshotInstalled(this, data);
        _simulation.Trace($"n{Id} installed snapshot {snapshot.Index}@{snapshot.Term}");
    }

    private void MaybeSnapshot()
    {
        long snapshotIndex = Storage.Snapshot.Index;
        if (Machine.Applied - snapshotIndex < SnapshotEveryEntries) return;
        Invariant.True(Storage.TryGetTerm(Machine.Applied, out long term));
        Storage.CreateSnapshot(Machine.Applied, new ConfigState(_voters));
        Snapshot = Machine.TakeSnapshot(term);
        long compactTo = Machine.Applied - CompactionLagEntries;
        if (compactTo > Storage.FirstIndex) Storage.Compact(compactTo);
    }

    /// <summary>Delivery of a snapshot this node sent ended; tell the core how.</summary>
    public void OnSnapshotSent(int to, bool delivered) =>
        Raft?.ReportSnapshot(to, delivered ? SnapshotStatus.Finished : SnapshotStatus.Failed);
}
