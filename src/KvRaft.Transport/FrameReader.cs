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
/// A frame whose length field is above <see cref="FrameBytesMax"/> closes the connection before its body
/// is read, so a connection never holds more than that of a partial frame. While <see cref="PausesDecoding"/>
/// holds, frames already received wait (reading stops too) until <see cref="ResumeDecoding"/>.
/// </summary>
internal abstract class FrameReader : ByteToMessageDecoder
{
    private readonly TimeProvider _time;
    private bool _failed;
    private long _openedTimestamp; // written on the I/O thread; the sweep reads these three (Volatile)
    private long _lastFrameTimestamp;
    private long _partialSinceTimestamp; // 0 while no partial frame is held
    private bool _tlsFailed;

    protected FrameReader(ILogger logger, int frameBytesMax, TimeProvider time)
    {
        Logger = logger;
        FrameBytesMax = frameBytesMax;
        _time = time;
    }

    protected ILogger Logger { get; }

    /// <summary>Largest frame accepted now (a connection may raise it, once the peer has said hello).</summary>
    protected int FrameBytesMax { get; set; }

    /// <summary>When the connection became active (a <see cref="TimeProvider"/> timestamp).</summary>
    internal long OpenedTimestamp => Volatile.Read(ref _openedTimestamp);

    /// <summary>When the last whole frame arrived (or the connection opened).</summary>
    internal long LastFrameTimestamp => Volatile.Read(ref _lastFrameTimestamp);

    /// <summary>Since when the bytes of an incomplete frame have been held; 0 when none are.</summary>
    internal long PartialSinceTimestamp => Volatile.Read(ref _partialSinceTimestamp);

    /// <summary>True while frames must wait (the connection's replies are backed up).</summary>
    protected virtual bool PausesDecoding => false;

    /// <summary>Records the opening time: call first in ChannelActive.</summary>
    protected void MarkOpened()
    {
        var now = _time.GetTimestamp();
        Volatile.Write(ref _openedTimestamp, now);
        Volatile.Write(ref _lastFrameTimestamp, now);
    }

    /// <summary>Decodes the frames that waited while paused (any thread: runs on the channel's loop).</summary>
    internal static void ResumeDecoding(IChannel channel) =>
        channel.EventLoop.Execute(() => channel.Pipeline.FireChannelRead(Unpooled.Empty));

    public override void ChannelReadComplete(IChannelHandlerContext context)
    {
        if (PausesDecoding)
        {
            // The base asks for another read when a read produced no message (ours never do): not while paused.
            context.FireChannelReadComplete();
            return;
        }
        base.ChannelReadComplete(context);
    }

    /// <summary>Handles one frame; a refusal closes the connection.</summary>
    protected abstract ParseResult OnFrame(IChannelHandlerContext context, FrameType type, ReadOnlyMemory<byte> body, int frameBytes);

    /// <summary>Counts a refused frame or hello (called once, before the connection closes).</summary>
    protected abstract void OnRefused(ParseResult error);

    /// <summary>Whether a refusal (counted already) is logged: every one unless a subclass bounds a kind that repeats at each redial.</summary>
    protected virtual bool LogsRefusal(ParseResult error) => true;

    /// <summary>Counts a failed TLS handshake (called once, before the connection closes).</summary>
    protected abstract void OnTlsRefused();

    /// <summary>The TLS handshake succeeded: the other end's certificate passed (see <see cref="TlsSetup"/>).</summary>
    protected virtual void OnTlsEstablished(IChannelHandlerContext context)
    {
    }

    protected override void Decode(IChannelHandlerContext context, IByteBuffer input, List<object> output)
    {
        var now = _time.GetTimestamp();
        while (!_failed && input.IsReadable() && !PausesDecoding)
        {
            var segment = input.GetIoBuffer(input.ReaderIndex, input.ReadableBytes);
            var decoded = FrameDecoder.Decode(segment, FrameBytesMax);
            if (decoded.Status == FrameDecodeStatus.NeedMoreData)
            {
                break;
            }
            var result = decoded.Error;
            IByteBuffer? farewell = null;
            if (decoded.Status == FrameDecodeStatus.Frame)
            {
                Volatile.Write(ref _lastFrameTimestamp, now);
                var body = new ReadOnlyMemory<byte>(segment.Array, segment.Offset + decoded.BodyOffset, decoded.BodyBytes);
                result = OnFrame(context, decoded.Type, body, decoded.ConsumedBytes);
                input.SkipBytes(decoded.ConsumedBytes);
            }
            else
            {
                farewell = Farewell(context, segment, result);
            }
            if (!result.IsOk)
            {
                Refuse(context, result, farewell);
            }
        }
        if (_failed)
        {
            input.SkipBytes(input.ReadableBytes);
        }
        // A partial frame's clock starts when its first bytes wait, and stops when no bytes wait (or they wait on us).
        var partial = input.IsReadable() && !PausesDecoding;
        if (!partial)
        {
            Volatile.Write(ref _partialSinceTimestamp, 0);
        }
        else if (Volatile.Read(ref _partialSinceTimestamp) == 0)
        {
            Volatile.Write(ref _partialSinceTimestamp, now);
        }
    }

    /// <summary>Logs and closes for a timeout or a limit (not a protocol error): any thread.</summary>
    internal void CloseFor(IChannel channel, string reason)
    {
        TransportLog.ConnectionClosed(Logger, channel.RemoteAddress?.ToString() ?? "?", reason);
        _ = channel.CloseAsync();
    }

    /// <summary>
    /// A frame that cannot be read (<paramref name="error"/>, from its header): the one frame to send before the
    /// connection closes, or null. <paramref name="received"/> holds the bytes received so far, the header first.
    /// </summary>
    protected virtual IByteBuffer? Farewell(IChannelHandlerContext context, ArraySegment<byte> received, ParseResult error) => null;

    /// <summary>
    /// Logs, counts and closes: the one way a connection ends for a protocol error. A <paramref name="farewell"/>
    /// frame is written first and the connection closes once it is written (or failed).
    /// </summary>
    protected void Refuse(IChannelHandlerContext context, ParseResult error, IByteBuffer? farewell = null)
    {
        if (_failed)
        {
            farewell?.Release();
            return;
        }
        _failed = true;
        OnRefused(error); // counted before it is logged: whoever sees the log sees the count
        if (LogsRefusal(error))
        {
            TransportLog.FrameRefused(Logger, error.Error, error.Message, context.Channel.RemoteAddress?.ToString() ?? "?");
        }
        if (farewell is null)
        {
            _ = context.CloseAsync();
            return;
        }
        _ = context.WriteAndFlushAsync(farewell).ContinueWith(_ => context.CloseAsync(), TaskScheduler.Default);
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
        if (exception is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset })
        {
            TransportLog.ConnectionReset(Logger, context.Channel.RemoteAddress?.ToString() ?? "?"); // a peer or client that died: no stack
        }
        else
        {
            TransportLog.ConnectionFailed(Logger, context.Channel.RemoteAddress?.ToString() ?? "?", exception);
        }
        _failed = true;
        _ = context.CloseAsync();
    }
}
