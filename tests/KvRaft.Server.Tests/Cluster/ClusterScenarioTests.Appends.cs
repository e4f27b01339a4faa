// Goal: concurrent appends to one key are each applied exactly once even when clients must retry (leaders stopped, messages lost and delayed); method: many clients append distinct tokens to one key on real nodes, then the final value is audited token by token and the history checked.
namespace KvRaft.Server.Tests.Cluster;

public sealed partial class ClusterScenarioTests
{
    [Fact]
    public Task Concurrent_appends_to_one_key_appear_exactly_once() =>
        Scenario.RunAsync(output, seed: 501, nodes: 3, async scenario =>
        {
            var cluster = scenario.Cluster;
            await cluster.WaitForLeaderAsync();
            cluster.Network.SetUnreliable(dropPercent: 5, delayMillisecondsMax: 10);
            // Four clients and short rounds keep the one-key history checkable: with six clients on an idle machine,
            // 276 operations (a dozen of unknown outcome) once exhausted the checker's 30 s budget (seed 501).
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 4, Keys = ["shared"], GetPercent = 30, PutPercent = 0 });
            for (var round = 1; round <= 2; round++)
            {
                await scenario.WaitForProgressAsync(20, $"round {round}, before the leader stops");
                var leader = await cluster.WaitForLeaderAsync();
                scenario.Log.Note($"round {round}: stopping leader {leader}");
                await cluster.StopAsync(leader);
                await scenario.WaitForProgressAsync(20, $"round {round}, without node {leader}");
                await cluster.StartAsync(leader);
            }
            await workload.StopAsync();
            cluster.Network.Heal();
            var value = (await scenario.ReadAllAsync(scenario.NewClient(), clientId: 100, ["shared"]))["shared"];
            AppendAudit.AssertExactlyOnce(scenario.Seed, "shared", value, scenario.History.Operations);
            scenario.CheckHistory();
        });
}
