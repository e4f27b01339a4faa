// Goal: the client listener answers pipelined requests on one connection after a flush, hands a group's request on with its group (a one-group handler refuses it), a bad frame or an over-limit connection closes only itself, and a port in use cannot be bound twice; method: raw sockets against a live listener.
using System.Text;
using KvRaft.Protocol;

namespace KvRaft.Transport.Tests;

public sealed class ClientListenerTests
{
    [Fact]
    public async Task Many_pipelined_requests_on_one_connection_get_replies_with_matching_ids_after_flush()
    {
        const int count = 2000;
        var handler = new RecordingClientHandler();
        await using var listener = await StartAsync(handler);
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        var requests = Enumerable.Range(0, count).Select(i => Request((ulong)(1000 + i), i)).ToList();
        await raw.SendAsync(requests.SelectMany(request => Frames.Request(request)).ToArray());

        var received = await handler.Requests.WaitForCountAsync(count, "every request");
        Assert.Equal(requests, received.Select(item => item.Request));
        var connection = Assert.Single(received.Select(item => item.Connection).Distinct());
        foreach (var (_, request) in received.AsEnumerable().Reverse())
        {
            connection.Reply(Answer(request));
        }
        Assert.Equal(0, raw.Available); // buffered, not sent, until the flush
        connection.Flush();

        var frames = await Wait.For(raw.ReadFramesAsync(count), "every reply");
        var replies = frames.Select(frame => Parse(frame.Type, frame.Body)).ToList();
        Assert.Equal(requests.Select(request => request.RequestId).Reverse(), replies.Select(reply => reply.RequestId));
        Assert.All(replies, reply => Assert.Equal(Answer(requests[(int)(reply.RequestId - 1000)]), reply));
        Assert.Equal(count, listener.Statistics.ResponsesSent);
    }

    public static TheoryData<string, byte[]> BadFrames => new()
    {
        { "garbage", [0xFF, 0xFF, 0xFF, 0x7F, 0, 0] },
        { "oversized", Frames.Raw(length: 64 * 1024 + 1, version: 1, type: 16, bodyBytes: 0) },
        { "unknown type", Frames.Raw(length: 11, version: 1, type: 42, bodyBytes: 9) },
        { "bad version", Frames.Raw(length: 11, version: 9, type: 16, bodyBytes: 9) },
        { "peer frame on a client connection", Frames.Hello(Cluster.ClusterId, 1, 2) },
        { "unknown op", Frames.WithByte(Frames.Request(new ClientRequest { RequestId = 1, Op = ClientOp.Status }), 6 + 8, 99) },
        { "truncated request", Frames.Raw(length: 2 + 4, version: 1, type: 16, bodyBytes: 4) },
        { "group 0 in a group request frame", GroupZeroFrame() },
        { "group id at GroupsMax", Frames.WithByte(Frames.GroupRequest(1, new ClientRequest { RequestId = 1, Op = ClientOp.Status }), 6 + 1, (byte)(ProtocolLimits.GroupsMax >> 8)) },
        { "group request frame shorter than its group id", Frames.Raw(length: 2 + 3, version: 1, type: (byte)FrameType.GroupClientRequest, bodyBytes: 3) },
    };

    private static byte[] GroupZeroFrame()
    {
        var frame = Frames.GroupRequest(1, new ClientRequest { RequestId = 1, Op = ClientOp.Status });
        frame[6] = 0; // the group id's low byte: group 0 has the plain frame
        return frame;
    }

    [Fact]
    public async Task A_request_to_a_replica_group_reaches_the_handler_with_its_group()
    {
        var handler = new RecordingClientHandler();
        await using var listener = await StartAsync(handler);
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync([.. Frames.GroupRequest(7, Request(1, 1)), .. Frames.Request(Request(2, 2))]);
        var received = await handler.Requests.WaitForCountAsync(2, "both requests");
        Assert.Equal([(7, 1UL), (0, 2UL)], received.Select(item => (handler.GroupOf(item.Request.RequestId), item.Request.RequestId)));
        Assert.Equal(Request(1, 1), received[0].Request);
    }

