// Goal: the host can close one peer connection on which it refused input (PeerTransport.Close): that connection
// alone closes, a stale name closes nothing, and the other peers are served on; method: a raw socket speaks as a
// configured peer to a live transport that also serves a real peer, the test closes it by the sender it was handed.
namespace KvRaft.Transport.Tests;

public sealed class PeerCloseTests
{
    private const int Real = 1;
    private const int Impersonated = 2;
    private const int Target = 5;

    [Fact]
    public async Task Close_closes_the_connection_the_input_came_on_and_only_it()
    {
        await using var cluster = await Cluster.StartAsync([Real, Target], options => options with
        {
            Peers = [.. options.Peers, new PeerEndpoint(Impersonated, "127.0.0.1", 1)],
        });
        await using var raw = await RawConnection.ConnectAsync(cluster.PortOf(Target));
        await raw.SendAsync([.. Frames.Hello(Cluster.ClusterId, Impersonated, Target), .. Frames.Message(Frames.Heartbeat(Impersonated, Target, 42))]);
        var senders = await cluster[Target].Handler.Senders.WaitUntilAsync(s => s.Any(sender => sender.NodeId == Impersonated), "the impersonated peer's message");
        var sender = senders.Single(s => s.NodeId == Impersonated);

        Assert.False(cluster[Target].Transport.Close(sender with { ConnectionId = sender.ConnectionId + 1000 })); // names no live connection
        Assert.True(cluster[Target].Transport.Close(sender));

        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the transport to close the connection"));
        Assert.Equal(1, cluster[Target].Transport.Statistics.ClosedForInput);
        await cluster[Target].Handler.Disconnects.WaitForCountAsync(1, "the impersonated peer's disconnect");
        Assert.False(cluster[Target].Transport.Close(sender)); // closed already
        var context = Random.Shared.NextInt64(1000, long.MaxValue);
        cluster[Real].Transport.Send(Target, Frames.Heartbeat(Real, Target, context));
        cluster[Real].Transport.Flush();
        await cluster[Target].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Context == context), "the real peer's heartbeat");
    }
}
