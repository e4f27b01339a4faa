// Goal: against a sharded cluster the client routes each key to its shard's group (named in the frame), one connection
// per server shared by the groups and sessions registered per group; after WrongGroup it refreshes the configuration and
// resends the same request (same session and sequence) to the new owner, applied once; NotLeader moves only that group's
// leader; an unsharded store sees no sharding traffic. Method: fake servers scripted per group (group 0 the controller:
// WrongGroup for keys, ShardQuery answered with a configuration; each data group applies the keys it owns and refuses
// the others), over one fake store.
using System.Text;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Client.Tests;

public sealed class ShardRoutingTests
{
    /// <summary>Configuration <paramref name="number"/>: shards 0..7 of groups 1 and 2 at <paramref name="endpoints"/>, owners by <paramref name="ownerOf"/>.</summary>
    private static ShardConfiguration Configuration(long number, Func<int, int> ownerOf, params string[] endpoints) => new()
    {
        Number = number,
        Owners = [.. Enumerable.Range(0, 8).Select(ownerOf)],
        Groups = [.. Enumerable.Range(1, 2).Select(group => new ShardGroup(group, [.. endpoints.Select((endpoint, i) => new ShardGroupMember(i + 1, "p:1", endpoint))]))],
    };

    /// <summary>A sharded server: the controller answers <paramref name="current"/>'s configuration; each data group serves its keys in it.</summary>
    private static Func<int, ClientRequest, FakeReply?> Sharded(Func<ShardConfiguration> current) => (group, request) =>
    {
        var configuration = current();
        if (request.Op == ClientOp.ShardQuery)
        {
            return group == 0 ? FakeReply.Query(configuration) : FakeReply.With(ClientStatus.InvalidArgument);
        }
        var keyed = request.Op is ClientOp.Get or ClientOp.Put or ClientOp.Append or ClientOp.Delete or ClientOp.CompareAndSet;
        return keyed && configuration.OwnerOfKey(request.Key.Span) != group ? FakeReply.WrongGroup(configuration.Number) : null;
    };

    private static int OwnerOf(ShardConfiguration configuration, string key) => configuration.OwnerOfKey(Encoding.UTF8.GetBytes(key));

    [Fact]
    public async Task Keys_go_to_their_shards_group_over_one_connection_with_a_session_registered_per_group()
    {
        await using var server = new FakeServer();
        var configuration = Configuration(1, shard => 1 + (shard % 2), server.Endpoint);
        server.GroupScript = Sharded(() => configuration);
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var keys = Enumerable.Range(0, 40).Select(i => "key-" + i).ToArray();
        foreach (var key in keys)
        {
            await Bounded.Wait(client.PutAsync(key, "v-" + key));
        }
        foreach (var key in keys)
        {
            Assert.Equal("v-" + key, await Bounded.Wait(client.GetAsync(key)));
        }
        Assert.Equal(configuration, client.ShardConfiguration);
        Assert.All(server.Seen.Where(seen => seen.Op is ClientOp.Put or ClientOp.Get && seen.Group != 0), seen => Assert.Equal(OwnerOf(configuration, seen.Key), seen.Group));
        Assert.Equal(keys.Length, server.SeenOps(ClientOp.Put).Count(seen => seen.Group != 0)); // after the first WrongGroup, straight to the owner
        Assert.Equal([1, 2], server.SeenOps(ClientOp.RegisterSession).Where(seen => seen.Group != 0).Select(seen => seen.Group).Distinct().Order());
        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(0, server.Store.DuplicateApplications());
    }

    [Fact]
    public async Task After_WrongGroup_the_same_request_with_the_same_session_and_sequence_goes_to_the_new_owner_and_applies_once()
    {
        await using var server = new FakeServer();
        var first = Configuration(1, _ => 1, server.Endpoint);
        var second = Configuration(2, _ => 2, server.Endpoint);
        var current = first;
        var sharded = Sharded(() => current);
        server.GroupScript = (group, request) =>
        {
            if (group == 1 && request.Op == ClientOp.Append && request.Sequence > 0)
            {
                current = second; // the shard moved (with the sessions: one store) before group 1 applied the write
            }
            return sharded(group, request);
        };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "a"));
        await Bounded.Wait(client.AppendAsync("k", "b"));
        Assert.Equal("ab", server.Store.Value("k"));
        var appends = server.SeenOps(ClientOp.Append);
        Assert.Equal([1, 2], appends.Select(seen => seen.Group));
        Assert.Single(appends.Select(seen => (seen.ClientId, seen.Sequence)).Distinct()); // the same session and sequence at the new owner
        Assert.Equal(1, server.Store.Applications(appends[0].ClientId, appends[0].Sequence));
        Assert.Equal(2, client.ShardConfiguration!.Number);
        Assert.Equal("ab", await Bounded.Wait(client.GetAsync("k")));
    }

    [Fact]
    public async Task NotLeader_in_one_group_moves_that_groups_leader_only()
    {
        var store = new FakeStore();
        await using var a = new FakeServer(store);
        await using var b = new FakeServer(store);
        var configuration = Configuration(1, shard => 1 + (shard % 2), a.Endpoint, b.Endpoint);
        var sharded = Sharded(() => configuration);
        a.GroupScript = (group, request) => group == 2 && request.Op != ClientOp.Status ? FakeReply.NotLeader(b.Endpoint) : sharded(group, request);
        b.GroupScript = (group, request) => group == 2 ? sharded(group, request) : FakeReply.NotLeader(a.Endpoint);
        await using var client = KvClient.Connect([a.Endpoint, b.Endpoint], Bounded.Options());
        var keys = Enumerable.Range(0, 20).Select(i => "key-" + i).ToArray();
        foreach (var key in keys)
        {
            await Bounded.Wait(client.PutAsync(key, "v"));
        }
        Assert.All(keys, key => Assert.Equal("v", store.Value(key)));
        Assert.All(a.SeenOps(ClientOp.Put).Where(seen => seen.Group == 1), seen => Assert.Equal(1, OwnerOf(configuration, seen.Key)));
        Assert.All(b.SeenOps(ClientOp.Put), seen => Assert.Equal(2, seen.Group)); // group 1's leader stayed at a
        Assert.Single(a.Seen, seen => seen.Group == 2); // one miss (group 2's first request, its session's registration), then b
    }

    [Fact]
    public async Task A_write_whose_outcome_became_unknown_stays_unknown_when_no_owner_can_be_found()
    {
        await using var server = new FakeServer();
        var configuration = Configuration(1, _ => 1, server.Endpoint);
        var sharded = Sharded(() => configuration);
        var dropped = 0;
        server.GroupScript = (group, request) =>
            group == 1 && request.Op == ClientOp.Put ? (Interlocked.Increment(ref dropped) == 1 ? FakeReply.ApplyThenDrop : FakeReply.WrongGroup(5))
            : sharded(group, request);
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var error = await Bounded.Throws<KvOutcomeUnknownException>(() => client.PutAsync("k", "v", TimeSpan.FromSeconds(1)));
        Assert.Null(KvOutcome.Classify(error));
        Assert.Equal("v", server.Store.Value("k")); // it was applied: "unknown" was the truth
    }

    [Fact]
    public async Task An_unsharded_store_sees_no_shard_query_and_no_group_frame()
    {
        await using var server = new FakeServer();
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        Assert.Equal("v", await Bounded.Wait(client.GetAsync("k")));
        Assert.Empty(server.SeenOps(ClientOp.ShardQuery));
        Assert.All(server.Seen, seen => Assert.Equal(0, seen.Group));
        Assert.Null(client.ShardConfiguration);
    }
}
