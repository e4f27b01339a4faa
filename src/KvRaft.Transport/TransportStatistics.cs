using System.Collections.Concurrent;

namespace KvRaft.Transport;

/// <summary>Live, thread-safe counters of a <see cref="PeerTransport"/> (each read is atomic; the set is not a snapshot).</summary>
public sealed class TransportStatistics
{
    private readonly ConcurrentDictionary<int, PeerTraffic> _peers = new(); // one entry per peer id that ever had a connection
    private long _framesSent;
    private long _bytesSent;
    private long _framesReceived;
    private long _bytesReceived;
    private long _droppedDisconnected;
    private long _droppedQueueFull;
    private long _connectionsEstablished;
    private long _reconnects;
    private long _connectAttemptsFailed;
    private long _malformedFrames;
    private long _handshakesRefused;
    private long _blocksCompressed;
    private long _connectionsRefused;
    private long _connectionsAccepted;
    private long _helloTimeouts;
    private long _idleTimeouts;
    private long _keepalivesSent;
    private long _closedForInput;
    private long _tlsRefused;
    private long _unknownGroupFrames;
    private long _shapeMismatches;

    /// <summary>Frames written to a connection (hellos included).</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);
    /// <summary>Bytes of those frames.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    /// <summary>Frames received and accepted.</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);
    /// <summary>Bytes of those frames.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);
    /// <summary>Messages dropped because the peer was not connected (or unknown).</summary>
    public long DroppedDisconnected => Interlocked.Read(ref _droppedDisconnected);
    /// <summary>Messages dropped because the peer's outbound queue was full.</summary>
    public long DroppedQueueFull => Interlocked.Read(ref _droppedQueueFull);
    /// <summary>All dropped messages.</summary>
    public long Dropped => DroppedDisconnected + DroppedQueueFull;
    /// <summary>Peer connections that completed their hello (dialled or accepted).</summary>
    public long ConnectionsEstablished => Interlocked.Read(ref _connectionsEstablished);
    /// <summary>Dialled connections established after an earlier one to the same peer was lost or failed.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);
    /// <summary>Connection attempts that failed.</summary>
    public long ConnectAttemptsFailed => Interlocked.Read(ref _connectAttemptsFailed);
    /// <summary>Connections closed for a frame that failed to decode or parse (oversized, bad version, unknown type, malformed).</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformedFrames);
    /// <summary>Inbound connections closed because their hello was missing or refused (cluster, node, version).</summary>
    public long HandshakesRefused => Interlocked.Read(ref _handshakesRefused);
    /// <summary>Peer connections closed (on either end) because the peer announced another cluster shape (--groups, shards, --peers).</summary>
    public long ShapeMismatches => Interlocked.Read(ref _shapeMismatches);
    /// <summary>Peer connections the host closed because of what came on them (<see cref="PeerTransport.Close"/>).</summary>
    public long ClosedForInput => Interlocked.Read(ref _closedForInput);

    /// <summary>Connections (accepted or dialled) closed because their TLS handshake failed: an untrusted or wrongly named certificate, none, or no TLS.</summary>
    public long TlsRefused => Interlocked.Read(ref _tlsRefused);
    /// <summary>Entry blocks and snapshot chunks sent LZ4-compressed.</summary>
    public long BlocksCompressed => Interlocked.Read(ref _blocksCompressed);

    /// <summary>Inbound connections accepted under the connection limits (before their hello).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);
    /// <summary>Inbound connections closed at once for being over a connection limit.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _connectionsRefused);
    /// <summary>Accepted connections closed for saying no hello within the hello timeout.</summary>
    public long HelloTimeouts => Interlocked.Read(ref _helloTimeouts);
    /// <summary>Live connections closed for receiving no frame within the idle timeout.</summary>
    public long IdleTimeouts => Interlocked.Read(ref _idleTimeouts);
    /// <summary>Keepalive hellos sent on live connections.</summary>
    public long KeepalivesSent => Interlocked.Read(ref _keepalivesSent);

