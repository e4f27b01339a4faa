// Goal: when storage answers that a follower's entries are "not available yet" (an asynchronous read is on its way),
// the leader sends that follower no Append and changes nothing of its progress (no snapshot, no assertion), goes on
// with heartbeats to it and Appends to the others, commits with them, and sends once the host reports the entries
// fetched (RaftNode.OnEntriesFetched, an explicit input). Method: TestNetwork, a follower cut off while entries are
// proposed, then the leader's MemoryStorage holds back that follower's entries (HoldsBack) while it rejoins.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class UnavailableEntriesTests
{
    [Fact]
    public void FollowerWhoseEntriesAreUnavailable_GetsHeartbeatsButNoAppend_WhileTheOthersCommit_ThenCatchesUpWhenFetched()
    {
        var net = new TestNetwork(3, 401);
        var leader = net.CheckOneLeader();
        var slow = net.Ids.First(id => id != leader);
        net.Tick(2);
        net.Isolate(slow);
        for (var i = 0; i < 20; i++)
        {
            net.Propose(leader, i, out _);
            net.Deliver();
        }
        net.Tick(2);
        var held = true;
        net.Storage[leader].HoldsBack = (to, _) => to == slow && held;
        var term = net.Node(leader).Term;
        var match = net.Node(leader).Status.Followers![slow].Match;
        var slowLast = net.Node(slow).LastIndex;
        var stableAtHeal = net.Node(leader).LastIndex; // all persisted: the held range
        net.Heal();
        var mark = net.Sent.Count;
        for (var i = 0; i < 30; i++)
        {
            net.Propose(leader, 100 + i, out _);
            net.Tick(1); // 30 ticks: three election timeouts
        }

        Assert.Equal(Role.Leader, net.Node(leader).Role);
        Assert.Equal(term, net.Node(leader).Term);
        // Entries still in the leader's memory may go out (the follower refuses them: they do not follow its log);
        // none of the held range does, and the follower's log does not grow.
        Assert.DoesNotContain(net.SentSince(mark, MessageType.Append, slow), m => m.Entries.Length > 0 && m.Index < stableAtHeal);
        Assert.Equal(slowLast, net.Node(slow).LastIndex);
        Assert.NotEmpty(net.SentSince(mark, MessageType.Heartbeat, slow));
        Assert.Equal(match, net.Node(leader).Status.Followers![slow].Match);
        Assert.NotEqual(ProgressState.Snapshot, net.Node(leader).Status.Followers![slow].State);
        Assert.Equal(net.Node(leader).LastIndex, net.Node(leader).Committed); // committed with the other follower

        held = false;
        mark = net.Sent.Count;
        net.Node(leader).OnEntriesFetched(slow);
        net.Process(leader);
        Assert.Contains(net.SentSince(mark, MessageType.Append, slow), m => m.Entries.Length > 0 && m.Index == match);
        Assert.True(net.TickUntil(() => net.Node(slow).Committed == net.Node(leader).LastIndex, 30), net.Tag);
    }
}
