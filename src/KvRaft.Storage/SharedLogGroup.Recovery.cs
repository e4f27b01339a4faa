namespace KvRaft.Storage;

public sealed partial class SharedLogGroup
{
    /// <summary>
    /// Applies one of the group's records found by the recovery scan, in address order.
    /// The scan starts at the shared log's begin address, the lowest low-water mark of all groups when it was last moved
    /// (or an earlier one, if a crash lost that move): for this group it may start below its own low-water mark, in the
    /// middle of records that were superseded since. Those are replayed too, and the records from the mark on correct
    /// them: an entry that does not join the table (its index at or below the boundary, or past the end) restarts the
    /// table at itself, and every record from the mark on belongs to the live history, in which: the first live entry
    /// joins or restarts the table, leaving only stale entries below it; a later boundary record (written only while
    /// live entries lie below it, <see cref="CompactUntil"/>) drops those; a reset drops everything; the latest hard
    /// state comes last. So, unlike the single-group log, an entry that does not join is not taken for corruption here
    /// (checksums still catch damaged records).
    /// </summary>
    internal string? Replay(in LogRecordHeader record, long address)
    {
        switch (record.Kind)
        {
            case LogRecordKind.Entry:
                if (record.Index < 1)
                {
                    return $"entry {record.Index} of group {Id} (indexes start at 1)";
                }
                var joins = Table.Count > 0 ? record.Index > Table.BoundaryIndex && record.Index <= Table.LastIndex + 1 : record.Index == Table.FirstIndex;
                if (!joins)
                {
                    Table.Reset(record.Index - 1, 0); // superseded records, below this group's low-water mark
                }
                Table.Put(record.Index, new LogTable.Row { Address = address, Term = record.Term, Type = record.EntryType, DataBytes = record.PayloadBytes });
                break;
            case LogRecordKind.HardState:
                _hardState = LogRecord.ToHardState(record);
                _hardStateAddress = address;
                break;
            case LogRecordKind.Boundary:
                Table.CompactUntil(record.Index, record.Term);
                (_anchorAddress, _bytesSinceCompaction) = (address, 0);
                break;
            case LogRecordKind.Reset:
                Table.Reset(record.Index, record.Term);
                (_anchorAddress, _bytesSinceCompaction) = (address, 0);
                break;
        }
        _bytesSinceCompaction += SharedLogRecord.HeaderBytes + record.PayloadBytes;
        return null;
    }
}
