using System.Buffers;
using System.Runtime.InteropServices;

namespace KvRaft.Storage;

/// <summary>
/// The in-memory twin of <see cref="FasterRaftLogStore"/>: same contract, nothing on disk, and the same durability
/// contract. Appends, compactions, resets and hard states are writes that reach the "disk" only at the next
/// <see cref="CommitAsync"/>; until then a crash (<see cref="Recover"/>) may lose them, or keep a prefix of them in
/// the order they were made, the last one possibly torn (a prefix of its entries, without its hard state), as the
/// FASTER log can after a crash during a commit. Each entry's copy lives in an array rented from the shared pool and
/// returned once a durable compaction drops it, so a log that is compacted as it grows allocates nothing per entry.
/// </summary>
public sealed class MemoryRaftLogStore : IRaftLogStore
{
    private readonly LogImage _live = new();
    private readonly LogImage _durable = new();
    private readonly List<PendingWrite> _unsynced = []; // writes since the last commit, in order
    private readonly List<LogEntry> _unsyncedEntries = []; // their entries (the arrays are shared with the live image)
    private long _bytesSinceCompaction;
    private long _writesMade; // every write (append, compaction or reset) since this store opened
    private long _writesSynced; // of those, the ones a commit made durable

    /// <summary>What a write not yet committed changes.</summary>
    private enum WriteKind : byte
    {
        Append,
        Compact,
        Reset,
    }

    /// <summary>One write since the last commit: entries [EntriesStart, +EntriesCount) of unsyncedEntries, a compaction or a reset.</summary>
    private readonly record struct PendingWrite(WriteKind Kind, int EntriesStart, int EntriesCount, HardState? HardState, long Index, long Term);

    /// <inheritdoc/>
    public long FirstIndex => _live.BoundaryIndex + 1;

    /// <inheritdoc/>
    public long LastIndex => _live.LastIndex;

    /// <inheritdoc/>
    public HardState HardState => _live.HardState;

    /// <inheritdoc/>
    public long BytesSinceCompaction => _bytesSinceCompaction;

    /// <summary>Writes made since the last commit: what a crash now may lose or tear.</summary>
    public int UnsyncedWrites => _unsynced.Count;

    /// <summary>Writes made since this store opened (appends and compactions), synced or not.</summary>
    public long WritesMade => _writesMade;

    /// <summary>Writes made since this store opened that a commit has made durable.</summary>
    public long WritesSynced => _writesSynced;

    /// <inheritdoc/>
    public bool TryGetTerm(long index, out long term) => _live.TryGetTerm(index, out term);

