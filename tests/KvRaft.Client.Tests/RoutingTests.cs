// Goal: the client finds the leader by itself. Method: pairs of fake servers over one store, one scripted as a follower (NotLeader with or without a hint) or unreachable.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class RoutingTests
{
    private static Func<ClientRequest, FakeReply?> Follower(string? leader) =>
        request => request.Op == ClientOp.Status ? null : FakeReply.NotLeader(leader);

    [Fact]
    public async Task NotLeader_with_a_hint_sends_the_request_to_the_hinted_endpoint_and_later_requests_go_there_directly()
    {
        var store = new FakeStore();
        await using var leader = new FakeServer(store);
        await using var follower = new FakeServer(store) { Script = Follower(leader.Endpoint) };
        await using var client = KvClient.Connect([follower.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        Assert.Equal("v", await Bounded.Wait(client.GetAsync("k")));
        Assert.Single(leader.SeenOps(ClientOp.Put));
        Assert.Single(leader.SeenOps(ClientOp.Get));
        Assert.Single(follower.Seen); // only the first request (the session registration) went to the follower
    }

    [Fact]
    public async Task NotLeader_without_a_hint_moves_on_to_the_next_endpoint()
    {
        var store = new FakeStore();
        await using var leader = new FakeServer(store);
        await using var follower = new FakeServer(store) { Script = Follower(null) };
        await using var client = KvClient.Connect([follower.Endpoint, leader.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        Assert.Equal("v", store.Value("k"));
        Assert.Single(leader.SeenOps(ClientOp.Put));
    }

    [Fact]
    public async Task Unreachable_first_endpoint_is_skipped()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([Bounded.DeadEndpoint(), server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        Assert.Equal("v", await Bounded.Wait(client.GetAsync("k")));
    }

    [Fact]
    public async Task No_leader_anywhere_until_the_deadline_throws_cluster_unavailable_classified_not_applied()
    {
        await using var follower = new FakeServer { Script = Follower(null) };
        await using var client = KvClient.Connect([follower.Endpoint, Bounded.DeadEndpoint()], Bounded.Options());
        var error = await Bounded.Throws<KvClusterUnavailableException>(() => client.GetAsync("k", TimeSpan.FromSeconds(1)));
        Assert.False(KvOutcome.Classify(error));
    }
}
