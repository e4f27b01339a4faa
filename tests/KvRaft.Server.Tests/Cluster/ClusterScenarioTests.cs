// Goal: the replicated KV service is linearizable on a healthy cluster of real nodes, with one client and with many; method: MIT 6.5840 basic and concurrent-clients scenarios over loopback and FASTER storage, each history checked by the project's checker.
using KvRaft.Linearizability;
using Xunit.Abstractions;

namespace KvRaft.Server.Tests.Cluster;

[CollectionDefinition(nameof(RealClusterCollection), DisableParallelization = true)]
public sealed class RealClusterCollection;

[Collection(nameof(RealClusterCollection))]
public sealed partial class ClusterScenarioTests(ITestOutputHelper output)
{
    [Fact]
    public Task Basic_one_client_every_operation_completes_and_the_history_is_linearizable() =>
        Scenario.RunAsync(output, seed: 101, nodes: 3, async scenario =>
        {
            var workload = scenario.StartWorkload(new WorkloadOptions
            {
                Clients = 1,
                OperationsPerClient = 150,
                OperationTimeout = ScenarioLimits.HealthyOperationTimeout,
            });
            await workload.WaitUntilDoneAsync();
            await workload.StopAsync();
            AssertEveryOperationCompleted(scenario, 150);
            scenario.CheckHistory();
        });

    [Fact]
    public Task Concurrent_clients_every_operation_completes_and_the_history_is_linearizable() =>
        Scenario.RunAsync(output, seed: 102, nodes: 3, async scenario =>
        {
            var workload = scenario.StartWorkload(new WorkloadOptions
            {
                Clients = 5,
                OperationsPerClient = 60,
                OperationTimeout = ScenarioLimits.HealthyOperationTimeout,
            });
            await workload.WaitUntilDoneAsync();
            await workload.StopAsync();
            AssertEveryOperationCompleted(scenario, 300);
            scenario.CheckHistory();
        });

    private static void AssertEveryOperationCompleted(Scenario scenario, int count)
    {
        var operations = scenario.History.Operations;
        Assert.True(operations.Count == count && operations.All(o => o.Status == OperationStatus.Completed),
            $"seed {scenario.Seed}: on a healthy cluster all {count} operations complete, but: {scenario.History.Summary()}");
    }
}
