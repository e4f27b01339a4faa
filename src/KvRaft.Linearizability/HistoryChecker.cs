using System.Diagnostics;

namespace KvRaft.Linearizability;

/// <summary>
/// Checks a history for linearizability against the store's key-value model. Keys are
/// independent (linearizability is compositional), so each key is searched on its own, in parallel.
/// </summary>
public static class HistoryChecker
{
    /// <summary>Reads and checks the JSON Lines history at <paramref name="path"/>.</summary>
    public static CheckResult CheckFile(string path, CheckOptions? options = null) =>
        Check(HistoryReader.ReadFile(path), options);

    /// <summary>Checks <paramref name="operations"/>.</summary>
    public static CheckResult Check(IEnumerable<Operation> operations, CheckOptions? options = null)
    {
        options ??= CheckOptions.Default;
        var start = Stopwatch.GetTimestamp();
        List<Operation> all = [.. operations];
        var origin = all.Count == 0 ? 0 : all.Min(operation => operation.CallNanoseconds);
        List<KeyHistory> keys = [.. all.GroupBy(operation => operation.Key, StringComparer.Ordinal)
            .Select(group => new KeyHistory(group.Key, group))
            .OrderByDescending(key => key.Operations.Count)];
        var outcomes = new KeyOutcome[keys.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, keys.Count, parallel, i => outcomes[i] = CheckKey(keys[i], options, origin));
        Array.Sort(outcomes, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new CheckResult(outcomes, all.Count, Stopwatch.GetElapsedTime(start));
    }

    private static KeyOutcome CheckKey(KeyHistory key, CheckOptions options, long origin)
    {
        var budget = new SearchBudget(options.MaxStepsPerKey, options.TimeoutPerKey, options.Cancellation);
        var outcome = new KeySearch(key, budget).Run();
        var violation = outcome.Verdict == Verdict.NotLinearizable ? Explain(key, outcome, origin) : null;
        return new KeyOutcome(key.Key, outcome.Verdict, key.Operations.Count, budget.Steps, budget.Elapsed, violation);
    }

    private static Violation Explain(KeyHistory key, SearchOutcome outcome, long origin)
    {
        var stuck = key.Operations[outcome.Stuck];
        var stuckReturn = key.ReturnTime(outcome.Stuck);
        List<Operation> concurrent = [.. Enumerable.Range(0, key.Operations.Count)
            .Where(i => i != outcome.Stuck
                && key.Operations[i].CallNanoseconds <= stuckReturn
                && key.ReturnTime(i) >= stuck.CallNanoseconds)
            .Select(i => key.Operations[i])
            .OrderBy(operation => operation.CallNanoseconds)];
        List<Operation> prefix = [.. outcome.LongestPrefix.Select(i => key.Operations[i])];
        return new Violation(key.Key, stuck, concurrent, prefix, outcome.StateAfterPrefix, origin);
    }
}
