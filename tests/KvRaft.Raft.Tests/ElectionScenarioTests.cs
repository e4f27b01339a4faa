// Goal: leader election in whole clusters (6.5840 lab 3A, pre-vote, check-quorum); method: TestNetwork with partitions and ticks, fixed seeds.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class ElectionScenarioTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void InitialElection_ElectsOneLeader_AndTermStaysPutWithoutFailures(ulong seed)
    {
        var net = new TestNetwork(3, seed);
        var leader = net.CheckOneLeader();
        Assert.True(leader != 0, $"no leader ({net.Tag})");
        net.Tick(5);
        var term = net.AgreedTerm();
        Assert.True(term >= 1, $"terms disagree ({net.Tag})");
        net.Tick(100);
        Assert.Equal(term, net.AgreedTerm());
        Assert.Equal(leader, net.ConnectedLeader());
    }

    [Theory]
    [InlineData(41UL)]
    [InlineData(42UL)]
    public void TwoFollowersTimingOutTogether_ElectOneLeader_WithoutAnotherTimeout(ulong seed)
    {
        var net = new TestNetwork(3, seed, new NodeOptions { PreVote = true, CheckQuorum = true });
        var old = net.CheckOneLeader();
        var term = net.Node(old).Term;
        net.Isolate(old);
        int[] rest = [.. net.Ids.Where(id => id != old)];
        foreach (var id in rest)
        {
            net.Node(id).Campaign(); // both election timeouts end in the same tick
        }

        foreach (var id in rest)
        {
            net.Process(id);
        }

        net.Deliver(); // no tick: a split vote would leave both candidates until one times out again
        Assert.True(net.Node(rest.Max()).Role == Role.Leader, $"no leader without another timeout ({net.Tag})");
        Assert.Equal(Role.Follower, net.Node(rest.Min()).Role);
        Assert.All(rest, id => Assert.Equal(term + 1, net.Node(id).Term));
    }

    [Fact]
    public void ReElection_AfterLeaderLoss_AndNoLeaderWithoutQuorum()
    {
        var net = new TestNetwork(3, 11);
        var leader1 = net.CheckOneLeader();
        net.Isolate(leader1);
        var leader2 = net.CheckOneLeader();
        Assert.True(leader2 != 0 && leader2 != leader1, net.Tag);

        net.Connect(leader1); // the old leader rejoins: still one leader
        Assert.NotEqual(0, net.CheckOneLeader());

        var cut = net.CheckOneLeader();
        net.Isolate(cut);
        net.Isolate(net.Ids.First(id => id != cut && net.IsConnected(id)));
        net.Tick(200);
        Assert.Equal(0, net.ConnectedLeader());

        net.Heal();
        Assert.NotEqual(0, net.CheckOneLeader());
    }

    [Fact]
    public void ManyElections_SevenNodes_RandomThreeDisconnected_AlwaysOneLeader()
    {
        const ulong seed = 21;
        var net = new TestNetwork(7, seed);
        var random = new Prng(seed);
        Assert.NotEqual(0, net.CheckOneLeader());
        for (var round = 0; round < 10; round++)
        {
            var down = new HashSet<int>();
            while (down.Count < 3)
            {
                down.Add(net.Ids[random.Next(7)]);
            }

            foreach (var id in down)
            {
                net.Isolate(id);
            }

            Assert.True(net.CheckOneLeader() != 0, $"round {round} ({net.Tag})");
            net.Heal();
        }
        Assert.NotEqual(0, net.CheckOneLeader());
    }

    [Fact]
    public void PartitionedNodeRejoining_DoesNotDeposeHealthyLeader()
    {
        var net = new TestNetwork(3, 31);
        var leader = net.CheckOneLeader();
        var term = net.Node(leader).Term;
        var follower = net.Ids.First(id => id != leader);
        net.Isolate(follower);
        net.Tick(300); // it times out many times, asking only for pre-votes
        Assert.Equal(term, net.Node(follower).Term);
        net.Heal();
        net.Tick(50);
        Assert.Equal(leader, net.ConnectedLeader());
        Assert.Equal(term, net.AgreedTerm());
    }

    [Fact]
    public void WithoutPreVote_RejoiningNodeDisruptsTheLeader()
    {
        // The counterpart of the pre-vote test: the same scenario without pre-vote bumps the term.
        var net = new TestNetwork(3, 31, new NodeOptions { PreVote = false, CheckQuorum = false });
        var leader = net.CheckOneLeader();
        var term = net.Node(leader).Term;
        var follower = net.Ids.First(id => id != leader);
        net.Isolate(follower);
        net.Tick(100);
        Assert.True(net.Node(follower).Term > term + 1, net.Tag);
        net.Heal();
        net.Tick(50);
        Assert.True(net.Node(leader).Term > term, net.Tag);
    }

    [Fact]
    public void LeaderCutOffFromItsQuorum_StepsDown_WithinTwoElectionTimeouts()
    {
        var net = new TestNetwork(3, 41);
        var leader = net.CheckOneLeader();
        net.Isolate(leader);
        net.Tick(2 * 10 + 1);
        Assert.NotEqual(Role.Leader, net.Node(leader).Role);
    }

    [Fact]
    public void LeaderWithOneFollowerOfThree_KeepsLeading()
    {
        var net = new TestNetwork(3, 42);
        var leader = net.CheckOneLeader();
        net.Isolate(net.Ids.First(id => id != leader));
        net.Tick(100);
        Assert.Equal(Role.Leader, net.Node(leader).Role);
    }

    [Fact]
    public void SingleNodeCluster_ElectsItselfAndCommitsAlone()
    {
        var net = new TestNetwork(1, 51);
        Assert.Equal(1, net.CheckOneLeader());
        var index = net.One(7, 1);
        Assert.Equal(2, index); // 1 is the leader's no-op
        Assert.Equal(index, net.Node(1).Committed);
    }

    [Fact]
    public void SplitVotes_AreResolvedByRandomizedTimeouts()
    {
        for (ulong seed = 60; seed < 70; seed++)
        {
            var net = new TestNetwork(5, seed, new NodeOptions { PreVote = false });
            foreach (var id in net.Ids)
            {
                net.Node(id).Campaign(); // everyone stands at once
            }

            net.ProcessAll();
            net.Deliver();
            Assert.True(net.CheckOneLeader(300) != 0, net.Tag);
        }
    }
}