    /// <summary>Group frames dropped because this node hosts no such group (<see cref="IPeerHandler.OnGroupPeerMessage"/>).</summary>
    public long UnknownGroupFrames => Interlocked.Read(ref _unknownGroupFrames);

    /// <summary>Traffic per peer (after the hello: frames on connections whose peer is known), by node id.</summary>
    public IEnumerable<KeyValuePair<int, PeerTraffic>> Peers => _peers;

    internal void FrameSent(int bytes, int nodeId)
    {
        FrameSent(bytes);
        Peer(nodeId).Sent(bytes);
    }

    internal void FrameReceived(int bytes, int nodeId)
    {
        FrameReceived(bytes);
        Peer(nodeId).Received(bytes);
    }

    private PeerTraffic Peer(int nodeId) => _peers.TryGetValue(nodeId, out var traffic) ? traffic : _peers.GetOrAdd(nodeId, static _ => new PeerTraffic());

    internal void FrameSent(int bytes)
    {
        Interlocked.Increment(ref _framesSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void FrameReceived(int bytes)
    {
        Interlocked.Increment(ref _framesReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    internal void DropDisconnected() => Interlocked.Increment(ref _droppedDisconnected);
    internal void DropQueueFull() => Interlocked.Increment(ref _droppedQueueFull);
    internal void ConnectionEstablished() => Interlocked.Increment(ref _connectionsEstablished);
    internal void Reconnected() => Interlocked.Increment(ref _reconnects);
    internal void ConnectAttemptFailed() => Interlocked.Increment(ref _connectAttemptsFailed);
    internal void MalformedFrame() => Interlocked.Increment(ref _malformedFrames);
    internal void ShapeMismatched() => Interlocked.Increment(ref _shapeMismatches);
    internal void HandshakeRefused() => Interlocked.Increment(ref _handshakesRefused);
    internal void TlsHandshakeRefused() => Interlocked.Increment(ref _tlsRefused);
    internal void BlockCompressed() => Interlocked.Increment(ref _blocksCompressed);
    internal void ConnectionRefused() => Interlocked.Increment(ref _connectionsRefused);
    internal void ConnectionAccepted() => Interlocked.Increment(ref _connectionsAccepted);
    internal void HelloTimedOut() => Interlocked.Increment(ref _helloTimeouts);
    internal void IdleTimedOut() => Interlocked.Increment(ref _idleTimeouts);
    internal void KeepaliveSent() => Interlocked.Increment(ref _keepalivesSent);
    internal void ConnectionClosedForInput() => Interlocked.Increment(ref _closedForInput);
    internal void UnknownGroupFrame() => Interlocked.Increment(ref _unknownGroupFrames);

    /// <inheritdoc />
    public override string ToString() =>
        $"sent {FramesSent} frames/{BytesSent} B, received {FramesReceived} frames/{BytesReceived} B, dropped {Dropped} " +
        $"(disconnected {DroppedDisconnected}, queue full {DroppedQueueFull}), " +
        $"connections {ConnectionsEstablished}, reconnects {Reconnects}, failed attempts {ConnectAttemptsFailed}, " +
        $"malformed {MalformedFrames}, refused hellos {HandshakesRefused}, compressed {BlocksCompressed}, " +
        $"refused connections {ConnectionsRefused}, hello timeouts {HelloTimeouts}, idle timeouts {IdleTimeouts}, keepalives {KeepalivesSent}, refused TLS {TlsRefused}, unknown groups {UnknownGroupFrames}, shape mismatches {ShapeMismatches}";
}

/// <summary>Frames and bytes exchanged with one peer (thread-safe counters).</summary>
public sealed class PeerTraffic
{
    private long _framesSent;
    private long _bytesSent;
    private long _framesReceived;
    private long _bytesReceived;

    /// <summary>Frames written to this peer's connection (messages, snapshot chunks, hellos).</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);
    /// <summary>Bytes of those frames.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    /// <summary>Frames received from this peer and accepted.</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);
    /// <summary>Bytes of those frames.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    internal void Sent(int bytes)
    {
        Interlocked.Increment(ref _framesSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void Received(int bytes)
    {
        Interlocked.Increment(ref _framesReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }
}
