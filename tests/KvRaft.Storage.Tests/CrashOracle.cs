// Goal: the crash tests' model of what a reopened log may hold; method: replay the helper's BATCH and ACK lines.
using System.Globalization;

namespace KvRaft.Storage.Tests;

/// <summary>One batch the helper announced: entries [First, Last] of Term, appended with Hard.</summary>
internal readonly record struct CrashBatch(long First, long Last, long Term, HardState Hard)
{
    /// <summary>Parses "BATCH first last term hardTerm hardVote hardCommit".</summary>
    public static CrashBatch Parse(string line)
    {
        var parts = line.Split(' ').Skip(1).Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new CrashBatch(parts[0], parts[1], parts[2], new HardState(parts[3], (int)parts[4], parts[5]));
    }
}

/// <summary>
/// The acknowledged log (term by index, hard state) plus the one batch announced after the last acknowledgement.
/// At a kill that batch may or may not be durable, so a reopened log must equal the acknowledged log, or the
/// acknowledged log with that batch applied; the batch may legally truncate acknowledged entries (a suffix
/// replaced by a newer term, as Raft does). Anything else is a lost or invented write.
/// </summary>
internal sealed class CrashOracle
{
    private List<long> _terms = [];
    private HardState _hard;
    private CrashBatch? _pending;
    private long _verifiedUntil;

    public long LastIndex => _terms.Count;

    /// <summary>Kills that fell while a batch was announced and not yet acknowledged (its commit in flight).</summary>
    public int KillsWithBatchInFlight { get; private set; }

    /// <summary>Kills after which the announced, unacknowledged batch was found durable.</summary>
    public int UnacknowledgedDurable { get; private set; }

    /// <summary>Of those, the kills where that batch truncated acknowledged entries.</summary>
    public int TruncatedAcknowledged { get; private set; }

    /// <summary>Follows one helper line: BATCH announces, ACK acknowledges, OPEN must show the current log.</summary>
    public void Follow(string line)
    {
        if (line.StartsWith("BATCH ", StringComparison.Ordinal))
        {
            Assert.Null(_pending);
            _pending = CrashBatch.Parse(line);
        }
        else if (line == "ACK")
        {
            var batch = _pending ?? throw new InvalidOperationException("ACK without a BATCH");
            Apply(batch);
            _pending = null;
        }
        else if (line.StartsWith("OPEN ", StringComparison.Ordinal))
        {
            Assert.Equal($"OPEN {LastIndex} {_hard.Term} {_hard.Vote} {_hard.Commit}", line);
        }
    }

    /// <summary>Checks a reopened store against both allowed outcomes and adopts the one it holds.</summary>
    public void Check(IRaftLogStore store, Func<string> diagnostics)
    {
        KillsWithBatchInFlight += _pending is null ? 0 : 1;
        if (_pending is { } batch && Holds(store, Applied(_terms, batch), batch.Hard))
        {
            UnacknowledgedDurable++;
            TruncatedAcknowledged += batch.Last < LastIndex ? 1 : 0;
            Apply(batch);
        }
        else if (!Holds(store, _terms, _hard))
        {
            Assert.Fail($"reopened log is neither the acknowledged log nor that plus the announced batch: {Describe(store)}; {diagnostics()}");
        }
        _pending = null;
        CheckContent(store);
    }

    /// <summary>Reads back every entry (not only those changed since the last check).</summary>
    public void CheckAllContent(IRaftLogStore store)
    {
        _verifiedUntil = 0;
        CheckContent(store);
    }

    private void CheckContent(IRaftLogStore store)
    {
        if (LastIndex > _verifiedUntil)
        {
            var list = new List<LogEntry>();
            store.Read(_verifiedUntil + 1, LastIndex + 1, long.MaxValue, list);
            Assert.Equal(LastIndex - _verifiedUntil, list.Count);
            foreach (var entry in list)
            {
                Small.AssertEntry(CrashData.Entry(entry.Index, _terms[(int)entry.Index - 1]), entry);
            }
        }
        _verifiedUntil = LastIndex;
    }

    private void Apply(CrashBatch batch)
    {
        _terms = Applied(_terms, batch);
        _hard = batch.Hard;
        _verifiedUntil = Math.Min(_verifiedUntil, batch.First - 1);
    }

    private static List<long> Applied(List<long> log, CrashBatch batch)
    {
        var next = log.Take((int)batch.First - 1).ToList();
        Assert.Equal(batch.First - 1, next.Count);
        next.AddRange(Enumerable.Repeat(batch.Term, (int)(batch.Last - batch.First + 1)));
        return next;
    }

    private static bool Holds(IRaftLogStore store, List<long> log, HardState state)
    {
        if (store.HardState != state || store.LastIndex != log.Count || log.Count > 0 && store.FirstIndex != 1)
        {
            return false;
        }
        for (var index = 1; index <= log.Count; index++)
        {
            if (!store.TryGetTerm(index, out var term) || term != log[index - 1])
            {
                return false;
            }
        }
        return true;
    }

    private string Describe(IRaftLogStore store)
    {
        var tail = Math.Max(store.FirstIndex, store.LastIndex - 5);
        var reopened = string.Join(",", Enumerable.Range(0, (int)(store.LastIndex - tail + 1))
            .Select(i => store.TryGetTerm(tail + i, out var t) ? $"{tail + i}:{t}" : $"{tail + i}:?"));
        return $"reopened last {store.LastIndex} hard {store.HardState} tail [{reopened}]; acknowledged last {LastIndex} "
            + $"hard {_hard} last term {(_terms.Count > 0 ? _terms[^1] : 0)}; announced {_pending?.ToString() ?? "none"}";
    }
}
