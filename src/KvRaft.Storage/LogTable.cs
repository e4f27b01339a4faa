namespace KvRaft.Storage;

/// <summary>
/// The in-memory map index → (FasterLog address, term, type, cached payload) of the live log.
/// FasterLog only truncates its front, so suffix truncation and compaction happen here.
/// </summary>
internal sealed class LogTable
{
    /// <summary>
    /// One live entry, 32 bytes (a log of 8 million entries keeps 8 million): the entry type and the cached payload's
    /// offset share one int.
    /// </summary>
    internal struct Row
    {
        private const int TypeBits = 8;

        /// <summary>The largest <see cref="DataOffset"/>: a slab chunk (<see cref="PayloadSlab.ChunkBytes"/>) is smaller.</summary>
        internal const int DataOffsetMax = int.MaxValue >> TypeBits;

        public long Address;
        public long Term;

        /// <summary>The cached payload's array, or null: the payload is DataBytes bytes from DataOffset (an array of its own, or a slab the replay filled).</summary>
        public byte[]? Data;
        public int DataBytes;
        private int _typeAndOffset;

        public byte Type
        {
            readonly get => (byte)_typeAndOffset;
            set => _typeAndOffset = (_typeAndOffset & ~0xFF) | value;
        }

        public int DataOffset
        {
            readonly get => (int)((uint)_typeAndOffset >> TypeBits);
            set
            {
                Invariant.True(value is >= 0 and <= DataOffsetMax, value);
                _typeAndOffset = (value << TypeBits) | (_typeAndOffset & 0xFF);
            }
        }

        public readonly bool IsCached => Data is not null;

        /// <summary>The cached payload (only when <see cref="IsCached"/>).</summary>
        public readonly ReadOnlyMemory<byte> CachedData => Data.AsMemory(DataOffset, DataBytes);

        /// <summary>Bytes of cache the row holds: its payload's when cached, else 0.</summary>
        public readonly long CachedBytes => Data is null ? 0 : DataBytes;
    }

    private readonly List<Row> _rows = [];
    private long _cachedBytes;
    private int _evictCursor;

    public LogTable(long cacheBytesLimit) => CacheBytesLimit = cacheBytesLimit;

    /// <summary>Payload bytes of durable entries kept cached (a shared log divides its budget among its groups).</summary>
    public long CacheBytesLimit { get; set; }

    public long BoundaryIndex { get; private set; }
    public long BoundaryTerm { get; private set; }
    public long FirstIndex => BoundaryIndex + 1;
    public long LastIndex => BoundaryIndex + _rows.Count;
    public int Count => _rows.Count;

    /// <summary>The term at <paramref name="index"/>, also for the boundary; false outside the log.</summary>
    public bool TryGetTerm(long index, out long term)
    {
        term = 0;
        if (index == BoundaryIndex)
        {
            term = BoundaryTerm;
            return true;
        }
        if (index < FirstIndex || index > LastIndex)
        {
            return false;
        }
        term = At(index).Term;
        return true;
    }

    public ref Row At(long index) => ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_rows)[(int)(index - FirstIndex)];

    /// <summary>Adds an entry at index; an index at or below LastIndex first drops the suffix from there.</summary>
    public void Put(long index, Row row)
    {
        if (_rows.Count == 0 && index != FirstIndex)
        {
            Invariant.True(index > BoundaryIndex, index);
            BoundaryIndex = index - 1; // first entry after a truncated prefix; boundary term comes with its record
        }
        Invariant.True(index >= FirstIndex && index <= LastIndex + 1, index);
        TruncateFrom(index);
        _rows.Add(row);
        _cachedBytes += row.CachedBytes;
    }

    public void TruncateFrom(long index)
    {
        var keep = (int)(index - FirstIndex);
        for (var i = keep; i < _rows.Count; i++)
        {
            _cachedBytes -= _rows[i].CachedBytes;
        }
        _rows.RemoveRange(keep, _rows.Count - keep);
        _evictCursor = Math.Min(_evictCursor, _rows.Count);
    }

    /// <summary>Drops entries up to index (inclusive) and records the boundary (index, term).</summary>
    public void CompactUntil(long index, long term)
    {
        if (index < BoundaryIndex)
        {
            return;
        }
        var drop = (int)Math.Min(index - BoundaryIndex, _rows.Count);
        for (var i = 0; i < drop; i++)
        {
            _cachedBytes -= _rows[i].CachedBytes;
        }
        _rows.RemoveRange(0, drop);
        _evictCursor = Math.Max(0, _evictCursor - drop);
        BoundaryIndex = index;
        BoundaryTerm = term;
    }

    /// <summary>Drops every entry and records the boundary (index, term): the log continues at index + 1.</summary>
    public void Reset(long index, long term)
    {
        _rows.Clear();
        _cachedBytes = 0;
        _evictCursor = 0;
        BoundaryIndex = index;
        BoundaryTerm = term;
    }

    /// <summary>The first index from which the newest entries' payloads fit the cache together (a reopened log's warm-up), or LastIndex + 1.</summary>
    public long FirstIndexFittingCache()
    {
        long bytes = 0;
        for (var i = _rows.Count - 1; i >= 0; i--)
        {
            bytes += _rows[i].DataBytes;
            if (bytes > CacheBytesLimit)
            {
                return FirstIndex + i + 1;
            }
        }
        return FirstIndex;
    }

    /// <summary>
    /// Caches the payload read for the entry at <paramref name="index"/> from <paramref name="address"/> (a reopened
    /// log's warm-up); ignored unless that entry is live at that address and not cached yet.
    /// </summary>
    public void CacheRead(long index, long address, byte[] data)
    {
        if (index < FirstIndex || index > LastIndex)
        {
            return;
        }
        ref var row = ref At(index);
        if (row.Address != address || row.IsCached || row.DataBytes != data.Length)
        {
            return;
        }
        row.Data = data;
        row.DataOffset = 0;
        _cachedBytes += data.Length;
    }

    /// <summary>Frees cached payloads of durable entries, oldest first, while the cache is over its limit.</summary>
    public void EvictDurable(long durableAddress)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_rows);
        while (_cachedBytes > CacheBytesLimit && _evictCursor < span.Length && span[_evictCursor].Address < durableAddress)
        {
            _cachedBytes -= span[_evictCursor].CachedBytes;
            span[_evictCursor].Data = null;
            _evictCursor++;
        }
    }

    /// <summary>The FasterLog address of the first live entry, or -1 when the table is empty.</summary>
    public long FirstAddress => _rows.Count == 0 ? -1 : _rows[0].Address;
}
