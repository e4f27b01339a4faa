using System.Buffers;
using System.Net.Sockets;
using KvRaft.Protocol;

namespace KvRaft.Client;

internal sealed partial class Connection
{
    /// <summary>Drains every request queued so far into one buffer and sends it with one socket write.</summary>
    private async Task WriteLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            var reader = _outbox.Reader;
            // No token: a cancellable wait costs a new waiter each time; Close completes the queue, which ends the wait.
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var (length, frames) = FillBatch(ref buffer);
                if (length > 0)
                {
                    await SendAllAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                    _counters.CountWrite(frames);
                }
            }
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Close(error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private (int Length, int Frames) FillBatch(ref byte[] buffer)
    {
        int length = 0, frames = 0;
        while (length < BatchBytesTarget && _outbox.Reader.TryRead(out var queued))
        {
            var request = queued.Request;
            if (!request.TryBeginWrite(queued.Generation))
            {
                continue; // abandoned before it was written (and maybe reused since): it never reaches the server
            }
            try
            {
                var size = ClientRequestCodec.FrameSize(request.GroupId, request.Request);
                Grow(ref buffer, length, length + size);
                length += ClientRequestCodec.FormatFrame(request.GroupId, request.Request, buffer.AsSpan(length));
                frames++;
            }
            finally
            {
                request.EndWrite(); // its caller, abandoning it, waits for this
            }
        }
        return (length, frames);
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        if (_tls is not null)
        {
            await _tls.WriteAsync(bytes, _closing.Token).ConfigureAwait(false);
            return;
        }
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, _closing.Token).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads answers, splits them into frames and completes the matching requests.</summary>
    private async Task ReadLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                var decoded = FrameDecoder.Decode(buffer.AsSpan(start, end - start));
                if (decoded.Status == FrameDecodeStatus.Frame)
                {
                    Deliver(decoded, buffer.AsMemory(start, decoded.ConsumedBytes));
                    start += decoded.ConsumedBytes;
                    continue;
                }
                if (decoded.Status == FrameDecodeStatus.Error)
                {
                    throw new InvalidDataException("bad frame from " + Endpoint + ": " + decoded.Error);
                }
                (start, end) = MakeRoom(ref buffer, start, end, decoded.NeededBytes);
                var received = _tls is null
                    ? await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, _closing.Token).ConfigureAwait(false)
                    : await _tls.ReadAsync(buffer.AsMemory(end), _closing.Token).ConfigureAwait(false);
                if (received == 0)
                {
                    throw new IOException("connection to " + Endpoint + " closed by the server");
                }
                end += received;
                _receives++; // this loop alone writes it; the silence check reads it
            }
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ObjectDisposedException or IOException or InvalidDataException
            or System.Security.Authentication.AuthenticationException)
        {
            Close(error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Deliver(FrameDecodeResult decoded, ReadOnlyMemory<byte> frame)
    {
        if (decoded.Type != FrameType.ClientResponse)
        {
            throw new InvalidDataException("unexpected frame type " + decoded.Type + " from " + Endpoint);
        }
        var parsed = ClientResponseCodec.Parse(decoded.Body(frame), out var response);
        if (!parsed.IsOk)
        {
            throw new InvalidDataException("bad response from " + Endpoint + ": " + parsed);
        }
        Complete(response);
    }

    /// <summary>Moves the unread bytes to the front and grows the buffer so that <paramref name="neededBytes"/> more fit.</summary>
    private static (int Start, int End) MakeRoom(ref byte[] buffer, int start, int end, int neededBytes)
    {
        var unread = end - start;
        if (start > 0)
        {
            buffer.AsSpan(start, unread).CopyTo(buffer);
        }
        Grow(ref buffer, unread, unread + Math.Max(neededBytes, 4096));
        return (0, unread);
    }
}
