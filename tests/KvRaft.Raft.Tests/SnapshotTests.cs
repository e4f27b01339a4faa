// Goal: log compaction and snapshot install (6.5840 lab 3D); method: compact MemoryStorage with CreateSnapshot, let the leader ship the Snapshot message, crash and drop around it.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Members;

namespace KvRaft.Raft.Tests;

public sealed class SnapshotTests
{
    [Fact]
    public void LaggingFollower_InstallsLeaderSnapshot_ThenCatchesUp()
    {
        var net = new TestNetwork(3, 401);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Isolate(follower);
        for (var i = 0; i < 20; i++)
        {
            net.One(i, 2);
        }

        var snapshot = net.Compact(leader) ?? throw new InvalidOperationException("no snapshot");
        for (var i = 20; i < 25; i++)
        {
            net.One(i, 2);
        }

        var mark = net.Sent.Count;
        net.Heal();
        Assert.True(net.TickUntil(() => net.Node(follower).Committed == net.Node(leader).Committed, 30), net.Tag);
        Assert.Single(net.SentSince(mark, MessageType.Snapshot, follower));
        Assert.Equal(snapshot.Index, net.Storage[follower].Snapshot.Index);
        Assert.Equal(snapshot.Term, net.Storage[follower].Snapshot.Term);
        Assert.Equal(net.Node(leader).LastIndex, net.Storage[follower].LastIndex);
        net.One(99, 3);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void A_new_member_with_an_empty_log_is_sent_the_snapshot_even_while_the_log_behind_it_is_kept()
    {
        var net = new TestNetwork(3, 403);
        var leader = net.CheckOneLeader();
        for (var i = 0; i < 20; i++)
        {
            net.One(i, 3);
        }

        var storage = net.Storage[leader];
        var snapshot = storage.CreateSnapshot(net.Applied[leader].Count, net.Node(leader).Config); // no compaction: the log from 1 is kept
        Assert.True(storage.FirstIndex <= 1, "the leader's log was compacted");
        var mark = net.Sent.Count;
        net.AddNode(4);
        net.ChangeConfig(Voters(1, 2, 3).With(learners: [4]), ConfigTransition.Auto, AddLearner(4));
        Assert.True(net.TickUntil(() => net.Node(4).Committed == net.Node(leader).Committed, 60), net.Tag);
        Assert.Single(net.SentSince(mark, MessageType.Snapshot, 4));
        Assert.Equal(snapshot.Index, net.Storage[4].Snapshot.Index);
        net.One(99, 4);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void InstalledSnapshot_SurvivesTheFollowersRestart()
    {
        var net = new TestNetwork(3, 402);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Isolate(follower);
        for (var i = 0; i < 10; i++)
        {
            net.One(i, 2);
        }

        var index = net.Compact(leader)!.Value.Index;
        net.Heal();
        Assert.True(net.TickUntil(() => net.Storage[follower].Snapshot.Index == index, 30), net.Tag);
        net.Crash(follower);
        net.Restart(follower);
        Assert.Equal(index, net.Node(follower).Status.SnapshotIndex);
        Assert.True(net.Applied[follower].Count >= index, net.Tag);
        net.One(100, 3);
    }

    [Fact]
    public void DroppedSnapshot_IsReportedFailed_AndSentAgainLater()
    {
        var net = new TestNetwork(3, 403);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Isolate(follower);
        for (var i = 0; i < 10; i++)
        {
            net.One(i, 2);
        }

        net.Compact(leader);
        net.Connect(follower);
        net.DroppedTypes.Add(MessageType.Snapshot);
        var mark = net.Sent.Count;
        Assert.True(net.TickUntil(() => net.SentSince(mark, MessageType.Snapshot, follower).Any(), 30), net.Tag);
        net.Heal();
        Assert.True(net.TickUntil(() => net.Node(follower).Committed == net.Node(leader).Committed, 30), net.Tag);
        net.One(100, 3);
    }

    [Theory]
    [InlineData(404UL, false)]
    [InlineData(405UL, true)]
    public void SnapshotsWithCrashes_EveryNodeCompactsAsItApplies_AndAllAgree(ulong seed, bool unreliable)
    {
        var net = new TestNetwork(3, seed);
        if (unreliable)
        {
            net.LossRate = 0.1;
            net.MaxDelayTicks = 2;
            net.Reorder = true;
        }
        var random = new Prng(seed);
        var value = 0;
        for (var iteration = 0; iteration < 40; iteration++)
        {
            var victim = net.Ids[random.Next(3)];
            var crash = random.Chance(0.5);
            if (crash)
            {
                net.Crash(victim);
            }
            else
            {
                net.Isolate(victim);
            }

            for (var i = 0; i < 11; i++)
            {
                net.One(++value, 2);
            }

            foreach (var id in net.Ids)
            {
                net.Compact(id, every: 10);
            }

            if (crash)
            {
                net.Restart(victim);
            }

            net.Connect(victim);
            net.One(++value, 3);
        }
        net.CheckAppliedPrefixes();
        Assert.All(net.Ids, id => Assert.True(net.Storage[id].Snapshot.Index > 0, net.Tag));
    }

    [Fact]
    public void StaleSnapshot_AtOrBelowCommit_IsIgnored()
    {
        var solo = new Solo(1, new[] { 1, 2, 3 }, new[] { Data.E(1, 1), Data.E(2, 1), Data.E(3, 1) }, new HardState(1, 0, 3));
        var sent = solo.Step(new Message
        {
            Type = MessageType.Snapshot,
            From = 2,
            Term = 1,
            Snapshot = new SnapshotMetadata(2, 1, new ConfigState(new[] { 1, 2, 3 })),
        });
        var reply = Assert.Single(sent, m => m.Type == MessageType.AppendResponse);
        Assert.Equal(3, reply.Index);
        Assert.Equal(0, solo.Storage.Snapshot.Index);
        Assert.Equal(3, solo.Storage.LastIndex);
    }
}
