// Goal: the leader's flow control (in-flight window, uncommitted-bytes limit, probe/replicate, batching) and lost-Append recovery; method: TestNetwork with targeted drops.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class FlowControlTests
{
    private static bool CaughtUp(TestNetwork net, int follower, int leader) =>
        net.Node(follower).Committed == net.Node(leader).LastIndex && net.Node(leader).Committed == net.Node(leader).LastIndex;

    [Fact]
    public void InflightWindow_BoundsAppendsInFlight_InReplicateState()
    {
        var net = new TestNetwork(3, 301, new NodeOptions { InflightMessagesMax = 4 });
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Tick(2);
        Assert.Equal(ProgressState.Replicate, net.Node(leader).Status.Followers![follower].State);
        net.DropFilter = m => m.Type == MessageType.AppendResponse && m.From == follower;
        var mark = net.Sent.Count;
        for (var i = 0; i < 10; i++)
        {
            net.Propose(leader, i, out _);
            net.Deliver();
        }
        Assert.Equal(4, net.SentSince(mark, MessageType.Append, follower).Count(m => m.Entries.Length > 0));
        Assert.Equal(4, net.Node(leader).Status.Followers![follower].Inflight);
        net.Heal();
        Assert.True(net.TickUntil(() => CaughtUp(net, follower, leader), 30), net.Tag);
    }

    [Fact]
    public void FollowerWhoseLastAppendWasLost_IsRepairedWithoutNewProposals()
    {
        var net = new TestNetwork(3, 302);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Tick(2);
        net.DroppedTypes.Add(MessageType.Append);
        net.Propose(leader, 1, out _);
        net.Deliver();
        net.Heal();
        Assert.True(net.TickUntil(() => CaughtUp(net, follower, leader), 30), net.Tag);
    }

    [Fact]
    public void FollowerWhoseOnlyAppendInAFullWindowWasLost_IsRepairedByHeartbeatsAlone()
    {
        // Window of one: the lost Append fills it, and with nothing new to send only the heartbeat round's empty
        // Append at Next (refused by the follower) sends the leader back to Match + 1. Found by simulator seed 9396.
        var net = new TestNetwork(3, 305, new NodeOptions { InflightMessagesMax = 1 });
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Tick(2);
        var dropped = false;
        net.DropFilter = m =>
        {
            if (dropped || m.Type != MessageType.Append || m.To != follower || m.Entries.Length == 0)
            {
                return false;
            }

            dropped = true;
            return true;
        };
        net.Propose(leader, 1, out _);
        net.Deliver();
        Assert.True(dropped, net.Tag);
        Assert.True(net.TickUntil(() => CaughtUp(net, follower, leader), 30), net.Tag);
    }

    [Fact]
    public void FollowerRejoiningAfterItsWindowFilled_CatchesUpWithoutNewProposals()
    {
        var net = new TestNetwork(3, 303);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Tick(2);
        net.Isolate(follower);
        for (var i = 0; i < 100; i++)
        {
            net.Propose(leader, i, out _);
            net.Deliver();
        }
        Assert.Equal(64, net.Node(leader).Status.Followers![follower].Inflight);
        net.Heal();
        Assert.True(net.TickUntil(() => CaughtUp(net, follower, leader), 30), net.Tag);
    }

    [Fact]
    public void UncommittedBytesLimit_RefusesProposals_UntilEntriesCommit()
    {
        var net = new TestNetwork(3, 304, new NodeOptions { UncommittedBytesMax = 1000 });
        var leader = net.CheckOneLeader();
        net.Tick(2);
        foreach (var id in net.Ids.Where(id => id != leader))
        {
            net.Isolate(id);
        }

        var accepted = 0;
        ProposeStatus status;
        while ((status = net.Propose(leader, accepted, out _, size: 100)) == ProposeStatus.Accepted)
        {
            accepted++;
        }

        Assert.Equal(ProposeStatus.TooManyUncommittedBytes, status);
        Assert.Equal(1000 / (100 + Entry.EntryOverheadBytes), accepted);
        net.Heal();
        net.Tick(3);
        Assert.Equal(ProposeStatus.Accepted, net.Propose(leader, 999, out _, size: 100));
    }

    [Fact]
    public void ReportUnreachable_MovesReplicatingFollowerToProbe_ThenBackAfterAnAck()
    {
        var net = new TestNetwork(3, 305);
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Tick(2);
        var node = net.Node(leader);
        Assert.Equal(ProgressState.Replicate, node.Status.Followers![follower].State);
        node.ReportUnreachable(follower);
        Assert.Equal(ProgressState.Probe, node.Status.Followers![follower].State);
        net.DroppedTypes.Add(MessageType.AppendResponse);
        var mark = net.Sent.Count;
        for (var i = 0; i < 3; i++)
        {
            net.Propose(leader, i, out _);
        }

        net.Deliver();
        Assert.Single(net.SentSince(mark, MessageType.Append, follower), m => m.Entries.Length > 0); // one probe at a time
        net.Heal();
        Assert.True(net.TickUntil(() => CaughtUp(net, follower, leader), 30), net.Tag);
        Assert.Equal(ProgressState.Replicate, node.Status.Followers![follower].State);
    }

    [Fact]
    public void LaggingFollower_IsFedInAppendsOfAtMostAppendEntriesMax()
    {
        var net = new TestNetwork(3, 306, new NodeOptions { AppendEntriesMax = 16 });
        var leader = net.CheckOneLeader();
        var follower = net.Ids.First(id => id != leader);
        net.Isolate(follower);
        var batch = Enumerable.Range(0, 100).Select(i => Data.Payload(i)).ToArray();
        net.Node(leader).Propose(batch, out _);
        net.Process(leader);
        net.Deliver();
        var mark = net.Sent.Count;
        net.Heal();
        Assert.True(net.TickUntil(() => CaughtUp(net, follower, leader), 30), net.Tag);
        Assert.All(net.SentSince(mark, MessageType.Append, follower), m => Assert.True(m.Entries.Length <= 16));
    }

    [Fact]
    public void ProposalOverTheEntryLimit_IsRefusedWhole()
    {
        var net = new TestNetwork(1, 307);
        var leader = net.CheckOneLeader();
        var last = net.Node(leader).LastIndex;
        var batch = Enumerable.Range(0, 4097).Select(i => Data.Payload(i)).ToArray();
        Assert.Equal(ProposeStatus.TooLarge, net.Node(leader).Propose(batch, out _));
        Assert.Equal(last, net.Node(leader).LastIndex);
    }
}
