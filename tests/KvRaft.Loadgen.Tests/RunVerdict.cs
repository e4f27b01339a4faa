// Goal: what the load tests check of a run once its faults are undone: the fault table, a linearizable history (the
// final read of every key included), and every acknowledged write in its key's final value.
using KvRaft.Client;
using KvRaft.Linearizability;
using Xunit.Abstractions;

namespace KvRaft.Loadgen.Tests;

internal static class RunVerdict
{
    /// <summary>Prints the run and each fault's unavailability; checks that at least <paramref name="minimumSucceeded"/> operations got through.</summary>
    public static void Report(ITestOutputHelper output, RunData run, long minimumSucceeded)
    {
        var summary = RunSummary.Of(run);
        output.WriteLine($"{summary.Operations} operations: {summary.Succeeded} ok, {summary.Failed} failed, {summary.Unknown} unknown; {run.Faults.Count} faults applied");
        foreach (var fault in summary.Faults)
        {
            output.WriteLine($"  {fault.AtSeconds,5:0.0} s  {fault.Label,-28} unavailable {(fault.UnavailableMilliseconds is { } ms ? $"{ms:0} ms" : "-"),8}  longest write gap {fault.LongestWriteGapMilliseconds:0} ms  p99 before {fault.Before.P99Milliseconds:0.0} ms, after {fault.After.P99Milliseconds:0.0} ms");
        }
        Assert.True(summary.Succeeded > minimumSucceeded, $"too little load got through: {summary.Succeeded} operations");
    }

    /// <summary>Reads every key of the workload, checks the history with those reads, and every acknowledged write against the final values.</summary>
    public static async Task VerifyAsync(ITestOutputHelper output, KvClient client, RunData run, LoadSettings workload)
    {
        string[] keys = [.. Enumerable.Range(0, workload.Keys).Select(KeyChooser.Name)];
        var reads = await ReadBack.ReadAllAsync(client, keys, workload.Clients, TimeSpan.FromSeconds(60));

        var check = HistoryChecker.Check(run.Records.Concat(reads).Select(record => record.ToOperation()));
        output.WriteLine(check.Describe());
        Assert.True(check.Verdict == Verdict.Linearizable, check.Describe());

        var final = reads.Where(r => r.Ok == true).ToDictionary(r => r.Key, r => r.Output!, StringComparer.Ordinal);
        var expectations = AcknowledgedWrites.Expectations(run.Records);
        var exact = expectations.Count(e => e.Exact);
        output.WriteLine($"{expectations.Count} acknowledged writes checked in the final values ({exact} of them as the exact final value)");
        Assert.True(exact > workload.Keys / 4, $"only {exact} keys had a determined final value");
        foreach (var expected in expectations)
        {
            var value = final[expected.Key];
            Assert.True(expected.Exact ? value == expected.Value : value.Contains(expected.Value, StringComparison.Ordinal),
                $"acknowledged {expected.Write.Kind} of {expected.Value} on {expected.Key} is missing from its final value \"{value}\"");
        }
    }
}
