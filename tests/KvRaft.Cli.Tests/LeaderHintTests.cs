// Goal: a client that knows only a follower can write although no node was given --client-peers: the follower's NotLeader answer names the leader's client address, which the nodes announce in their peer hellos. Method: LocalCluster of three kvraft-server processes started without --client-peers; a client given only a follower's endpoint puts and reads back (a write there needs the hint: the follower cannot take it).
using KvRaft.Client;
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class LeaderHintTests
{
    [Fact]
    public async Task A_client_that_knows_only_a_follower_writes_through_the_hint_without_client_peers()
    {
        using var folder = new TempFolder("kvraft-hint");
        var options = Bounded.ClusterOptions(LocalClusterMode.Processes) with { ConfigureClientPeers = false };
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, options);
        var leader = await Bounded.Wait(cluster.WaitForLeaderAsync(Bounded.Limit));
        var follower = cluster.ClientEndpoints[leader % cluster.NodeCount]; // node leader + 1 (wrapping)

        await using var client = KvClient.Connect([follower], Bounded.ClientOptions() with { OperationTimeout = TimeSpan.FromSeconds(5) });
        await Bounded.Wait(client.PutAsync("hinted", "v"));
        Assert.Equal("v", await Bounded.Wait(client.GetAsync("hinted")));
    }
}
