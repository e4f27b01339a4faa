using DotNetty.Transport.Channels;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>One live, hello-checked connection to a peer (one of its two lanes), with its outbound queue.</summary>
internal sealed class PeerConnection
{
    private static long _lastId;

    public PeerConnection(int nodeId, PeerLane lane, IChannel channel, int queueBytesMax)
    {
        Id = Interlocked.Increment(ref _lastId);
        NodeId = nodeId;
        Lane = lane;
        Channel = channel;
        Queue = new OutboundQueue(channel, queueBytesMax);
    }

    /// <summary>Which of the pair's connections this is.</summary>
    public PeerLane Lane { get; }

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
/// This node's end of the two connections to a peer, one per <see cref="PeerLane"/>. The node with the lower id dials
/// both; the higher accepts. <see cref="Attach"/> installs a new connection in its lane and closes the one it replaces
/// (a dialler that restarted, or a half-open connection not yet noticed).
/// </summary>
internal sealed class PeerLink
{
    private PeerConnection? _connection; // the bulk lane
    private PeerConnection? _control;

    public PeerLink(PeerEndpoint endpoint, bool dials)
    {
        Endpoint = endpoint;
        Dials = dials;
    }

    public PeerEndpoint Endpoint { get; }

    public int NodeId => Endpoint.NodeId;

    /// <summary>True when this node dials the peer (its id is lower); false when it waits for the peer's call.</summary>
    public bool Dials { get; }

    /// <summary>The bulk lane's connection: the peer counts as connected while it is open.</summary>
    public PeerConnection? Connection => Volatile.Read(ref _connection);

    /// <summary>The control lane's connection (null until its hello; an old peer refuses it, and control traffic then goes on the bulk lane).</summary>
    public PeerConnection? Control => Volatile.Read(ref _control);

    /// <summary>Stops this link's dial loop (null: it does not dial, or its loop has not started).</summary>
    public CancellationTokenSource? Dialing { get; set; }

    /// <summary>Set once the peer was removed: a connection that attaches afterwards is closed.</summary>
    public bool Removed
    {
        get => Volatile.Read(ref _removed);
        set => Volatile.Write(ref _removed, value);
    }

    private bool _removed;

    public void Attach(PeerConnection connection) => Interlocked.Exchange(ref Slot(connection.Lane), connection)?.Close();

    /// <summary>Removes <paramref name="connection"/> if it is still the current one of its lane; true when it was.</summary>
    public bool Detach(PeerConnection connection) => Interlocked.CompareExchange(ref Slot(connection.Lane), null, connection) == connection;

    /// <summary>Closes both lanes' connections (what they had queued is dropped).</summary>
    public void Close()
    {
        Connection?.Close();
        Control?.Close();
    }

    /// <summary>The lane's connection for <paramref name="lane"/> if open, else the bulk lane's (which may be null).</summary>
    public PeerConnection? Route(PeerLane lane) => lane == PeerLane.Control && Control is { IsOpen: true } control ? control : Connection;

    /// <summary>The open connection of either lane named <paramref name="connectionId"/>, or null.</summary>
    public PeerConnection? Find(long connectionId) =>
        Connection is { } bulk && bulk.Id == connectionId ? bulk : Control is { } control && control.Id == connectionId ? control : null;

    private ref PeerConnection? Slot(PeerLane lane) => ref lane == PeerLane.Control ? ref _control : ref _connection;
}