    [Fact]
    public async Task A_one_group_handler_refuses_a_group_request_and_keeps_the_connection()
    {
        var handler = new OneGroupHandler();
        await using var listener = new ClientListener("127.0.0.1", 0, handler, new RecordingLogger());
        await listener.StartAsync();
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync(Frames.GroupRequest(3, Request(5, 0)));
        var reply = Parse(FrameType.ClientResponse, (await Wait.For(raw.ReadFramesAsync(1), "the refusal"))[0].Body);
        Assert.Equal((5UL, ClientStatus.InvalidArgument), (reply.RequestId, reply.Status));
        Assert.Contains("not sharded", reply.Message, StringComparison.Ordinal);
        await raw.SendAsync(Frames.GroupRequest(3, Request(6, 0)));
        Assert.Equal(6UL, Parse(FrameType.ClientResponse, (await Wait.For(raw.ReadFramesAsync(1), "the second refusal"))[0].Body).RequestId);
    }

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_malformed_client_frame_closes_only_that_connection(string what, byte[] frame)
    {
        var handler = new RecordingClientHandler();
        var logger = new RecordingLogger();
        await using var listener = await StartAsync(handler, logger, new ClientListenerOptions { FrameBytesMax = 64 * 1024 });
        await using var good = await RawConnection.ConnectAsync(listener.Port);
        await using var bad = await RawConnection.ConnectAsync(listener.Port);
        await bad.SendAsync(frame);
        Assert.True(await Wait.For(bad.ClosedByRemoteAsync(), "the bad connection to close"), what);
        await logger.WaitForErrorAsync("Closing connection");
        Assert.Equal(1, listener.Statistics.MalformedFrames);
        await handler.Disconnects.WaitForCountAsync(1, "the bad connection's disconnect");

        await good.SendAsync(Frames.Request(Request(7, 7)));
        var (connection, request) = (await handler.Requests.WaitForCountAsync(1, "the good request"))[0];
        connection.Reply(Answer(request));
        connection.Flush();
        var reply = (await Wait.For(good.ReadFramesAsync(1), "the good reply"))[0];
        Assert.Equal(7UL, Parse(reply.Type, reply.Body).RequestId);
    }

    [Fact]
    public async Task Connections_over_the_limit_are_closed_at_once()
    {
        var handler = new RecordingClientHandler();
        await using var listener = await StartAsync(handler, options: new ClientListenerOptions { ConnectionsMax = 1 });
        await using var first = await RawConnection.ConnectAsync(listener.Port);
        await first.SendAsync(Frames.Request(Request(1, 1)));
        await handler.Requests.WaitForCountAsync(1, "the first connection's request");
        await using var second = await RawConnection.ConnectAsync(listener.Port);
        Assert.True(await Wait.For(second.ClosedByRemoteAsync(), "the second connection to close"));
        Assert.Equal(1, listener.Statistics.ConnectionsRefused);
        Assert.Empty(handler.Disconnects.Snapshot());
    }

    [Fact]
    public async Task A_client_with_too_many_pending_response_bytes_is_disconnected()
    {
        var handler = new RecordingClientHandler();
        await using var listener = await StartAsync(handler, options: new ClientListenerOptions { PendingResponseBytesMax = 4096, PauseReadingResponseBytes = 4096 });
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync(Frames.Request(Request(1, 0)));
        var (connection, _) = (await handler.Requests.WaitForCountAsync(1, "the request"))[0];
        var large = new ClientResponse { RequestId = 1, Op = ClientOp.Get, Status = ClientStatus.Ok, Value = new byte[1000] };
        for (var i = 0; i < 5; i++)
        {
            connection.Reply(large); // the fifth passes the limit: unflushed replies are never unbounded
        }
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the connection to close"));
        Assert.Equal(1, listener.Statistics.SlowClientsClosed);
        Assert.Equal(4, listener.Statistics.ResponsesSent);
    }

