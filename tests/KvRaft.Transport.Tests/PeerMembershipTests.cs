// Goal: the transport's peers follow the membership at runtime (SetPeers): a peer added is dialled (or its call accepted)
// and carries messages, a peer removed has its connection closed and its hellos refused, and the peer list is bounded and
// checked. Method: two real transports on 127.0.0.1 started with no peers, recording handlers awaited with timeouts.
namespace KvRaft.Transport.Tests;

public sealed class PeerMembershipTests
{
    [Fact]
    public async Task A_peer_added_at_runtime_is_reached_and_a_peer_removed_is_closed_and_refused()
    {
        var ports = Ports.Free(2);
        var one = new RecordingPeerHandler();
        var two = new RecordingPeerHandler();
        await using var first = new PeerTransport(Options(1, ports[0]), one, new RecordingLogger());
        await using var second = new PeerTransport(Options(2, ports[1]), two, new RecordingLogger());
        var connected = new Recorder<int>();
        first.PeerConnected += connected.Add;
        await first.StartAsync();
        await second.StartAsync();
        Assert.False(first.KnowsPeer(2));

        AssertChanged([1], [], second.SetPeers([new PeerEndpoint(1, "127.0.0.1", ports[0])])); // accepts node 1's call
        AssertChanged([2], [], first.SetPeers([new PeerEndpoint(2, "127.0.0.1", ports[1])])); // dials node 2
        await connected.WaitUntilAsync(ids => ids.Contains(2), "node 1 connected to the peer added at runtime");
        first.Send(2, Frames.Heartbeat(1, 2, context: 7));
        first.Flush();
        Assert.Equal(7, (await two.Messages.WaitForCountAsync(1, "the heartbeat"))[0].Context);

        AssertChanged([], [1], second.SetPeers([]));
        await one.Disconnects.WaitUntilAsync(ids => ids.Contains(2), "node 1 sees the removed peer's connection closed");
        Assert.False(second.KnowsPeer(1));
        Assert.False(second.IsConnected(1));
        var refusedBefore = second.Statistics.HandshakesRefused;
        await WaitUntilAsync(() => second.Statistics.HandshakesRefused > refusedBefore); // node 1 redials; its hello is refused
        Assert.False(second.IsConnected(1));

        AssertChanged([], [2], first.SetPeers([]));
        Assert.False(first.KnowsPeer(2));
    }

    [Fact]
    public async Task SetPeers_refuses_more_peers_than_a_configuration_holds_and_repeated_ids()
    {
        await using var transport = new PeerTransport(Options(1, Ports.Free(1)[0]), new RecordingPeerHandler(), new RecordingLogger());
        var tooMany = Enumerable.Range(2, PeerTransport.PeersMax + 1).Select(id => new PeerEndpoint(id, "127.0.0.1", 1000 + id)).ToList();
        Assert.Throws<ArgumentException>(() => transport.SetPeers(tooMany));
        Assert.Throws<ArgumentException>(() => transport.SetPeers([new PeerEndpoint(2, "127.0.0.1", 1), new PeerEndpoint(2, "127.0.0.1", 2)]));
        AssertChanged([2], [], transport.SetPeers([new PeerEndpoint(2, "127.0.0.1", 1), new PeerEndpoint(1, "127.0.0.1", 9)])); // itself left out
        AssertChanged([2], [2], transport.SetPeers([new PeerEndpoint(2, "127.0.0.1", 3)])); // a new address replaces the peer
    }

    private static void AssertChanged(int[] added, int[] removed, (int[] Added, int[] Removed) actual)
    {
        Assert.Equal(added, actual.Added);
        Assert.Equal(removed, actual.Removed);
    }

    private static TransportOptions Options(int id, int port) => new()
    {
        LocalNodeId = id,
        ClusterId = Cluster.ClusterId,
        ListenHost = "127.0.0.1",
        ListenPort = port,
        Peers = [],
        ReconnectDelayMinMilliseconds = 20,
        ReconnectDelayMaxMilliseconds = 200,
    };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait.Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10); // polling transport counters: no event to wait on
        }
    }
}
