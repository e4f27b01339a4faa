// Goal: the peer port bounds what a stranger can hold: connections over the caps are closed at once, a connection that never says hello is closed at the hello timeout, a silent live one at the idle timeout (while keepalives hold a quiet real link open), and nothing before the hello may announce more than a hello's bytes; the node keeps serving its real peer throughout; method: raw sockets against live transports on 127.0.0.1, timeouts on a FakeTimeProvider advanced by the test (the sweep runs inside Advance), waits only on observable events and counters.
using KvRaft.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace KvRaft.Transport.Tests;

public sealed class PeerHygieneTests
{
    // Node 1 is a real peer dialling node 5; node 2 is configured but never runs, so a raw socket can speak as it.
    private const int Real = 1;
    private const int Impersonated = 2;
    private const int Target = 5;
    private const int HelloTimeoutMilliseconds = 5_000;
    private const int IdleTimeoutMilliseconds = 30_000;

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_connection_over_the_before_hello_cap_is_closed_at_once_and_the_node_keeps_serving()
    {
        await using var cluster = await StartAsync(options => options with { HelloPendingConnectionsMax = 2 });
        await using var first = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await using var second = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await Until(() => cluster[Target].Transport.Statistics.ConnectionsAccepted == 4, "the real peer's two lanes and two silent connections accepted");
        await using var third = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        Assert.True(await Wait.For(third.ClosedByRemoteAsync(), "the third silent connection to close"));
        Assert.Equal(1, cluster[Target].Transport.Statistics.ConnectionsRefused);
        await AssertStillServesRealPeerAsync(cluster);
    }

    [Fact]
    public async Task A_connection_over_the_accepted_cap_is_closed_at_once_and_the_node_keeps_serving()
    {
        await using var cluster = await StartAsync(options => options with { AcceptedConnectionsMax = 3, HelloPendingConnectionsMax = 2 });
        await using var first = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await Until(() => cluster[Target].Transport.Statistics.ConnectionsAccepted == 3, "the real peer's two lanes and one silent connection accepted");
        await using var second = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        Assert.True(await Wait.For(second.ClosedByRemoteAsync(), "the connection beyond the cap to close"));
        Assert.Equal(1, cluster[Target].Transport.Statistics.ConnectionsRefused);
        await AssertStillServesRealPeerAsync(cluster);
    }

    [Fact]
    public async Task A_connection_that_never_says_hello_is_closed_at_the_hello_timeout()
    {
        await using var cluster = await StartAsync();
        await using var silent = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await Until(() => cluster[Target].Transport.Statistics.ConnectionsAccepted == 3, "the silent connection accepted (after the real peer's two lanes)");
        _time.Advance(TimeSpan.FromMilliseconds(HelloTimeoutMilliseconds - 1));
        Assert.Equal(0, cluster[Target].Transport.Statistics.HelloTimeouts);
        _time.Advance(TimeSpan.FromMilliseconds(HelloTimeoutMilliseconds / 2));
        Assert.Equal(1, cluster[Target].Transport.Statistics.HelloTimeouts);
        Assert.True(await Wait.For(silent.ClosedByRemoteAsync(), "the silent connection to close"));
        await AssertStillServesRealPeerAsync(cluster);
    }

    [Fact]
    public async Task A_partial_frame_before_the_hello_may_not_announce_more_than_a_hello()
    {
        await using var cluster = await StartAsync();
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        // A legal frame length (16 MiB) and a first MiB of body: before the hello, the transport would have waited for the rest.
        // The node may close while the MiB is still being sent (the send then fails: broken pipe); the close is the claim.
        await raw.SendRefusableAsync(Frames.Raw(length: ProtocolLimits.FrameBytesMax, version: 1, type: (byte)FrameType.PeerHello, bodyBytes: 1 << 20));
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the connection to close"));
        Assert.Equal(1, cluster[Target].Transport.Statistics.MalformedFrames);
        await AssertStillServesRealPeerAsync(cluster);
    }

    [Fact]
    public async Task A_live_connection_that_goes_silent_is_closed_at_the_idle_timeout()
    {
        // Node 5 alone: no real link shares the fake clock's idle timeout.
        await using var cluster = await Cluster.StartAsync([Target], options => Configure(options) with
        {
            Peers = [new PeerEndpoint(Impersonated, "127.0.0.1", 1)],
        });
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync(Frames.Hello(Cluster.ClusterId, Impersonated, Target));
        await cluster.WaitConnectedAsync(Target, [Impersonated]);
        _time.Advance(TimeSpan.FromMilliseconds(IdleTimeoutMilliseconds - 1));
        Assert.Equal(0, cluster[Target].Transport.Statistics.IdleTimeouts);
        _time.Advance(TimeSpan.FromMilliseconds(HelloTimeoutMilliseconds));
        Assert.Equal(1, cluster[Target].Transport.Statistics.IdleTimeouts);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the silent peer connection to close"));
        await cluster[Target].Handler.Disconnects.WaitForCountAsync(1, "the silent peer's disconnect");
    }

    [Fact]
    public async Task Keepalives_hold_a_quiet_real_link_open_past_the_idle_timeout()
    {
        await using var cluster = await StartAsync();
        for (var step = 0; step < 4; step++)
        {
            var received = cluster[Real].Transport.Statistics.FramesReceived;
            var receivedByTarget = cluster[Target].Transport.Statistics.FramesReceived;
            _time.Advance(TimeSpan.FromMilliseconds(IdleTimeoutMilliseconds / 3));
            await Until(() => cluster[Real].Transport.Statistics.FramesReceived > received && cluster[Target].Transport.Statistics.FramesReceived > receivedByTarget,
                "each side's keepalive to arrive");
        }
        Assert.Equal(0, cluster[Real].Transport.Statistics.IdleTimeouts + cluster[Target].Transport.Statistics.IdleTimeouts);
        Assert.Single(cluster[Target].Connections.Snapshot());
        await AssertStillServesRealPeerAsync(cluster);
    }

    private TransportOptions Configure(TransportOptions options) => options with
    {
        Time = _time,
        HelloTimeoutMilliseconds = HelloTimeoutMilliseconds,
        IdleTimeoutMilliseconds = IdleTimeoutMilliseconds,
    };

    private Task<Cluster> StartAsync(Func<TransportOptions, TransportOptions>? configure = null) =>
        Cluster.StartAsync([Real, Target], options => (configure ?? (o => o))(Configure(options) with
        {
            Peers = [.. options.Peers, new PeerEndpoint(Impersonated, "127.0.0.1", 1)],
        }));

    private static async Task AssertStillServesRealPeerAsync(Cluster cluster)
    {
        var context = Random.Shared.NextInt64(1000, long.MaxValue);
        cluster[Real].Transport.Send(Target, Frames.Heartbeat(Real, Target, context));
        cluster[Real].Transport.Flush();
        await cluster[Target].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Context == context), "the real peer's heartbeat");
        Assert.True(cluster[Target].Transport.IsConnected(Real));
    }

    /// <summary>Polls a counter the transport updates on its own threads (no event to wait on), failing after the timeout.</summary>
    internal static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait.Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(5);
        }
    }
}
