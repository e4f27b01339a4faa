// Goal: a peer connection that breaks the protocol (bad hello, garbage, oversized, unknown or misplaced frames) is closed alone, logged and counted; method: raw sockets against a live transport that keeps serving a real peer.
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class PeerRefusalTests
{
    // Node 1 is a real peer dialling node 5; node 2 is configured but never runs, so a raw socket can speak as it.
    private const int Real = 1;
    private const int Impersonated = 2;
    private const int Target = 5;

    public static TheoryData<string, byte[]> BadHellos => new()
    {
        { "another cluster", Frames.Hello(Cluster.ClusterId + 1, Impersonated, Target) },
        { "addressed to another node", Frames.Hello(Cluster.ClusterId, Impersonated, 4) },
        { "from an unknown node", Frames.Hello(Cluster.ClusterId, 3, Target) },
        { "from a peer this node dials", Frames.Hello(Cluster.ClusterId, 9, Target) },
        { "a message instead of a hello", Frames.Message(Frames.Heartbeat(Impersonated, Target, 1)) },
    };

    public static TheoryData<string, byte[]> BadFrames => new()
    {
        { "length below 2", Frames.Raw(length: 1, version: 1, type: 2, bodyBytes: 8) },
        { "oversized", Frames.Raw(length: ProtocolLimits.FrameBytesMax + 1, version: 1, type: 2, bodyBytes: 0) },
        { "bad version", Frames.Raw(length: 60, version: 2, type: 2, bodyBytes: 58) },
        { "unknown type", Frames.Raw(length: 60, version: 1, type: 99, bodyBytes: 58) },
        { "client frame on a peer connection", Frames.Request(new ClientRequest { RequestId = 1, Op = ClientOp.Status }) },
        { "malformed message body", Frames.WithByte(Frames.Message(Frames.Heartbeat(Impersonated, Target, 1)), 6, 200) },
        { "message from another node", Frames.Message(Frames.Heartbeat(Real, Target, 1)) },
        { "LZ4 entries block that is not LZ4", Frames.Message(Frames.Heartbeat(Impersonated, Target, 1) with { Entries = EntryList.FromCompressed(new byte[64], 1, 1000) }) },
        { "LZ4 entries block claiming more than it holds", Frames.Message(Frames.Heartbeat(Impersonated, Target, 1) with { Entries = EntryList.FromCompressed(Lz4Of(new byte[100]), 1, 200) }) },
        { "LZ4 snapshot chunk that is not LZ4", Frames.Chunk(new SnapshotChunk { Compressed = true, UncompressedBytes = 4096, Payload = new byte[64] }) },
    };

    private static byte[] Lz4Of(byte[] data)
    {
        var target = new byte[K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(data.Length)];
        return target[..K4os.Compression.LZ4.LZ4Codec.Encode(data, target)];
    }

    [Theory]
    [MemberData(nameof(BadHellos))]
    public async Task A_refused_hello_closes_that_connection_and_delivers_nothing(string what, byte[] hello)
    {
        await using var cluster = await StartAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync([.. hello, .. Frames.Message(Frames.Heartbeat(Impersonated, Target, 42))]);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the server to close the connection"), what);
        Assert.Equal(1, cluster[Target].Transport.Statistics.HandshakesRefused);
        await cluster[Target].Logger.WaitForErrorAsync("Closing connection");
        await AssertStillServesRealPeerAsync(cluster);
        Assert.DoesNotContain(cluster[Target].Handler.Messages.Snapshot(), message => message.Context == 42);
    }

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_bad_frame_after_a_good_hello_closes_only_that_connection(string what, byte[] frame)
    {
        await using var cluster = await StartAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync([.. Frames.Hello(Cluster.ClusterId, Impersonated, Target), .. frame]);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the server to close the connection"), what);
        Assert.Equal(1, cluster[Target].Transport.Statistics.MalformedFrames);
        await cluster[Target].Logger.WaitForErrorAsync("Closing connection");
        await cluster[Target].Handler.Disconnects.WaitForCountAsync(1, "the impersonated peer's disconnect");
        await AssertStillServesRealPeerAsync(cluster);
    }

    [Theory]
    [InlineData("garbage", new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, 0x01, 0x01 })]
    [InlineData("zero length", new byte[] { 0, 0, 0, 0, 0, 0 })]
    public async Task Garbage_before_any_hello_closes_that_connection(string what, byte[] garbage)
    {
        await using var cluster = await StartAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync(garbage);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the server to close the connection"), what);
        Assert.Equal(1, cluster[Target].Transport.Statistics.MalformedFrames);
        await AssertStillServesRealPeerAsync(cluster);
    }

    [Fact]
    public async Task A_transport_of_another_cluster_never_gets_a_message_through()
    {
        await using var cluster = await StartAsync();
        var options = new TransportOptions
        {
            LocalNodeId = Impersonated,
            ClusterId = Cluster.ClusterId + 1,
            ListenHost = "127.0.0.1",
            ListenPort = 0,
            Peers = [new PeerEndpoint(Target, "127.0.0.1", cluster.PortOf(Target))],
        };
        var stranger = new RecordingPeerHandler();
        await using (var transport = new PeerTransport(options, stranger, new RecordingLogger()))
        {
            await transport.StartAsync();
            await cluster[Target].Logger.WaitForErrorAsync("ClusterMismatch");
            transport.Send(Target, Frames.Heartbeat(Impersonated, Target, 42));
            transport.Flush();
        }
        await AssertStillServesRealPeerAsync(cluster);
        Assert.DoesNotContain(cluster[Target].Handler.Messages.Snapshot(), message => message.From == Impersonated);
        Assert.False(cluster[Target].Transport.IsConnected(Impersonated));
    }

    private static Task<Cluster> StartAsync() =>
        Cluster.StartAsync([Real, Target], options => options with
        {
            Peers = [.. options.Peers, new PeerEndpoint(Impersonated, "127.0.0.1", 1), new PeerEndpoint(9, "127.0.0.1", 1)],
        });

    private static async Task AssertStillServesRealPeerAsync(Cluster cluster)
    {
        var context = Random.Shared.NextInt64(1000, long.MaxValue);
        cluster[Real].Transport.Send(Target, Frames.Heartbeat(Real, Target, context));
        cluster[Real].Transport.Flush();
        await cluster[Target].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Context == context), "the real peer's heartbeat");
        Assert.True(cluster[Target].Transport.IsConnected(Real));
    }
}
