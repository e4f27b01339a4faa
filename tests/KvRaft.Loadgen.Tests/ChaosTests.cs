// Goal: three real server processes under load through a seeded schedule of kills, restarts, pauses and resumes stay linearizable and lose no acknowledged write.
using KvRaft.Client;
using KvRaft.Linearizability;
using Xunit.Abstractions;

namespace KvRaft.Loadgen.Tests;

public sealed class ChaosTests(ITestOutputHelper output)
{
    private const int LoadSeconds = 40;
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
    public async Task Cluster_under_seeded_kills_and_pauses_stays_linearizable_and_keeps_every_acknowledged_write()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("KVRAFT_CHAOS_SEED"), out int chosen) ? chosen : DefaultSeed;
        IReadOnlyList<FaultStep> schedule = ChaosSchedule.Create(seed, Workload.Duration);
        output.WriteLine($"chaos seed {seed} (set KVRAFT_CHAOS_SEED to replay): {string.Join(", ", schedule.Select(s => $"{s.Name}@{s.At.TotalSeconds:0.0}s"))}");
        string directory = Path.Combine(Path.GetTempPath(), "kvraft-chaos-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory);
            await using KvClient client = cluster.CreateClient(new KvClientOptions { OperationTimeout = Workload.OperationTimeout });
            var faults = new FaultInjector(cluster, schedule);
            RunData run = await LoadRun.RunAsync(Workload with { Seed = seed }, client, faults, null, CancellationToken.None);
            faults.ResumeAll();
            await faults.RestartAllAsync();
            await VerifyAsync(client, run);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    private async Task VerifyAsync(KvClient client, RunData run)
    {
        string[] keys = [.. Enumerable.Range(0, Workload.Keys).Select(KeyChooser.Name)];
        List<OperationRecord> reads = await ReadBack.ReadAllAsync(client, keys, Workload.Clients, TimeSpan.FromSeconds(60));
        RunSummary summary = RunSummary.Of(run);
        output.WriteLine($"{summary.Operations} operations: {summary.Succeeded} ok, {summary.Failed} failed, {summary.Unknown} unknown; {run.Faults.Count} faults applied");
        Assert.True(summary.Succeeded > 1000, $"too little load got through: {summary.Succeeded} operations");

        CheckResult check = HistoryChecker.Check(run.Records.Concat(reads).Select(record => record.ToOperation()));
        output.WriteLine(check.Describe());
        Assert.True(check.Verdict == Verdict.Linearizable, check.Describe());

        Dictionary<string, string> finals = AcknowledgedWrites.FinalValues(run.Records);
        Dictionary<string, string> read = reads.Where(r => r.Ok == true).ToDictionary(r => r.Key, r => r.Output!, StringComparer.Ordinal);
        output.WriteLine($"{finals.Count} keys with a known last acknowledged write, all read back");
        Assert.True(finals.Count > Workload.Keys / 4, $"only {finals.Count} keys had a determined final value");
        foreach ((string key, string value) in finals) Assert.Equal(value, read[key]);
    }
}
