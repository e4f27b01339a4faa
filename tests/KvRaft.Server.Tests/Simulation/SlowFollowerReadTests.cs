// Goal: a follower being caught up from log entries evicted from the leader's cache never holds up the leader: its
// reads happen off the event loop, so heartbeats and the other followers' Appends go on and the cluster commits.
// Method: a deterministic 3-node cluster of production KvNodes (the simulated cluster): one follower is cut off while
// clients write, then the leader's log keeps only its newest entries in memory and every background read for that
// follower is held (a gate the test opens). While held: that follower gets none of the evicted entries, nobody
// campaigns, the leader keeps committing with the other follower. Once opened: the follower catches up.
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Simulation;

public sealed class SlowFollowerReadTests
{
    [Theory]
    [InlineData(41UL)]
    [InlineData(42UL)]
    [InlineData(43UL)]
    public void FollowerWhoseLogReadsAreHeld_DoesNotStopTheLeaderCommittingWithTheOthers(ulong seed)
    {
        // No snapshot: the follower is caught up from the log, not by a snapshot.
        var limits = new ServerLimits { SnapshotAfterLogBytes = 1L << 40, RequestTimeoutTicks = 100, AppendEntriesMax = 4, LogFetchBytesMax = 256 };
        using var cluster = new KvSimCluster(seed, 3, clientCount: 4, keyCount: 4, limits);
        cluster.Run(100);
        var leader = cluster.Leader ?? throw new InvalidOperationException($"seed {seed}: no leader");
        var slow = cluster.Nodes.First(n => n != leader);
        var other = cluster.Nodes.First(n => n != leader && n != slow);
        cluster.Network.Partition([slow.Id], [leader.Id, other.Id]);
        cluster.Run(150);
        var slowLast = slow.Node!.RaftStatus.LastIndex;
        var term = leader.Node!.RaftStatus.Term;
        Assert.True(leader.Node.RaftStatus.Commit > slowLast + 20, $"seed {seed}: the follower is not behind ({slowLast} of {leader.Node.RaftStatus.Commit})");

        leader.LogCacheEntries = 2; // everything but the newest two entries is on the "device"
        leader.FetchGate = fetch => fetch.To != slow.Id; // the slow follower's reads are held
        cluster.Network.Heal();
        var commitAtHeal = leader.Node.RaftStatus.Commit;
        cluster.Run(200);

        Assert.Equal(Role.Leader, leader.Node.RaftStatus.Role);
        Assert.Equal(term, leader.Node.RaftStatus.Term); // nobody campaigned: heartbeats kept reaching the slow follower
        Assert.Equal(leader.Id, slow.Node.RaftStatus.Leader);
        Assert.True(leader.Node.RaftStatus.Commit > commitAtHeal + 20, $"seed {seed}: the leader stopped committing ({commitAtHeal} -> {leader.Node.RaftStatus.Commit})");
        Assert.True(slow.Node.RaftStatus.LastIndex < commitAtHeal - 2, $"seed {seed}: the slow follower got evicted entries without a read ({slow.Node.RaftStatus.LastIndex})");
        Assert.Equal(1, leader.FetchesHeld); // one read for that follower, however often the leader tried to send
        Assert.Equal(1, leader.Node.LogFetchesInFlight);

        leader.FetchGate = _ => true;
        cluster.Run(300);
        cluster.Drain();
        Assert.True(slow.Node.RaftStatus.Commit >= commitAtHeal + 20, $"seed {seed}: the slow follower did not catch up ({slow.Node.RaftStatus.Commit})");
        Assert.True(leader.StoredEntriesRead >= commitAtHeal - slowLast - 2, $"seed {seed}: the catch-up did not come from background reads ({leader.StoredEntriesRead})");
        Assert.Equal(0, leader.FetchesHeld);
        cluster.CheckLinearizable();
    }
}
