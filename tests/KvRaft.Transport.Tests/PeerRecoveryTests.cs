// Goal: connections come back after a node restarts on the same port, and the fault injector's drops and delays take effect; method: real transports, awaited connect/disconnect events.
using System.Diagnostics;
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
        await cluster[survivor].Handler.Disconnects.WaitForCountAsync(1, "the survivor to see the disconnect");
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

    [Fact]
    public async Task Fault_injector_drops_and_delays_messages_as_decided()
    {
        var faults = new ScriptedFaults(FaultDecision.Drop, FaultDecision.Delay(300), FaultDecision.Deliver, FaultDecision.Deliver);
        await using var cluster = await Cluster.StartAsync([1, 2], options => options with { Faults = options.LocalNodeId == 1 ? faults : null });
        var sender = cluster[1].Transport;
        var clock = Stopwatch.StartNew();
        for (var context = 1; context <= 3; context++)
        {
            sender.Send(2, Frames.Heartbeat(1, 2, context));
        }
        sender.Flush();
        var received = await cluster[2].Handler.Messages.WaitForCountAsync(2, "the delivered and the delayed heartbeat");
        Assert.True(clock.ElapsedMilliseconds >= 290, "the delayed message waited its delay");
        Assert.Equal([3L, 2L], received.Select(message => message.Context)); // the delayed one overtaken

        sender.Send(2, Frames.Heartbeat(1, 2, 4)); // sent after the delayed one arrived: anything else sent earlier would be here by now
        sender.Flush();
        received = await cluster[2].Handler.Messages.WaitForCountAsync(3, "the last heartbeat");
        Assert.Equal([3L, 2L, 4L], received.Select(message => message.Context));
        Assert.Equal(1, sender.Statistics.DroppedByFault);
        Assert.Equal(1, sender.Statistics.DelayedByFault);
        Assert.Equal([(1, 2), (1, 2), (1, 2), (1, 2)], faults.Asked);
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

    /// <summary>Answers from a script, in order, then Deliver; records who asked.</summary>
    private sealed class ScriptedFaults(params FaultDecision[] script) : IFaultInjector
    {
        private readonly Queue<FaultDecision> _script = new(script);

        public List<(int From, int To)> Asked { get; } = [];

        public FaultDecision Decide(int fromNodeId, int toNodeId)
        {
            lock (_script)
            {
                Asked.Add((fromNodeId, toNodeId));
                return _script.TryDequeue(out var decision) ? decision : FaultDecision.Deliver;
            }
        }
    }
}
