// Goal: a client cannot make the listener hold memory without bound: one that never reads its replies is throttled (reading and handing on requests stop) instead of growing pending replies, and is served in full once it reads; one that sends part of a frame and stalls is closed at the partial-frame timeout; method: raw sockets against a live listener whose handler answers every request at once with a large reply, the timeout on a FakeTimeProvider advanced by the test.
using KvRaft.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace KvRaft.Transport.Tests;

public sealed class ClientHygieneTests
{
    [Fact]
    public async Task A_client_that_never_reads_its_replies_is_throttled_and_then_served_in_full()
    {
        const int count = 2000;
        const int replyBytes = 64 * 1024; // 2000 replies: 128 MiB, 16 times the bound on pending replies
        var handler = new AnsweringHandler(replyBytes);
        var options = new ClientListenerOptions { PendingResponseBytesMax = 8 << 20, PauseReadingResponseBytes = 256 << 10 };
        await using var listener = new ClientListener("127.0.0.1", 0, handler, new RecordingLogger(), options);
        await listener.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        var requests = Enumerable.Range(1, count).SelectMany(i => Frames.Request(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Get, Key = new byte[] { 1 } })).ToArray();
        await raw.SendAsync(requests); // about 40 KiB: all of it reaches the listener at once

        await PeerHygieneTests.Until(() => listener.Statistics.ReadsPaused >= 1, "reading to pause");
        Assert.True(handler.Received < count, $"all {count} requests were handed on while the replies were backed up");

        var replies = await Wait.For(raw.ReadFramesAsync(count), "every reply once the client reads");
        Assert.Equal(Enumerable.Range(1, count).Select(i => (ulong)i), replies.Select(reply => Parse(reply.Body).RequestId));
        Assert.Equal(0, listener.Statistics.SlowClientsClosed);
        Assert.Equal(count, handler.Received);
        Assert.True(handler.PendingBytesPeak <= options.PendingResponseBytesMax, $"pending replies reached {handler.PendingBytesPeak} bytes");
    }

    [Fact]
    public async Task A_client_that_sends_part_of_a_frame_and_stalls_is_closed_at_the_partial_frame_timeout()
    {
        var time = new FakeTimeProvider();
        var options = new ClientListenerOptions { PartialFrameTimeoutMilliseconds = 30_000, Time = time };
        await using var listener = new ClientListener("127.0.0.1", 0, new AnsweringHandler(16), new RecordingLogger(), options);
        await listener.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        var frame = Frames.Request(new ClientRequest { RequestId = 1, Op = ClientOp.Put, ClientId = 1, Sequence = 1, Key = new byte[] { 1 }, Value = new byte[100_000] });
        await raw.SendAsync(frame[..50_000]);
        await PeerHygieneTests.Until(() => listener.HeldPartialFrames == 1, "the partial frame to arrive");

        time.Advance(TimeSpan.FromMilliseconds(29_999));
        Assert.Equal(0, listener.Statistics.PartialFrameTimeouts);
        time.Advance(TimeSpan.FromMilliseconds(10_000));
        Assert.Equal(1, listener.Statistics.PartialFrameTimeouts);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the stalled connection to close"));
    }

    [Fact]
    public async Task A_partial_frame_that_keeps_arriving_whole_frames_is_not_timed_out()
    {
        var time = new FakeTimeProvider();
        var handler = new AnsweringHandler(16);
        await using var listener = new ClientListener("127.0.0.1", 0, handler, new RecordingLogger(), new ClientListenerOptions { PartialFrameTimeoutMilliseconds = 30_000, Time = time });
        await listener.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        var frame = Frames.Request(new ClientRequest { RequestId = 1, Op = ClientOp.Get, Key = new byte[] { 1 } });
        await raw.SendAsync(frame[..3]);
        await PeerHygieneTests.Until(() => listener.HeldPartialFrames == 1, "the partial frame to arrive");
        time.Advance(TimeSpan.FromMilliseconds(20_000));
        await raw.SendAsync(frame[3..]);
        await raw.ReadFramesAsync(1);
        time.Advance(TimeSpan.FromMilliseconds(20_000));
        Assert.Equal(0, listener.Statistics.PartialFrameTimeouts);
    }

    private static ClientResponse Parse(byte[] body)
    {
        Assert.True(ClientResponseCodec.Parse(body, out var response).IsOk);
        return response;
    }

    /// <summary>Answers every request at once (on the I/O thread) with a reply of a given size, and flushes.</summary>
    private sealed class AnsweringHandler(int replyBytes) : IClientHandler
    {
        private readonly byte[] _value = new byte[replyBytes];
        private int _received;
        private long _pendingBytesPeak;

        public int Received => Volatile.Read(ref _received);

        public long PendingBytesPeak => Interlocked.Read(ref _pendingBytesPeak);

        public void OnClientRequest(ClientConnection connection, in ClientRequest request)
        {
            Interlocked.Increment(ref _received);
            connection.Reply(new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Ok, Value = _value });
            var pending = connection.PendingResponseBytes;
            if (pending > Interlocked.Read(ref _pendingBytesPeak))
            {
                Interlocked.Exchange(ref _pendingBytesPeak, pending);
            }

            connection.Flush();
        }

        public void OnClientDisconnected(ClientConnection connection)
        {
        }
    }
}
