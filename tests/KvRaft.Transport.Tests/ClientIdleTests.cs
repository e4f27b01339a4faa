// Goal: the client listener closes a connection that has sent nothing for the idle timeout and owes it nothing, and never one with a request in flight or one that keeps sending; method: raw sockets against a live listener whose idle clock is a FakeTimeProvider advanced by the test (no sleeps), a handler that answers at once or holds requests until the test answers them.
using KvRaft.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace KvRaft.Transport.Tests;

public sealed class ClientIdleTests
{
    private const int IdleMilliseconds = 300_000;

    [Fact]
    public async Task A_connection_that_sends_nothing_is_closed_at_the_idle_timeout_and_not_before()
    {
        var time = new FakeTimeProvider();
        var handler = new HoldingHandler(answerAtOnce: true);
        await using var listener = await StartAsync(handler, time);
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync(Frames.Request(Get(1)));
        await raw.ReadFramesAsync(1);
        await PeerHygieneTests.Until(() => handler.Last!.PendingResponseBytes == 0, "the reply to leave the listener");

        time.Advance(TimeSpan.FromMilliseconds(IdleMilliseconds - 1));
        Assert.Equal(0, listener.Statistics.IdleTimeouts);
        time.Advance(TimeSpan.FromMilliseconds(IdleMilliseconds / 2));
        Assert.Equal(1, listener.Statistics.IdleTimeouts);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the idle connection to close"));
    }

    [Fact]
    public async Task A_connection_that_keeps_sending_within_the_idle_timeout_stays_open()
    {
        var time = new FakeTimeProvider();
        await using var listener = await StartAsync(new HoldingHandler(answerAtOnce: true), time);
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        for (ulong i = 1; i <= 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(IdleMilliseconds * 3 / 4));
            await raw.SendAsync(Frames.Request(Get(i))); // a keepalive: any request
            await raw.ReadFramesAsync(1);
        }
        Assert.Equal(0, listener.Statistics.IdleTimeouts);
    }

    [Fact]
    public async Task A_connection_with_a_request_in_flight_is_not_idle_and_its_idle_time_counts_from_the_reply()
    {
        var time = new FakeTimeProvider();
        var handler = new HoldingHandler(answerAtOnce: false);
        await using var listener = await StartAsync(handler, time);
        await using var raw = await RawConnection.ConnectAsync(listener.Port);
        await raw.SendAsync(Frames.Request(Get(1)));
        await PeerHygieneTests.Until(() => handler.Held.Count == 1, "the request to reach the handler");

        time.Advance(TimeSpan.FromMilliseconds(IdleMilliseconds * 3)); // the node is slow to answer
        Assert.Equal(0, listener.Statistics.IdleTimeouts);

        handler.AnswerHeld();
        await raw.ReadFramesAsync(1);
        await PeerHygieneTests.Until(() => handler.Last!.PendingResponseBytes == 0, "the reply to leave the listener");
        time.Advance(TimeSpan.FromMilliseconds(IdleMilliseconds - 1));
        Assert.Equal(0, listener.Statistics.IdleTimeouts);
        time.Advance(TimeSpan.FromMilliseconds(IdleMilliseconds / 2));
        Assert.Equal(1, listener.Statistics.IdleTimeouts);
        Assert.True(await Wait.For(raw.ClosedByRemoteAsync(), "the idle connection to close"));
    }

    private static async Task<ClientListener> StartAsync(IClientHandler handler, FakeTimeProvider time)
    {
        var listener = new ClientListener("127.0.0.1", 0, handler, new RecordingLogger(), new ClientListenerOptions { IdleTimeoutMilliseconds = IdleMilliseconds, Time = time });
        await listener.StartAsync();
        return listener;
    }

    private static ClientRequest Get(ulong requestId) => new() { RequestId = requestId, Op = ClientOp.Get, Key = new byte[] { 1 } };

    /// <summary>Answers every request at once, or holds them until <see cref="AnswerHeld"/> (from the test's thread).</summary>
    private sealed class HoldingHandler(bool answerAtOnce) : IClientHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<(ClientConnection Connection, ulong RequestId)> Held { get; } = new();

        public ClientConnection? Last { get; private set; }

        public void OnClientRequest(ClientConnection connection, in ClientRequest request)
        {
            Last = connection;
            if (!answerAtOnce)
            {
                Held.Enqueue((connection, request.RequestId));
                return;
            }
            Answer(connection, request.RequestId);
        }

        public void AnswerHeld()
        {
            while (Held.TryDequeue(out var held))
            {
                Answer(held.Connection, held.RequestId);
            }
        }

        public void OnClientDisconnected(ClientConnection connection)
        {
        }

        private static void Answer(ClientConnection connection, ulong requestId)
        {
            connection.Reply(new ClientResponse { RequestId = requestId, Op = ClientOp.Get, Status = ClientStatus.NotFound });
            connection.Flush();
        }
    }
}
