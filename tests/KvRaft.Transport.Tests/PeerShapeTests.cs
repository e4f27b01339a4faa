// Goal: two processes started with different cluster shapes (--groups, or --peers naming other node ids) never connect:
// each end refuses the other's hello, logs an error naming what differs from its own side (once a minute per peer,
// while the dialler redials), counts every refusal, and keeps running, so that the same peer restarted with the
// matching shape connects; method: two PeerTransports on 127.0.0.1
// whose options carry the shapes, awaited on their logs (no sleeps).
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class PeerShapeTests
{
    public static TheoryData<int, int[], string, string> Mismatches => new()
    {
        // node 1's --groups and --peers ids (node 2 runs --groups 8 with --peers 1,2), what node 2 logs, what node 1 logs
        { 4, [1, 2], "peer node 1 runs --groups 4, this node --groups 8", "peer node 2 runs --groups 8, this node --groups 4" },
        { 0, [1, 2], "peer node 1 runs without --groups (one group), this node --groups 8", "peer node 2 runs --groups 8, this node without --groups (one group)" },
        { 8, [1, 2, 3], "peer node 1 was started with --peers naming nodes 1,2,3, this node with nodes 1,2", "peer node 2 was started with --peers naming nodes 1,2, this node with nodes 1,2,3" },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task Processes_of_another_shape_refuse_each_other_on_both_ends_naming_what_differs_and_keep_running(int groupsOf1, int[] membersOf1, string loggedBy2, string loggedBy1)
    {
        var shapeOf1 = new ClusterShape(groupsOf1, groupsOf1 > 0 ? 64 : 0, membersOf1);
        var shapeOf2 = new ClusterShape(8, 64, [1, 2]);
        await using var cluster = Cluster.Create([1, 2], options => options with { Shape = options.LocalNodeId == 1 ? shapeOf1 : shapeOf2 });
        var accepting = await cluster.StartNodeAsync(2);
        var dialling = await cluster.StartNodeAsync(1); // the lower id dials

        await accepting.Logger.WaitForErrorAsync(loggedBy2);
        await dialling.Logger.WaitForErrorAsync(loggedBy1);

        Assert.True(accepting.Transport.Statistics.ShapeMismatches >= 1);
        Assert.True(dialling.Transport.Statistics.ShapeMismatches >= 1);
        Assert.True(accepting.Transport.Statistics.HandshakesRefused >= 1);
        Assert.Equal(0, dialling.Transport.Statistics.MalformedFrames); // refused as another shape, not as garbage
        Assert.Empty(accepting.Connections.Snapshot()); // never live on the accepting end
        var deadline = DateTime.UtcNow + Wait.Timeout;
        while (accepting.Transport.Statistics.ShapeMismatches < 3 || dialling.Transport.Statistics.ShapeMismatches < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, "the dialler redials and both ends refuse again");
            await Task.Delay(10); // polling the counters, bounded by the deadline
        }
        Assert.Single(accepting.Logger.Entries.Snapshot(), entry => entry.Text.Contains("cluster shape differs", StringComparison.Ordinal)); // once a minute per peer
        Assert.Single(dialling.Logger.Entries.Snapshot(), entry => entry.Text.Contains("cluster shape differs", StringComparison.Ordinal));
        dialling.Transport.Send(2, Frames.Heartbeat(1, 2, 1));
        dialling.Transport.Flush();

        await cluster.StopNodeAsync(1);
        shapeOf1 = shapeOf2; // the operator restarts node 1 with the cluster's flags: node 2 still runs and takes it
        var restarted = await cluster.StartNodeAsync(1);
        await cluster.WaitConnectedAsync(2, [1]);
        restarted.Transport.Send(2, Frames.Heartbeat(1, 2, 7));
        restarted.Transport.Flush();
        var received = await accepting.Handler.Messages.WaitForCountAsync(1, "node 2 receives node 1's heartbeat");
        Assert.Equal(7, Assert.Single(received).Context); // the heartbeat sent before the restart never reached it
    }

    [Fact]
    public async Task A_peer_that_announces_no_member_ids_is_compared_on_groups_only()
    {
        // a node that joined (--join) knows no --peers: its member ids are not compared
        await using var cluster = await Cluster.StartAsync([1, 2], options =>
            options with { Shape = new ClusterShape(0, 0, options.LocalNodeId == 1 ? [1, 2, 3] : []) });

        Assert.Equal(0, cluster[1].Transport.Statistics.ShapeMismatches);
        Assert.Equal(0, cluster[2].Transport.Statistics.ShapeMismatches);
    }
}
