// Goal: input still queued from a peer connection that closed (or whose input was refused) is dropped, so that a turn,
// which takes the close (a control event) before the peer events queued ahead of it, never hands a node a dead leader's
// last Append after the node learnt of the death (nor, with two lanes per peer, its last heartbeat on the other lane);
// the input of the peer's next connection is kept. Method: the event
// queues and the filter the hosts use, driven as a turn drives them (control events first, then peer events).
using KvRaft.Protocol;
using KvRaft.Server.Hosting;

namespace KvRaft.Server.Tests.Hosting;

public sealed class PeerConnectionFilterTests
{
    private const int Leader = 2;

    [Fact]
    public void A_dead_leaders_append_queued_before_its_close_is_dropped_after_the_close_and_its_next_connection_is_kept()
    {
        var queues = new NodeEventQueues(64, 64);
        Assert.True(queues.TryPost(Append(connection: 7, index: 10)));
        Assert.True(queues.TryPost(new NodeEvent { Kind = NodeEventKind.PeerDisconnected, NodeId = Leader, ConnectionId = 7 }));
        Assert.True(queues.TryPost(Append(connection: 8, index: 11)));
        var filter = new PeerConnectionFilter();

        Assert.True(queues.TryTakeControl(out var close)); // a turn takes the close first, ahead of the Append sent before it
        Assert.Equal(NodeEventKind.PeerDisconnected, close.Kind);
        filter.DropRest(close.NodeId, close.ConnectionId);
        List<long> handled = [];
        while (queues.TryTakePeer(out var item))
        {
            if (!filter.Drops(item))
            {
                handled.Add(item.PeerMessage.Index);
            }
        }

        Assert.Equal([11L], handled);
        Assert.Equal(1, filter.DroppedEvents);
    }

    [Fact]
    public void A_dead_leaders_input_on_both_lanes_is_dropped_after_both_closes_and_its_next_connections_are_kept()
    {
        var filter = new PeerConnectionFilter();
        filter.DropRest(Leader, 7); // the bulk lane's close
        filter.DropRest(Leader, 9); // the control lane's close
        filter.DropRest(Leader, 9); // reported again (refused, then closed): still two connections remembered

        Assert.True(filter.Drops(Append(connection: 7, index: 10)));
        Assert.True(filter.Drops(Append(connection: 9, index: 10) with { PeerMessage = new PeerMessage { Type = PeerMessageType.Heartbeat, From = Leader, To = 1, Term = 3 } }));
        Assert.False(filter.Drops(Append(connection: 10, index: 11)));
        Assert.False(filter.Drops(Append(connection: 11, index: 11)));
        Assert.Equal(2, filter.DroppedEvents);
    }

    [Fact]
    public void The_input_of_a_refused_connection_is_dropped_and_other_peers_input_is_kept()
    {
        var filter = new PeerConnectionFilter();
        filter.DropRest(Leader, 5);

        Assert.True(filter.Drops(Append(connection: 5, index: 1)));
        Assert.False(filter.Drops(Append(connection: 6, index: 2)));
        Assert.False(filter.Drops(Append(connection: 5, index: 3) with { NodeId = 3 }));
        filter.DropRest(Leader, 0); // names no connection: nothing changes
        Assert.True(filter.Drops(Append(connection: 5, index: 4)));
    }

    private static NodeEvent Append(long connection, long index) => new()
    {
        Kind = NodeEventKind.PeerMessage,
        NodeId = Leader,
        ConnectionId = connection,
        PeerMessage = new PeerMessage { Type = PeerMessageType.Append, From = Leader, To = 1, Term = 3, Index = index },
    };
}
