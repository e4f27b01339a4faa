// Goal: a flood of client requests never drops a peer event or a disconnect, and a client request finding its queue full is refused (so it can be answered Retryable); method: fill the queues of a NodeEventQueues directly, nothing draining, then check what is accepted and in which order a turn takes it.
using KvRaft.Protocol;
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class NodeEventQueuesTests
{
    private const int Capacity = 64;

    [Fact]
    public void A_client_flood_does_not_drop_peer_events_or_disconnects()
    {
        var queues = new NodeEventQueues(Capacity, Capacity);
        var refused = 0;
        for (var i = 0; i < 10 * Capacity; i++)
        {
            if (!queues.TryPost(ClientRequest(i)))
            {
                refused++;
            }
        }
        Assert.Equal(9 * Capacity, refused); // a full client queue refuses: the feeder answers Retryable

        for (var i = 0; i < Capacity; i++)
        {
            Assert.True(queues.TryPost(new NodeEvent { Kind = NodeEventKind.PeerMessage, PeerMessage = new PeerMessage { Type = PeerMessageType.Heartbeat, From = 2, To = 1, Context = i } }));
        }
        for (var i = 0; i < 4 * Capacity; i++)
        {
            Assert.True(queues.TryPost(new NodeEvent { Kind = NodeEventKind.ClientDisconnected, ConnectionId = i }));
        }
        Assert.True(queues.TryPost(new NodeEvent { Kind = NodeEventKind.PeerDisconnected, NodeId = 3 }));
        Assert.Equal(0, queues.PeerEventsDropped);

        List<NodeEventKind> order = [];
        while (queues.TryTakeControl(out var item))
        {
            order.Add(item.Kind);
        }

        while (queues.TryTakePeer(out var item))
        {
            order.Add(item.Kind);
        }

        while (queues.TryTakeClient(out var item))
        {
            order.Add(item.Kind);
        }

        Assert.Equal(4 * Capacity + 1, order.Count(kind => kind is NodeEventKind.ClientDisconnected or NodeEventKind.PeerDisconnected));
        Assert.Equal(Capacity, order.Count(kind => kind == NodeEventKind.PeerMessage));
        Assert.Equal(Capacity, order.Count(kind => kind == NodeEventKind.ClientRequest));
        Assert.False(queues.HasPending);
    }

    [Fact]
    public void A_peer_flood_drops_only_peer_events_and_counts_them()
    {
        var queues = new NodeEventQueues(Capacity, Capacity);
        for (var i = 0; i < 2 * Capacity; i++)
        {
            queues.TryPost(new NodeEvent { Kind = NodeEventKind.SnapshotChunk, NodeId = 2 });
        }
        Assert.Equal(Capacity, queues.PeerEventsDropped);
        Assert.True(queues.TryPost(ClientRequest(1)));
        Assert.True(queues.TryPost(new NodeEvent { Kind = NodeEventKind.Persisted }));
    }

    private static NodeEvent ClientRequest(int i) =>
        new() { Kind = NodeEventKind.ClientRequest, ConnectionId = i, Request = new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Status } };
}
