namespace KvRaft.Storage;

/// <summary>The in-memory twin of <see cref="FasterRaftLogStore"/>: same contract, nothing on disk (for the simulator).</summary>
public sealed class MemoryRaftLogStore : IRaftLogStore
{
    private readonly List<LogEntry> entries = [];
    private long boundaryIndex;
    private long boundaryTerm;
    private long bytesSinceCompaction;

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
                entries.Add(entry with { Data = entry.Data.ToArray() });
                bytesSinceCompaction += entry.Data.Length + LogRecord.HeaderBytes;
            }
        }
        if (hardState is { } state)
        {
            HardState = state;
        }
    }

    /// <inheritdoc/>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public void CompactUntil(long index, long term)
    {
        if (index <= boundaryIndex)
        {
            return;
        }
        var drop = (int)Math.Min(index - boundaryIndex, entries.Count);
        entries.RemoveRange(0, index > LastIndex ? entries.Count : drop);
        boundaryIndex = index;
        boundaryTerm = term;
        bytesSinceCompaction = 0;
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
