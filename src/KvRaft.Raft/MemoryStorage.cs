using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

/// <summary>
/// The in-memory twin of durable storage, used by tests and the simulator ("durable" here means
/// "survives a simulated crash", because the simulator keeps this object and drops the core).
/// </summary>
public sealed class MemoryStorage : IRaftStorage
{
    // _entries[0] is a sentinel for the snapshot boundary: its Index and Term are the snapshot's.
    private readonly List<Entry> _entries = new() { new Entry(0, 0, EntryType.NoOp, default) };
    private HardState _hardState = HardState.Empty;
    private SnapshotMetadata _snapshot;

    /// <summary>Creates storage for a cluster whose initial voters are <paramref name="voters"/>.</summary>
    public MemoryStorage(int[] voters) : this(new ConfigState(voters)) { }

    /// <summary>Creates storage for a cluster whose initial configuration is <paramref name="config"/>.</summary>
    public MemoryStorage(ConfigState config) => _snapshot = new SnapshotMetadata(0, 0, config);

    /// <inheritdoc />
    public (HardState HardState, ConfigState Config) InitialState() => (_hardState, _snapshot.Config);

    /// <summary>The hard state last written.</summary>
    public HardState HardState => _hardState;

    /// <inheritdoc />
    public long FirstIndex => _entries[0].Index + 1;

    /// <inheritdoc />
    public long LastIndex => _entries[0].Index + _entries.Count - 1;

    /// <inheritdoc />
    public SnapshotMetadata Snapshot => _snapshot;

    /// <inheritdoc />
    public bool TryGetTerm(long index, out long term)
    {
        var offset = _entries[0].Index;
        if (index < offset || index > LastIndex)
        {
            term = 0;
            return false;
        }
        term = _entries[(int)(index - offset)].Term;
        return true;
    }

    /// <inheritdoc />
    public void GetEntries(long lo, long hiExclusive, long maxBytes, List<Entry> into)
    {
        Invariant.True(lo >= FirstIndex && lo < hiExclusive && hiExclusive <= LastIndex + 1, (lo, hiExclusive, FirstIndex, LastIndex));
        var offset = _entries[0].Index;
        long bytes = 0;
        for (var i = lo; i < hiExclusive; i++)
        {
            var entry = _entries[(int)(i - offset)];
            bytes += entry.SizeBytes;
            if (i > lo && bytes > maxBytes)
            {
                break;
            }

            into.Add(entry);
        }
    }

    /// <summary>
    /// A model of storage that keeps part of its log out of memory (tests): an Append's entries for follower
    /// <c>to</c> from index <c>lo</c> for which this returns true are "not available yet" (see
    /// <see cref="IRaftStorage.TryGetEntriesFor"/>). Null: always available.
    /// </summary>
    public Func<int, long, bool>? HoldsBack { get; set; }

    /// <inheritdoc />
    public bool TryGetEntriesFor(int to, long lo, long hiExclusive, long maxBytes, List<Entry> into)
    {
        if (HoldsBack?.Invoke(to, lo) == true)
        {
            return false;
        }

        GetEntries(lo, hiExclusive, maxBytes, into);
        return true;
    }

    /// <summary>Records the hard state.</summary>
    public void SetHardState(HardState hardState) => _hardState = hardState;

    /// <summary>Appends contiguous entries; entries from the first one's index on are replaced.</summary>
    public void Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var first = entries[0].Index;
        Invariant.True(first >= FirstIndex && first <= LastIndex + 1, (first, FirstIndex, LastIndex));
        var offset = _entries[0].Index;
        var keep = (int)(first - offset);
        _entries.RemoveRange(keep, _entries.Count - keep);
        for (var i = 0; i < entries.Count; i++)
        {
            Invariant.True(entries[i].Index == first + i);
            _entries.Add(entries[i]);
        }
    }

    /// <summary>Replaces everything with the snapshot <paramref name="snapshot"/> (a follower installing one).</summary>
    public void ApplySnapshot(SnapshotMetadata snapshot)
    {
        Invariant.True(snapshot.Index >= _snapshot.Index);
        _snapshot = snapshot;
        _entries.Clear();
        _entries.Add(new Entry(snapshot.Index, snapshot.Term, EntryType.NoOp, default));
    }

    /// <summary>
    /// Records a snapshot of the applied state at <paramref name="index"/>. Entries stay until
    /// <see cref="Compact"/>, so followers a little behind still catch up from the log.
    /// </summary>
    public SnapshotMetadata CreateSnapshot(long index, ConfigState config)
    {
        Invariant.True(index > _snapshot.Index && index <= LastIndex, (index, _snapshot.Index, LastIndex));
        Invariant.True(TryGetTerm(index, out var term));
        _snapshot = new SnapshotMetadata(index, term, config);
        return _snapshot;
    }

    /// <summary>Drops the entries up to and including <paramref name="index"/>, keeping its term as the boundary.</summary>
    public void Compact(long index)
    {
        var offset = _entries[0].Index;
        if (index <= offset)
        {
            return;
        }

        Invariant.True(index <= _snapshot.Index, (index, _snapshot.Index)); // never compact past the snapshot
        var drop = (int)(index - offset);
        var boundary = _entries[drop];
        _entries.RemoveRange(0, drop);
        _entries[0] = new Entry(boundary.Index, boundary.Term, EntryType.NoOp, default);
    }
}
