// Goal: a write is retried under the same (client id, sequence) until it has a definite answer, and is applied once. Method: fakes scripted to answer Retryable, drop the connection before or after applying, and fail over.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class RetryTests
{
    /// <summary>A script that gives <paramref name="first"/> to the first request of <paramref name="op"/> and applies the rest.</summary>
    private static Func<ClientRequest, FakeReply?> FirstTime(ClientOp op, FakeReply first)
    {
        var count = 0;
        return request => request.Op == op && Interlocked.Increment(ref count) == 1 ? first : null;
    }

    private static void AssertOneWriteRetried(IReadOnlyList<SeenRequest> attempts, FakeStore store)
    {
        Assert.Equal(2, attempts.Count);
        Assert.Equal((attempts[0].ClientId, attempts[0].Sequence), (attempts[1].ClientId, attempts[1].Sequence));
        Assert.NotEqual(attempts[0].RequestId, attempts[1].RequestId);
        Assert.Equal(1, store.Applications(attempts[0].ClientId, attempts[0].Sequence));
    }

    [Fact]
    public async Task Retryable_then_ok_resends_the_same_client_id_and_sequence()
    {
        await using var server = new FakeServer();
        server.Script = FirstTime(ClientOp.Put, FakeReply.With(ClientStatus.Retryable));
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        AssertOneWriteRetried(server.SeenOps(ClientOp.Put), server.Store);
    }

    [Fact]
    public async Task Connection_dropped_after_apply_reconnects_and_retries_with_the_same_sequence_applied_once()
    {
        await using var server = new FakeServer();
        server.Script = FirstTime(ClientOp.Append, FakeReply.ApplyThenDrop);
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.AppendAsync("k", "x"));
        AssertOneWriteRetried(server.SeenOps(ClientOp.Append), server.Store);
        Assert.Equal("x", server.Store.Value("k"));
        Assert.Equal(2, server.ConnectionCount);
    }

    [Fact]
    public async Task Connection_dropped_mid_request_fails_over_to_the_next_server_with_the_same_sequence()
    {
        var store = new FakeStore();
        await using var first = new FakeServer(store);
        await using var second = new FakeServer(store);
        first.Script = request => request.Op == ClientOp.Put ? FakeReply.Drop : null;
        await using var client = KvClient.Connect([first.Endpoint, second.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        var dropped = Assert.Single(first.SeenOps(ClientOp.Put));
        var retried = Assert.Single(second.SeenOps(ClientOp.Put));
        Assert.Equal((dropped.ClientId, dropped.Sequence), (retried.ClientId, retried.Sequence));
        Assert.Equal(1, store.Applications(retried.ClientId, retried.Sequence));
    }

    [Fact]
    public async Task Retryable_get_is_retried_until_it_succeeds()
    {
        await using var server = new FakeServer();
        server.Script = FirstTime(ClientOp.Get, FakeReply.With(ClientStatus.Retryable));
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        Assert.Null(await Bounded.Wait(client.GetAsync("k")));
        Assert.Equal(2, server.SeenOps(ClientOp.Get).Count);
    }

    [Fact]
    public async Task Internal_error_on_a_write_is_an_unknown_outcome()
    {
        await using var server = new FakeServer { Script = request => request.Op == ClientOp.Put ? FakeReply.With(ClientStatus.InternalError) : null };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var error = await Bounded.Throws<KvOutcomeUnknownException>(() => client.PutAsync("k", "v"));
        Assert.Null(KvOutcome.Classify(error));
    }

    [Fact]
    public async Task A_server_holding_a_write_without_a_word_is_left_after_the_silence_timeout_and_the_write_applied_once_elsewhere()
    {
        var store = new FakeStore();
        await using var paused = new FakeServer(store) { Script = request => request.Op == ClientOp.Put ? FakeReply.Hold : null };
        await using var second = new FakeServer(store);
        var options = Bounded.Options() with { ConnectionSilenceTimeout = TimeSpan.FromMilliseconds(200), OperationTimeout = TimeSpan.FromSeconds(15) };
        await using var client = KvClient.Connect([paused.Endpoint, second.Endpoint], options);
        await Bounded.Wait(client.PutAsync("k", "v")); // without the silence timeout: held until the 15 s deadline
        var held = Assert.Single(paused.SeenOps(ClientOp.Put));
        var retried = Assert.Single(second.SeenOps(ClientOp.Put));
        Assert.Equal((held.ClientId, held.Sequence), (retried.ClientId, retried.Sequence));
        Assert.Equal(1, store.Applications(retried.ClientId, retried.Sequence));
        Assert.Equal("v", store.Value("k"));
    }
}
