namespace KvRaft.Storage;

/// <summary>A checked record of the single-group log; <see cref="Payload"/>: a copy of an entry's payload to cache, else null.</summary>
internal readonly record struct ReplayedRecord(LogRecordHeader Header, byte[]? Payload);

/// <summary>
/// The replay of the single-group log: the latest record for an index wins and drops every entry above it; an
/// entry that does not join the log is corruption. It also fills the entry cache in the same pass: the payloads of
/// the entries in the last <see cref="CacheWindowFactor"/> × the cache's bytes of the scanned range are copied and
/// cached as their rows are put, the oldest evicted while the cache is over its limit, so what stays cached is the
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
        var payload = header.Kind == LogRecordKind.Entry && address >= _cacheFromAddress ? FasterRaftLogStore.CopyOf(record[LogRecord.HeaderBytes..]) : null;
        view = new ReplayedRecord(header, payload);
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
                table.Put(view.Index, new LogTable.Row { Address = address, Term = view.Term, Type = view.EntryType, DataBytes = view.PayloadBytes, Data = record.Payload });
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
