// Goal: election messages and heartbeats never wait behind bulk bytes to the same peer: they travel on a control lane,
// a second connection per pair of nodes, so a vote is delivered while the bulk lane is stalled; control traffic falls
// back to the bulk lane with a peer that has no control lane; a hello naming no known lane, or another lane than its
// connection's, is refused; losing either lane is reported with that connection and the lane is redialled.
// Method: real transports on 127.0.0.1; the bulk lane is stalled deterministically by turning off reading on the
// receiver's end of it (AutoRead off, and a gate at the head of its pipeline that holds back the read requests the frame
// decoder makes) and filling it until the sender's queue refuses (the socket buffers are full);
// raw sockets speak as a peer that predates lanes or sends forged hellos. Waits are on recorded events and counters.
using DotNetty.Transport.Channels;
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class PeerLaneTests
{
    private const int Impersonated = 2;
    private const int Target = 5;

    [Theory]
    [InlineData(1, 2)] // the dialler sends
    [InlineData(2, 1)] // the acceptor sends
    public async Task A_vote_is_delivered_while_the_bulk_lane_to_the_same_peer_is_stalled(int from, int to)
    {
        await using var cluster = await Cluster.StartAsync([1, 2], options => options with { OutboundQueueBytesMax = 256 * 1024 });
        var bulk = cluster[to].Transport.FindLink(from)!.Connection!.Channel;
        var gate = await ReadGate.StallAsync(bulk);
        var written = await FillUntilRefusedAsync(cluster[from].Transport, from, to);

        var vote = new PeerMessage { Type = PeerMessageType.PreVoteResponse, From = from, To = to, Term = 7 };
        cluster[from].Transport.Send(to, vote);
        cluster[from].Transport.Flush();
        await cluster[to].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Type == PeerMessageType.PreVoteResponse), "the vote");

        var appendsReceived = cluster[to].MessagesFrom(from).Count(message => message.Type == PeerMessageType.Append);
        Assert.True(appendsReceived < written, $"the vote arrived with the bulk lane still stalled ({appendsReceived} of {written} appends read)");
        await gate.ReleaseAsync();
        await cluster[to].Handler.Messages.WaitUntilAsync(messages => messages.Count(message => message.Type == PeerMessageType.Append) == written, "every append once the bulk lane reads again");
    }

    [Fact]
    public async Task Control_traffic_goes_on_the_bulk_lane_of_a_peer_without_a_control_lane()
    {
        await using var cluster = await StartWithImpersonatedPeerAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync(Frames.Hello(Cluster.ClusterId, Impersonated, Target)); // a bulk hello: what a node before lanes sends
        await cluster.WaitConnectedAsync(Target, [Impersonated]);

        cluster[Target].Transport.Send(Impersonated, new PeerMessage { Type = PeerMessageType.Vote, From = Target, To = Impersonated, Term = 3 });
        cluster[Target].Transport.Flush();
        var frames = await Wait.For(raw.ReadFramesAsync(2), "the hello answer and the vote");

        Assert.Equal(FrameType.PeerHello, frames[0].Type);
        Assert.True(PeerHelloCodec.Parse(frames[0].Body, out var answer).IsOk);
        Assert.Equal(PeerLane.Bulk, answer.Lane);
        Assert.Equal(FrameType.PeerMessage, frames[1].Type);
        Assert.True(PeerMessageCodec.Parse(frames[1].Body, out var vote).IsOk);
        Assert.Equal(PeerMessageType.Vote, vote.Type);
    }

    [Fact]
    public async Task A_hello_naming_an_unknown_lane_is_refused_and_the_node_keeps_serving()
    {
        await using var cluster = await StartWithImpersonatedPeerAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        var hello = Frames.Hello(Cluster.ClusterId, Impersonated, Target, PeerLane.Control);
        await raw.SendRefusableAsync(Frames.WithByte(hello, hello.Length - 1, 2));

        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the connection to close"));
        Assert.Equal(1, cluster[Target].Transport.Statistics.HandshakesRefused);
        await AssertServesAsync(cluster, Target, 1);
    }

    [Fact]
    public async Task A_keepalive_naming_another_lane_than_its_connections_is_refused()
    {
        await using var cluster = await StartWithImpersonatedPeerAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync(Frames.Hello(Cluster.ClusterId, Impersonated, Target, PeerLane.Control));
        await cluster[Target].Lanes.WaitUntilAsync(lanes => lanes.Contains((Impersonated, PeerLane.Control)), "the control lane of the impersonated peer");
        await raw.SendRefusableAsync(Frames.Hello(Cluster.ClusterId, Impersonated, Target)); // a bulk keepalive on the control lane

        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the connection to close"));
        Assert.Equal(1, cluster[Target].Transport.Statistics.MalformedFrames);
        await AssertServesAsync(cluster, Target, 1);
    }

    [Fact]
    public async Task Losing_either_lane_is_reported_with_that_connection_and_the_lane_is_redialled()
    {
        await using var cluster = await Cluster.StartAsync([1, 2]);
        var control = cluster[2].Transport.FindLink(1)!.Control!;

        Assert.True(cluster[2].Transport.Close(control.Sender));

        await cluster[2].Handler.Disconnects.WaitForCountAsync(1, "node 2's report of the closed control lane");
        await cluster[1].Handler.Disconnects.WaitForCountAsync(1, "node 1's report of the closed control lane");
        await cluster[1].Lanes.WaitUntilAsync(lanes => lanes.Count(lane => lane == (2, PeerLane.Control)) == 2, "the control lane redialled");
        Assert.Single(cluster[1].Connections.Snapshot()); // the bulk lane stayed up
        Assert.True(cluster[2].Transport.IsConnected(1));
        await AssertServesAsync(cluster, 2, 1);
    }

    private static Task<Cluster> StartWithImpersonatedPeerAsync() =>
        Cluster.StartAsync([1, Target], options => options with { Peers = [.. options.Peers, new PeerEndpoint(Impersonated, "127.0.0.1", 1)] });

    /// <summary>Appends from <paramref name="from"/> until its queue to <paramref name="to"/> refuses one; returns how many it took.</summary>
    private static async Task<int> FillUntilRefusedAsync(PeerTransport transport, int from, int to)
    {
        var written = 0;
        var deadline = DateTime.UtcNow + Wait.Timeout;
        for (var context = 0; transport.Statistics.DroppedQueueFull == 0; context++)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out filling the bulk lane");
            var refused = transport.Statistics.DroppedQueueFull;
            transport.Send(to, Frames.Append(from, to, context, entryCount: 1, dataBytes: 60_000, repetitive: false, seed: context));
            transport.Flush();
            written += transport.Statistics.DroppedQueueFull == refused ? 1 : 0;
            await Task.Delay(1); // lets the loop hand the flushed bytes to the socket: the refusal must come from full socket buffers
        }
        return written;
    }

    /// <summary>Stops a channel reading its socket: AutoRead off, and the read requests of the handlers behind it held back.</summary>
    private sealed class ReadGate : ChannelHandlerAdapter
    {
        private IChannelHandlerContext? _context;
        private bool _stalled = true;

        public override bool IsSharable => false;

        public static async Task<ReadGate> StallAsync(IChannel channel)
        {
            var gate = new ReadGate();
            await channel.EventLoop.SubmitAsync(() =>
            {
                channel.Configuration.AutoRead = false;
                channel.Pipeline.AddFirst("read-gate", gate);
                return true;
            });
            return gate;
        }

        public override void HandlerAdded(IChannelHandlerContext context) => _context = context;

        public override void Read(IChannelHandlerContext context)
        {
            if (!_stalled)
            {
                context.Read();
            }
        }

        public Task ReleaseAsync() => _context!.Channel.EventLoop.SubmitAsync(() =>
        {
            _stalled = false;
            _context.Channel.Configuration.AutoRead = true; // asks the socket for a read again
            return true;
        });
    }

    private static async Task AssertServesAsync(Cluster cluster, int to, int from)
    {
        var context = Random.Shared.NextInt64(1000, long.MaxValue);
        cluster[from].Transport.Send(to, Frames.Heartbeat(from, to, context));
        cluster[from].Transport.Flush();
        await cluster[to].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Context == context), "a heartbeat from node " + from);
    }
}
