// Goal: the member directory (members' addresses in the replicated configuration) is the same on every node: built by
// the Config entries' contexts, carried to a new learner by the snapshot it installs (the change that added an earlier
// member was compacted away), and rebuilt by a node that restarts. Method: the deterministic KvSimCluster (3 voters, 2
// spare nodes), seeded, under client load; waits are on conditions, bounded in ticks.
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Simulation;

public sealed class KvMemberDirectoryTests
{
    [Theory]
    [InlineData(51UL)]
    [InlineData(52UL)]
    public void The_directory_reaches_a_learner_through_a_snapshot_and_is_rebuilt_by_a_restarted_node(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 3, clientCount: 5, keyCount: 4, spareNodes: 2);
        var four = new MemberAddress(4, "n4:7004", "n4:8004");
        var five = new MemberAddress(5, "n5:7005", "n5:8005");
        Propose(cluster, four);
        RunUntil(cluster, () => cluster.Nodes.Take(3).All(n => n.Node!.Directory.TryGet(4, out var known) && known == four), seed);
        cluster.Run(400); // the log is compacted past the change that added node 4

        Propose(cluster, five);
        RunUntil(cluster, () => cluster.Node(5).Node!.Directory.Members.SequenceEqual([four, five]), seed);
        Assert.True(cluster.Node(5).Node!.Statistics.SnapshotsInstalled > 0, $"seed {seed}: node 5 caught up without a snapshot");
        Assert.All(cluster.Nodes, n => Assert.Equal([four, five], n.Node!.Directory.Members));

        cluster.Node(2).Crash();
        cluster.Node(2).Start();
        Assert.True(cluster.Node(2).Node!.Directory.TryGet(4, out _), $"seed {seed}: node 2 lost node 4's addresses at restart");
        RunUntil(cluster, () => cluster.Node(2).Node!.Directory.Members.SequenceEqual([four, five]), seed);
        Assert.Equal("n5:8005", cluster.Node(2).Node!.ClientAddressOf(5));
    }

    private static void Propose(KvSimCluster cluster, MemberAddress added)
    {
        var change = new ConfigChange(ConfigChangeType.AddLearner, added.NodeId);
        RunUntil(cluster, () => cluster.Leader is { } leader && leader.Node!.ProposeMemberChange(change, added, out _) == ConfigChangeStatus.Accepted, cluster.Seed);
    }

    private static void RunUntil(KvSimCluster cluster, Func<bool> done, ulong seed, int ticksMax = 3000)
    {
        for (var tick = 0; tick < ticksMax; tick++)
        {
            if (done())
            {
                return;
            }

            cluster.Run(1);
        }
        Assert.Fail($"seed {seed}: not reached in {ticksMax} ticks");
    }
}
