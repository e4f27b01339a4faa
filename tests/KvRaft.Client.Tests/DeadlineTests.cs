// Goal: deadlines and cancellation end a call with the right classification (unknown once the request may have been received; not applied before). Method: a fake that never answers, and unreachable endpoints.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class DeadlineTests
{
    // Long enough that the request is surely written before it passes, even on a loaded 2-core machine:
    // the classification (unknown vs not applied) depends on whether it was sent.
    private static readonly TimeSpan UnansweredDeadline = TimeSpan.FromSeconds(3);

    /// <summary>Waits on a silent connection until the deadline (no silence timeout), as these tests need.</summary>
    private static readonly KvClientOptions Patient = Bounded.Options() with { ConnectionSilenceTimeout = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task Deadline_passing_on_an_unanswered_write_throws_outcome_unknown_classified_unknown()
    {
        await using var server = new FakeServer { Script = request => request.Op == ClientOp.Put ? FakeReply.Hold : null };
        await using var client = KvClient.Connect([server.Endpoint], Patient);
        var error = await Bounded.Throws<KvOutcomeUnknownException>(() => client.PutAsync("k", "v", UnansweredDeadline));
        Assert.Null(KvOutcome.Classify(error));
    }

    [Fact]
    public async Task Write_after_an_unknown_outcome_uses_another_session()
    {
        var held = 0;
        await using var server = new FakeServer { Script = request => request.Op == ClientOp.Put && Interlocked.Increment(ref held) == 1 ? FakeReply.Hold : null };
        await using var client = KvClient.Connect([server.Endpoint], Patient with { SessionPoolSize = 1 });
        await Bounded.Throws<KvOutcomeUnknownException>(() => client.PutAsync("k", "v1", UnansweredDeadline));
        await Bounded.Wait(client.PutAsync("k", "v2"));
        var puts = server.SeenOps(ClientOp.Put);
        Assert.Equal(2, puts.Count);
        Assert.NotEqual(puts[0].ClientId, puts[1].ClientId);
    }

    [Fact]
    public async Task Caller_cancelling_an_unanswered_write_throws_outcome_unknown()
    {
        await using var server = new FakeServer { Script = request => request.Op == ClientOp.Put ? FakeReply.Hold : null };
        await using var client = KvClient.Connect([server.Endpoint], Patient);
        using var cancel = new CancellationTokenSource();
        var put = client.PutAsync("k", "v", cancellationToken: cancel.Token);
        await WaitUntilSeen(server, ClientOp.Put);
        await cancel.CancelAsync();
        await Bounded.Throws<KvOutcomeUnknownException>(() => put);
    }

    [Fact]
    public async Task Cancelled_before_sending_throws_operation_cancelled_classified_not_applied()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Patient);
        var error = await Bounded.Throws<OperationCanceledException>(() => client.PutAsync("k", "v", cancellationToken: new CancellationToken(true)));
        Assert.False(KvOutcome.Classify(error));
        Assert.Empty(server.Seen);
    }

    [Fact]
    public async Task No_server_reachable_throws_cluster_unavailable_classified_not_applied()
    {
        await using var client = KvClient.Connect([Bounded.DeadEndpoint(), Bounded.DeadEndpoint()], Bounded.Options());
        var error = await Bounded.Throws<KvClusterUnavailableException>(() => client.PutAsync("k", "v", TimeSpan.FromMilliseconds(300)));
        Assert.False(KvOutcome.Classify(error));
    }

    [Fact]
    public void Classify_maps_success_not_applied_and_unknown_to_the_history_ok_field()
    {
        Assert.True(KvOutcome.Classify(null));
        Assert.False(KvOutcome.Classify(new KvNotAppliedException("x")));
        Assert.False(KvOutcome.Classify(new KvInvalidArgumentException("x")));
        Assert.Null(KvOutcome.Classify(new KvOutcomeUnknownException("x")));
        Assert.Null(KvOutcome.Classify(new IOException("x")));
    }

    /// <summary>Polls the fake's record (bounded) until a request of <paramref name="op"/> arrived.</summary>
    internal static async Task WaitUntilSeen(FakeServer server, ClientOp op)
    {
        using var limit = new CancellationTokenSource(Bounded.Limit);
        while (server.SeenOps(op).Count == 0)
        {
            await Task.Delay(5, limit.Token);
        }
    }
}
