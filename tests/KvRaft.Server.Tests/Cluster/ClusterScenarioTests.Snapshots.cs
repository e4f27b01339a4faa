// Goal: a node that falls behind the leader's compacted log catches up by installing a snapshot, and then serves the same state; method: MIT 6.5840 snapshot scenario on real nodes with a small snapshot threshold and compaction lag, the follower cut off by the transport hook until the leader's log starts past its own.
namespace KvRaft.Server.Tests.Cluster;

public sealed partial class ClusterScenarioTests
{
    [Fact]
    public Task A_lagging_node_catches_up_by_installing_a_snapshot() =>
        Scenario.RunAsync(output, seed: 401, nodes: 3, async scenario =>
        {
            var cluster = scenario.Cluster;
            var leader = await cluster.WaitForLeaderAsync();
            var lagging = cluster.Ids.First(id => id != leader);
            var workload = scenario.StartWorkload(new WorkloadOptions { Clients = 3, GetPercent = 20, PutPercent = 60, PutPaddingBytes = 200 });
            await scenario.WaitForProgressAsync(20, "before the follower is cut off");
            scenario.Log.Note($"isolating follower {lagging}");
            cluster.Network.Isolate(lagging);
            int[] others = [.. cluster.Ids.Where(id => id != lagging)];
            await Eventually.Until(async () => (await cluster.StatusAsync(lagging)) is { } last
                && (await Task.WhenAll(others.Select(cluster.StatusAsync))).All(status => status?.LogFirstIndex > last.LogLastIndex + 1),
                $"nodes {string.Join(',', others)} compact their logs past the last index of node {lagging}");
            await workload.StopAsync(); // no more snapshots: each one stalls its node while FASTER checkpoints
            Assert.Equal(0, cluster.Server(lagging).Statistics.SnapshotsInstalled);
            var payloadsReturned = KvRaft.Transport.SnapshotChunkPayloads.Shared.Returned;
            cluster.Network.Heal();
            scenario.Log.Note("healed");
            await Eventually.Until(() => cluster.Server(lagging).Statistics.SnapshotsInstalled > 0, $"node {lagging} installs a snapshot");
            // The chunks came in pooled buffers, given back once written to the staging file.
            Assert.True(KvRaft.Transport.SnapshotChunkPayloads.Shared.Returned > payloadsReturned, "no snapshot chunk buffer went back to the pool");
            await cluster.WaitUntilCaughtUpAsync(lagging, await cluster.WaitForLeaderAsync());
            await scenario.ReadAllAsync(scenario.NewClient(lagging), clientId: 100, workload.Keys);
            scenario.CheckHistory();
        }, options => options with { SnapshotAfterLogBytes = 16 << 10, CompactionLagEntries = 8, CompactionLagBytes = 0 });
}
