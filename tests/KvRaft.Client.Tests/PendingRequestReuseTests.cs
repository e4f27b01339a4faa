// Goal: reusing a pending request (its completion, its queue entry) never mixes up two uses: a late answer to an
// abandoned use does not end the next one, a use is ended once, and a stale queue entry is not written. Method: one
// Connection to a scripted raw socket on 127.0.0.1 (the test reads each request frame and writes each answer itself, in
// the order it chooses), and the pending request's state moves driven by hand; no sleeps, every wait bounded.
using System.Net;
using System.Net.Sockets;
using System.Text;
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class PendingRequestReuseTests
{
    [Fact]
    public async Task A_late_answer_to_a_timed_out_request_does_not_complete_the_request_that_reuses_its_object()
    {
        await using var peer = await RawPeer.StartAsync();
        var requests = new PendingRequestPool(capacity: 4);

        var first = requests.Rent(Get(requestId: 1, "old"), groupId: 0);
        using (var deadline = new CancellationTokenSource())
        {
            var answer = peer.Connection.Send(first, deadline.Token);
            Assert.Equal(1UL, (await peer.ReadRequestAsync()).RequestId); // written and received: only its answer is missing
            await deadline.CancelAsync(); // the deadline passes
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await answer.AsTask().WaitAsync(Bounded.Limit));
            Assert.True(first.PossiblySent);
            first.Registration.Dispose();
        }
        requests.Return(first);

        var second = requests.Rent(Get(requestId: 2, "new"), groupId: 0);
        Assert.Same(first, second); // the same object, in its next use
        var secondAnswer = peer.Connection.Send(second, CancellationToken.None).AsTask();
        Assert.Equal(2UL, (await peer.ReadRequestAsync()).RequestId);
        await peer.AnswerAsync(requestId: 1, "late answer to the first use"); // arrives first, on the same connection
        await peer.AnswerAsync(requestId: 2, "answer to the second use");

        var response = await secondAnswer.WaitAsync(Bounded.Limit);
        Assert.Equal(2UL, response.RequestId);
        Assert.Equal("answer to the second use", Encoding.UTF8.GetString(response.Value.Span));
    }

    [Fact]
    public async Task Cancelling_after_the_answer_does_not_complete_the_request_a_second_time()
    {
        await using var peer = await RawPeer.StartAsync();
        var request = new PendingRequestPool(capacity: 1).Rent(Get(requestId: 7, "k"), groupId: 0);
        using var deadline = new CancellationTokenSource();
        var answer = peer.Connection.Send(request, deadline.Token).AsTask();
        await peer.ReadRequestAsync();
        await peer.AnswerAsync(requestId: 7, "v");
        var response = await answer.WaitAsync(Bounded.Limit);

        // The registration still stands: the cancellation finds the request untracked and leaves it alone (a second
        // completion would throw from the callback, out of Cancel).
        await deadline.CancelAsync();
        request.Registration.Dispose();
        Assert.Equal(7UL, response.RequestId);
    }

    [Fact]
    public void A_stale_queue_entry_of_a_reused_request_is_not_written()
    {
        var request = new PendingRequest(Get(requestId: 1, "k"));
        var firstUse = request.Generation;
        Assert.False(request.AbandonAndCheckWritten()); // abandoned while queued: never written
        request.Start(Get(requestId: 2, "k"), groupId: 0); // reused while the first use's entry still waits in the queue

        Assert.False(request.TryBeginWrite(firstUse)); // the stale entry is skipped
        Assert.True(request.TryBeginWrite(request.Generation)); // the entry of the current use is written
        request.EndWrite();
        Assert.True(request.AbandonAndCheckWritten());
    }

    [Fact]
    public void A_use_is_completed_once()
    {
        var request = new PendingRequest(Get(requestId: 1, "k"));
        request.Succeed(new ClientResponse { RequestId = 1, Op = ClientOp.Get, Status = ClientStatus.Ok });
        Assert.Throws<InvariantException>(() => request.Fail(new IOException("a second ending")));
    }

    private static ClientRequest Get(ulong requestId, string key) =>
        new() { RequestId = requestId, Op = ClientOp.Get, Key = Encoding.UTF8.GetBytes(key) };

    /// <summary>A client Connection and the server end of its socket, driven by the test.</summary>
    private sealed class RawPeer : IAsyncDisposable
    {
        private readonly Socket _server;
        private readonly byte[] _input = new byte[64 * 1024];
        private int _end;

        private RawPeer(Connection connection, Socket server)
        {
            Connection = connection;
            _server = server;
        }

        public Connection Connection { get; }

        public static async Task<RawPeer> StartAsync()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var accepting = listener.AcceptSocketAsync();
            var connection = await Connection.OpenAsync("127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port, Bounded.Limit, maxInFlight: 16,
                Timeout.InfiniteTimeSpan, new ClientCounters());
            return new RawPeer(connection, await accepting.WaitAsync(Bounded.Limit));
        }

        /// <summary>Reads the next request frame the connection wrote.</summary>
        public async Task<ClientRequest> ReadRequestAsync()
        {
            while (true)
            {
                var decoded = FrameDecoder.Decode(_input.AsSpan(0, _end));
                if (decoded.Status == FrameDecodeStatus.Frame)
                {
                    var frame = _input.AsSpan(0, decoded.ConsumedBytes).ToArray();
                    _input.AsSpan(decoded.ConsumedBytes, _end - decoded.ConsumedBytes).CopyTo(_input);
                    _end -= decoded.ConsumedBytes;
                    Assert.True(ClientRequestCodec.Parse(decoded.Body(frame.AsMemory()), out var request).IsOk);
                    return request;
                }
                Assert.Equal(FrameDecodeStatus.NeedMoreData, decoded.Status);
                var received = await _server.ReceiveAsync(_input.AsMemory(_end), SocketFlags.None).AsTask().WaitAsync(Bounded.Limit);
                Assert.NotEqual(0, received);
                _end += received;
            }
        }

        /// <summary>Answers request <paramref name="requestId"/> (a Get) with <paramref name="value"/>.</summary>
        public async Task AnswerAsync(ulong requestId, string value)
        {
            var response = new ClientResponse { RequestId = requestId, Op = ClientOp.Get, Status = ClientStatus.Ok, Value = Encoding.UTF8.GetBytes(value), ValuePresent = true };
            var frame = new byte[ClientResponseCodec.FrameSize(response)];
            ClientResponseCodec.FormatFrame(response, frame);
            await _server.SendAsync(frame, SocketFlags.None).WaitAsync(Bounded.Limit);
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            _server.Dispose();
        }
    }
}
