namespace KvRaft.Storage;

/// <summary>
/// The in-memory map index → (FasterLog address, term, type, cached payload) of the live log.
/// FasterLog only truncates its front, so suffix truncation and compaction happen here.
/// </summary>
internal sealed class LogTable
{
    internal struct Row
    {
        public long Address;
        public long Term;
        public byte Type;
        public int DataBytes;
        public byte[]? Data;
    }

    private readonly List<Row> rows = [];
    private readonly long cacheBytesLimit;
    private long cachedBytes;
    private int evictCursor;

    public LogTable(long cacheBytesLimit) => this.cacheBytesLimit = cacheBytesLimit;

    public long BoundaryIndex { get; private set; }
    public long BoundaryTerm { get; private set; }
    public long FirstIndex => BoundaryIndex + 1;
    public long LastIndex => BoundaryIndex + rows.Count;
    public int Count => rows.Count;

    public ref Row At(long index) => ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows)[(int)(index - FirstIndex)];

    /// <summary>Adds an entry at index; an index at or below LastIndex first drops the suffix from there.</summary>
    public void Put(long index, Row row)
    {
        if (rows.Count == 0 && index != FirstIndex)
        {
            Invariant.True(index > BoundaryIndex, index);
            BoundaryIndex = index - 1; // first entry after a truncated prefix; boundary term comes with its record
        }
        Invariant.True(index >= FirstIndex && index <= LastIndex + 1, index);
        TruncateFrom(index);
        rows.Add(row);
        cachedBytes += row.Data?.Length ?? 0;
    }

    public void TruncateFrom(long index)
    {
        var keep = (int)(index - FirstIndex);
        for (var i = keep; i < rows.Count; i++)
        {
            cachedBytes -= rows[i].Data?.Length ?? 0;
        }
        rows.RemoveRange(keep, rows.Count - keep);
        evictCursor = Math.Min(evictCursor, rows.Count);
    }

    /// <summary>Drops entries up to index (inclusive) and records the boundary (index, term).</summary>
    public void CompactUntil(long index, long term)
    {
        if (index < BoundaryIndex)
        {
            return;
        }
        var drop = (int)Math.Min(index - BoundaryIndex, rows.Count);
        for (var i = 0; i < drop; i++)
        {
            cachedBytes -= rows[i].Data?.Length ?? 0;
        }
        rows.RemoveRange(0, drop);
        evictCursor = Math.Max(0, evictCursor - drop);
        BoundaryIndex = index;
        BoundaryTerm = term;
    }

    /// <summary>Drops every entry and records the boundary (index, term): the log continues at index + 1.</summary>
    public void Reset(long index, long term)
    {
        rows.Clear();
        cachedBytes = 0;
        evictCursor = 0;
        BoundaryIndex = index;
        BoundaryTerm = term;
    }

    /// <summary>Frees cached payloads of durable entries, oldest first, while the cache is over its limit.</summary>
    public void EvictDurable(long durableAddress)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows);
        while (cachedBytes > cacheBytesLimit && evictCursor < span.Length && span[evictCursor].Address < durableAddress)
        {
            cachedBytes -= span[evictCursor].Data?.Length ?? 0;
            span[evictCursor].Data = null;
            evictCursor++;
        }
    }

    /// <summary>The FasterLog address of the first live entry, or -1 when the table is empty.</summary>
    public long FirstAddress => rows.Count == 0 ? -1 : rows[0].Address;
}
