using DotNetty.Transport.Channels;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>
/// The pipeline handler of one peer connection (of either lane: the hello names it). A dialled connection sends its hello as soon as it
/// is active (with TLS: once the handshake verified the peer's certificate) and is then live; an accepted one is
/// live once the first frame, a hello, passes <see cref="PeerHelloCodec.Check"/>, names a peer that dials this node
/// and (with TLS) the node its certificate names, and answers it with its own hello (so each side learns the
/// other's client address). Until then a frame may be at most <see cref="HelloFrameBytesMax"/>, and the hello must
/// come within the hello timeout. After that only PeerMessage (From = the peer, To = this node), SnapshotChunk and
/// PeerHello frames (the accepting side's answer, then keepalives; each checked like the first) are accepted; a hello
/// announcing another cluster shape (<see cref="PeerHelloCodec.CheckShape"/>) is refused on either end, the accepting
/// end answering it with its own hello first so that both ends log what differs; a
/// live connection that receives no frame for the idle timeout is closed (see <see cref="PeerTransport"/>'s sweep).
/// </summary>
internal sealed partial class PeerChannelHandler : FrameReader
{
    /// <summary>Largest frame before the hello: a hello is a few dozen bytes (room left for more fields).</summary>
    public const int HelloFrameBytesMax = 4096;

    private readonly PeerTransport _transport;
    private readonly PeerLane _dialledLane;
    private PeerLink? _link;
    private PeerConnection? _connection;
    private bool _refusingHello;
    private int _shapeRefusedPeer; // the peer whose hello announced another cluster shape
    private int _accepted; // 1 while counted as an accepted connection; 2 once also past its hello (loop thread)

    /// <param name="transport">The owning transport.</param>
    /// <param name="dialledLink">The link this connection was dialled for, or null for an accepted connection.</param>
    /// <param name="dialledLane">The lane a dialled connection is for (an accepted one learns its lane from the hello).</param>
    public PeerChannelHandler(PeerTransport transport, PeerLink? dialledLink, PeerLane dialledLane = PeerLane.Bulk)
        : base(transport.Logger, dialledLink is null ? HelloFrameBytesMax : ProtocolLimits.FrameBytesMax, transport.Options.Time)
    {
        _transport = transport;
        _link = dialledLink;
        _dialledLane = dialledLane;
    }

    /// <summary>True once the connection is live (dialled, or accepted with a good hello).</summary>
    internal bool IsLive => Volatile.Read(ref _connection) is not null;

    internal IChannel? Channel { get; private set; }

    public override void ChannelActive(IChannelHandlerContext context)
    {
        MarkOpened();
        Channel = context.Channel;
        _transport.Channels.Add(context.Channel);
        if (_link is null)
        {
            if (!_transport.TryAccept(this))
            {
                CloseFor(context.Channel, "over the peer connection limit");
                base.ChannelActive(context);
                return;
            }
            _accepted = 1;
        }
        _transport.Register(this);
        if (_link is not null && TlsSetup.PeerOf(context.Channel) is null)
        {
            Greet(context);
        }
        base.ChannelActive(context);
    }

    protected override void OnTlsEstablished(IChannelHandlerContext context)
    {
        if (_link is not null && _connection is null)
        {
            Greet(context);
        }
    }

