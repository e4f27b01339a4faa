namespace KvRaft.Storage;

/// <summary>
/// A checked record of the single-group log; <see cref="Payload"/>: the array holding a copy of an entry's payload to
/// cache (from <see cref="PayloadOffset"/>), else null.
/// </summary>
internal readonly record struct ReplayedRecord(LogRecordHeader Header, byte[]? Payload, int PayloadOffset);

/// <summary>
/// The replay of the single-group log: the latest record for an index wins and drops every entry above it; an
/// entry that does not join the log is corruption. It also fills the entry cache in the same pass: the payloads of
/// the entries in the last <see cref="CacheWindowFactor"/> × the cache's bytes of the scanned range are copied (into a
/// <see cref="PayloadSlab"/>: hundreds of thousands of small arrays made the garbage collector the replay's main cost)
/// and cached as their rows are put, the oldest evicted while the cache is over its limit, so what stays cached is the
/// newest entries' payloads, and an entry later dropped (a suffix replaced, a compaction, a reset) leaves with its row.
/// </summary>
internal sealed class SingleLogReplay(LogTable table) : ILogReplaySink<ReplayedRecord>
{
    /// <summary>
    /// The window of payloads copied, in cache sizes: a record takes its payload plus 32 bytes, so twice the cache's
    /// bytes of records hold a full cache of entries of 32 bytes or more; smaller ones leave a top-up to
    /// <see cref="FasterRaftLogStore"/>. Bounds the bytes the replay allocates for the cache to twice the cache.
    /// </summary>
    internal const int CacheWindowFactor = 2;

    private readonly PayloadSlab _slab = new();
    private long _cacheFromAddress = long.MaxValue;

    public HardState HardState { get; private set; }

    public void Begin(long beginAddress, long endAddress) =>
        _cacheFromAddress = table.CacheBytesLimit > 0 ? Math.Max(beginAddress, endAddress - CacheWindowFactor * table.CacheBytesLimit) : long.MaxValue;

    public bool TryDecode(ReadOnlySpan<byte> record, long address, out ReplayedRecord view)
    {
        if (!LogRecord.TryDecodeHeaderAt(record, LogRecord.FieldsAt, out var header))
        {
            view = default;
            return false;
        }
        if (header.Kind != LogRecordKind.Entry || address < _cacheFromAddress)
        {
            view = new ReplayedRecord(header, null, 0);
            return true;
        }
        var (payload, offset) = _slab.Copy(record[LogRecord.HeaderBytes..]);
        view = new ReplayedRecord(header, payload, offset);
        return true;
    }

    public string? Apply(in ReplayedRecord record, long address)
    {
        var view = record.Header;
        switch (view.Kind)
        {
            case LogRecordKind.Entry:
                if (view.Index > table.LastIndex + 1 && table.Count > 0 || view.Index <= table.BoundaryIndex && table.Count > 0)
                {
                    return $"entry {view.Index} does not join the log [{table.FirstIndex}, {table.LastIndex}]";
                }
                table.Put(view.Index, new LogTable.Row { Address = address, Term = view.Term, Type = view.EntryType, DataBytes = view.PayloadBytes, Data = record.Payload, DataOffset = record.PayloadOffset });
                if (record.Payload is not null)
                {
                    table.EvictDurable(long.MaxValue); // every replayed record is durable
                }
                break;
            case LogRecordKind.HardState:
                HardState = LogRecord.ToHardState(view);
                break;
            case LogRecordKind.Boundary:
                table.CompactUntil(view.Index, view.Term);
                break;
            case LogRecordKind.Reset:
                table.Reset(view.Index, view.Term);
                break;
        }
        return null;
    }
}

/// <summary>
/// Copies of payloads packed into arrays of <see cref="ChunkBytes"/> (a payload over a quarter of that gets an array of
/// its own), so a slab holds at most a third more than the payloads it was given. A chunk lives while a cached row
/// points into it: the cache evicts oldest first, in the order the chunks were filled.
/// </summary>
internal sealed class PayloadSlab
{
    internal const int ChunkBytes = 1 << 20;
    private byte[]? _chunk;
    private int _used;

    public (byte[] Array, int Offset) Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ChunkBytes / 4)
        {
            return (FasterRaftLogStore.CopyOf(bytes), 0);
        }
        if (_chunk is null || ChunkBytes - _used < bytes.Length)
        {
            _chunk = GC.AllocateUninitializedArray<byte>(ChunkBytes);
            _used = 0;
        }
        var offset = _used;
        bytes.CopyTo(_chunk.AsSpan(offset));
        _used += bytes.Length;
        return (_chunk, offset);
    }
}
