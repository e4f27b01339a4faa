using System.Buffers;
using System.Runtime.InteropServices;

namespace KvRaft.Storage;

/// <summary>
/// The in-memory twin of <see cref="FasterRaftLogStore"/>: same contract, nothing on disk (for the simulator).
/// Each entry's copy lives in an array rented from the shared pool and returned when the entry is compacted
/// away, so a log that is compacted as it grows allocates nothing per entry.
/// </summary>
public sealed class MemoryRaftLogStore : IRaftLogStore
{
    private readonly List<LogEntry> entries = [];
    private long boundaryIndex;
    private long boundaryTerm;
    private long bytesSinceCompaction;
    private HardState committedHardState;

    /// <inheritdoc/>
    public long FirstIndex => boundaryIndex + 1;

    /// <inheritdoc/>
    public long LastIndex => boundaryIndex + entries.Count;

    /// <inheritdoc/>
    public HardState HardState { get; private set; }

    /// <inheritdoc/>
    public long BytesSinceCompaction => bytesSinceCompaction;

    /// <inheritdoc/>
    public bool TryGetTerm(long index, out long term)
    {
        if (index == boundaryIndex)
        {
            term = boundaryTerm;
            return true;
        }
        if (index < FirstIndex || index > LastIndex)
        {
            term = 0;
            return false;
        }
        term = entries[(int)(index - FirstIndex)].Term;
        return true;
    }

    /// <inheritdoc/>
    public void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into)
    {
        LogStoreChecks.CheckReadRange(lo, hiExclusive, FirstIndex, LastIndex);
        long bytes = 0;
        for (var index = lo; index < hiExclusive; index++)
        {
            var entry = entries[(int)(index - FirstIndex)];
            bytes += entry.Data.Length;
            if (index > lo && bytes > maxBytes)
            {
                break;
            }
            into.Add(entry);
        }
    }

    /// <inheritdoc/>
    public void Append(ReadOnlySpan<LogEntry> newEntries, HardState? hardState)
    {
        LogStoreChecks.CheckAppend(newEntries, FirstIndex, LastIndex);
        if (newEntries.Length > 0)
        {
            var keep = (int)(newEntries[0].Index - FirstIndex);
            entries.RemoveRange(keep, entries.Count - keep);
            foreach (var entry in newEntries)
            {
                entries.Add(entry with { Data = Copy(entry.Data.Span) });
                bytesSinceCompaction += entry.Data.Length + LogRecord.HeaderBytes;
            }
        }
        if (hardState is { } state)
        {
            HardState = state;
        }
    }

    /// <inheritdoc/>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        committedHardState = HardState;
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A crash, as far as the twin tells it: a hard state appended after the last <see cref="CommitAsync"/> is lost,
    /// as it would be on disk (the node commits every entry it appends, so only a hard state can be left unsynced).
    /// </summary>
    public void LoseUncommittedHardState() => HardState = committedHardState;

    /// <inheritdoc/>
    public void CompactUntil(long index, long term)
    {
        if (index <= boundaryIndex)
        {
            return;
        }
        var drop = index > LastIndex ? entries.Count : (int)Math.Min(index - boundaryIndex, entries.Count);
        foreach (var entry in CollectionsMarshal.AsSpan(entries)[..drop])
        {
            // Entries replaced by a suffix truncation are left to the collector instead: a reader may still hold them.
            if (MemoryMarshal.TryGetArray(entry.Data, out var segment) && segment.Array is { Length: > 0 } array)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
        entries.RemoveRange(0, drop);
        boundaryIndex = index;
        boundaryTerm = term;
        bytesSinceCompaction = 0;
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
}
