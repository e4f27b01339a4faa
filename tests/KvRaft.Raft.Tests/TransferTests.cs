// Goal: leadership transfer (§3.10): hand-over to up-to-date and lagging followers, refusal of proposals, abort on timeout; method: TestNetwork.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class TransferTests
{
    [Fact]
    public void TransferToUpToDateFollower_MakesItLeaderInTheNextTerm()
    {
        var net = new TestNetwork(3, 601);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        var target = net.Ids.First(id => id != leader);
        var term = net.Node(leader).Term;
        Assert.True(net.Node(leader).TransferLeadership(target));
        net.Process(leader);
        net.Deliver();
        Assert.Equal(target, net.ConnectedLeader());
        Assert.Equal(term + 1, net.Node(target).Term);
        Assert.Equal(Role.Follower, net.Node(leader).Role);
        net.One(2, 3);
    }

    [Fact]
    public void TransferInAFiveNodeCluster_GetsTheVotesOfFollowersWithinTheLease_ThroughTheLeadersNotice()
    {
        // Only the leader's notice lets a follower within its lease grant the forced vote: without it the
        // target had the leader's vote alone, one short of a quorum of five.
        var net = new TestNetwork(5, 604);
        var leader = net.CheckOneLeader();
        net.One(1, 5);
        var target = net.Ids.First(id => id != leader);
        var term = net.Node(leader).Term;
        Assert.True(net.Node(leader).TransferLeadership(target));
        net.Process(leader);
        net.Deliver();
        Assert.Equal(target, net.ConnectedLeader());
        Assert.Equal(term + 1, net.Node(target).Term);
        net.One(2, 5);
    }

    [Fact]
    public void TransferToLaggingFollower_HandsOverOnlyAfterItCatchesUp()
    {
        var net = new TestNetwork(3, 602);
        var leader = net.CheckOneLeader();
        var target = net.Ids.First(id => id != leader);
        net.Isolate(target);
        for (var i = 0; i < 20; i++)
        {
            net.One(i, 2);
        }

        var last = net.Node(leader).LastIndex;
        net.Heal();
        Assert.True(net.Node(leader).TransferLeadership(target));
        net.Process(leader);
        Assert.True(net.TickUntil(() => net.ConnectedLeader() == target, 20), net.Tag);
        Assert.True(net.Node(target).LastIndex > last, net.Tag); // it had everything, then appended its no-op
        net.One(100, 3);
        net.CheckAppliedPrefixes();
    }

    [Fact]
    public void ProposalsAreRefusedDuringTransfer_AndTheTransferIsAbortedAfterAnElectionTimeout()
    {
        var net = new TestNetwork(3, 603);
        var leader = net.CheckOneLeader();
        var target = net.Ids.First(id => id != leader);
        net.Isolate(target);
        Assert.True(net.Node(leader).TransferLeadership(target));
        Assert.Equal(target, net.Node(leader).LeadTransferee);
        Assert.Equal(ProposeStatus.TransferInProgress, net.Propose(leader, 1, out _));
        net.Tick(10); // one election timeout
        Assert.Equal(0, net.Node(leader).LeadTransferee);
        Assert.Equal(Role.Leader, net.Node(leader).Role);
        Assert.Equal(ProposeStatus.Accepted, net.Propose(leader, 2, out _));
    }

    [Fact]
    public void TransferToSelfOrAStranger_IsRefused()
    {
        var net = new TestNetwork(3, 604);
        var leader = net.CheckOneLeader();
        Assert.False(net.Node(leader).TransferLeadership(leader));
        Assert.False(net.Node(leader).TransferLeadership(9));
        Assert.False(net.Node(net.Ids.First(id => id != leader)).TransferLeadership(leader));
    }

    [Fact]
    public void TransferTarget_WinsDespiteTheFollowersLease()
    {
        // Followers in their lease ignore ordinary higher-term votes, but a transfer's forced vote gets through.
        var net = new TestNetwork(5, 605);
        var leader = net.CheckOneLeader();
        net.Tick(3);
        var target = net.Ids.Last(id => id != leader);
        net.Node(leader).TransferLeadership(target);
        net.Process(leader);
        net.Deliver();
        Assert.Equal(target, net.ConnectedLeader());
    }
}
