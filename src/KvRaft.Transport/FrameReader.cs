using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Handlers.Tls;
using DotNetty.Transport.Channels;
using KvRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace KvRaft.Transport;

/// <summary>
/// Splits a connection's byte stream into frames with <see cref="FrameDecoder"/> and hands each
/// body (a view of the pooled receive buffer, valid only during the call) to <see cref="OnFrame"/>.
/// A frame that fails to decode or that <see cref="OnFrame"/> refuses closes this connection, with
/// the error logged; the bytes after it are discarded (no resynchronisation inside a stream).
/// </summary>
internal abstract class FrameReader : ByteToMessageDecoder
{
    private readonly int _frameBytesMax;
    private bool _failed;
    private bool _tlsFailed;

    protected FrameReader(ILogger logger, int frameBytesMax)
    {
        Logger = logger;
        _frameBytesMax = frameBytesMax;
    }

    protected ILogger Logger { get; }

    /// <summary>Handles one frame; a refusal closes the connection.</summary>
    protected abstract ParseResult OnFrame(IChannelHandlerContext context, FrameType type, ReadOnlyMemory<byte> body, int frameBytes);

    /// <summary>Counts a refused frame or hello (called once, before the connection closes).</summary>
    protected abstract void OnRefused(ParseResult error);

    /// <summary>Counts a failed TLS handshake (called once, before the connection closes).</summary>
    protected abstract void OnTlsRefused();

    /// <summary>The TLS handshake succeeded: the other end's certificate passed (see <see cref="TlsSetup"/>).</summary>
    protected virtual void OnTlsEstablished(IChannelHandlerContext context)
    {
    }

    protected override void Decode(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        while (!_failed && input.IsReadable())
        {
            var segment = input.GetIoBuffer(input.ReaderIndex, input.ReadableBytes);
            var decoded = FrameDecoder.Decode(segment, _frameBytesMax);
            if (decoded.Status == FrameDecodeStatus.NeedMoreData)
            {
                return;
            }
            var result = decoded.Error;
            if (decoded.Status == FrameDecodeStatus.Frame)
            {
                var body = new ReadOnlyMemory<byte>(segment.Array, segment.Offset + decoded.BodyOffset, decoded.BodyBytes);
                result = OnFrame(context, decoded.Type, body, decoded.ConsumedBytes);
                input.SkipBytes(decoded.ConsumedBytes);
            }
            if (!result.IsOk)
            {
                Refuse(context, result);
            }
        }
        if (_failed)
        {
            input.SkipBytes(input.ReadableBytes);
        }
    }

    /// <summary>Logs, counts and closes: the one way a connection ends for a protocol error.</summary>
    protected void Refuse(IChannelHandlerContext context, ParseResult error)
    {
        if (_failed)
        {
            return;
        }
        _failed = true;
        OnRefused(error); // counted before it is logged: whoever sees the log sees the count
        TransportLog.FrameRefused(Logger, error.Error, error.Message, context.Channel.RemoteAddress?.ToString() ?? "?");
        _ = context.CloseAsync();
    }

    public override void UserEventTriggered(IChannelHandlerContext context, object evt)
    {
        if (evt is TlsHandshakeCompletionEvent handshake)
        {
            if (handshake.IsSuccessful)
            {
                OnTlsEstablished(context);
            }
            else
            {
                RefuseTls(context, handshake.Exception);
            }
        }
        base.UserEventTriggered(context, evt);
    }

    /// <summary>Logs (once, with the certificate check's reason when there is one), counts and closes.</summary>
    private void RefuseTls(IChannelHandlerContext context, Exception? error)
    {
        if (_tlsFailed || _failed)
        {
            return;
        }
        _tlsFailed = _failed = true;
        var reason = TlsSetup.PeerOf(context.Channel)?.Refusal
            ?? (error is NotSslRecordException ? "not a TLS record (plain TCP on a TLS port?)" : error?.GetBaseException().Message ?? "closed during the handshake");
        OnTlsRefused();
        TransportLog.TlsRefused(Logger, context.Channel.RemoteAddress?.ToString() ?? "?", reason);
        _ = context.CloseAsync();
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
    {
        if (exception is NotSslRecordException)
        {
            RefuseTls(context, exception); // its message dumps the bytes received: not logged
            return;
        }
        if (_tlsFailed)
        {
            _ = context.CloseAsync(); // the TLS handler failing after its handshake failed: already logged
            return;
        }
        TransportLog.ConnectionFailed(Logger, context.Channel.RemoteAddress?.ToString() ?? "?", exception);
        _failed = true;
        _ = context.CloseAsync();
    }
}
