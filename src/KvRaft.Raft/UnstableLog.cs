using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// Entries (and possibly an incoming snapshot) not yet known to be durable. Entry i is at
/// <c>_entries[i - Offset]</c>. The host persists them from a Ready; <see cref="StableTo"/> then drops them.
/// With asynchronous storage writes, entries from <see cref="Offset"/> up to <see cref="OffsetInProgress"/>
/// have been handed to the host and are being written; a later Ready hands out only those after them.
/// </summary>
internal sealed class UnstableLog
{
    private readonly List<Entry> _entries = new();

    public UnstableLog(long offset) => Offset = OffsetInProgress = offset;

    /// <summary>The index of the first unstable entry.</summary>
    public long Offset { get; private set; }

    /// <summary>The index of the first unstable entry not yet handed to the host to persist.</summary>
    public long OffsetInProgress { get; private set; }

    /// <summary>An incoming snapshot not yet installed by the host.</summary>
    public SnapshotMetadata? Snapshot { get; private set; }

    /// <summary>True while the snapshot has been handed to the host and is not yet installed.</summary>
    public bool SnapshotInProgress { get; private set; }

    /// <summary>Entries after those in progress: what the next Ready hands out to persist.</summary>
    public int CountToPersist => (int)(Offset + _entries.Count - OffsetInProgress);

    /// <summary>The first of the entries to persist is at this position of <see cref="Entries"/>.</summary>
    public int FirstToPersist => (int)(OffsetInProgress - Offset);

    /// <summary>The host took everything unstable (entries to <paramref name="lastIndex"/>, the snapshot) to write it.</summary>
    public void AcceptInProgress(long lastIndex, bool snapshot)
    {
        if (lastIndex >= OffsetInProgress)
        {
            OffsetInProgress = lastIndex + 1;
        }

        if (snapshot && Snapshot is not null)
        {
            SnapshotInProgress = true;
        }

        Invariant.True(OffsetInProgress <= Offset + _entries.Count, (OffsetInProgress, Offset, _entries.Count));
    }

    public IReadOnlyList<Entry> Entries => _entries;

    public int Count => _entries.Count;

    public long? MaybeFirstIndex => Snapshot is { } snapshot ? snapshot.Index + 1 : null;

    public long? MaybeLastIndex
    {
        get
        {
            if (_entries.Count > 0)
            {
                return Offset + _entries.Count - 1;
            }

            if (Snapshot is { } snapshot)
            {
                return snapshot.Index;
            }

            return null;
        }
    }

    public bool TryGetTerm(long index, out long term)
    {
        term = 0;
        if (index < Offset)
        {
            if (Snapshot is { } snapshot && snapshot.Index == index)
            {
                term = snapshot.Term;
                return true;
            }
            return false;
        }
        if (MaybeLastIndex is not { } last || index > last)
        {
            return false;
        }

        term = _entries[(int)(index - Offset)].Term;
        return true;
    }

    public Entry At(long index) => _entries[(int)(index - Offset)];

    /// <summary>The host made entries up to (index, term) durable; forget them unless they were replaced meanwhile.</summary>
    public void StableTo(long index, long term)
    {
        if (!TryGetTerm(index, out var currentTerm) || currentTerm != term || index < Offset)
        {
            return;
        }

        var count = (int)(index + 1 - Offset);
        _entries.RemoveRange(0, count);
        Offset = index + 1;
        OffsetInProgress = Math.Max(OffsetInProgress, Offset);
    }

    /// <summary>The host installed the snapshot at <paramref name="index"/>.</summary>
    public void StableSnapshotTo(long index)
    {
        if (Snapshot is { } snapshot && snapshot.Index == index)
        {
            Snapshot = null;
            SnapshotInProgress = false;
        }
    }

    public void Restore(SnapshotMetadata snapshot)
    {
        Offset = OffsetInProgress = snapshot.Index + 1;
        _entries.Clear();
        Snapshot = snapshot;
        SnapshotInProgress = false;
    }

    /// <summary>Appends contiguous entries, replacing any from the first one's index on.</summary>
    public void TruncateAndAppend(ReadOnlySpan<Entry> entries, int start)
    {
        var after = entries[start].Index;
        var end = Offset + _entries.Count;
        if (after == end)
        {
            // Plain append.
        }
        else if (after <= Offset)
        {
            // Replace everything unstable; storage entries from `after` on are superseded on persist.
            Offset = after;
            _entries.Clear();
        }
        else
        {
            var keep = (int)(after - Offset);
            _entries.RemoveRange(keep, _entries.Count - keep);
        }
        for (var i = start; i < entries.Length; i++)
        {
            Invariant.True(entries[i].Index == Offset + _entries.Count, entries[i]);
            _entries.Add(entries[i]);
        }
        // Entries in progress from `after` on were replaced: the new ones must be written too (after the old write).
        OffsetInProgress = Math.Max(Offset, Math.Min(OffsetInProgress, after));
    }

    public void Slice(long lo, long hiExclusive, List<Entry> into)
    {
        Invariant.True(lo >= Offset && hiExclusive <= Offset + _entries.Count, (lo, hiExclusive, Offset, _entries.Count));
        for (var i = lo; i < hiExclusive; i++)
        {
            into.Add(_entries[(int)(i - Offset)]);
        }
    }
}
