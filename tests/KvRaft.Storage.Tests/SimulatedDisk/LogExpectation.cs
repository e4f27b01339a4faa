// Goal: what a Raft log reopened after a simulated crash must hold; method: the acknowledged log (terms by index above
// the compaction boundary, hard state) plus the one batch appended after it whose commit had not returned.
namespace KvRaft.Storage.Tests;

/// <summary>
/// A frozen copy of the acknowledged log at one crash point. The reopened log must be the acknowledged log or that
/// with <see cref="Pending"/> applied (it may legally replace an acknowledged suffix, as Raft does); entries at or
/// below the compaction boundary may be gone, every other acknowledged entry must read back byte for byte.
/// </summary>
internal sealed record LogExpectation(long[] Terms, HardState Hard, CrashBatch? Pending, long CompactionLimit)
{
    /// <summary>Checks <paramref name="store"/>; returns true when it holds the pending batch too.</summary>
    public bool Check(IRaftLogStore store, Func<string> where)
    {
        if (Pending is { } batch && Holds(store, Applied(batch), batch.Hard))
        {
            CheckContent(store, Applied(batch));
            return true;
        }
        if (!Holds(store, Terms, Hard))
        {
            Assert.Fail($"reopened log [{store.FirstIndex}, {store.LastIndex}] hard {store.HardState} is neither the acknowledged log "
                + $"(last {Terms.Length}, hard {Hard}) nor that plus {Pending?.ToString() ?? "nothing"}: {where()}");
        }
        CheckContent(store, Terms);
        return false;
    }

    private long[] Applied(CrashBatch batch)
    {
        var terms = Terms.Take((int)batch.First - 1).ToList();
        terms.AddRange(Enumerable.Repeat(batch.Term, (int)(batch.Last - batch.First + 1)));
        return [.. terms];
    }

    private bool Holds(IRaftLogStore store, long[] terms, HardState hard)
    {
        if (store.HardState != hard || store.LastIndex != terms.Length || store.FirstIndex > CompactionLimit + 1)
        {
            return false;
        }
        for (var index = Math.Max(store.FirstIndex, 1); index <= terms.Length; index++)
        {
            if (!store.TryGetTerm(index, out var term) || term != terms[index - 1])
            {
                return false;
            }
        }
        return true;
    }

    private static void CheckContent(IRaftLogStore store, long[] terms)
    {
        if (store.LastIndex < store.FirstIndex)
        {
            return;
        }
        var entries = new List<LogEntry>();
        store.Read(store.FirstIndex, store.LastIndex + 1, long.MaxValue, entries);
        Assert.Equal(store.LastIndex - store.FirstIndex + 1, entries.Count);
        foreach (var entry in entries)
        {
            Small.AssertEntry(CrashData.Entry(entry.Index, terms[entry.Index - 1]), entry);
        }
    }
}

/// <summary>The acknowledged log as the writer goes on; <see cref="Freeze"/> copies it at a crash point (any thread).</summary>
internal sealed class LogModel
{
    private readonly Lock _gate = new();
    private readonly List<long> _terms = [];
    private HardState _hard;
    private CrashBatch? _pending;
    private long _compactionLimit;

    public long LastIndex
    {
        get
        {
            lock (_gate)
            {
                return _terms.Count;
            }
        }
    }

    public void Announce(CrashBatch batch)
    {
        lock (_gate)
        {
            _pending = batch;
        }
    }

    public void Acknowledge()
    {
        lock (_gate)
        {
            var batch = _pending ?? throw new InvalidOperationException("nothing announced");
            _terms.RemoveRange((int)batch.First - 1, _terms.Count - (int)batch.First + 1);
            _terms.AddRange(Enumerable.Repeat(batch.Term, (int)(batch.Last - batch.First + 1)));
            _hard = batch.Hard;
            _pending = null;
        }
    }

    /// <summary>Entries up to <paramref name="index"/> are about to be compacted: a reopened log may start after them.</summary>
    public void Compacting(long index)
    {
        lock (_gate)
        {
            _compactionLimit = Math.Max(_compactionLimit, index);
        }
    }

    /// <summary>The model of a log just reopened: what it holds is now acknowledged (the node may act on it).</summary>
    public static LogModel Recovered(IRaftLogStore store)
    {
        var model = new LogModel { _hard = store.HardState, _compactionLimit = store.FirstIndex - 1 };
        for (var index = 1L; index <= store.LastIndex; index++)
        {
            model._terms.Add(index >= store.FirstIndex && store.TryGetTerm(index, out var term) ? term : 0);
        }
        return model;
    }

    public LogExpectation Freeze()
    {
        lock (_gate)
        {
            return new LogExpectation([.. _terms], _hard, _pending, _compactionLimit);
        }
    }
}
