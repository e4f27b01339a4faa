// Goal: lease reads (off by default) skip the heartbeat round only while the leader's lease holds, and never serve a read after the lease may have passed to another leader; method: TestNetwork with targeted drops and partitions.
using KvRaft.Raft.Tests.Harness;

namespace KvRaft.Raft.Tests;

public sealed class LeaseReadTests
{
    private static bool Released(TestNetwork net, int id, long context) => net.Reads[id].Any(r => r.Context == context);

    [Fact]
    public void LeaderHoldingALease_ReleasesAReadWithoutAHeartbeatRound()
    {
        var net = new TestNetwork(3, 601, new NodeOptions { LeaseReads = true });
        var leader = net.CheckOneLeader();
        var index = net.One(5, 3);
        net.Tick(2); // heartbeats acknowledged: the lease starts
        net.DroppedTypes.Add(MessageType.HeartbeatResponse); // no round could complete now
        Assert.Equal(ReadIndexStatus.Accepted, net.Node(leader).ReadIndex(1));
        net.Process(leader);
        var read = Assert.Single(net.Reads[leader], r => r.Context == 1);
        Assert.True(read.Index >= index, net.Tag);
    }

    [Fact]
    public void IsolatedLeader_StopsServingLeaseReads_BeforeAnElectionTimeoutHasPassed()
    {
        var options = new NodeOptions { LeaseReads = true };
        var net = new TestNetwork(3, 602, options);
        var leader = net.CheckOneLeader();
        net.One(1, 3);
        net.Tick(2);
        net.Isolate(leader);
        // Once the lease (an election timeout less the drift bound) has run out, reads need a round, which cannot complete.
        net.Tick(options.ElectionTicks - 2);
        net.Node(leader).ReadIndex(9);
        net.Process(leader);
        for (var t = 0; t < 30; t++)
        {
            net.Tick();
            Assert.False(Released(net, leader, 9), net.Tag);
        }
    }

    [Fact]
    public void WithoutLeaseReads_AReadWaitsForTheHeartbeatRound()
    {
        var net = new TestNetwork(3, 603);
        var leader = net.CheckOneLeader();
        net.One(5, 3);
        net.Tick(2);
        net.DroppedTypes.Add(MessageType.HeartbeatResponse);
        net.Node(leader).ReadIndex(1);
        net.Process(leader);
        net.Tick(3);
        Assert.False(Released(net, leader, 1), net.Tag);
    }
}
