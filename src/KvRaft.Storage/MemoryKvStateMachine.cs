namespace KvRaft.Storage;

/// <summary>The in-memory twin of <see cref="FasterKvStateMachine"/> (for the simulator): same semantics, a dictionary.</summary>
public sealed class MemoryKvStateMachine : KvStateMachineBase
{
    private readonly SortedDictionary<byte[], byte[]> store = new(ByteArrayComparer.Instance);
    private MemorySnapshot? latest;

    /// <summary>Creates an empty state machine.</summary>
    public MemoryKvStateMachine(StorageLimits? limits = null) : base(limits ?? StorageLimits.Default) { }

    /// <inheritdoc/>
    public override ISnapshotSource? LatestSnapshot => latest;

    private protected override byte[]? Read(byte[] storeKey) => store.TryGetValue(storeKey, out var value) ? value : null;

    private protected override void Write(byte[] storeKey, ReadOnlySpan<byte> value) => store[storeKey] = value.ToArray();

    private protected override bool Remove(byte[] storeKey) => store.Remove(storeKey);

    private protected override IEnumerable<(byte[] Key, byte[] Value)> ReadSessions() =>
        store.Where(pair => pair.Key.Length > 0 && pair.Key[0] == KvKeys.SessionSpace).Select(pair => (pair.Key, pair.Value));

    /// <inheritdoc/>
    public override ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default)
    {
        SetConfiguration(configuration);
        var info = new SnapshotInfo(AppliedIndex, AppliedTerm, configuration);
        using var stream = new MemoryStream();
        SnapshotFile.Write(stream, info, store.Select(pair => new SnapshotRecord(pair.Key, pair.Value)), Limits.SnapshotChunkBytes);
        latest = new MemorySnapshot(info, stream.ToArray(), Limits.SnapshotChunkBytes);
        return ValueTask.FromResult(info);
    }

    internal override void ReplaceFrom(SnapshotFile snapshot)
    {
        store.Clear();
        foreach (var record in snapshot.ReadRecords())
        {
            if (record.Value is null)
            {
                store.Remove(record.Key);
            }
            else
            {
                store[record.Key] = record.Value;
            }
        }
        LoadState();
    }

    /// <inheritdoc/>
    public override void Dispose() { }
}

/// <summary>Orders byte arrays lexicographically.</summary>
internal sealed class ByteArrayComparer : IComparer<byte[]>
{
    public static ByteArrayComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
