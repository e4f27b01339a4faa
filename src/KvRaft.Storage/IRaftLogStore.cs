namespace KvRaft.Storage;

/// <summary>
/// The durable Raft log and hard state. One writer appends (and truncates by appending over a suffix);
/// <see cref="CommitAsync"/> makes everything appended so far durable with one device commit, shared by
/// concurrent callers. Reads see appended entries at once, durable or not.
/// </summary>
public interface IRaftLogStore : IDisposable
{
    /// <summary>The first index still in the log (the compacted boundary is FirstIndex - 1).</summary>
    long FirstIndex { get; }

    /// <summary>The last index in the log; FirstIndex - 1 when empty.</summary>
    long LastIndex { get; }

    /// <summary>The last hard state appended (durable after the next commit).</summary>
    HardState HardState { get; }

    /// <summary>The term at <paramref name="index"/>, also for the compacted boundary FirstIndex - 1.</summary>
    bool TryGetTerm(long index, out long term);

    /// <summary>
    /// Reads [lo, hiExclusive) into <paramref name="into"/>, stopping after maxBytes of payload but returning at least one entry.
    /// The entries' data stays valid until they are compacted away (<see cref="CompactUntil"/>), not longer.
    /// </summary>
    void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into);

    /// <summary>
    /// As <see cref="Read"/>, from memory only, never the device: false, adding nothing, when entry
    /// <paramref name="lo"/> is not in memory (evicted from the cache); otherwise it stops before the first entry
    /// that is not. Allocates nothing.
    /// </summary>
    bool TryReadCached(long lo, long hiExclusive, long maxBytes, List<LogEntry> into);

    /// <summary>
    /// Reads entries from <paramref name="lo"/> on, up to <paramref name="hiExclusive"/> and <paramref name="maxBytes"/>
    /// of payload (at least one entry), from the device: for a thread other than the event loop, while the loop goes on
    /// appending, compacting and committing. The log may change meanwhile: it stops at the first entry no longer in
    /// the log (nothing when <paramref name="lo"/> was compacted away), and an entry replaced meanwhile may come back
    /// with its old term (the caller compares terms). The data stays valid as long as the caller holds it (the store
    /// never reuses it, compacted or not).
    /// </summary>
    ValueTask ReadStoredAsync(long lo, long hiExclusive, long maxBytes, List<LogEntry> into, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends contiguous entries (copying their data: the caller may reuse its memory after the call); if the first
    /// index is at most LastIndex, the suffix from there is replaced.
    /// The hard state, if given, is written with them and made durable by the same commit.
    /// </summary>
    void Append(ReadOnlySpan<LogEntry> entries, HardState? hardState);

    /// <summary>Makes everything appended before the call durable (group commit).</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops entries up to <paramref name="index"/> (inclusive) after a snapshot at (index, term).</summary>
    void CompactUntil(long index, long term);

    /// <summary>
    /// Empties the log after installing a snapshot at (index, term): every entry goes, whatever its index, and the log
    /// continues at index + 1 (the hard state is kept). Durable with the next commit, in order with the other writes.
    /// </summary>
    void ResetAfter(long index, long term);

    /// <summary>Bytes of log written since the last compaction (for the snapshot policy).</summary>
    long BytesSinceCompaction { get; }
}
