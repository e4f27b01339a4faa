// Goal: linearizable reads (§6.4 ReadIndex): released only after a heartbeat round, a commit in the leader's term, and apply; reported confirmed (Ready.ConfirmedReads) once, when the read index is known; method: TestNetwork with targeted drops.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class ReadIndexTests
{
    private static bool Released(TestNetwork net, int id, long context) => net.Reads[id].Any(r => r.Context == context);

    [Fact]
    public void LeaderRead_IsReleasedOnlyAfterAHeartbeatRound_AtTheCommitIndex()
    {
        var net = new TestNetwork(3, 501);
        var leader = net.CheckOneLeader();
        var index = net.One(5, 3);
        net.DroppedTypes.Add(MessageType.HeartbeatResponse);
        Assert.Equal(ReadIndexStatus.Accepted, net.Node(leader).ReadIndex(1));
        net.Process(leader);
        net.Deliver();
        net.Tick(3);
        Assert.False(Released(net, leader, 1), net.Tag);
        net.Heal();
        net.Tick();
        var read = Assert.Single(net.Reads[leader]);
        Assert.Equal(new ReadState(1, index), read);
    }

    [Fact]
    public void DeposedLeaderInAMinority_NeverReleasesARead_AndDropsIt()
    {
        var net = new TestNetwork(5, 502);
        var leader = net.CheckOneLeader();
        net.One(1, 5);
        net.Partition(new[] { leader, net.Ids.First(id => id != leader) });
        net.Node(leader).ReadIndex(7);
        net.Process(leader);
        for (var t = 0; t < 40; t++)
        {
            net.Tick();
            Assert.False(Released(net, leader, 7), net.Tag);
        }
        net.One(2, 3); // the majority moved on meanwhile
        Assert.NotEqual(Role.Leader, net.Node(leader).Role);
        Assert.Contains(7, net.DroppedReads[leader]);
    }

    [Fact]
    public void PlantedFault_ReadWithoutHeartbeatRound_IsCaughtByTheMinorityCheck()
    {
        using var plant = PlantedBugs.Plant(PlantedBug.ReadWithoutHeartbeatRound);
        var net = new TestNetwork(3, 503, new NodeOptions());
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.Isolate(leader);
        net.Node(leader).ReadIndex(7);
        net.Process(leader);
        Assert.True(Released(net, leader, 7)); // the check in the test above would fail on this build
    }

    [Fact]
    public void NewLeader_ReleasesNoRead_BeforeItCommitsAnEntryOfItsTerm()
    {
        var net = new TestNetwork(3, 504);
        net.DroppedTypes.Add(MessageType.AppendResponse);
        var leader = net.CheckOneLeader();
        var noOp = net.Node(leader).LastIndex;
        net.Node(leader).ReadIndex(3);
        net.Process(leader);
        net.Tick(5);
        Assert.False(Released(net, leader, 3), net.Tag);
        Assert.True(net.Node(leader).Committed < noOp, net.Tag);
        net.Heal();
        net.Tick(2);
        var read = Assert.Single(net.Reads[leader]);
        Assert.True(read.Index >= noOp, net.Tag);
    }

    [Fact]
    public void FollowerRead_IsForwarded_AndServedOnlyAfterItAppliedTheReadIndex()
    {
        var net = new TestNetwork(3, 505);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Tick(2);
        net.DropFilter = m => m.Type == MessageType.Append && m.To == follower;
        var index = net.One(9, 2);
        Assert.True(net.Applied[follower].Count < index, net.Tag);
        Assert.Equal(ReadIndexStatus.Accepted, net.Node(follower).ReadIndex(11));
        net.Process(follower);
        net.Deliver();
        net.Tick();
        Assert.False(Released(net, follower, 11), net.Tag);
        net.Heal();
        Assert.True(net.TickUntil(() => Released(net, follower, 11), 20), net.Tag);
        Assert.Equal(index, net.Reads[follower].Single().Index);
        Assert.True(net.Applied[follower].Count >= index);
    }

    [Fact]
    public void FollowerRead_IsReportedConfirmed_WhenTheLeaderAnswers_BeforeItsIndexIsApplied()
    {
        var net = new TestNetwork(3, 507);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Tick(2);
        net.DropFilter = m => m.Type == MessageType.Append && m.To == follower;
        var index = net.One(9, 2);
        net.Node(follower).ReadIndex(11);
        net.Process(follower);
        net.Deliver();
        net.Tick();
        Assert.Equal([new ReadState(11, index)], net.Confirmed[follower]); // the leader answered: its index is known
        Assert.False(Released(net, follower, 11), net.Tag); // but not applied here yet
        net.Heal();
        Assert.True(net.TickUntil(() => Released(net, follower, 11), 20), net.Tag);
        Assert.Single(net.Confirmed[follower]); // reported once
    }

    [Fact]
    public void LeaderRead_IsReportedConfirmed_OnlyOnceAQuorumAnswersItsRound()
    {
        var net = new TestNetwork(3, 508);
        var leader = net.CheckOneLeader();
        var index = net.One(1, 3);
        net.DroppedTypes.Add(MessageType.HeartbeatResponse);
        net.Node(leader).ReadIndex(4);
        net.Process(leader);
        net.Deliver();
        net.Tick(2);
        Assert.Empty(net.Confirmed[leader]);
        net.Heal();
        Assert.True(net.TickUntil(() => Released(net, leader, 4), 20), net.Tag);
        Assert.Equal([new ReadState(4, index)], net.Confirmed[leader]); // applied already: confirmed and released together
    }

    [Fact]
    public void AReadArrivingDuringARound_StartsARoundOfItsOwnAtOnce()
    {
        var net = new TestNetwork(3, 506);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.DroppedTypes.Add(MessageType.HeartbeatResponse);
        net.Node(leader).ReadIndex(1);
        net.Process(leader);
        var firstRound = net.Sent.Last(m => m.Type == MessageType.Heartbeat).Context;
        net.Deliver();
        net.Heal();
        var mark = net.Sent.Count;
        net.Node(leader).ReadIndex(2); // arrives while round 1 is out: round 1 cannot confirm it
        net.Process(leader);
        var secondRound = net.SentSince(mark, MessageType.Heartbeat).Select(m => m.Context).DefaultIfEmpty().Max();
        Assert.True(secondRound > firstRound, net.Tag); // its own round went out at once, not after round 1
        net.Tick(3);
        Assert.Equal(new long[] { 1, 2 }, net.Reads[leader].Select(r => r.Context));
    }

    [Fact]
    public void ReadRoundsInFlightAreBounded_AndReadsBeyondWaitForTheNextRound()
    {
        var net = new TestNetwork(3, 508);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.DroppedTypes.Add(MessageType.HeartbeatResponse);
        var mark = net.Sent.Count;
        for (long context = 1; context <= 6; context++)
        {
            net.Node(leader).ReadIndex(context);
            net.Process(leader);
        }
        var rounds = net.SentSince(mark, MessageType.Heartbeat).Select(m => m.Context).Where(c => c != 0).Distinct().Count();
        Assert.Equal(new RaftConfig { Id = 1, Storage = new MemoryStorage([1]), Random = new Prng(1) }.ReadRoundsInFlightMax, rounds);
        net.Heal();
        net.Tick(6);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, net.Reads[leader].Select(r => r.Context).Order());
    }

    [Fact]
    public void SingleNodeRead_IsReleasedWithoutARound()
    {
        var net = new TestNetwork(1, 507);
        var leader = net.CheckOneLeader();
        var index = net.One(1, 1);
        net.Node(leader).ReadIndex(5);
        net.Process(leader);
        Assert.Equal(new ReadState(5, index), Assert.Single(net.Reads[leader]));
    }

    [Fact]
    public void FollowerRead_SentToALeaderThatWasReplaced_IsDroppedAtOnce_NotLeftToTimeOut()
    {
        var net = new TestNetwork(3, 508);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        var other = net.Ids.First(id => id != leader && id != follower);
        net.One(1, 3);
        net.Isolate(leader); // the leader "dies": the forwarded request never reaches it
        Assert.Equal(ReadIndexStatus.Accepted, net.Node(follower).ReadIndex(21));
        net.Process(follower);
        var term = net.Node(follower).Term;
        // A new leader's heartbeat of a later term: the old leader will never answer.
        net.Node(follower).Step(new Message { Type = MessageType.Heartbeat, From = other, To = follower, Term = term + 1 });
        net.Process(follower);
        Assert.Contains(21, net.DroppedReads[follower]);
        Assert.False(Released(net, follower, 21), net.Tag);
    }

    [Fact]
    public void FollowerRead_WithoutAnAnswer_IsDroppedAfterAnElectionTimeout_AndALateAnswerIsIgnored()
    {
        var net = new TestNetwork(3, 509);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.One(1, 3);
        net.DroppedTypes.Add(MessageType.ReadIndexResponse); // the leader stays; only its answer is lost
        Assert.Equal(ReadIndexStatus.Accepted, net.Node(follower).ReadIndex(22));
        net.Process(follower);
        Assert.True(net.TickUntil(() => net.DroppedReads[follower].Contains(22), 100), net.Tag);
        Assert.Equal(leader, net.Node(follower).Leader);
        net.Heal();
        net.Node(follower).Step(new Message { Type = MessageType.ReadIndexResponse, From = leader, To = follower, Term = net.Node(follower).Term, Index = 1, Context = 22 });
        net.Process(follower);
        Assert.False(Released(net, follower, 22), net.Tag);
    }

    [Fact]
    public void FollowerWithoutLeader_RefusesReads()
    {
        var solo = new Solo(1, new[] { 1, 2, 3 });
        Assert.Equal(ReadIndexStatus.NoLeader, solo.Node.ReadIndex(1));
    }
}
