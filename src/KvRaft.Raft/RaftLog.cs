using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// The log as the core sees it: durable entries behind the storage seam, and an unstable tail in
/// memory. Tracks the commit index and how far the host has applied.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;
    private readonly List<Entry> _scratch = new();

    public RaftLog(IRaftStorage storage)
    {
        _storage = storage;
        Unstable = new UnstableLog(storage.LastIndex + 1);
        var first = storage.FirstIndex;
        Committed = first - 1;
        Applied = first - 1;
    }

    public UnstableLog Unstable { get; }

    /// <summary>The highest index known committed.</summary>
    public long Committed { get; private set; }

    /// <summary>The highest index the host has applied (acknowledged through Advance).</summary>
    public long Applied { get; private set; }

    public long FirstIndex => Unstable.MaybeFirstIndex ?? _storage.FirstIndex;

    public long LastIndex => Unstable.MaybeLastIndex ?? _storage.LastIndex;

    public long LastTerm
    {
        get
        {
            Invariant.True(TryGetTerm(LastIndex, out var term), LastIndex);
            return term;
        }
    }

    /// <summary>The term at <paramref name="index"/>; false when compacted or beyond the end.</summary>
    public bool TryGetTerm(long index, out long term)
    {
        term = 0;
        var boundary = FirstIndex - 1;
        if (index < boundary || index > LastIndex)
        {
            return false;
        }

        if (Unstable.TryGetTerm(index, out term))
        {
            return true;
        }

        return _storage.TryGetTerm(index, out term);
    }

    /// <summary>The term at <paramref name="index"/>, 0 when unknown.</summary>
    public long TermOrZero(long index) => TryGetTerm(index, out var term) ? term : 0;

    public bool MatchTerm(long index, long term) => TryGetTerm(index, out var actual) && actual == term;

    /// <summary>Raft §5.4.1: is (lastTerm, lastIndex) at least as up to date as this log?</summary>
    public bool IsUpToDate(long lastIndex, long lastTerm)
    {
        var myTerm = LastTerm;
        return lastTerm > myTerm || (lastTerm == myTerm && lastIndex >= LastIndex);
    }

    /// <summary>Appends the leader's own new entries (indexes already assigned).</summary>
    public void Append(ReadOnlySpan<Entry> entries)
    {
        if (entries.Length == 0)
        {
            return;
        }

        Invariant.True(entries[0].Index > Committed, (entries[0].Index, Committed));
        Unstable.TruncateAndAppend(entries, 0);
    }

    /// <summary>
    /// A follower's append after (prevIndex, prevTerm). Returns the last index of the new entries,
    /// or -1 when the log does not contain prev.
    /// </summary>
    public long MaybeAppend(long prevIndex, long prevTerm, long leaderCommit, ReadOnlySpan<Entry> entries, bool plantedNoTruncate)
    {
        if (!MatchTerm(prevIndex, prevTerm))
        {
            return -1;
        }

        var lastNew = prevIndex + entries.Length;
        var conflict = FindConflict(entries);
        if (conflict >= 0)
        {
            var conflictIndex = entries[conflict].Index;
            Invariant.True(conflictIndex > Committed, (conflictIndex, Committed));
            if (plantedNoTruncate && conflictIndex <= LastIndex)
            {
                // Planted bug: keep the conflicting suffix and only add what lies beyond it.
                var beyond = (int)(LastIndex + 1 - entries[0].Index);
                if (beyond < entries.Length)
                {
                    Unstable.TruncateAndAppend(entries, beyond);
                }
            }
            else
            {
                Unstable.TruncateAndAppend(entries, conflict);
            }
        }
        CommitTo(Math.Min(leaderCommit, lastNew));
        return lastNew;
    }

    /// <summary>The position in <paramref name="entries"/> of the first entry absent or of another term here; -1 if none.</summary>
    private int FindConflict(ReadOnlySpan<Entry> entries)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            if (!MatchTerm(entries[i].Index, entries[i].Term))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The first index of the term of entry <paramref name="index"/> in this log (for fast backtracking).</summary>
    public long FirstIndexOfTermAt(long index)
    {
        var term = TermOrZero(index);
        var first = FirstIndex;
        while (index > first && TermOrZero(index - 1) == term)
        {
            index--;
        }

        return index;
    }

    /// <summary>The last index whose term is <paramref name="term"/> at or below <paramref name="atMost"/>; 0 if none.</summary>
    public long LastIndexOfTerm(long term, long atMost)
    {
        var first = FirstIndex - 1;
        for (var i = Math.Min(atMost, LastIndex); i >= first; i--)
        {
            if (!TryGetTerm(i, out var t))
            {
                return 0;
            }

            if (t == term)
            {
                return i;
            }

            if (t < term)
            {
                return 0;
            }
        }
        return 0;
    }

    public void CommitTo(long index)
    {
        if (index <= Committed)
        {
            return;
        }

        Invariant.True(index <= LastIndex, (index, LastIndex));
        Committed = index;
    }

    /// <summary>Commits <paramref name="index"/> if its entry is of <paramref name="term"/> (Figure 8 rule unless disabled).</summary>
    public bool MaybeCommit(long index, long term, bool requireCurrentTerm)
    {
        if (index <= Committed)
        {
            return false;
        }

        if (requireCurrentTerm && TermOrZero(index) != term)
        {
            return false;
        }

        CommitTo(index);
        return true;
    }

    public void AppliedTo(long index)
    {
        if (index == 0)
        {
            return;
        }

        Invariant.True(index <= Committed && index >= Applied, (index, Committed, Applied));
        Applied = index;
    }

    public void Restore(SnapshotMetadata snapshot)
    {
        Unstable.Restore(snapshot);
        Committed = snapshot.Index;
    }

    /// <summary>Entries [lo, hiExclusive) into <paramref name="into"/>, bounded by bytes (at least one); false if compacted.</summary>
    public bool TrySlice(long lo, long hiExclusive, long maxBytes, List<Entry> into) =>
        Slice(0, lo, hiExclusive, maxBytes, into) == SliceStatus.Sliced;

    /// <summary>
    /// As <see cref="TrySlice"/>, for an Append to follower <paramref name="to"/>: the storage may answer that the
    /// entries are not available yet (see <see cref="IRaftStorage.TryGetEntriesFor"/>).
    /// </summary>
    public SliceStatus SliceFor(int to, long lo, long hiExclusive, long maxBytes, List<Entry> into) =>
        Slice(to, lo, hiExclusive, maxBytes, into);

    // to == 0: the node's own read, always answered.
    private SliceStatus Slice(int to, long lo, long hiExclusive, long maxBytes, List<Entry> into)
    {
        if (lo >= hiExclusive)
        {
            return SliceStatus.Sliced;
        }

        if (lo < FirstIndex)
        {
            return SliceStatus.Compacted;
        }

        Invariant.True(hiExclusive <= LastIndex + 1, (hiExclusive, LastIndex));
        var unstableOffset = Unstable.Offset;
        var start = into.Count;
        if (lo < unstableOffset)
        {
            var storageHi = Math.Min(hiExclusive, unstableOffset);
            if (to == 0)
            {
                _storage.GetEntries(lo, storageHi, maxBytes, into);
            }
            else if (!_storage.TryGetEntriesFor(to, lo, storageHi, maxBytes, into))
            {
                return SliceStatus.Unavailable;
            }

            if (into.Count - start < storageHi - lo)
            {
                return SliceStatus.Sliced; // the byte limit stopped it
            }
        }
        long bytes = 0;
        for (var i = start; i < into.Count; i++)
        {
            bytes += into[i].SizeBytes;
        }

        for (var i = Math.Max(lo, unstableOffset); i < hiExclusive; i++)
        {
            var entry = Unstable.At(i);
            bytes += entry.SizeBytes;
            if (into.Count > start && bytes > maxBytes)
            {
                break;
            }

            into.Add(entry);
        }
        return SliceStatus.Sliced;
    }

    /// <summary>Committed entries not yet handed out, after <paramref name="from"/> up to <paramref name="limit"/>, bounded by bytes.</summary>
    public void NextCommitted(long from, long limit, long maxBytes, List<Entry> into)
    {
        Invariant.True(limit <= Committed, (limit, Committed));
        var hi = limit + 1;
        var lo = Math.Max(from + 1, FirstIndex);
        if (lo >= hi)
        {
            return;
        }

        Invariant.True(TrySlice(lo, hi, maxBytes, into));
    }

    public List<Entry> Scratch()
    {
        _scratch.Clear();
        return _scratch;
    }
}

/// <summary>What a slice of the log gave.</summary>
internal enum SliceStatus : byte
{
    /// <summary>The entries (at least one when the range was not empty).</summary>
    Sliced,

    /// <summary>The range starts below the first index: a snapshot is needed.</summary>
    Compacted,

    /// <summary>The storage is fetching them (they are not in memory): nothing to send now.</summary>
    Unavailable,
}
