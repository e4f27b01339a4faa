namespace KvRaft.Storage;

/// <summary>
/// A shard's export, chunk by chunk, at a cost that follows the shard rather than the store (docs/design.md,
/// "Migration, pulled by the new owner"). One scan of the store's user records indexes the keys of every shard the
/// caller says is frozen (offering: no request, install or drop changes its keys until the new owner has it all), each
/// shard's keys in store-key order and bounded (<see cref="ExportIndexBytesMax"/> over the shards indexed together:
/// beyond its share a shard keeps its smallest keys, and a chunk past them scans again from there). A chunk then costs
/// a point read per record it carries. The scan reads the store in slices of <see cref="ExportScanSliceRecords"/>
/// records, each under the apply gate, so it runs beside the applies of other shards on another thread: it may see
/// their records come and go, but never changes them, and a frozen shard's records are all below the log's tail when
/// the scan starts. Exports of one state machine take turns; the index lives until an export of another configuration
/// (a negative configuration keeps none: each chunk scans).
/// </summary>
public abstract partial class KvStateMachineBase
{
    /// <summary>Bytes of keys the export index keeps at most (over all the shards one scan indexes; about 48 bytes a key more).</summary>
    public long ExportIndexBytesMax { get; set; } = 32L << 20;

    /// <summary>Records one hold of the apply gate reads in an export scan.</summary>
    public const int ExportScanSliceRecords = 4096;

    private const int IndexedKeyOverheadBytes = 48; // an array header and a set node, roughly

    private readonly Lock _exportGate = new(); // one export of this state machine at a time (taken before the apply gate, never inside it)
    // Replaced whole (under _exportGate), never changed once published: a drop applied on the loop reads it without a lock.
    private volatile ExportIndex _exportIndex = new(-1, 0, []);
    private long _exportScans;
    private long _exportRecordsScanned;
    private long _exportValuesRead;

    /// <summary>Export scans of the store since this object was created (each reads every user record once).</summary>
    public long ExportScans => Interlocked.Read(ref _exportScans);

    /// <summary>Records the export scans read since this object was created.</summary>
    public long ExportRecordsScanned => Interlocked.Read(ref _exportRecordsScanned);

    /// <summary>Point reads of exported values since this object was created.</summary>
    public long ExportValuesRead => Interlocked.Read(ref _exportValuesRead);

    /// <summary>
    /// A scan of the user records' keys from the store as it is when it begins (called under the apply gate): a
    /// key may come more than once, or be dead by now (the point read decides).
    /// </summary>
    private protected abstract UserKeyScan BeginUserKeyScan();

    /// <summary>Called before a scan begins, outside the apply gate (the store may wait for its own background work).</summary>
    private protected virtual void BeforeExportScan()
    {
    }

    /// <summary>Called once a scan ended, also when it threw.</summary>
    private protected virtual void AfterExportScan()
    {
    }

