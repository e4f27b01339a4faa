using System.Buffers;

namespace KvRaft.Storage;

/// <summary>
/// The in-memory twin of <see cref="FasterKvStateMachine"/> (for the simulator): same semantics, a dictionary, and the
/// same durability contract: what survives a crash (<see cref="Recover"/>) is the last checkpoint, the state as of
/// the last snapshot taken or installed; the node replays the log from there.
/// Like FASTER's in-place updates, a value overwritten by one of the same length is copied into the stored
/// array; stored arrays never leave the class (reads copy), so that is safe.
/// </summary>
public sealed class MemoryKvStateMachine : KvStateMachineBase
{
    private readonly Dictionary<byte[], byte[]> _store = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private MemorySnapshot? _latest;
    private Dictionary<byte[], byte[]> _checkpoint = new(ByteArrayComparer.Instance); // the store as of the last snapshot

    /// <summary>Creates an empty state machine.</summary>
    public MemoryKvStateMachine(StorageLimits? limits = null) : base(limits ?? StorageLimits.Default) =>
        _lookup = _store.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <inheritdoc/>
    public override ISnapshotSource? LatestSnapshot => _latest;

    private protected override byte[]? Read(ReadOnlySpan<byte> storeKey) => _lookup.TryGetValue(storeKey, out var value) ? [.. value] : null;

    private protected override bool TryRead(ReadOnlySpan<byte> storeKey, IBufferWriter<byte> value)
    {
        if (!_lookup.TryGetValue(storeKey, out var stored))
        {
            return false;
        }
        value.Write(stored);
        return true;
    }

    /// <summary>
    /// The model of a store whose values are partly on disk: every this-many-th Get goes pending (0: none) and is
    /// answered at the first or second <see cref="TakeCompletedGets"/> after it, with the value as it is then.
    /// </summary>
    public int ColdGetEvery { get; set; }

    /// <summary>Gets that went pending since this object was created.</summary>
    public long ColdGets { get; private set; }

    private readonly List<(long Token, byte[] StoreKey, int TakesLeft)> _pendingGets = [];
    private long _getsSeen;

    private protected override GetStatus TryReadOrStart(ReadOnlySpan<byte> storeKey, IBufferWriter<byte> value, long token)
    {
        _getsSeen++;
        if (ColdGetEvery == 0 || _getsSeen % ColdGetEvery != 0)
        {
            return base.TryReadOrStart(storeKey, value, token);
        }
        ColdGets++;
        _pendingGets.Add((token, storeKey.ToArray(), 1 + (int)(ColdGets % 2)));
        return GetStatus.Pending;
    }

    /// <inheritdoc/>
    public override void TakeCompletedGets(List<CompletedGet> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (var i = 0; i < _pendingGets.Count; i++)
        {
            var (token, storeKey, takesLeft) = _pendingGets[i];
            if (takesLeft > 1)
            {
                _pendingGets[i] = (token, storeKey, takesLeft - 1);
                continue;
            }
            _pendingGets.RemoveAt(i--);
            into.Add(new CompletedGet(token, Read(storeKey)));
        }
    }

    private protected override void Write(ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> value)
    {
        if (_lookup.TryGetValue(storeKey, out var key, out var stored))
        {
            if (stored.Length == value.Length)
            {
                value.CopyTo(stored);
                return;
            }
            _store[key] = value.ToArray();
            return;
        }
        _lookup[storeKey] = value.ToArray();
    }

    private protected override bool Remove(ReadOnlySpan<byte> storeKey) => _lookup.Remove(storeKey);

    private protected override IEnumerable<(byte[] Key, byte[] Value)> ReadSessions() =>
        _store.Where(pair => pair.Key.Length > 0 && pair.Key[0] == KvKeys.SessionSpace).Select(pair => (pair.Key, pair.Value)).ToList();

    private protected override UserKeyScan BeginUserKeyScan() =>
        new CopiedKeyScan(_store.Keys.Where(key => key.Length > 0 && key[0] == KvKeys.UserSpace).ToArray());

    /// <inheritdoc/>
    public override ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default)
    {
        var stored = SetSnapshotConfiguration(configuration);
        FlushSessions();
        var info = new SnapshotInfo(AppliedIndex, AppliedTerm, stored);
        using var stream = new MemoryStream();
        var records = _store.OrderBy(pair => pair.Key, ByteArrayComparer.Instance).Select(pair => new SnapshotRecord(pair.Key, pair.Value));
        SnapshotFile.Write(stream, info, records, Limits.SnapshotChunkBytes);
        _latest = new MemorySnapshot(info, stream.ToArray(), Limits.SnapshotChunkBytes);
        _checkpoint = CopyOf(_store);
        return ValueTask.FromResult(info);
    }

    internal override void ReplaceFrom(SnapshotFile snapshot)
    {
        _store.Clear();
        foreach (var record in snapshot.ReadRecords())
        {
            if (record.Value is null)
            {
                _store.Remove(record.Key);
            }
            else
            {
                _store[record.Key] = record.Value;
            }
        }
        LoadState();
        // As FASTER's, the installed snapshot is at once the checkpoint a restart recovers and the one sent to others.
        _latest = new MemorySnapshot(snapshot.Info, File.ReadAllBytes(snapshot.Path), Limits.SnapshotChunkBytes);
        _checkpoint = CopyOf(_store);
    }

    /// <summary>
    /// The state machine as it reopens after a crash now: the store of its last checkpoint (every write applied
    /// since is lost; the node replays it from the log), with that snapshot still the latest. This one is not used again.
    /// </summary>
    public MemoryKvStateMachine Recover()
    {
        var reopened = new MemoryKvStateMachine(Limits) { _latest = _latest, _checkpoint = _checkpoint, ColdGetEvery = ColdGetEvery, ShardOf = ShardOf };
        foreach (var (key, value) in _checkpoint)
        {
            reopened._store[key] = [.. value];
        }
        reopened.LoadState();
        return reopened;
    }

    private static Dictionary<byte[], byte[]> CopyOf(Dictionary<byte[], byte[]> source)
    {
        var copy = new Dictionary<byte[], byte[]>(source.Count, ByteArrayComparer.Instance);
        foreach (var (key, value) in source)
        {
            copy[key] = [.. value]; // values are overwritten in place: the copy must not share them
        }
        return copy;
    }

    /// <inheritdoc/>
    public override void Dispose() { }
}

/// <summary>Orders and hashes byte arrays by content; looks them up by span too.</summary>
internal sealed class ByteArrayComparer : IComparer<byte[]>, IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static ByteArrayComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = default(HashCode);
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
