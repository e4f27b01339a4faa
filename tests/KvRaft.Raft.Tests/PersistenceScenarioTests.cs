// Goal: crash-restart safety (6.5840 lab 3C: persistence, Figure 8, unreliable, churn); method: TestNetwork crashes that keep MemoryStorage, seeded random faults.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class PersistenceScenarioTests
{
    private static void CrashAndRestart(TestNetwork net, params int[] ids)
    {
        foreach (var id in ids)
        {
            net.Crash(id);
        }

        foreach (var id in ids)
        {
            net.Restart(id);
        }
    }

    private static int Next(TestNetwork net, int id, int step) => (id - 1 + step) % net.Ids.Length + 1;

    [Fact]
    public void Persist1_AgreementSurvivesRestartsOfAllAndOfLeaders()
    {
        var net = new TestNetwork(3, 201);
        net.One(11, 3);
        CrashAndRestart(net, net.Ids);
        net.One(12, 3);
        var leader1 = net.CheckOneLeader();
        CrashAndRestart(net, leader1);
        net.One(13, 3);
        var leader2 = net.CheckOneLeader();
        net.Crash(leader2);
        var index = net.One(14, 2);
        net.Restart(leader2);
        Assert.True(net.TickUntil(() => net.NCommitted(index).Count == 3), net.Tag);
        var other = Next(net, net.CheckOneLeader(), 1);
        net.Crash(other);
        net.One(15, 2);
        net.Restart(other);
        net.One(16, 3);
    }

    [Fact]
    public void Persist2_FiveNodesWithRollingCrashes_KeepAgreeing()
    {
        var net = new TestNetwork(5, 202);
        var value = 10;
        for (var iteration = 0; iteration < 5; iteration++)
        {
            net.One(value++, 5);
            var leader = net.CheckOneLeader();
            net.Crash(Next(net, leader, 1));
            net.Crash(Next(net, leader, 2));
            net.One(value++, 3);
            net.Crash(leader);
            net.Crash(Next(net, leader, 3));
            net.Crash(Next(net, leader, 4));
            net.Restart(Next(net, leader, 1));
            net.Restart(Next(net, leader, 2));
            net.Tick(20);
            net.Restart(Next(net, leader, 3));
            net.One(value++, 3);
            net.Restart(Next(net, leader, 4));
            net.Restart(leader);
        }
        net.One(1000, 5);
    }

    [Fact]
    public void Persist3_PartitionedLeaderAndOneFollowerCrash_LeaderRestarts()
    {
        var net = new TestNetwork(3, 203);
        net.One(101, 3);
        var leader = net.CheckOneLeader();
        net.Isolate(Next(net, leader, 2));
        net.One(102, 2);
        net.Crash(leader);
        net.Crash(Next(net, leader, 1));
        net.Connect(Next(net, leader, 2));
        net.Restart(leader);
        net.One(103, 2);
        net.Restart(Next(net, leader, 1));
        net.One(104, 3);
    }

    [Fact]
    public void FollowerCrashingBeforeItsFsync_NeverAcknowledgedWhatItLost()
    {
        var net = new TestNetwork(3, 204);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Stall(follower);
        var mark = net.Sent.Count;
        net.Propose(leader, 42, out var index);
        net.Deliver();
        net.Crash(follower, sendEarlyMessages: true);
        Assert.DoesNotContain(net.SentSince(mark, MessageType.AppendResponse), m => m.From == follower);
        Assert.True(net.Storage[follower].LastIndex < index, net.Tag);
        net.Restart(follower);
        Assert.True(net.TickUntil(() => net.NCommitted(index).Count == 3, 30), net.Tag); // re-sent without a new proposal
        Assert.Equal(42, net.NCommitted(index).Value);
        Assert.Equal(3, net.NCommitted(index).Count);
    }

    [Fact]
    public void LeaderCrashingBeforeItsOwnFsync_EntryStillCommitsThroughFollowers()
    {
        var net = new TestNetwork(3, 205);
        var leader = net.CheckOneLeader();
        net.Stall(leader);
        Assert.Equal(ProposeStatus.Accepted, net.Node(leader).Propose(new[] { Data.Payload(77) }, out var index));
        net.Crash(leader, sendEarlyMessages: true); // the Appends left; the leader's own write did not happen
        net.Deliver();
        Assert.True(net.Storage[leader].LastIndex < index, net.Tag);
        var leader2 = net.CheckOneLeader();
        Assert.NotEqual(leader, leader2);
        net.Restart(leader);
        net.One(78, 3);
        Assert.Equal(77, net.NCommitted(index).Value);
    }

    [Theory]
    [InlineData(206UL)]
    [InlineData(207UL)]
    public void Figure8_CrashingLeadersNeverLoseCommittedEntries(ulong seed)
    {
        var net = new TestNetwork(5, seed);
        var random = new Prng(seed);
        net.One(random.Next(10000), 1);
        var up = 5;
        for (var iteration = 0; iteration < 300; iteration++)
        {
            var leader = 0;
            foreach (var id in net.Ids.Where(net.IsUp))
            {
                if (net.Propose(id, random.Next(10000), out _) == ProposeStatus.Accepted)
                {
                    leader = id;
                }
            }
            net.Tick(random.Chance(0.1) ? random.Next(30) : random.Next(2));
            if (leader != 0 && net.IsUp(leader))
            {
                net.Crash(leader);
                up--;
            }
            if (up < 3)
            {
                var id = net.Ids[random.Next(5)];
                if (!net.IsUp(id))
                {
                    net.Restart(id);
                    up++;
                }
            }
        }
        foreach (var id in net.Ids.Where(id => !net.IsUp(id)))
        {
            net.Restart(id);
        }

        net.One(random.Next(10000), 5);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void UnreliableAgree_LossDelayAndReordering_StillAgree()
    {
        var net = new TestNetwork(5, 208) { LossRate = 0.1, MaxDelayTicks = 3, Reorder = true };
        for (var iteration = 1; iteration < 30; iteration++)
        {
            for (var j = 0; j < 4; j++)
            {
                net.Propose(net.CheckOneLeader(), 100 * iteration + j, out _);
            }

            net.One(iteration, 1);
        }
        net.LossRate = 0;
        net.MaxDelayTicks = 0;
        net.One(100, 5);
        net.CheckAppliedPrefixes();
    }

    [Theory]
    [InlineData(209UL)]
    [InlineData(210UL)]
    public void Figure8Unreliable_PartitionedLeadersOverALossyNetwork_NeverLoseCommits(ulong seed)
    {
        var net = new TestNetwork(5, seed) { LossRate = 0.1, MaxDelayTicks = 2, Reorder = true };
        var random = new Prng(seed);
        net.One(random.Next(10000), 1);
        var up = 5;
        for (var iteration = 0; iteration < 300; iteration++)
        {
            if (iteration == 100)
            {
                net.MaxDelayTicks = 15; // long reordering
            }

            var leader = 0;
            foreach (var id in net.Ids.Where(net.IsConnected))
            {
                if (net.Propose(id, random.Next(10000), out _) == ProposeStatus.Accepted)
                {
                    leader = id;
                }
            }
            net.Tick(random.Chance(0.1) ? random.Next(30) : random.Next(2));
            if (leader != 0 && random.Chance(0.5))
            {
                net.Isolate(leader);
                up--;
            }
            if (up < 3)
            {
                var id = net.Ids[random.Next(5)];
                if (!net.IsConnected(id))
                {
                    net.Connect(id);
                    up++;
                }
            }
        }
        net.Heal();
        net.LossRate = 0;
        net.MaxDelayTicks = 0;
        net.One(random.Next(10000), 5);
        net.CheckAppliedPrefixes();
    }

    [Theory]
    [InlineData(211UL, false)]
    [InlineData(212UL, true)]
    public void Churn_RandomCrashesRestartsAndPartitions_EveryAppliedValueSurvives(ulong seed, bool unreliable)
    {
        var net = new TestNetwork(5, seed);
        if (unreliable)
        {
            net.LossRate = 0.1;
            net.MaxDelayTicks = 3;
            net.Reorder = true;
        }
        var random = new Prng(seed);
        var value = 0;
        for (var step = 0; step < 300; step++)
        {
            foreach (var id in net.Ids.Where(net.IsUp))
            {
                net.Propose(id, ++value, out _);
            }

            if (random.Chance(0.2))
            {
                net.Isolate(net.Ids[random.Next(5)]);
            }

            if (random.Chance(0.5))
            {
                var id = net.Ids[random.Next(5)];
                if (!net.IsUp(id))
                {
                    net.Restart(id);
                }

                net.Connect(id);
            }
            if (random.Chance(0.2))
            {
                var id = net.Ids[random.Next(5)];
                if (net.IsUp(id))
                {
                    net.Crash(id);
                }
            }
            net.Tick(random.Next(8));
        }
        net.Heal();
        net.LossRate = 0;
        net.MaxDelayTicks = 0;
        foreach (var id in net.Ids.Where(id => !net.IsUp(id)))
        {
            net.Restart(id);
        }

        var last = net.One(-1, 5);
        var final = net.Applied[net.CheckOneLeader()].Take((int)last).Select(Data.Value).ToHashSet();
        Assert.True(final.Count > 40, $"only {final.Count} values committed ({net.Tag})");
        net.CheckAppliedPrefixes();
    }
}