    [Fact]
    public async Task Replies_to_a_closed_connection_are_dropped_quietly()
    {
        var handler = new RecordingClientHandler();
        await using var listener = await StartAsync(handler);
        var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync(Frames.Request(Request(1, 1)));
        var (connection, request) = (await handler.Requests.WaitForCountAsync(1, "the request"))[0];
        await raw.DisposeAsync();
        await handler.Disconnects.WaitForCountAsync(1, "the disconnect");
        Assert.False(connection.IsOpen);
        connection.Reply(Answer(request));
        connection.Flush();
        Assert.Equal(0, listener.Statistics.ResponsesSent);
    }

    [Fact]
    public async Task A_second_listener_on_a_port_in_use_is_refused_and_a_freed_port_binds_again_at_once()
    {
        var handler = new RecordingClientHandler();
        int port;
        await using (var first = await StartAsync(handler))
        {
            port = first.Port;
            await using var client = await RawConnection.ConnectAsync(port); // an accepted connection: TIME_WAIT after the close
            await using var second = new ClientListener("127.0.0.1", port, handler, new RecordingLogger());
            await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(second.StartAsync);
        }
        await using var again = new ClientListener("127.0.0.1", port, handler, new RecordingLogger());
        await again.StartAsync(); // a restarted node rebinds its port at once
        Assert.Equal(port, again.Port);
    }

    private static async Task<ClientListener> StartAsync(RecordingClientHandler handler, RecordingLogger? logger = null, ClientListenerOptions? options = null)
    {
        var listener = new ClientListener("127.0.0.1", 0, handler, logger ?? new RecordingLogger(), options);
        await listener.StartAsync();
        Assert.NotEqual(0, listener.Port);
        return listener;
    }

    private static ClientRequest Request(ulong id, int i) => (i % 3) switch
    {
        0 => new ClientRequest { RequestId = id, Op = ClientOp.Get, Key = Encoding.UTF8.GetBytes("key-" + i) },
        1 => new ClientRequest { RequestId = id, Op = ClientOp.Put, ClientId = 9, Sequence = (ulong)i, Key = Encoding.UTF8.GetBytes("key-" + i), Value = new byte[i % 200] },
        _ => new ClientRequest { RequestId = id, Op = ClientOp.Delete, ClientId = 9, Sequence = (ulong)i, Key = Encoding.UTF8.GetBytes("key-" + i) },
    };

    private static ClientResponse Answer(in ClientRequest request) => request.Op == ClientOp.Get
        ? new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Ok, Value = request.Key }
        : new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Ok };

    private static ClientResponse Parse(FrameType type, byte[] body)
    {
        Assert.Equal(FrameType.ClientResponse, type);
        Assert.True(ClientResponseCodec.Parse(body, out var response).IsOk);
        return response;
    }

    private sealed class RecordingClientHandler : IClientHandler
    {
        public Recorder<(ClientConnection Connection, ClientRequest Request)> Requests { get; } = new();
        public Recorder<ClientConnection> Disconnects { get; } = new();

        private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, int> _groups = new();

        public int GroupOf(ulong requestId) => _groups.GetValueOrDefault(requestId);

        public void OnClientRequest(ClientConnection connection, in ClientRequest request) => Requests.Add((connection, request));

        public void OnGroupClientRequest(ClientConnection connection, int groupId, in ClientRequest request)
        {
            _groups[request.RequestId] = groupId;
            Requests.Add((connection, request));
        }

        public void OnClientDisconnected(ClientConnection connection) => Disconnects.Add(connection);
    }

    /// <summary>Takes the interface's default for group requests, as a one-group server does.</summary>
    private sealed class OneGroupHandler : IClientHandler
    {
        public void OnClientRequest(ClientConnection connection, in ClientRequest request)
        {
        }

        public void OnClientDisconnected(ClientConnection connection)
        {
        }
    }
}
