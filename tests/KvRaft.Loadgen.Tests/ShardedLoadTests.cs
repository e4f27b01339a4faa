// Goal: loadgen's run against a sharded local cluster (every node with --groups): the clients route each key to its
// group, every data group takes writes, and the history checked per key is linearizable with every acknowledged write in
// its key's final value. Method: an in-process LocalCluster of three GroupServers (controller and three data groups),
// a short LoadRun, RunVerdict's checks, and the keys of the run counted per group of the bootstrap configuration.
using KvRaft.Client;
using Xunit.Abstractions;

namespace KvRaft.Loadgen.Tests;

public sealed class ShardedLoadTests(ITestOutputHelper output)
{
    private const int DataGroups = 3;

    private static readonly LoadSettings Workload = new()
    {
        Clients = 16,
        Duration = TimeSpan.FromSeconds(4),
        Mix = OperationMix.Parse("get=40,put=30,append=20,cas=10"),
        Keys = 60,
        ValueSize = 16,
        OperationTimeout = TimeSpan.FromSeconds(10),
        Seed = 3,
    };

    [Fact]
    public async Task A_load_on_a_sharded_cluster_reaches_every_group_and_stays_linearizable()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-sharded-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new LocalCluster.LocalClusterOptions { Mode = LocalCluster.LocalClusterMode.InProcess, Groups = DataGroups };
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, options);
            await using var client = cluster.CreateClient(new KvClientOptions { OperationTimeout = Workload.OperationTimeout });
            var run = await LoadRun.RunAsync(Workload, client, null, null, CancellationToken.None);
            RunVerdict.Report(output, run, minimumSucceeded: 100);
            await RunVerdict.VerifyAsync(output, client, run, Workload);
            var groupsWritten = run.Records.Where(record => record.Ok == true && record.IsWrite)
                .Select(record => LocalCluster.LocalCluster.DataGroupOf(record.Key, DataGroups)).Distinct().Order();
            Assert.Equal([.. Enumerable.Range(1, DataGroups)], groupsWritten);
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
