// Goal: connections come back after a node restarts on the same port; method: real transports, awaited connect/disconnect events.
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class PeerRecoveryTests
{
    [Theory]
    [InlineData(2, 1)] // the accepting node restarts: node 1 redials with backoff
    [InlineData(1, 2)] // the dialling node restarts: it dials again on start
    public async Task Peers_reconnect_after_a_transport_is_disposed_and_recreated_on_the_same_port(int restarted, int survivor)
    {
        await using var cluster = await Cluster.StartAsync([1, 2]);
        await ExchangeAsync(cluster, 1, 2, context: 1);
        await cluster.StopNodeAsync(restarted);
        await cluster[survivor].Handler.Disconnects.WaitForCountAsync(2, "the survivor to see both lanes' disconnects");
        Assert.False(cluster[survivor].Transport.IsConnected(restarted));

        cluster[survivor].Transport.Send(restarted, Frames.Heartbeat(survivor, restarted, 5)); // dropped: nobody there
        Assert.Equal(1, cluster[survivor].Transport.Statistics.DroppedDisconnected);

        await cluster.StartNodeAsync(restarted);
        await cluster.WaitConnectedAsync(restarted, [survivor]);
        await cluster.WaitConnectedAsync(survivor, [restarted], times: 2);
        await ExchangeAsync(cluster, 1, 2, context: 2);
        if (survivor == 1)
        {
            Assert.True(cluster[1].Transport.Statistics.Reconnects >= 1);
        }
    }

    private static async Task ExchangeAsync(Cluster cluster, int a, int b, long context)
    {
        cluster[a].Transport.Send(b, Frames.Heartbeat(a, b, context));
        cluster[b].Transport.Send(a, Frames.Append(b, a, context, entryCount: 2, dataBytes: 10, repetitive: false));
        cluster[a].Transport.Flush();
        cluster[b].Transport.Flush();
        await cluster[b].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Context == context), $"node {b} to hear {context}");
        await cluster[a].Handler.Messages.WaitUntilAsync(messages => messages.Any(message => message.Context == context), $"node {a} to hear {context}");
    }
}
