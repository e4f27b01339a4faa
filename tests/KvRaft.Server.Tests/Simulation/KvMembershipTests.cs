// Goal: membership changes proposed through KvNode take effect on the production node code: a node started empty is
// added as a learner, catches up (by snapshot once the log was compacted), is promoted, a voter (the leader among
// them) is removed, while clients write, with the history linearizable and every node's data alike; refusals are the
// core's values; every node tells its peer outbox each configuration it puts in effect; a snapshot stores the
// configuration of its own applied index. Method: the deterministic KvSimCluster (3 voters and a spare node), seeded.
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Simulation;

public sealed class KvMembershipTests
{
    [Theory]
    [InlineData(31UL)]
    [InlineData(32UL)]
    [InlineData(33UL)]
    public void A_node_started_empty_is_added_as_learner_promoted_and_the_leader_removed_while_clients_write(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 3, clientCount: 5, keyCount: 4, spareNodes: 1);
        cluster.Run(400); // enough writes that the log was compacted: node 4 catches up from a snapshot

        Propose(cluster, new ConfigChange(ConfigChangeType.AddLearner, 4));
        RunUntil(cluster, () => cluster.Nodes.All(n => n.Node!.Config.IsLearner(4)), seed);
        RunUntil(cluster, () => cluster.Node(4).AppliedIndex >= cluster.Leader!.AppliedIndex - 2, seed);
        Assert.True(cluster.Node(4).Node!.Statistics.SnapshotsInstalled > 0, $"seed {seed}: node 4 caught up without a snapshot");
        Assert.True(cluster.Node(4).Node!.Config.IsLearner(4), $"seed {seed}: node 4 does not know it is a learner");

        Propose(cluster, new ConfigChange(ConfigChangeType.AddVoter, 4));
        RunUntil(cluster, () => cluster.Nodes.All(n => n.Node!.Config.Voters.SequenceEqual([1, 2, 3, 4])), seed);

        var removed = cluster.Leader!.Id;
        Propose(cluster, new ConfigChange(ConfigChangeType.RemoveNode, removed));
        RunUntil(cluster, () => cluster.Nodes.Where(n => n.Id != removed).All(n => !n.Node!.Config.IsMember(removed)) && cluster.Leader is { } leader && leader.Id != removed, seed);

        cluster.Run(200);
        cluster.Drain();
        cluster.CheckLinearizable();
        Assert.True(cluster.Leader!.Id != removed, $"seed {seed}: the removed node leads");
        Assert.Contains(cluster.MembersChanges, change => change.Node == 4 && change.Config.IsLearner(4));
        Assert.Contains(cluster.MembersChanges, change => change.Node == 1 && change.Config.Voters.Contains(4));
        cluster.Run(100, load: false);
        foreach (var key in new[] { "k0", "k1", "k2", "k3" })
        {
            var expected = cluster.Leader!.Read(key);
            foreach (var node in cluster.Nodes.Where(n => n.Id != removed))
            {
                Assert.Equal(expected, node.Read(key));
            }
        }
    }

    [Fact]
    public void ProposeConfigChange_returns_the_cores_refusals()
    {
        using var cluster = new KvSimCluster(41, 3, clientCount: 0, keyCount: 1, spareNodes: 1);
        RunUntil(cluster, () => cluster.Leader is not null, 41);
        var leader = cluster.Leader!.Node!;
        var follower = cluster.Nodes.First(n => n.Node!.RaftStatus.Role == Role.Follower && n.Id <= 3).Node!;

        Assert.Equal(ConfigChangeStatus.NotLeader, follower.ProposeConfigChange(new ConfigChange(ConfigChangeType.AddLearner, 4), out _));
        long index = 0;
        RunUntil(cluster, () => leader.ProposeConfigChange(new ConfigChange(ConfigChangeType.AddLearner, 4), out index) == ConfigChangeStatus.Accepted, 41);
        Assert.True(index > 0);
        Assert.Equal(ConfigChangeStatus.ChangePending, leader.ProposeConfigChange(new ConfigChange(ConfigChangeType.AddVoter, 4), out _));
        RunUntil(cluster, () => leader.Config.IsLearner(4), 41);
        Assert.Equal(ConfigChangeStatus.Invalid, leader.ProposeConfigChange(new ConfigChange(ConfigChangeType.AddLearner, 0), out _));
        Assert.Equal(ConfigChangeStatus.Invalid, leader.ProposeConfigChange(new ConfigChange(ConfigChangeType.AddLearner, 4), out _));
    }

    [Fact]
    public async Task A_snapshot_stores_the_configuration_applied_last_not_the_one_read_when_it_was_asked()
    {
        var machine = new MemoryKvStateMachine(new StorageLimits());
        var before = ClusterMembership.Encode(new ConfigState([1, 2, 3]));
        var after = ClusterMembership.Encode(new ConfigState([1, 2, 3]) { Learners = [4] });
        machine.ApplyBatch([new KvApply(1, 1, new KvCommand(KvOp.Noop, default))], []);
        // The node read `before` when it asked; the entry adding the learner applied before the export began.
        machine.ApplyBatch([new KvApply(2, 1, new KvCommand(KvOp.Configure, default, after))], []);

        var info = await machine.TakeSnapshotAsync(before);

        Assert.Equal(2, info.Index);
        Assert.Equal(after, info.Configuration);
        Assert.Equal(after, machine.Configuration);
    }

    [Fact]
    public async Task A_snapshot_with_no_configuration_applied_since_the_state_loaded_stores_the_one_asked_with()
    {
        var machine = new MemoryKvStateMachine(new StorageLimits());
        var asked = ClusterMembership.Encode(new ConfigState([1, 2, 3]));
        machine.ApplyBatch([new KvApply(1, 1, new KvCommand(KvOp.Noop, default))], []);

        Assert.Equal(asked, (await machine.TakeSnapshotAsync(asked)).Configuration);
    }

    private static void Propose(KvSimCluster cluster, ConfigChange change)
    {
        RunUntil(cluster, () => cluster.Leader is { } leader && leader.Node!.ProposeConfigChange(change, out _) == ConfigChangeStatus.Accepted, cluster.Seed);
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
