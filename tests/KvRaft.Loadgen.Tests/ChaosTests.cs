// Goal: three real server processes under load for 60 s through a seeded schedule of kills, pauses and partitions stay linearizable and lose no acknowledged write; method: LocalCluster processes whose peer links run through relays (partitions cut them), loadgen's FaultInjector, the history checker over the run plus a final read of every key.
using KvRaft.Client;
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
            RunVerdict.Report(output, run, minimumSucceeded: 1000);
            await RunVerdict.VerifyAsync(output, client, run, Workload);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