    /// <summary>A dialled connection: sends the hello and goes live.</summary>
    private void Greet(IChannelHandlerContext context)
    {
        // Attached before the hello goes out, so that a peer that saw the hello finds this end ready to send (what is sent
        // meanwhile is flushed by a later task on this loop: after the hello).
        var link = _link!;
        Volatile.Write(ref _connection, new PeerConnection(link.NodeId, _dialledLane, context.Channel, _transport.QueueBytesMax(_dialledLane)));
        _transport.Attached(link, _connection!, "dialled");
        SendHello(context, link.NodeId, _dialledLane);
    }

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        _transport.Channels.Remove(context.Channel);
        _transport.Unregister(this, _accepted);
        _accepted = 0;
        if (_link is not null && _connection is not null)
        {
            _transport.Detached(_link, _connection);
        }
        base.ChannelInactive(context);
    }

    protected override ParseResult OnFrame(IChannelHandlerContext context, FrameType type, ReadOnlyMemory<byte> body, int frameBytes)
    {
        if (_connection is null)
        {
            return OnHello(context, type, body, frameBytes);
        }
        var result = type switch
        {
            FrameType.PeerHello => OnLiveHello(body),
            FrameType.PeerMessage => OnMessage(body),
            FrameType.SnapshotChunk => OnChunk(body),
            FrameType.GroupPeerMessage => OnGroupMessage(body),
            FrameType.GroupSnapshotChunk => OnGroupChunk(body),
            _ => ParseResult.Fail(ProtocolError.UnknownType, "frame type not allowed on a peer connection after the hello"),
        };
        if (result.IsOk)
        {
            _transport.Statistics.FrameReceived(frameBytes, _connection.NodeId);
        }
        return result;
    }

    protected override void OnTlsRefused() => _transport.Statistics.TlsHandshakeRefused();

    protected override bool LogsRefusal(ParseResult error) =>
        error.Error != ProtocolError.ShapeMismatch || _transport.LogsShapeMismatch(_shapeRefusedPeer);

    protected override void OnRefused(ParseResult error)
    {
        if (error.Error == ProtocolError.ShapeMismatch)
        {
            _transport.Statistics.ShapeMismatched(); // the dialling end refuses the answer on a live connection: not malformed
        }
        if (_refusingHello)
        {
            _transport.Statistics.HandshakeRefused();
        }
        else if (error.Error != ProtocolError.ShapeMismatch)
        {
            _transport.Statistics.MalformedFrame();
        }
    }

    private ParseResult OnHello(IChannelHandlerContext context, FrameType type, ReadOnlyMemory<byte> body, int frameBytes)
    {
        var result = CheckHello(type, body, out var link, out var hello);
        if (result.IsOk && TlsSetup.PeerOf(context.Channel) is { } tls && !PeerIdentity.Names(tls.Names ?? [], link.NodeId))
        {
            result = ParseResult.Fail(ProtocolError.WrongNode, $"peer hello from node {link.NodeId} over TLS with a certificate that names {string.Join(", ", tls.Names ?? [])}, not {PeerIdentity.NameOf(link.NodeId)}");
        }
        if (result.IsOk)
        {
            result = PeerHelloCodec.CheckShape(hello, _transport.Options.Shape);
            if (!result.IsOk)
            {
                _shapeRefusedPeer = link.NodeId;
                SendHello(context, link.NodeId, hello.Lane); // the dialler sees the difference too, and logs it from its side
            }
        }
        if (!result.IsOk)
        {
            _refusingHello = true;
            return result;
        }
        _transport.Statistics.FrameReceived(frameBytes);
        Announced(hello); // only once the hello (and with TLS the certificate's name) passed
        _link = link;
        FrameBytesMax = ProtocolLimits.FrameBytesMax;
        _transport.HelloReceived();
        _accepted = 2;
        var queueBytesMax = _transport.QueueBytesMax(hello.Lane);
        ChannelSetup.SetWriteBufferBytesMax(context.Channel, queueBytesMax); // set for the bulk lane when accepted
        Volatile.Write(ref _connection, new PeerConnection(link.NodeId, hello.Lane, context.Channel, queueBytesMax));
        _transport.Attached(link, _connection!, "accepted");
        SendHello(context, link.NodeId, hello.Lane);
        return ParseResult.Ok;
    }

    private void SendHello(IChannelHandlerContext context, int toNodeId, PeerLane lane)
    {
        var frame = OutboundQueue.Encode<PeerHelloFrame, PeerHello>(context.Allocator, _transport.HelloTo(toNodeId, lane));
        _transport.Statistics.FrameSent(frame.ReadableBytes);
        _ = context.WriteAndFlushAsync(frame);
    }

    /// <summary>A hello on a live connection (the accepting side's answer, or a keepalive): checked like the first.</summary>
    private ParseResult OnLiveHello(ReadOnlyMemory<byte> body)
    {
        var result = PeerHelloCodec.Parse(body.Span, out var hello);
        if (result.IsOk)
        {
            result = PeerHelloCodec.Check(hello, _transport.Options.ClusterId, _transport.Options.LocalNodeId);
        }
        if (result.IsOk && hello.FromNodeId != _link!.NodeId)
        {
            result = ParseResult.Fail(ProtocolError.WrongNode, $"hello from node {hello.FromNodeId} on the connection of node {_link.NodeId}");
        }
        if (result.IsOk && hello.Lane != _connection!.Lane)
        {
            result = ParseResult.Fail(ProtocolError.Malformed, $"hello naming the {hello.Lane} lane on a connection of the {_connection.Lane} lane");
        }
        if (result.IsOk)
        {
            result = PeerHelloCodec.CheckShape(hello, _transport.Options.Shape);
            _shapeRefusedPeer = _link!.NodeId;
        }
        if (result.IsOk)
        {
            Announced(hello);
        }
        return result;
    }

    private void Announced(in PeerHello hello)
    {
        if (hello.ClientAddress is { } address)
        {
            _transport.Handler.OnPeerClientAddress(hello.FromNodeId, address);
        }
    }

    private ParseResult CheckHello(FrameType type, ReadOnlyMemory<byte> body, out PeerLink link, out PeerHello announced)
    {
        link = null!;
        announced = default;
        if (type != FrameType.PeerHello)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "the first frame on a peer connection must be a PeerHello");
        }
        var result = PeerHelloCodec.Parse(body.Span, out var hello);
        if (result.IsOk)
        {
            result = PeerHelloCodec.Check(hello, _transport.Options.ClusterId, _transport.Options.LocalNodeId);
        }
        if (!result.IsOk)
        {
            return result;
        }
        var found = _transport.FindLink(hello.FromNodeId);
        if (found is null || found.Dials)
        {
            return ParseResult.Fail(ProtocolError.WrongNode, "peer hello from a node that is not a peer with a lower id");
        }
        link = found;
        announced = hello;
        return ParseResult.Ok;
    }

    private ParseResult OnMessage(ReadOnlyMemory<byte> body)
    {
        var result = ParseMessage(body, out var message);
        if (result.IsOk)
        {
            _transport.Handler.OnPeerMessage(_connection!.Sender, message);
        }
        return result;
    }

    private ParseResult ParseMessage(ReadOnlyMemory<byte> body, out PeerMessage message)
    {
        message = default;
        var result = PeerMessageCodec.Parse(body, out var parsed);
        if (!result.IsOk)
        {
            return result;
        }
        if (parsed.From != _link!.NodeId || parsed.To != _transport.Options.LocalNodeId)
        {
            return ParseResult.Fail(ProtocolError.WrongNode, "peer message From/To do not match the connection's nodes");
        }
        return Owned.Message(parsed, out message);
    }

    private ParseResult OnChunk(ReadOnlyMemory<byte> body)
    {
        var result = ParseChunk(body, out var chunk);
        if (result.IsOk)
        {
            _transport.Handler.OnSnapshotChunk(_connection!.Sender, chunk);
        }
        return result;
    }

    private static ParseResult ParseChunk(ReadOnlyMemory<byte> body, out SnapshotChunk chunk)
    {
        chunk = default;
        var result = SnapshotChunkCodec.Parse(body, out var parsed);
        return result.IsOk ? Owned.Chunk(parsed, out chunk) : result;
    }
}
