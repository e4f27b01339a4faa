using System.Buffers.Binary;
using DotNetty.Buffers;
using DotNetty.Transport.Channels;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>The pipeline handler of one client connection: ClientRequest and GroupClientRequest frames only.</summary>
internal sealed class ClientChannelHandler : FrameReader
{
    private readonly ClientListener _listener;
    private ClientConnection? _connection;
    private readonly RequestBodyArena _bodies = new(); // copies of the bodies handed on (their keys and values own them)

    public ClientChannelHandler(ClientListener listener)
        : base(listener.Logger, listener.Options.FrameBytesMax, listener.Options.Time)
    {
        _listener = listener;
    }

    internal IChannel? Channel { get; private set; }

    internal ClientConnection? Connection => _connection;

    protected override bool PausesDecoding => _connection?.ReadsPaused ?? false;

    public override void ChannelActive(IChannelHandlerContext context)
    {
        MarkOpened();
        Channel = context.Channel;
        _listener.Channels.Add(context.Channel);
        _connection = _listener.TryOpen(context.Channel);
        if (_connection is null)
        {
            _ = context.CloseAsync();
        }
        else
        {
            _listener.Register(this);
        }
        base.ChannelActive(context);
    }

    public override void ChannelWritabilityChanged(IChannelHandlerContext context)
    {
        _connection?.MaybeResume();
        base.ChannelWritabilityChanged(context);
    }

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        _listener.Unregister(this);
        _listener.Channels.Remove(context.Channel);
        if (_connection is not null)
        {
            _connection.Close();
            _listener.Closed(_connection);
        }
        base.ChannelInactive(context);
    }

    protected override ParseResult OnFrame(IChannelHandlerContext context, FrameType type, ReadOnlyMemory<byte> body, int frameBytes)
    {
        if (_connection is null)
        {
            return ParseResult.Ok; // refused connection, closing: ignore what it sent
        }
        var groupId = 0;
        if (type == FrameType.GroupClientRequest)
        {
            var split = GroupFrameCodec.Split(body, out groupId, out body);
            if (!split.IsOk || groupId == 0)
            {
                return split.IsOk ? ParseResult.Fail(ProtocolError.Malformed, "group 0 travels in plain ClientRequest frames") : split;
            }
        }
        else if (type != FrameType.ClientRequest)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "only ClientRequest and GroupClientRequest frames are accepted on a client connection");
        }
        // The request is parsed from its copy in the arena (not one array per request): its keys and values then own their memory.
        var result = ClientRequestCodec.Parse(_bodies.Copy(body.Span), out var request);
        if (result.IsOk)
        {
            _listener.Statistics.RequestReceived();
            _connection.RequestArrived();
            if (groupId == 0)
            {
                _listener.Handler.OnClientRequest(_connection, request);
            }
            else
            {
                _listener.Handler.OnGroupClientRequest(_connection, groupId, request);
            }
        }
        else if (result.Error == ProtocolError.TooLarge && ClientRequestCodec.TryReadHead(body.Span, out var requestId, out var op))
        {
            // A whole frame with a key or value over its limit: the stream is intact, so the request is answered
            // TooLarge (never proposed) and the connection stays open.
            _listener.Statistics.RequestTooLarge();
            _connection.RequestArrived();
            _connection.Reply(TooLarge(requestId, op, "request refused: " + result.Message + SizeLimitsText));
            _connection.Flush();
            return ParseResult.Ok;
        }
        return result;
    }

    /// <summary>
    /// A frame longer than the limit is refused from its header; when its request id and op have arrived, it is
    /// answered TooLarge before the connection closes (the rest of the frame is never read).
    /// </summary>
    protected override IByteBuffer? Farewell(IChannelHandlerContext context, ArraySegment<byte> received, ParseResult error)
    {
        var headBytes = received.Count >= FrameHeader.Bytes && received[5] == (byte)FrameType.GroupClientRequest
            ? FrameHeader.Bytes + GroupFrameCodec.GroupIdBytes
            : FrameHeader.Bytes;
        if (_connection is null || error.Error != ProtocolError.TooLarge || received.Count < headBytes
            || received[5] is not ((byte)FrameType.ClientRequest or (byte)FrameType.GroupClientRequest)
            || !ClientRequestCodec.TryReadHead(received.AsSpan(headBytes), out var requestId, out var op))
        {
            return null;
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(received);
        var message = $"request refused: its frame has {length} bytes, above the limit of {_listener.Options.FrameBytesMax}; the connection closes";
        _listener.Statistics.RequestTooLarge();
        return OutboundQueue.Encode<ClientResponseFrame, ClientResponse>(context.Allocator, TooLarge(requestId, op, message));
    }

    private static readonly string SizeLimitsText = $" (keys at most {ProtocolLimits.KeyBytesMax} bytes, values at most {ProtocolLimits.ValueBytesMax})";

    private static ClientResponse TooLarge(ulong requestId, ClientOp op, string message) =>
        new() { RequestId = requestId, Op = op, Status = ClientStatus.TooLarge, Message = message };

    protected override void OnRefused(ParseResult error) => _listener.Statistics.MalformedFrame();

    protected override void OnTlsRefused() => _listener.Statistics.TlsHandshakeRefused();
}
