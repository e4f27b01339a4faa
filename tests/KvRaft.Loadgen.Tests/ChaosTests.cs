// Goal: three real server processes under load for 60 s through a seeded schedule of kills, pauses and partitions stay linearizable and lose no acknowledged write; method: LocalCluster processes whose peer links run through relays (partitions cut them), loadgen's FaultInjector, the history checker over the run plus a final read of every key.
using KvRaft.Client;
using KvRaft.Linearizability;
using Xunit.Abstractions;

namespace KvRaft.Loadgen.Tests;

public sealed class ChaosTests(ITestOutputHelper output)
{
    private const int LoadSeconds = 60;
    private const int DefaultSeed = 6;

    private static readonly LoadSettings Workload = new()
    {
        Clients = 16,
        Duration = TimeSpan.FromSeconds(LoadSeconds),
        Mix = OperationMix.Parse("get=40,put=40,append=10,cas=10"),
        Keys = 200,
        ValueSize = 32,
        OperationTimeout = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task Cluster_under_seeded_kills_pauses_and_partitions_stays_linearizable_and_keeps_every_acknowledged_write()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("KVRAFT_CHAOS_SEED"), out var chosen) ? chosen : DefaultSeed;
        var schedule = ChaosSchedule.Create(seed, Workload.Duration);
        output.WriteLine($"chaos seed {seed} (set KVRAFT_CHAOS_SEED to replay): {string.Join(", ", schedule.Select(s => $"{s.Name}@{s.At.TotalSeconds:0.0}s"))}");
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-chaos-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, new LocalCluster.LocalClusterOptions { LinkRelays = true });
            await using var client = cluster.CreateClient(new KvClientOptions { OperationTimeout = Workload.OperationTimeout });
            var faults = new FaultInjector(cluster, schedule);
            var run = await LoadRun.RunAsync(Workload with { Seed = seed }, client, faults, null, CancellationToken.None);
            await faults.RecoverAllAsync();
            Report(run);
            await VerifyAsync(client, run);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private void Report(RunData run)
    {
        var summary = RunSummary.Of(run);
        output.WriteLine($"{summary.Operations} operations: {summary.Succeeded} ok, {summary.Failed} failed, {summary.Unknown} unknown; {run.Faults.Count} faults applied");
        foreach (var fault in summary.Faults)
        {
            output.WriteLine($"  {fault.AtSeconds,5:0.0} s  {fault.Label,-24} unavailable {(fault.UnavailableMilliseconds is { } ms ? $"{ms:0} ms" : "-"),8}  p99 before {fault.Before.P99Milliseconds:0.0} ms, after {fault.After.P99Milliseconds:0.0} ms");
        }
        Assert.True(summary.Succeeded > 1000, $"too little load got through: {summary.Succeeded} operations");
    }

    private async Task VerifyAsync(KvClient client, RunData run)
    {
        string[] keys = [.. Enumerable.Range(0, Workload.Keys).Select(KeyChooser.Name)];
        var reads = await ReadBack.ReadAllAsync(client, keys, Workload.Clients, TimeSpan.FromSeconds(60));

        var check = HistoryChecker.Check(run.Records.Concat(reads).Select(record => record.ToOperation()));
        output.WriteLine(check.Describe());
        Assert.True(check.Verdict == Verdict.Linearizable, check.Describe());

        var final = reads.Where(r => r.Ok == true).ToDictionary(r => r.Key, r => r.Output!, StringComparer.Ordinal);
        var expectations = AcknowledgedWrites.Expectations(run.Records);
        var exact = expectations.Count(e => e.Exact);
        output.WriteLine($"{expectations.Count} acknowledged writes checked in the final values ({exact} of them as the exact final value)");
        Assert.True(exact > Workload.Keys / 4, $"only {exact} keys had a determined final value");
        foreach (var expected in expectations)
        {
            var value = final[expected.Key];
            Assert.True(expected.Exact ? value == expected.Value : value.Contains(expected.Value, StringComparison.Ordinal),
                $"acknowledged {expected.Write.Kind} of {expected.Value} on {expected.Key} is missing from its final value \"{value}\"");
        }
    }
}
