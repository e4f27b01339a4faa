// Goal: the fake server's per-connection loop. Method: read what arrived, handle every whole frame, answer the chunk's requests in one write (shuffled on request).
using System.Net.Sockets;
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

internal sealed partial class FakeServer
{
    private async Task ServeAsync(Socket socket, int connection)
    {
        var buffer = new byte[4 << 20];
        var end = 0;
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, _stop.Token);
                if (received == 0)
                {
                    return;
                }
                end += received;
                var replies = new List<ClientResponse>();
                var (consumed, drop) = HandleFrames(buffer, end, connection, replies);
                buffer.AsSpan(consumed, end - consumed).CopyTo(buffer);
                end -= consumed;
                if (drop)
                {
                    return;
                }
                await SendAsync(socket, replies);
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _sockets.TryRemove(connection, out _);
            socket.Dispose();
        }
    }

    /// <summary>Handles every whole frame in buffer[0..end); returns the bytes consumed and whether to drop the connection.</summary>
    private (int Consumed, bool Drop) HandleFrames(byte[] buffer, int end, int connection, List<ClientResponse> replies)
    {
        var start = 0;
        while (true)
        {
            var decoded = FrameDecoder.Decode(buffer.AsSpan(start, end - start));
            if (decoded.Status == FrameDecodeStatus.Error)
            {
                throw new InvalidOperationException("the client sent a bad frame: " + decoded.Error);
            }
            if (decoded.Status == FrameDecodeStatus.NeedMoreData)
            {
                return (start, false);
            }
            var body = decoded.Body(buffer.AsMemory(start, decoded.ConsumedBytes));
            var group = 0;
            if (decoded.Type == FrameType.GroupClientRequest)
            {
                Assert.True(GroupFrameCodec.Split(body, out group, out body).IsOk);
                Assert.NotEqual(0, group);
            }
            else
            {
                Assert.Equal(FrameType.ClientRequest, decoded.Type);
            }
            var parsed = ClientRequestCodec.Parse(body, out var request);
            Assert.True(parsed.IsOk, parsed.ToString());
            start += decoded.ConsumedBytes;
            var reply = Handle(group, request, connection, replies);
            if (reply.Action is FakeAction.Drop or FakeAction.ApplyThenDrop)
            {
                return (start, true);
            }
        }
    }

    private async Task SendAsync(Socket socket, List<ClientResponse> replies)
    {
        if (replies.Count == 0)
        {
            return;
        }
        if (ShuffleReplies)
        {
            var shuffled = replies.ToArray();
            Random.Shared.Shuffle(shuffled);
            replies = [.. shuffled];
        }
        var bytes = new byte[replies.Sum(reply => ClientResponseCodec.FrameSize(reply))];
        var length = 0;
        foreach (var reply in replies)
        {
            length += ClientResponseCodec.FormatFrame(reply, bytes.AsSpan(length));
        }
        var sent = 0;
        while (sent < length)
        {
            sent += await socket.SendAsync(bytes.AsMemory(sent, length - sent), SocketFlags.None, _stop.Token);
        }
    }
}