    /// <inheritdoc/>
    public ShardChunk ExportShard(ShardExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.ChunkBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.ShardCount);
        var shardOf = ShardOf ?? throw new InvalidOperationException("ExportShard needs ShardOf");
        lock (_exportGate)
        {
            if (_exportIndex.Configuration != request.Configuration || _exportIndex.ShardCount != request.ShardCount || request.Configuration < 0)
            {
                _exportIndex = new ExportIndex(request.Configuration, request.ShardCount, []); // another configuration: its frozen shards are others (a negative one: none is)
            }
            var records = new List<(byte[] Key, byte[] Value)>();
            var bytes = 0;
            var position = request.After;
            while (true)
            {
                if (!_exportIndex.Shards.TryGetValue(request.Shard, out var index) || !index.Covers(position))
                {
                    IndexFrozenShards(request, position, shardOf);
                    index = _exportIndex.Shards[request.Shard];
                }
                for (var i = index.FirstAfter(position); i < index.Keys.Length && (records.Count == 0 || bytes < request.ChunkBytes); i++)
                {
                    position = index.Keys[i];
                    Interlocked.Increment(ref _exportValuesRead);
                    byte[]? value;
                    lock (ApplyGate)
                    {
                        value = Read(position);
                    }
                    if (value is not null)
                    {
                        records.Add((position, value));
                        bytes += ShardChunkCodec.RecordBytes(position.Length, value.Length);
                    }
                }
                if (records.Count > 0 && bytes >= request.ChunkBytes)
                {
                    return Encode(records, isLast: false, request.After);
                }
                if (index.Complete)
                {
                    break; // every user record of the shard is in: the sessions follow
                }
            }
            return AddSessions(records, bytes, position, request);
        }
    }

    /// <summary>The chunk's remaining room filled with the group's sessions after <paramref name="after"/>, in key order.</summary>
    private ShardChunk AddSessions(List<(byte[] Key, byte[] Value)> records, int bytes, byte[] after, ShardExportRequest request)
    {
        var sessions = new List<(byte[] Key, byte[] Value)>();
        lock (ApplyGate)
        {
            foreach (var (clientId, state) in _sessions)
            {
                var key = new byte[KvKeys.SessionKeyBytes];
                KvKeys.Session(clientId, key);
                if (key.AsSpan().SequenceCompareTo(after) > 0)
                {
                    var value = new byte[state.EncodedBytes];
                    state.Encode(value);
                    sessions.Add((key, value));
                }
            }
        }
        sessions.Sort((x, y) => x.Key.AsSpan().SequenceCompareTo(y.Key));
        var taken = 0;
        while (taken < sessions.Count && (records.Count == 0 || bytes < request.ChunkBytes))
        {
            records.Add(sessions[taken]);
            bytes += ShardChunkCodec.RecordBytes(sessions[taken].Key.Length, sessions[taken].Value.Length);
            taken++;
        }
        return Encode(records, isLast: taken == sessions.Count, request.After);
    }

    /// <summary>The chunk of <paramref name="records"/>; its cursor is the last one's key (<paramref name="after"/> when none).</summary>
    private static ShardChunk Encode(List<(byte[] Key, byte[] Value)> records, bool isLast, byte[] after)
    {
        var bytes = 0;
        foreach (var (key, value) in records)
        {
            bytes += ShardChunkCodec.RecordBytes(key.Length, value.Length);
        }
        var payload = new byte[bytes];
        var at = 0;
        foreach (var (key, value) in records)
        {
            at += ShardChunkCodec.WriteRecord(payload.AsSpan(at), key, value);
        }
        return new ShardChunk(payload, records.Count == 0 ? after : records[^1].Key, isLast, records.Count);
    }

    /// <summary>
    /// One scan indexing the keys of the shard asked for (after <paramref name="after"/>) and of every other frozen shard
    /// not indexed yet (from the start), each within its share of <see cref="ExportIndexBytesMax"/>.
    /// </summary>
    private void IndexFrozenShards(ShardExportRequest request, byte[] after, ShardOfKey shardOf)
    {
        var building = new Dictionary<int, IndexBuilder> { [request.Shard] = new IndexBuilder(after) };
        foreach (var shard in request.Frozen)
        {
            if (shard >= 0 && shard < request.ShardCount && !_exportIndex.Shards.ContainsKey(shard))
            {
                building.TryAdd(shard, new IndexBuilder([]));
            }
        }
        var shareBytes = ExportIndexBytesMax / building.Count;
        var slice = new List<byte[]>(ExportScanSliceRecords);
        BeforeExportScan();
        try
        {
            UserKeyScan scan;
            lock (ApplyGate)
            {
                scan = BeginUserKeyScan();
            }
            Interlocked.Increment(ref _exportScans);
            bool more;
            do
            {
                slice.Clear();
                int visited;
                lock (ApplyGate)
                {
                    more = scan.Next(ExportScanSliceRecords, slice, out visited);
                }
                Interlocked.Add(ref _exportRecordsScanned, visited);
                foreach (var key in slice)
                {
                    if (building.TryGetValue(shardOf(key.AsSpan(1), request.ShardCount), out var builder))
                    {
                        builder.Add(key, shareBytes);
                    }
                }
            }
            while (more);
        }
        finally
        {
            AfterExportScan();
        }
        var shards = new Dictionary<int, ShardKeyIndex>(_exportIndex.Shards);
        foreach (var (shard, builder) in building)
        {
            shards[shard] = builder.Build();
        }
        _exportIndex = _exportIndex with { Shards = shards };
    }

    /// <summary>
    /// Every key of <paramref name="shard"/> frozen in <paramref name="configuration"/> if an export indexed them all
    /// (a drop of that shard then deletes them without a scan), else null.
    /// </summary>
    private protected byte[][]? IndexedKeys(int shard, int shardCount, long configuration)
    {
        var index = _exportIndex;
        return configuration >= 0 && index.Configuration == configuration && index.ShardCount == shardCount
            && index.Shards.TryGetValue(shard, out var keys) && keys.Complete && keys.From.Length == 0 ? keys.Keys : null;
    }

    /// <summary>The keys indexed by the exports of one configuration (a negative one: none), by shard.</summary>
    private sealed record ExportIndex(long Configuration, int ShardCount, Dictionary<int, ShardKeyIndex> Shards);

    /// <summary>A scan of user keys, a slice at a time (each <see cref="Next"/> under the apply gate).</summary>
    private protected abstract class UserKeyScan
    {
        /// <summary>Adds the keys of the next <paramref name="count"/> records at most; false once the scan ended.</summary>
        public abstract bool Next(int count, List<byte[]> into, out int visited);
    }

    /// <summary>A scan of keys copied when it began (the memory twin's).</summary>
    private protected sealed class CopiedKeyScan(byte[][] keys) : UserKeyScan
    {
        private int _at;

        public override bool Next(int count, List<byte[]> into, out int visited)
        {
            ArgumentNullException.ThrowIfNull(into);
            visited = Math.Min(count, keys.Length - _at);
            into.AddRange(keys.AsSpan(_at, visited));
            _at += visited;
            return _at < keys.Length;
        }
    }

    /// <summary>A shard's indexed keys after <see cref="From"/>, ascending: all of them when <see cref="Complete"/>, else the smallest.</summary>
    private sealed class ShardKeyIndex(byte[] from, byte[][] keys, bool complete)
    {
        public byte[] From { get; } = from;

        public byte[][] Keys { get; } = keys;

        public bool Complete { get; } = complete;

        /// <summary>True when the keys after <paramref name="after"/> that come next are all here (or all that are left).</summary>
        public bool Covers(byte[] after) =>
            after.AsSpan().SequenceCompareTo(From) >= 0 && (Complete || (Keys.Length > 0 && after.AsSpan().SequenceCompareTo(Keys[^1]) < 0));

        /// <summary>The position of the first key after <paramref name="after"/>.</summary>
        public int FirstAfter(byte[] after)
        {
            var at = Array.BinarySearch(Keys, after, ByteArrayComparer.Instance);
            return at >= 0 ? at + 1 : ~at;
        }
    }

    /// <summary>Collects one shard's keys after <paramref name="from"/>, keeping the smallest within a byte share.</summary>
    private sealed class IndexBuilder(byte[] from)
    {
        private readonly SortedSet<byte[]> _keys = new(ByteArrayComparer.Instance);
        private long _bytes;
        private bool _truncated;

        public void Add(byte[] key, long shareBytes)
        {
            if (key.AsSpan().SequenceCompareTo(from) <= 0 || (_truncated && ByteArrayComparer.Instance.Compare(key, _keys.Max) >= 0) || !_keys.Add(key))
            {
                return;
            }
            _bytes += key.Length + IndexedKeyOverheadBytes;
            while (_bytes > shareBytes && _keys.Count > 1)
            {
                var largest = _keys.Max!;
                _keys.Remove(largest);
                _bytes -= largest.Length + IndexedKeyOverheadBytes;
                _truncated = true;
            }
        }

        public ShardKeyIndex Build() => new(from, [.. _keys], !_truncated);
    }
}
