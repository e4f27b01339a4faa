using DotNetty.Transport.Channels;
using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>The pipeline handler of one client connection: ClientRequest frames only.</summary>
internal sealed class ClientChannelHandler : FrameReader
{
    private readonly ClientListener _listener;
    private ClientConnection? _connection;

    public ClientChannelHandler(ClientListener listener)
        : base(listener.Logger, listener.Options.FrameBytesMax)
    {
        _listener = listener;
    }

    public override void ChannelActive(IChannelHandlerContext context)
    {
        _listener.Channels.Add(context.Channel);
        _connection = _listener.TryOpen(context.Channel);
        if (_connection is null)
        {
            _ = context.CloseAsync();
        }
        base.ChannelActive(context);
    }

    public override void ChannelInactive(IChannelHandlerContext context)
    {
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
        if (type != FrameType.ClientRequest)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "only ClientRequest frames are accepted on a client connection");
        }
        // The request is parsed from its own copy: its keys and values then own their memory.
        var result = ClientRequestCodec.Parse(body.ToArray(), out var request);
        if (result.IsOk)
        {
            _listener.Statistics.RequestReceived();
            _listener.Handler.OnClientRequest(_connection, request);
        }
        return result;
    }

    protected override void OnRefused(ParseResult error) => _listener.Statistics.MalformedFrame();

    protected override void OnTlsRefused() => _listener.Statistics.TlsHandshakeRefused();
}
