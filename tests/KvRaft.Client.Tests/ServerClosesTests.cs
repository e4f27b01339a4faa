// Goal: what a server may do to a client's connection or sessions without the client's users seeing an error: a connection closed by the server (its idle timeout) is reopened on the next request, a write refused as SessionNotOwned (not applied) moves to a new session and applies once, and a TooManySessions refusal ends the call as not applied with the server's message. Method: the scripted fake server; the closing is done by the fake between requests.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class ServerClosesTests
{
    [Fact]
    public async Task A_connection_the_server_closed_while_idle_is_reopened_and_the_next_writes_succeed()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "before"));
        for (var round = 1; round <= 3; round++)
        {
            server.CloseConnections(); // the server's idle timeout
            await Bounded.Wait(client.AppendAsync("k", "+" + round));
        }
        Assert.Equal("before+1+2+3", server.Store.Value("k"));
        Assert.Equal(4, server.ConnectionCount);
        Assert.Equal(0, server.Store.DuplicateApplications());
    }

    [Fact]
    public async Task A_write_refused_as_SessionNotOwned_moves_to_a_new_session_and_applies_once()
    {
        await using var server = new FakeServer();
        var refusals = 0;
        server.Script = request => request.Op == ClientOp.Put && Interlocked.Increment(ref refusals) == 1 ? FakeReply.With(ClientStatus.SessionNotOwned) : null;
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        var puts = server.SeenOps(ClientOp.Put);
        Assert.Equal(2, puts.Count);
        Assert.NotEqual(puts[0].ClientId, puts[1].ClientId);
        Assert.Equal(2, server.SeenOps(ClientOp.RegisterSession).Count);
        Assert.Equal("v", server.Store.Value("k"));
    }

    [Fact]
    public async Task A_registration_refused_as_TooManySessions_ends_the_write_as_not_applied_with_the_servers_message()
    {
        await using var server = new FakeServer { Script = request => request.Op == ClientOp.RegisterSession ? FakeReply.With(ClientStatus.TooManySessions) : null };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var refused = await Assert.ThrowsAsync<KvNotAppliedException>(() => Bounded.Wait(client.PutAsync("k", "v")));
        Assert.Contains("scripted TooManySessions", refused.Message, StringComparison.Ordinal);
        Assert.Empty(server.SeenOps(ClientOp.Put));
    }
}