    /// <inheritdoc/>
    public void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into)
    {
        LogStoreChecks.CheckReadRange(lo, hiExclusive, FirstIndex, LastIndex);
        long bytes = 0;
        for (var index = lo; index < hiExclusive; index++)
        {
            var entry = _live.Entries[(int)(index - FirstIndex)];
            bytes += entry.Data.Length;
            if (index > lo && bytes > maxBytes)
            {
                break;
            }
            into.Add(entry);
        }
    }

    /// <summary>
    /// The model of a cache: entries more than this many below <see cref="LastIndex"/> count as evicted, read only by
    /// <see cref="Read"/> (the loop's synchronous device read) and <see cref="ReadStoredAsync"/>, never by
    /// <see cref="TryReadCached"/>. Unbounded by default; the simulator draws it per seed.
    /// </summary>
    public long CachedEntriesMax { get; set; } = long.MaxValue;

    /// <summary>Entries read by <see cref="ReadStoredAsync"/> (the background reads) since this store opened.</summary>
    public long StoredEntriesRead { get; private set; }

    private bool IsCached(long index) => LastIndex - index < CachedEntriesMax;

    /// <inheritdoc/>
    public bool TryReadCached(long lo, long hiExclusive, long maxBytes, List<LogEntry> into)
    {
        if (!IsCached(lo))
        {
            return false;
        }
        Read(lo, hiExclusive, maxBytes, into); // the cache is a suffix of the log: everything from lo on is in it
        return true;
    }

    /// <inheritdoc/>
    public ValueTask ReadStoredAsync(long lo, long hiExclusive, long maxBytes, List<LogEntry> into, CancellationToken cancellationToken = default)
    {
        long bytes = 0;
        for (var index = lo; index < Math.Min(hiExclusive, LastIndex + 1) && index >= FirstIndex; index++)
        {
            var entry = _live.Entries[(int)(index - FirstIndex)];
            bytes += entry.Data.Length;
            if (index > lo && bytes > maxBytes)
            {
                break;
            }
            into.Add(entry with { Data = entry.Data.ToArray() }); // a device read's own copy: the pool may reuse the original
            StoredEntriesRead++;
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Append(ReadOnlySpan<LogEntry> newEntries, HardState? hardState)
    {
        LogStoreChecks.CheckAppend(newEntries, FirstIndex, LastIndex);
        if (newEntries.Length == 0 && hardState is null)
        {
            return;
        }
        var start = _unsyncedEntries.Count;
        foreach (var entry in newEntries)
        {
            _unsyncedEntries.Add(entry with { Data = Copy(entry.Data.Span) });
            _bytesSinceCompaction += entry.Data.Length + LogRecord.HeaderBytes;
        }
        var write = new PendingWrite(WriteKind.Append, start, newEntries.Length, hardState, 0, 0);
        _unsynced.Add(write);
        _writesMade++;
        _live.Apply(write, _unsyncedEntries, returnDropped: false);
    }

    /// <inheritdoc/>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        foreach (var write in _unsynced)
        {
            _durable.Apply(write, _unsyncedEntries, returnDropped: true);
        }
        _writesSynced += _unsynced.Count;
        _unsynced.Clear();
        _unsyncedEntries.Clear();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void CompactUntil(long index, long term)
    {
        if (index <= _live.BoundaryIndex)
        {
            return;
        }
        var write = new PendingWrite(WriteKind.Compact, 0, 0, null, index, term);
        _unsynced.Add(write);
        _writesMade++;
        _live.Apply(write, _unsyncedEntries, returnDropped: false);
        _bytesSinceCompaction = 0;
    }

    /// <inheritdoc/>
    public void ResetAfter(long index, long term)
    {
        var write = new PendingWrite(WriteKind.Reset, 0, 0, null, index, term);
        _unsynced.Add(write);
        _writesMade++;
        _live.Apply(write, _unsyncedEntries, returnDropped: false);
        _bytesSinceCompaction = 0;
    }

    /// <summary>
    /// The log as it reopens after a crash now: everything committed, then the first <paramref name="writesKept"/>
    /// writes made since (at most <see cref="UnsyncedWrites"/>); when <paramref name="tornEntriesKept"/> is not null the
    /// last of those is torn: only that many of its first entries survive, and not its hard state. This store is
    /// not used again.
    /// </summary>
    public MemoryRaftLogStore Recover(int writesKept, int? tornEntriesKept = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(writesKept);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(writesKept, _unsynced.Count);
        var reopened = new MemoryRaftLogStore { CachedEntriesMax = CachedEntriesMax };
        reopened._live.CopyFrom(_durable);
        reopened._durable.CopyFrom(_durable);
        for (var i = 0; i < writesKept; i++)
        {
            var write = _unsynced[i];
            if (i == writesKept - 1 && tornEntriesKept is { } kept && write.Kind == WriteKind.Append)
            {
                write = write with { EntriesCount = Math.Min(kept, write.EntriesCount), HardState = null };
            }
            reopened._live.Apply(write, _unsyncedEntries, returnDropped: false);
            reopened._durable.Apply(write, _unsyncedEntries, returnDropped: false);
        }
        reopened._bytesSinceCompaction = reopened._live.Entries.Sum(entry => (long)entry.Data.Length + LogRecord.HeaderBytes);
        return reopened;
    }

    private static ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var array = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(array);
        return array.AsMemory(0, data.Length);
    }

    /// <inheritdoc/>
    public void Dispose() { }

    /// <summary>A log as of some write: its compacted boundary, its entries and its hard state.</summary>
    private sealed class LogImage
    {
        public long BoundaryIndex { get; private set; }

        public long BoundaryTerm { get; private set; }

        public List<LogEntry> Entries { get; } = [];

        public HardState HardState { get; private set; }

        public long LastIndex => BoundaryIndex + Entries.Count;

        public bool TryGetTerm(long index, out long term)
        {
            if (index == BoundaryIndex)
            {
                term = BoundaryTerm;
                return true;
            }
            if (index <= BoundaryIndex || index > LastIndex)
            {
                term = 0;
                return false;
            }
            term = Entries[(int)(index - BoundaryIndex - 1)].Term;
            return true;
        }

        public void CopyFrom(LogImage other)
        {
            (BoundaryIndex, BoundaryTerm, HardState) = (other.BoundaryIndex, other.BoundaryTerm, other.HardState);
            Entries.Clear();
            Entries.AddRange(other.Entries);
        }

        /// <summary>
        /// Applies one write. With <paramref name="returnDropped"/> (the durable image, the last holder of an entry:
        /// the live image drops it first) the arrays of entries a compaction drops go back to the pool; entries
        /// replaced by a suffix truncation are left to the collector instead: a reader may still hold them.
        /// </summary>
        public void Apply(PendingWrite write, List<LogEntry> entries, bool returnDropped)
        {
            if (write.Kind == WriteKind.Compact)
            {
                Compact(write.Index, write.Term, returnDropped);
                return;
            }
            if (write.Kind == WriteKind.Reset)
            {
                // Entries a reset drops are left to the collector, as those of a suffix truncation: a reader may hold them.
                Entries.Clear();
                (BoundaryIndex, BoundaryTerm) = (write.Index, write.Term);
                return;
            }
            if (write.EntriesCount > 0)
            {
                var keep = (int)(entries[write.EntriesStart].Index - BoundaryIndex - 1);
                Entries.RemoveRange(keep, Entries.Count - keep);
                Entries.AddRange(CollectionsMarshal.AsSpan(entries).Slice(write.EntriesStart, write.EntriesCount));
            }
            if (write.HardState is { } state)
            {
                HardState = state;
            }
        }

        private void Compact(long index, long term, bool returnDropped)
        {
            if (index <= BoundaryIndex)
            {
                return;
            }
            var drop = (int)Math.Min(index - BoundaryIndex, Entries.Count);
            if (returnDropped)
            {
                foreach (var entry in CollectionsMarshal.AsSpan(Entries)[..drop])
                {
                    if (MemoryMarshal.TryGetArray(entry.Data, out var segment) && segment.Array is { Length: > 0 } array)
                    {
                        ArrayPool<byte>.Shared.Return(array);
                    }
                }
            }
            Entries.RemoveRange(0, drop);
            BoundaryIndex = index;
            BoundaryTerm = term;
        }
    }
}
