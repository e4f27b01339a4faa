// Goal: replicas take their snapshots at staggered log positions (SnapshotPolicy.Staggered: node 4k + 1 at 7/8 of the
// threshold, 4k + 2 at 3/4, 4k + 3 at 5/8), also when the threshold is the policy's floor, so that a quorum keeps
// committing at full speed while one replica snapshots. Method: a one-node KvNode (node 1) over the in-memory twins
// writes entries until its log has grown past 7/8 of the floor and not to the floor; it must ask for a snapshot then.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Node;

public sealed class SnapshotStaggerTests
{
    [Fact]
    public void Node_1_snapshots_at_seven_eighths_of_the_floor_not_at_the_floor()
    {
        const long floor = 64 << 10;
        var node = new SingleNode(new ServerLimits { SnapshotAfterLogBytesMin = floor, SnapshotAfterLogBytes = 1L << 30 });
        var session = node.Register();
        var sequence = 0UL;
        var staggered = SnapshotPolicy.Staggered(floor, 1);
        Assert.Equal(floor * 7 / 8, staggered);
        while (node.Log.BytesSinceCompaction < staggered)
        {
            Assert.False(node.Node.TryStartSnapshot(out _), $"a snapshot asked for at {node.Log.BytesSinceCompaction} log bytes, below {staggered}");
            var response = node.Call(new ClientRequest { Op = ClientOp.Put, ClientId = session, Sequence = ++sequence, Key = new byte[] { 1 }, Value = new byte[1000] });
            Assert.Equal(ClientStatus.Ok, response.Status);
        }

        Assert.True(node.Log.BytesSinceCompaction < floor, "the test wrote past the floor");
        Assert.True(node.Node.TryStartSnapshot(out _), $"no snapshot asked for at {node.Log.BytesSinceCompaction} log bytes, past node 1's {staggered}");
    }
}
