// Goal: a link relay copies frames both ways unchanged; a cut both ways closes its connections and refuses new ones until healed; a one-way cut drops whole frames that way only (the hello passes) and the other way still works; a side that stops reading stops the relay within its bounded buffer and nothing is lost; disposal closes everything; method: one relay on 127.0.0.1 between test sockets standing for two nodes, byte-exact reads, the relay's counters.
using System.Net.Sockets;
using KvRaft.LocalCluster;
using KvRaft.Protocol;

namespace KvRaft.Loadgen.Tests;

public sealed class LinkRelayTests
{
    private static readonly byte[] Hello = TestFrames.Make(FrameType.PeerHello, 20, 1);

    [Fact]
    public async Task Frames_pass_both_ways_unchanged()
    {
        using var target = new RelayTarget();
        await using var relay = Start(target);
        (var dialler, var node) = await target.ConnectThroughAsync(relay.Port);
        var sent = TestFrames.Concat(Hello, TestFrames.Make(FrameType.PeerMessage, 100_000, 2), TestFrames.Make(FrameType.SnapshotChunk, 0, 0));
        await dialler.SendAsync(sent);
        Assert.Equal(sent, await target.ReadAsync(node, sent.Length));
        var answer = TestFrames.Make(FrameType.PeerMessage, 50, 3);
        await node.SendAsync(answer);
        Assert.Equal(answer, await target.ReadAsync(dialler, answer.Length));
        Assert.Equal(0, relay.Statistics.FramesDropped);
    }

    [Fact]
    public async Task A_cut_both_ways_closes_open_connections_and_refuses_new_ones_until_healed()
    {
        using var target = new RelayTarget();
        await using var relay = Start(target);
        (var dialler, var node) = await target.ConnectThroughAsync(relay.Port);
        await dialler.SendAsync(Hello);
        await target.ReadAsync(node, Hello.Length);

        relay.SetCuts(forward: true, backward: true);
        Assert.True(await target.IsClosedAsync(dialler));
        Assert.True(await target.IsClosedAsync(node));
        Assert.Equal(1, relay.Statistics.ConnectionsClosedByCut);

        var refused = await target.ConnectAsync(relay.Port); // the kernel completes it; the relay closes it at once
        Assert.True(await target.IsClosedAsync(refused));
        await target.WaitUntilAsync(() => relay.Statistics.ConnectionsRefused == 1);

        relay.SetCuts(forward: false, backward: false);
        (var again, var nodeAgain) = await target.ConnectThroughAsync(relay.Port);
        await again.SendAsync(Hello);
        Assert.Equal(Hello, await target.ReadAsync(nodeAgain, Hello.Length));
        await target.WaitUntilAsync(() => relay.OpenConnections == 1);
    }

    [Fact]
    public async Task A_one_way_cut_drops_whole_frames_that_way_only_and_lets_the_hello_through()
    {
        using var target = new RelayTarget();
        await using var relay = Start(target);
        relay.SetCuts(forward: true, backward: false);
        (var dialler, var node) = await target.ConnectThroughAsync(relay.Port);
        byte[] first = TestFrames.Make(FrameType.PeerMessage, 70_000, 7), second = TestFrames.Make(FrameType.PeerMessage, 10, 8);
        await dialler.SendAsync(TestFrames.Concat(Hello, first, second));
        Assert.Equal(Hello, await target.ReadAsync(node, Hello.Length));
        var back = TestFrames.Make(FrameType.PeerMessage, 30, 9);
        await node.SendAsync(back);
        Assert.Equal(back, await target.ReadAsync(dialler, back.Length));
        await target.WaitUntilAsync(() => relay.Statistics.FramesDropped == 2);

        relay.SetCuts(forward: false, backward: false); // healed: what comes next arrives, what was dropped never does
        var third = TestFrames.Make(FrameType.PeerMessage, 40, 10);
        await dialler.SendAsync(third);
        Assert.Equal(third, await target.ReadAsync(node, third.Length));
        Assert.Equal(0, relay.Statistics.ConnectionsClosedByCut);
    }

    [Fact]
    public async Task A_side_that_stops_reading_stops_the_relay_within_its_buffer_and_nothing_is_lost()
    {
        const int socketBufferBytes = 4096;
        using var target = new RelayTarget(receiveBufferBytes: socketBufferBytes);
        await using var relay = Start(target, new RelayOptions { SocketBufferBytes = socketBufferBytes });
        var dialler = await target.ConnectAsync(relay.Port, sendBufferBytes: socketBufferBytes);
        var node = await target.AcceptAsync(); // it reads nothing for now
        byte[] stream = [.. Enumerable.Range(0, 128).SelectMany(i => TestFrames.Make(FrameType.PeerMessage, 65_530, (byte)i))];

        dialler.Blocking = false;
        var accepted = 0;
        while (true)
        {
            var sent = dialler.Send(stream, accepted, Math.Min(65_536, stream.Length - accepted), SocketFlags.None, out var error);
            accepted += error == SocketError.Success ? sent : 0;
            Assert.True(error is SocketError.Success or SocketError.WouldBlock, $"send failed: {error}");
            Assert.True(accepted < stream.Length, "the relay took the whole stream from a sender whose receiver reads nothing");
            if (error == SocketError.WouldBlock && relay.WritesWaiting > 0)
            {
                break; // stalled: the relay waits to write and reads no more
            }

            if (error == SocketError.WouldBlock)
            {
                await Task.Delay(10, target.Deadline); // the relay is still filling its side
            }
        }
        Assert.True(accepted < 1024 * 1024, $"{accepted} bytes were taken in while nobody read: the relay holds 64 KiB per direction");

        var received = await target.ReadAsync(node, accepted); // the receiver reads again: everything taken in arrives, unchanged
        Assert.True(stream.AsSpan(0, accepted).SequenceEqual(received), "the stream arrived changed");
    }

    [Fact]
    public async Task Disposal_closes_every_connection_and_the_listener()
    {
        using var target = new RelayTarget();
        var relay = Start(target);
        (var first, _) = await target.ConnectThroughAsync(relay.Port);
        (var second, _) = await target.ConnectThroughAsync(relay.Port);
        await target.WaitUntilAsync(() => relay.OpenConnections == 2);
        await relay.DisposeAsync();
        Assert.Equal(0, relay.OpenConnections);
        Assert.True(await target.IsClosedAsync(first));
        Assert.True(await target.IsClosedAsync(second));
        await Assert.ThrowsAsync<SocketException>(() => target.ConnectAsync(relay.Port));
    }

    private static LinkRelay Start(RelayTarget target, RelayOptions? options = null)
    {
        var relay = new LinkRelay(1, 2, target.EndPoint, seed: 1, options);
        relay.Start();
        return relay;
    }
}
