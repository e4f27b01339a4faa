// Goal: the shard faults change the controller's configurations as scheduled: move-shard moves a seeded shard to the
// next data group, rebalance has the group with the most shards leave and the next rebalance has it join again.
// Method: a sharded in-process LocalCluster (three nodes, the controller and two data groups) and a FaultInjector run
// at once; the configurations read back from the controller. Only configurations are checked: the groups do not
// follow them yet (the migration), so no keys are written after a change.
namespace KvRaft.Loadgen.Tests;

public sealed class ShardFaultTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Move_shard_and_rebalance_change_the_configurations_as_scheduled()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-shard-faults-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory,
                new LocalCluster.LocalClusterOptions { Mode = LocalCluster.LocalClusterMode.InProcess, Groups = 2, StartTimeout = Limit });
            var bootstrap = await cluster.Client.QueryShardsAsync().WaitAsync(Limit);
            Assert.Equal(1, bootstrap.Number);
            var faults = new FaultInjector(cluster, FaultPlan.Parse("move-shard@0s,rebalance@0s,rebalance@0s"), seed: 7);
            using var deadline = new CancellationTokenSource(Limit);

            await faults.RunAsync(Clock.NowNanoseconds(), deadline.Token);

            var shard = new Random(7).Next(bootstrap.ShardCount); // the shard the seed draws
            var owner = bootstrap.Owners[shard];
            var target = owner % 2 + 1;
            Assert.Equal($"move-shard {shard}: g{owner}->g{target} (configuration 2)", faults.Events[0].Label);
            var moved = await cluster.Client.QueryShardsAsync(2).WaitAsync(Limit);
            Assert.Equal(target, moved.Owners[shard]);
            Assert.Equal(33, moved.ShardsOf(target).Count); // 32 each at first: the target holds the most now
            Assert.Equal($"rebalance: g{target} left (configuration 3)", faults.Events[1].Label);
            Assert.All((await cluster.Client.QueryShardsAsync(3).WaitAsync(Limit)).Owners, o => Assert.Equal(owner, o));
            Assert.Equal($"rebalance: g{target} joined (configuration 4)", faults.Events[2].Label);
            var latest = await cluster.Client.QueryShardsAsync().WaitAsync(Limit);
            Assert.Equal(4, latest.Number);
            Assert.Equal([32, 32], latest.Groups.Select(group => latest.ShardsOf(group.GroupId).Count));
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
