// Goal: the service stays linearizable and available across node crashes: a leader lost, a node restarted that replays its log, every node restarted at once; method: MIT 6.5840 persistence scenarios on real nodes, a stop being the node's disposal and a restart a new node on the same data.

namespace KvRaft.Server.Tests.Cluster;

public sealed partial class ClusterScenarioTests
{
    [Fact]
    public Task Leader_failure_a_new_leader_serves_the_clients_and_the_history_is_linearizable() =>
        Scenario.RunAsync(output, seed: 201, nodes: 3, async scenario =>
        {
            var cluster = scenario.Cluster;
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 4 });
            for (var round = 1; round <= 2; round++)
            {
                await scenario.WaitForProgressAsync(40, $"round {round}, before the leader stops");
                var leader = await cluster.WaitForLeaderAsync();
                scenario.Log.Note($"round {round}: stopping leader {leader}");
                await cluster.StopAsync(leader);
                var next = await cluster.WaitForLeaderAsync([.. cluster.Ids.Where(cluster.IsRunning)]);
                await scenario.WaitForProgressAsync(40, $"round {round}, under the new leader {next}");
                await cluster.StartAsync(leader);
            }
            await workload.StopAsync();
            scenario.CheckHistory();
        });

    [Fact]
    public Task Restart_and_replay_a_restarted_node_rebuilds_every_acknowledged_write() =>
        Scenario.RunAsync(output, seed: 202, nodes: 3, async scenario =>
        {
            var cluster = scenario.Cluster;
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 3, GetPercent = 20 });
            await scenario.WaitForProgressAsync(60, "before the follower stops");
            var leader = await cluster.WaitForLeaderAsync();
            var follower = cluster.Ids.First(id => id != leader);
            scenario.Log.Note($"stopping follower {follower}");
            await cluster.StopAsync(follower);
            await scenario.WaitForProgressAsync(60, $"while node {follower} is down");
            await workload.StopAsync();
            await cluster.StartAsync(follower);
            await cluster.WaitUntilCaughtUpAsync(follower, await cluster.WaitForLeaderAsync());
            // Reads through the restarted node are served from its own state machine: rebuilt from its log and the leader's.
            await scenario.ReadAllAsync(scenario.NewClient(follower), clientId: 100, workload.Keys);
            scenario.CheckHistory();
        });

    [Fact]
    public Task Every_node_restarted_all_previously_acknowledged_writes_are_readable() =>
        Scenario.RunAsync(output, seed: 203, nodes: 3, async scenario =>
        {
            var cluster = scenario.Cluster;
            string[] keys = ["k0", "k1", "k2", "k3"];
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 4, Keys = keys, GetPercent = 20, PutPercent = 0 });
            await scenario.WaitForProgressAsync(50, "before every node stops");
            scenario.Log.Note("stopping every node, the clients still working");
            await cluster.StopAllAsync();
            await cluster.StartAllAsync();
            await cluster.WaitForLeaderAsync();
            await scenario.WaitForProgressAsync(50, "after every node restarted");
            await workload.StopAsync();
            var values = await scenario.ReadAllAsync(scenario.NewClient(), clientId: 100, keys);
            foreach (var key in keys)
            {
                AppendAudit.AssertExactlyOnce(scenario.Seed, key, values[key], scenario.History.Operations);
            }

            scenario.CheckHistory();
        });
}
