namespace KvRaft.Storage;

/// <summary>
/// The in-memory twin of <see cref="SharedRaftLog"/>: each group is a <see cref="MemoryRaftLogStore"/>, and a commit
/// (the shared one, or any group's) makes every group's writes durable at once and counts one commit, as the shared
/// log's one FasterLog commit does. A crash (<see cref="Recover"/>) keeps, for each group independently, a prefix of its
/// writes since the last commit, the last maybe torn: the real log keeps one prefix of all groups' writes in the order
/// they were made, which is one of these outcomes, so code that survives the twin's crashes survives the log's.
/// </summary>
public sealed class MemorySharedRaftLog : ISharedRaftLog
{
    private readonly int _groupsMax;
    private readonly SortedDictionary<int, Group> _groups = [];
    private long _commitCount;

    /// <summary>An empty log of at most <paramref name="groupsMax"/> groups.</summary>
    public MemorySharedRaftLog(int groupsMax = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupsMax, 1);
        _groupsMax = groupsMax;
    }

    /// <inheritdoc/>
    public IReadOnlyCollection<int> Groups => [.. _groups.Keys];

    /// <inheritdoc/>
    public long CommitCount => _commitCount;

    /// <inheritdoc/>
    public IRaftLogStore OpenGroup(int groupId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groupId);
        if (!_groups.TryGetValue(groupId, out var group))
        {
            if (_groups.Count >= _groupsMax)
            {
                throw new InvalidOperationException($"the shared log holds {_groups.Count} groups, its limit; group {groupId} cannot be added");
            }
            group = new Group(this, new MemoryRaftLogStore());
            _groups.Add(groupId, group);
        }
        if (group.IsOpen)
        {
            throw new InvalidOperationException($"group {groupId} of the shared log is already open");
        }
        group.IsOpen = true;
        return group;
    }

    /// <inheritdoc/>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_groups.Values.Any(group => group.Store.UnsyncedWrites > 0))
        {
            foreach (var group in _groups.Values)
            {
                group.Store.CommitAsync(cancellationToken).GetAwaiter().GetResult(); // completes inline: nothing to wait for
            }
            _commitCount++;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The log as it reopens after a crash now: for each group, everything committed and a prefix of its writes since,
    /// drawn by <paramref name="random"/> (the last kept torn at times). This log is not used again.
    /// </summary>
    public MemorySharedRaftLog Recover(Random random)
    {
        var reopened = new MemorySharedRaftLog(_groupsMax);
        foreach (var (id, group) in _groups)
        {
            var kept = random.Next(group.Store.UnsyncedWrites + 1);
            int? torn = kept > 0 && random.Next(4) == 0 ? random.Next(4) : null;
            reopened._groups.Add(id, new Group(reopened, group.Store.Recover(kept, torn)));
        }
        return reopened;
    }

    /// <inheritdoc/>
    public void Dispose() { }

    /// <summary>One group's view: the group's store, with its commit made the shared one.</summary>
    private sealed class Group(MemorySharedRaftLog owner, MemoryRaftLogStore store) : IRaftLogStore
    {
        public MemoryRaftLogStore Store { get; } = store;

        public bool IsOpen { get; set; }

        public long FirstIndex => Store.FirstIndex;

        public long LastIndex => Store.LastIndex;

        public HardState HardState => Store.HardState;

        public long BytesSinceCompaction => Store.BytesSinceCompaction;

        public bool TryGetTerm(long index, out long term) => Store.TryGetTerm(index, out term);

        public void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) => Store.Read(lo, hiExclusive, maxBytes, into);

        public bool TryReadCached(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) => Store.TryReadCached(lo, hiExclusive, maxBytes, into);

        public ValueTask ReadStoredAsync(long lo, long hiExclusive, long maxBytes, List<LogEntry> into, CancellationToken cancellationToken = default) =>
            Store.ReadStoredAsync(lo, hiExclusive, maxBytes, into, cancellationToken);

        public void Append(ReadOnlySpan<LogEntry> entries, HardState? hardState) => Usable().Append(entries, hardState);

        public ValueTask CommitAsync(CancellationToken cancellationToken = default) =>
            Store.UnsyncedWrites > 0 ? owner.CommitAsync(cancellationToken) : ValueTask.CompletedTask;

        public void CompactUntil(long index, long term) => Usable().CompactUntil(index, term);

        public void ResetAfter(long index, long term) => Usable().ResetAfter(index, term);

        private MemoryRaftLogStore Usable()
        {
            ObjectDisposedException.ThrowIf(!IsOpen, this);
            return Store;
        }

        public void Dispose() => IsOpen = false;
    }
}
