// Goal: a node handed many elapsed ticks at once (its host stalled: a collection pause, a slow disk) moves every timer by all of them, the leader's lease clock included, yet acts at most once per call, and the stall check bites (planted LeaseWithoutStallProtection); method: TestNetwork with a paused host, then RaftNode.Tick(ticks) with the ticks it missed.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class StallTests
{
    [Fact]
    public void LeaderPausedWhileCutOff_ServesNoLeaseRead_OnceItsMissedTicksAreDelivered()
    {
        Assert.Null(StaleReadAfterStall(611));
    }

    [Fact]
    public void PlantedLeaseWithoutStallProtection_IsCaught()
    {
        using var plant = PlantedBugs.Plant(PlantedBug.LeaseWithoutStallProtection);
        Assert.NotNull(StaleReadAfterStall(611));
    }

    /// <summary>
    /// A leader with a lease is cut off and paused; the others elect a leader and commit a newer write; the old
    /// leader resumes with every tick it missed and is asked for a read. Returns what went wrong, if anything.
    /// </summary>
    private static string? StaleReadAfterStall(ulong seed)
    {
        var options = new NodeOptions { LeaseReads = true };
        var net = new TestNetwork(3, seed, options);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.Tick(2); // heartbeats acknowledged: the lease holds
        net.Isolate(leader);
        net.Paused.Add(leader); // its host stalls while it is cut off
        var stallTicks = 3 * options.ElectionTicks;
        net.Tick(stallTicks); // meanwhile the others elect a leader and commit a newer write
        var successor = net.ConnectedLeader();
        Assert.True(successor != 0 && successor != leader, net.Tag);
        var newer = net.One(2, 2);

        net.Paused.Remove(leader);
        net.Node(leader).Tick(stallTicks); // the host delivers every tick it missed, then the reads that waited
        net.Process(leader);
        net.Node(leader).ReadIndex(9);
        net.Process(leader);
        for (var t = 0; t < 3 * options.ElectionTicks; t++)
        {
            if (net.Reads[leader].Any(read => read.Context == 9 && read.Index < newer))
            {
                return $"stale lease read ({net.Tag})";
            }

            net.Tick();
        }
        return net.Reads[leader].Any(read => read.Context == 9) ? $"read confirmed while cut off ({net.Tag})" : null;
    }

    [Fact]
    public void LeaderGivenManyTicksAtOnce_SendsOneHeartbeatRound()
    {
        var options = new NodeOptions { HeartbeatTicks = 1 };
        var net = new TestNetwork(3, 612, options);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        var before = net.Sent.Count;
        net.Node(leader).Tick(options.ElectionTicks - 1); // nine heartbeat intervals, no check-quorum yet
        net.Process(leader);
        Assert.True(net.SentSince(before, MessageType.Heartbeat).Count(m => m.From == leader) == 2, net.Tag);
        Assert.True(net.Node(leader).Role == Role.Leader, net.Tag);
    }

    [Fact]
    public void FollowerGivenAnHoursTicksAtOnce_CampaignsOnce()
    {
        var net = new TestNetwork(3, 613);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        var follower = net.Ids.First(id => id != leader);
        net.Isolate(follower);
        var before = net.Sent.Count;
        net.Node(follower).Tick(int.MaxValue); // counted as at most TicksPerCallMax: past any timeout, nothing overflows
        net.Process(follower);
        Assert.True(net.Node(follower).Role == Role.PreCandidate, net.Tag);
        Assert.True(net.SentSince(before, MessageType.PreVote).Count(m => m.From == follower) == 2, net.Tag);
    }
}
