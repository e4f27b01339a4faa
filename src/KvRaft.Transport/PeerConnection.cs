using DotNetty.Transport.Channels;

namespace KvRaft.Transport;

/// <summary>One live, hello-checked connection to a peer, with its outbound queue.</summary>
internal sealed class PeerConnection
{
    private static long _lastId;

    public PeerConnection(int nodeId, IChannel channel, int queueBytesMax)
    {
        Id = Interlocked.Increment(ref _lastId);
        NodeId = nodeId;
        Channel = channel;
        Queue = new OutboundQueue(channel, queueBytesMax);
    }

    /// <summary>Unique among the connections of this process: names the connection input came on.</summary>
    public long Id { get; }

    public int NodeId { get; }

    /// <summary>The peer and this connection, as handed to the <see cref="IPeerHandler"/>.</summary>
    public PeerSender Sender => new(NodeId, Id);

    public IChannel Channel { get; }

    public OutboundQueue Queue { get; }

    public bool IsOpen => Channel.Active;

    /// <summary>Drops what is unflushed and closes the socket.</summary>
    public void Close()
    {
        Queue.Close();
        _ = Channel.CloseAsync();
    }
}

/// <summary>
/// This node's end of the one connection to a peer. The node with the lower id dials; the higher
/// accepts. <see cref="Attach"/> installs a new connection and closes the one it replaces (a
/// dialler that restarted, or a half-open connection not yet noticed).
/// </summary>
internal sealed class PeerLink
{
    private PeerConnection? _connection;

    public PeerLink(PeerEndpoint endpoint, bool dials)
    {
        Endpoint = endpoint;
        Dials = dials;
    }

    public PeerEndpoint Endpoint { get; }

    public int NodeId => Endpoint.NodeId;

    /// <summary>True when this node dials the peer (its id is lower); false when it waits for the peer's call.</summary>
    public bool Dials { get; }

    public PeerConnection? Connection => Volatile.Read(ref _connection);

    /// <summary>Stops this link's dial loop (null: it does not dial, or its loop has not started).</summary>
    public CancellationTokenSource? Dialing { get; set; }

    /// <summary>Set once the peer was removed: a connection that attaches afterwards is closed.</summary>
    public bool Removed
    {
        get => Volatile.Read(ref _removed);
        set => Volatile.Write(ref _removed, value);
    }

    private bool _removed;

    public void Attach(PeerConnection connection) => Interlocked.Exchange(ref _connection, connection)?.Close();

    /// <summary>Removes <paramref name="connection"/> if it is still the current one; true when it was.</summary>
    public bool Detach(PeerConnection connection) => Interlocked.CompareExchange(ref _connection, null, connection) == connection;
}
