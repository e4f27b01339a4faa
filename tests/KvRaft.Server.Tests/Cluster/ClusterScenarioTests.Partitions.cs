// Goal: under network faults no request completes without a majority, the majority side keeps serving, and every history stays linearizable; method: MIT 6.5840 partition and unreliable-network scenarios on real nodes, faults made outside the nodes by the relays every peer link runs through (drop, delay, partition between named nodes).
using KvRaft.Client;
using KvRaft.LocalCluster;
using KvRaft.Protocol;

namespace KvRaft.Server.Tests.Cluster;

public sealed partial class ClusterScenarioTests
{
    [Fact]
    public Task A_partitioned_leader_never_completes_a_request() =>
        Scenario.RunAsync(output, seed: 301, nodes: 5, async scenario =>
        {
            var cluster = scenario.Cluster;
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 3 });
            await scenario.WaitForProgressAsync(30, "before the leader is cut off");
            (var leader, var writer) = await PinnedToLeaderAsync(scenario, clientId: 100);
            cluster.Network.Isolate(leader); // it reported itself leader an instant ago
            scenario.Log.Note($"isolated leader {leader}");
            var reader = scenario.NewClient(leader);
            int[] majority = [.. cluster.Ids.Where(id => id != leader)];
            var put = scenario.History.PutAsync(writer, 100, "k0", "isolated-put", ScenarioLimits.FaultyOperationTimeout);
            var get = scenario.History.GetAsync(reader, 101, "k0", ScenarioLimits.FaultyOperationTimeout);
            var next = await cluster.WaitForLeaderAsync(majority);
            await scenario.WaitForProgressAsync(50, $"on the majority side under leader {next}");
            var putOk = await Eventually.Within(put, "the put sent to the isolated leader ends");
            (var getOk, _) = await Eventually.Within(get, "the get sent to the isolated leader ends");
            Assert.True(putOk != true, $"seed {scenario.Seed}: a put sent to isolated leader {leader} completed");
            Assert.True(getOk != true, $"seed {scenario.Seed}: a get sent to isolated leader {leader} completed");
            cluster.Network.Heal();
            await workload.StopAsync();
            await cluster.WaitUntilCaughtUpAsync(leader, await cluster.WaitForLeaderAsync());
            await scenario.ReadAllAsync(scenario.NewClient(leader), clientId: 102, workload.Keys);
            scenario.CheckHistory();
        });

    [Fact]
    public Task One_partition_the_majority_serves_and_a_minority_request_waits_until_healed() =>
        Scenario.RunAsync(output, seed: 302, nodes: 5, async scenario =>
        {
            var cluster = scenario.Cluster;
            (var leader, var minorityClient) = await PinnedToLeaderAsync(scenario, clientId: 100);
            int[] minority = [leader, cluster.Ids.First(id => id != leader)];
            int[] majority = [.. cluster.Ids.Except(minority)];
            scenario.Log.Note($"partition {string.Join(',', minority)} | {string.Join(',', majority)}");
            cluster.Network.Partition(minority, majority);
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 3, Nodes = majority });
            var stuck = scenario.History.PutAsync(minorityClient, 100, "k1", "minority-put", ScenarioLimits.ScenarioTimeout);
            await cluster.WaitForLeaderAsync(majority);
            await scenario.WaitForProgressAsync(60, "on the majority side");
            Assert.False(stuck.IsCompleted, $"seed {scenario.Seed}: a put through the minority {string.Join(',', minority)} ended while partitioned");
            cluster.Network.Heal();
            Assert.True(await Eventually.Within(stuck, "the minority's put completes after the heal") == true,
                $"seed {scenario.Seed}: the minority's put did not complete after the heal");
            await scenario.WaitForProgressAsync(30, "after the heal");
            await workload.StopAsync();
            scenario.CheckHistory();
        });

    [Fact]
    public Task Many_partitions_the_history_stays_linearizable_and_service_resumes_after_healing() =>
        Scenario.RunAsync(output, seed: 303, nodes: 5, async scenario =>
        {
            var cluster = scenario.Cluster;
            await cluster.WaitForLeaderAsync();
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 5, Keys = ["k0", "k1", "k2", "k3"] });
            for (var round = 1; round <= 6; round++)
            {
                int[] shuffled = [.. cluster.Ids.OrderBy(_ => scenario.Random.Next())];
                var cut = 1 + scenario.Random.Next(cluster.NodeCount - 1);
                scenario.Log.Note($"round {round}: partition {string.Join(',', shuffled[..cut])} | {string.Join(',', shuffled[cut..])}");
                cluster.Network.Partition(shuffled[..cut], shuffled[cut..]);
                await Task.Delay(TimeSpan.FromMilliseconds(300)); // a fixed stretch of client work under this partition
            }
            cluster.Network.Heal();
            scenario.Log.Note("healed");
            await cluster.WaitForLeaderAsync();
            await scenario.WaitForProgressAsync(50, "after healing");
            await workload.StopAsync();
            scenario.CheckHistory();
        });

    [Fact]
    public Task Unreliable_network_every_history_stays_linearizable() =>
        Scenario.RunAsync(output, seed: 304, nodes: 3, async scenario =>
        {
            var cluster = scenario.Cluster;
            await cluster.WaitForLeaderAsync();
            cluster.Network.SetUnreliable(dropPercent: 10, delayMillisecondsMax: 20);
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 5, OperationsPerClient = 40 });
            await workload.WaitUntilDoneAsync();
            await workload.StopAsync();
            var relays = cluster.Network.Statistics;
            Assert.True(relays.FramesDropped > 0 && relays.Delays > 0, $"seed {scenario.Seed}: no message was dropped or delayed");
            cluster.Network.Heal();
            await scenario.ReadAllAsync(scenario.NewClient(), clientId: 100, workload.Keys);
            scenario.CheckHistory();
        });

    /// <summary>
    /// A leader and a client that knows only it, with a session already registered (by one completed put), so that
    /// its next write goes to that node as a write, not as a session registration.
    /// </summary>
    private static async Task<(int Leader, KvClient Client)> PinnedToLeaderAsync(Scenario scenario, int clientId)
    {
        var leader = 0;
        KvClient? client = null;
        var attempt = 0;
        await Eventually.Until(async () =>
        {
            leader = await scenario.Cluster.WaitForLeaderAsync();
            client = scenario.NewClient(leader);
            var ok = await scenario.History.PutAsync(client, clientId, "k0", $"warm-{clientId}-{++attempt}", ScenarioLimits.FaultyOperationTimeout);
            return ok == true && (await scenario.Cluster.StatusAsync(leader))?.Role == NodeRole.Leader;
        }, "a client pinned to a leader that stays leader through its first put");
        return (leader, client!);
    }
}
