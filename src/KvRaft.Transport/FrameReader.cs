using DotNetty.Buffers;
using DotNetty.Codecs;
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
            IByteBuffer? farewell = null;
            if (decoded.Status == FrameDecodeStatus.Frame)
            {
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
        TransportLog.FrameRefused(Logger, error.Error, error.Message, context.Channel.RemoteAddress?.ToString() ?? "?");
        OnRefused(error);
        if (farewell is null)
        {
            _ = context.CloseAsync();
            return;
        }
        _ = context.WriteAndFlushAsync(farewell).ContinueWith(_ => context.CloseAsync(), TaskScheduler.Default);
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
    {
        TransportLog.ConnectionFailed(Logger, context.Channel.RemoteAddress?.ToString() ?? "?", exception);
        _failed = true;
        _ = context.CloseAsync();
    }
}
