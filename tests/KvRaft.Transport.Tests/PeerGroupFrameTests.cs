// Goal: the peer traffic of several replica groups shares the two connections (lanes) of a pair of processes (group frames carry the
// group id, group 0 the plain frames), one flush sends every group's frames, and a frame for a group the receiver does not
// host is dropped, counted and logged, never asserted on, while the connection keeps serving the groups it does host.
// Method: real transports on loopback with recording handlers that host a chosen set of groups, awaited with timeouts.
using KvRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace KvRaft.Transport.Tests;

public sealed class PeerGroupFrameTests
{
    [Fact]
    public async Task Messages_of_many_groups_share_the_pairs_connections_and_one_flush_in_order_per_group_and_lane()
    {
        await using var cluster = await Cluster.StartAsync([1, 2]);
        var receiver = cluster[2].Handler;
        receiver.HostedGroups.UnionWith([1, 2, 3]);
        const int perGroup = 20;
        for (var context = 0; context < perGroup; context++)
        {
            for (var group = 0; group <= 3; group++)
            {
                var message = group == 2 && context % 5 == 0
                    ? Frames.Append(1, 2, context, entryCount: 16, dataBytes: 1024, repetitive: true) // compressed inside a group frame
                    : Frames.Heartbeat(1, 2, context);
                cluster[1].Transport.Send(2, group, message);
            }
        }
        cluster[1].Transport.Flush();
        await receiver.GroupMessages.WaitForCountAsync(3 * perGroup, "every group's messages");
        await receiver.Messages.WaitForCountAsync(perGroup, "group 0's messages");
        for (var group = 1; group <= 3; group++)
        {
            // Group 2's Appends travel on the bulk lane, the heartbeats on the control lane: each lane keeps its order.
            var received = receiver.GroupMessages.Snapshot().Where(item => item.GroupId == group).Select(item => item.Message).ToList();
            var appends = received.Where(message => message.Type == PeerMessageType.Append).Select(message => message.Context);
            var heartbeats = received.Where(message => message.Type == PeerMessageType.Heartbeat).Select(message => message.Context);
            Assert.Equal(Enumerable.Range(0, perGroup).Where(i => group == 2 && i % 5 == 0).Select(i => (long)i), appends);
            Assert.Equal(Enumerable.Range(0, perGroup).Where(i => group != 2 || i % 5 != 0).Select(i => (long)i), heartbeats);
        }
        Assert.Equal(Enumerable.Range(0, perGroup).Select(i => (long)i), receiver.Messages.Snapshot().Select(message => message.Context));
        Assert.Equal(16, receiver.GroupMessages.Snapshot().First(item => item.GroupId == 2 && item.Message.Context == 0).Message.Entries.Count);
        Assert.True(cluster[1].Transport.Statistics.BlocksCompressed > 0, "a group's large append went compressed");
        Assert.Equal(0, cluster[2].Transport.Statistics.UnknownGroupFrames);
    }

    [Fact]
    public async Task A_frame_for_a_group_the_receiver_does_not_host_is_dropped_counted_and_logged_and_the_connection_stays()
    {
        await using var cluster = await Cluster.StartAsync([1, 2]);
        var receiver = cluster[2].Handler;
        receiver.HostedGroups.Add(1);
        cluster[1].Transport.Send(2, 7, Frames.Heartbeat(1, 2, context: 1));
        cluster[1].Transport.Send(2, 7, Frames.Heartbeat(1, 2, context: 2));
        cluster[1].Transport.SendSnapshotChunk(2, 9, new SnapshotChunk { SnapshotIndex = 5, SnapshotTerm = 1, Last = true, UncompressedBytes = 3, Payload = new byte[] { 1, 2, 3 } });
        cluster[1].Transport.Send(2, 1, Frames.Heartbeat(1, 2, context: 3));
        cluster[1].Transport.Flush();
        var hosted = await receiver.GroupMessages.WaitForCountAsync(1, "the hosted group's message after the unknown ones");
        Assert.Equal((1, 3L), (hosted[0].GroupId, hosted[0].Message.Context));
        await PeerHygieneTests.Until(() => cluster[2].Transport.Statistics.UnknownGroupFrames == 3, "the chunk on the bulk lane (the heartbeats travel on the control lane)");
        Assert.Empty(receiver.GroupChunks.Snapshot());
        var warnings = cluster[2].Logger.Entries.Snapshot().Where(entry => entry.Level == LogLevel.Warning && entry.Text.Contains("does not host", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count); // once per unknown group on the connection, not per frame
        Assert.Contains(warnings, entry => entry.Text.Contains("group 7", StringComparison.Ordinal));
        Assert.Contains(warnings, entry => entry.Text.Contains("group 9", StringComparison.Ordinal));
        Assert.Empty(receiver.Disconnects.Snapshot());
        Assert.Equal(0, cluster[2].Transport.Statistics.MalformedFrames);
    }

    [Fact]
    public async Task A_one_group_receiver_refuses_every_group_frame_without_closing()
    {
        await using var cluster = await Cluster.StartAsync([1, 2]);
        cluster[1].Transport.Send(2, 1, Frames.Heartbeat(1, 2, context: 1));
        cluster[1].Transport.Send(2, Frames.Heartbeat(1, 2, context: 2));
        cluster[1].Transport.Flush();
        var received = await cluster[2].Handler.Messages.WaitForCountAsync(1, "the plain message");
        Assert.Equal(2, received[0].Context);
        Assert.Equal(1, cluster[2].Transport.Statistics.UnknownGroupFrames);
        Assert.Empty(cluster[2].Handler.GroupMessages.Snapshot());
    }
}
