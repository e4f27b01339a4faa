using System.Buffers;
using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// Compaction of the store's log. Below a checkpoint's fold-over address the log is immutable; once that checkpoint is
/// durable, FASTER's Lookup compaction copies to the tail every record in [begin, until) that is still the latest of
/// its key (a conditional copy: a newer record written meanwhile wins) and moves the begin address past the region.
/// The next checkpoint records the new begin address; once it is durable the segments below it are deleted
/// (<see cref="HeldTruncationDevice"/>). Lookup rather than Scan: Scan builds a temporary in-memory store of every
/// key in the region and scans the rest of the log too, where Lookup needs one scan of the region and, per record,
/// one index lookup that mostly ends in memory (the newest records of a key are the recent ones).
/// </summary>
internal sealed partial class FasterStore
{
    // Pages compacted per FASTER Compact call: between calls compaction can stop (an install waits for at most one).
    private const int CompactionChunkPages = 4;

    public long BeginAddress => store.Log.BeginAddress;

    /// <summary>
    /// Compacts [begin, <paramref name="untilAddress"/>) (immutable: below a durable checkpoint's fold-over address)
    /// in chunks, on FASTER sessions of its own that live for one chunk, beside the applies; stops between chunks once
    /// <paramref name="stop"/> says so. Returns the new begin address. Call while no checkpoint and no export runs.
    /// </summary>
    public long Compact(long untilAddress, Func<bool> stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        var until = Math.Min(untilAddress, store.Log.SafeReadOnlyAddress);
        var chunkBytes = (long)CompactionChunkPages << pageBits;
        var functions = new ValueCopyFunctions();
        while (store.Log.BeginAddress < until && !stop())
        {
            var before = store.Log.BeginAddress;
            var end = Math.Min(until, before + chunkBytes);
            store.Log.Compact<SpanByte, ArrayBufferWriter<byte>, Empty, ValueCopyFunctions>(functions, end, CompactionType.Lookup);
            Invariant.True(store.Log.BeginAddress > before, (before, end));
        }
        return store.Log.BeginAddress;
    }
}

/// <summary>What an export read: the region [begin, until) it scanned and the bytes of the live records in it.</summary>
internal sealed class ExportTally
{
    public bool Completed { get; private set; }

    public long BeginAddress { get; private set; }

    public long UntilAddress { get; private set; }

    public long LiveBytes { get; private set; }

    public void Complete(long beginAddress, long untilAddress, long liveBytes)
    {
        (BeginAddress, UntilAddress, LiveBytes) = (beginAddress, untilAddress, liveBytes);
        Completed = true;
    }

    /// <summary>
    /// True when more than half of the region is dead: compacting it then copies fewer bytes than it frees, so the
    /// work per byte applied stays bounded (a store that only grows is never compacted: it would copy it all).
    /// </summary>
    public bool WorthCompacting => Completed && UntilAddress - BeginAddress > 2 * LiveBytes;
}
