// Goal: writes use pooled sessions correctly: one outstanding write per session, sequences advance, expired sessions are replaced without re-applying. Method: fakes that record outstanding writes per session and answer out of order.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class SessionTests
{
    [Fact]
    public async Task Sequential_writes_reuse_one_session_with_increasing_sequences()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        for (var i = 0; i < 5; i++)
        {
            await Bounded.Wait(client.PutAsync("k", "v" + i));
        }
        var puts = server.SeenOps(ClientOp.Put);
        Assert.Single(puts.Select(put => put.ClientId).Distinct());
        Assert.Equal([1UL, 2, 3, 4, 5], puts.Select(put => put.Sequence));
        Assert.Single(server.SeenOps(ClientOp.RegisterSession));
    }

    [Fact]
    public async Task Concurrent_writes_use_distinct_sessions_never_two_outstanding_on_one()
    {
        await using var server = new FakeServer { ShuffleReplies = true };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        for (var round = 0; round < 5; round++)
        {
            await Bounded.Wait(Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.AppendAsync("k" + (i % 10), "x"))));
        }
        Assert.Equal(0, server.SessionOverlaps);
        Assert.True(server.SeenOps(ClientOp.Append).Select(write => write.ClientId).Distinct().Count() > 1);
        Assert.Equal(0, server.Store.DuplicateApplications());
        Assert.Equal(1_000, Enumerable.Range(0, 10).Sum(i => server.Store.Value("k" + i)!.Length));
    }

    [Fact]
    public async Task Session_pool_size_bounds_the_sessions_registered()
    {
        await using var server = new FakeServer { ShuffleReplies = true };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options(sessions: 4));
        await Bounded.Wait(Task.WhenAll(Enumerable.Range(0, 300).Select(i => client.PutAsync("k" + i, "v"))));
        Assert.InRange(server.SeenOps(ClientOp.RegisterSession).Count, 1, 4);
        Assert.Equal(0, server.SessionOverlaps);
    }

    [Fact]
    public async Task Session_expired_on_a_first_attempt_registers_a_new_session_and_applies_once()
    {
        var store = new FakeStore();
        await using var server = new FakeServer(store);
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v1"));
        store.ExpireSession(server.SeenOps(ClientOp.Put)[0].ClientId);
        await Bounded.Wait(client.PutAsync("k", "v2"));
        var puts = server.SeenOps(ClientOp.Put);
        Assert.Equal(3, puts.Count);
        Assert.Equal(puts[0].ClientId, puts[1].ClientId);
        Assert.NotEqual(puts[1].ClientId, puts[2].ClientId);
        Assert.Equal(1UL, puts[2].Sequence);
        Assert.Equal("v2", store.Value("k"));
        Assert.Equal(2, server.SeenOps(ClientOp.RegisterSession).Count);
    }

    [Fact]
    public async Task Session_expired_after_an_attempt_that_may_have_applied_is_an_unknown_outcome_never_resent()
    {
        var attempt = 0;
        await using var server = new FakeServer();
        server.Script = request => request.Op != ClientOp.Put ? null
            : Interlocked.Increment(ref attempt) == 1 ? FakeReply.With(ClientStatus.Retryable) : FakeReply.With(ClientStatus.SessionExpired);
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var error = await Bounded.Throws<KvOutcomeUnknownException>(() => client.PutAsync("k", "v"));
        Assert.Null(KvOutcome.Classify(error));
        var puts = server.SeenOps(ClientOp.Put);
        Assert.Equal(2, puts.Count);
        Assert.Single(puts.Select(put => (put.ClientId, put.Sequence)).Distinct());
    }
}
