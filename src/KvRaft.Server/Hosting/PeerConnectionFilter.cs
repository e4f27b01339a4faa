namespace KvRaft.Server.Hosting;

/// <summary>
/// Which peer input still queued for the event loop is dropped unread: per peer, the input of the last two connections
/// on which the node refused input (it is being closed) or that closed (two: a peer has a connection per lane, bulk and
/// control, and a death closes both). A closed connection's queued messages all arrived
/// before its close, but the close is a control event, which a turn takes before the peer events: handled after it, a
/// killed leader's last Append made a follower that had just learnt of the death count on the dead leader again for a
/// whole election timeout (and forget the pre-votes it had deferred), which cost up to half a second of failover.
/// Dropping them is what a network may do to any message; Raft retransmits what matters.
/// </summary>
internal sealed class PeerConnectionFilter
{
    private readonly Dictionary<int, (long Newest, long Previous)> _dropped = new(); // peer node id → the connections whose queued input is dropped

    /// <summary>Peer events dropped so far (loop thread only).</summary>
    public long DroppedEvents { get; private set; }

    /// <summary>The rest of the input of connection <paramref name="connectionId"/> of <paramref name="nodeId"/> is dropped (0 names none).</summary>
    public void DropRest(int nodeId, long connectionId)
    {
        if (connectionId == 0)
        {
            return;
        }

        var newest = _dropped.GetValueOrDefault(nodeId).Newest;
        if (newest != connectionId)
        {
            _dropped[nodeId] = (connectionId, newest);
        }
    }

    /// <summary>True (and counted) when <paramref name="item"/>, a peer event, came on a connection whose input is dropped.</summary>
    public bool Drops(in NodeEvent item)
    {
        if (!_dropped.TryGetValue(item.NodeId, out var connections) || (connections.Newest != item.ConnectionId && connections.Previous != item.ConnectionId))
        {
            return false;
        }

        DroppedEvents++;
        return true;
    }
}
