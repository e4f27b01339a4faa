using DotNetty.Buffers;
using DotNetty.Transport.Channels;

namespace KvRaft.Transport;

/// <summary>What became of a frame handed to an <see cref="OutboundQueue"/>.</summary>
internal enum WriteOutcome : byte
{
    Written = 0,
    Closed = 1,
    Full = 2,
}

/// <summary>
/// The frames written to one channel and not yet flushed. Writers (any thread) format frames
/// straight into pooled batch buffers under a lock; <see cref="Flush"/> schedules one task on the
/// channel's event loop that hands every batch to the channel and flushes once. Bounded: a frame
/// that would take the unflushed bytes past the limit is refused (<see cref="WriteOutcome.Full"/>),
/// and so is one that finds the channel itself over its high-water mark (peer queues) or that would
/// take unflushed plus flushed-but-unsent bytes past the limit (client queues, whose high-water mark
/// only pauses reading).
/// </summary>
internal sealed class OutboundQueue
{
    private const int BatchBytes = 128 * 1024;

    private readonly IChannel _channel;
    private readonly IByteBufferAllocator _allocator;
    private readonly long _bytesMax;
    private readonly Lock _lock = new();
    private readonly List<IByteBuffer> _full = [];
    private readonly List<IByteBuffer> _writing = [];
    private readonly Action _flushOnLoop;
    private readonly bool _boundsSentBytes;
    private readonly Action? _afterFlush;
    private IByteBuffer? _current;
    private long _pendingBytes;
    private bool _flushScheduled;
    private bool _closed;

    /// <param name="channel">The channel written to.</param>
    /// <param name="bytesMax">The bound on pending bytes.</param>
    /// <param name="boundsSentBytes">True: the bound covers unflushed plus flushed-but-unsent bytes; false: unflushed bytes, and the channel must be writable.</param>
    /// <param name="afterFlush">Run on the loop after each flush.</param>
    public OutboundQueue(IChannel channel, long bytesMax, bool boundsSentBytes = false, Action? afterFlush = null)
    {
        _channel = channel;
        _allocator = channel.Allocator;
        _bytesMax = bytesMax;
        _boundsSentBytes = boundsSentBytes;
        _afterFlush = afterFlush;
        _flushOnLoop = FlushOnLoop;
    }

    /// <summary>Bytes written and not yet flushed, plus (client queues) bytes flushed and not yet on the socket.</summary>
    public long PendingBytes
    {
        get
        {
            lock (_lock)
            {
                return _pendingBytes + SentPendingBytes();
            }
        }
    }

    private long SentPendingBytes() => _channel.Unsafe.OutboundBuffer?.TotalPendingWriteBytes() ?? 0;

    /// <summary>Formats <paramref name="value"/> into the unflushed batch.</summary>
    public WriteOutcome Write<TFormat, T>(in T value, out int frameBytes) where TFormat : IFrameFormat<T>
    {
        frameBytes = TFormat.FrameSize(value);
        lock (_lock)
        {
            if (_closed)
            {
                return WriteOutcome.Closed;
            }
            var full = _boundsSentBytes
                ? _pendingBytes + SentPendingBytes() + frameBytes > _bytesMax
                : _pendingBytes + frameBytes > _bytesMax || !_channel.IsWritable;
            if (full)
            {
                return WriteOutcome.Full;
            }
            var buffer = Reserve(frameBytes);
            Format<TFormat, T>(value, buffer, frameBytes);
            _pendingBytes += frameBytes;
            return WriteOutcome.Written;
        }
    }

    /// <summary>Schedules one flush of everything written so far (no-op when nothing is pending or a flush is already scheduled).</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_closed || _flushScheduled || _pendingBytes == 0)
            {
                return;
            }
            _flushScheduled = true;
        }
        _channel.EventLoop.Execute(_flushOnLoop);
    }

    /// <summary>Refuses further writes and releases the unflushed buffers.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (var buffer in _full)
            {
                buffer.Release();
            }
            _full.Clear();
            _current?.Release();
            _current = null;
            _pendingBytes = 0;
        }
    }

    /// <summary>A pooled buffer holding exactly one frame (for frames written outside a queue, like the hello).</summary>
    public static IByteBuffer Encode<TFormat, T>(IByteBufferAllocator allocator, in T value) where TFormat : IFrameFormat<T>
    {
        var frameBytes = TFormat.FrameSize(value);
        var buffer = allocator.HeapBuffer(frameBytes);
        Format<TFormat, T>(value, buffer, frameBytes);
        return buffer;
    }

    private static void Format<TFormat, T>(in T value, IByteBuffer buffer, int frameBytes) where TFormat : IFrameFormat<T>
    {
        var segment = buffer.GetIoBuffer(buffer.WriterIndex, frameBytes);
        var written = TFormat.FormatFrame(value, segment.AsSpan());
        KvRaft.Invariant.True(written == frameBytes, written);
        buffer.SetWriterIndex(buffer.WriterIndex + frameBytes);
    }

    private IByteBuffer Reserve(int frameBytes)
    {
        if (_current is { } current && current.Capacity - current.WriterIndex >= frameBytes)
        {
            return current;
        }
        if (_current is not null)
        {
            _full.Add(_current);
        }
        _current = _allocator.HeapBuffer(Math.Max(BatchBytes, frameBytes));
        return _current;
    }

    private void FlushOnLoop()
    {
        lock (_lock)
        {
            _flushScheduled = false;
            if (_closed)
            {
                return;
            }
            _writing.AddRange(_full);
            _full.Clear();
            if (_current is not null)
            {
                _writing.Add(_current);
                _current = null;
            }
            _pendingBytes = 0;
        }
        foreach (var buffer in _writing)
        {
            _ = _channel.WriteAsync(buffer);
        }
        _writing.Clear();
        _channel.Flush();
        _afterFlush?.Invoke();
    }

}
