// Goal: a network fault made outside the nodes (relays on every peer link) acts on real nodes: an isolated leader is replaced, and rejoins and catches up after a heal; a one-way cut drops only that way, closes no connection, and the cluster serves through it and catches up after a heal; method: in-process KvServer nodes on 127.0.0.1 whose --peers name relays, cut and healed through the RelayNetwork.
using KvRaft.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class RelayIsolationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task An_isolated_leader_is_replaced_and_rejoins_after_a_heal()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance);
        var oldLeader = await cluster.WaitForLeaderAsync(_ => true);
        await cluster.Client.PutAsync("before", "1").WaitAsync(HostedCluster.Limit);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        cluster.Network.Isolate(oldLeader); // the relays close its peer connections: the nodes are told nothing
        Assert.True(cluster.Network.Statistics.ConnectionsClosedByCut >= 1, "the isolated leader's connections were closed");
        var newLeader = await cluster.WaitForLeaderAsync(status => status.NodeId != oldLeader);
        await cluster.Client.PutAsync("during", "2").WaitAsync(HostedCluster.Limit);
        output.WriteLine($"node {oldLeader} isolated; node {newLeader} leads and a write went through {watch.ElapsedMilliseconds} ms later");
        var isolated = await cluster.WaitForStatusAsync(oldLeader, status => status.Role != NodeRole.Leader);
        var leader = await cluster.WaitForStatusAsync(newLeader, _ => true);
        Assert.True(isolated.CommitIndex < leader.CommitIndex, $"the isolated node committed {isolated.CommitIndex}, the leader {leader.CommitIndex}");

        watch.Restart();
        cluster.Network.Heal();
        await cluster.Client.PutAsync("after", "3").WaitAsync(HostedCluster.Limit);
        var committed = await cluster.WaitForStatusAsync(newLeader, _ => true);
        await cluster.WaitForStatusAsync(oldLeader, status => status.LeaderKnown && status.AppliedIndex >= committed.CommitIndex);
        output.WriteLine($"healed; node {oldLeader} caught up {watch.ElapsedMilliseconds} ms later");
        Assert.Equal("2", await cluster.Client.GetAsync("during").WaitAsync(HostedCluster.Limit));
    }

    [Fact]
    public async Task A_one_way_cut_from_the_leader_drops_only_that_way_and_every_node_catches_up_after_a_heal()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance);
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        var follower = leader % 3 + 1;
        await cluster.Client.PutAsync("before", "1").WaitAsync(HostedCluster.Limit);

        cluster.Network.Cut(leader, follower); // what the leader sends the follower is dropped; the follower's answers still arrive
        await cluster.Client.PutAsync("during", "2").WaitAsync(HostedCluster.Limit);
        await WaitUntilAsync(() => cluster.Network.Statistics.FramesDropped > 0);
        Assert.Equal(0, cluster.Network.Statistics.ConnectionsClosedByCut);

        cluster.Network.Heal();
        await cluster.Client.PutAsync("after", "3").WaitAsync(HostedCluster.Limit);
        var current = await cluster.WaitForLeaderAsync(_ => true);
        var committed = await cluster.WaitForStatusAsync(current, _ => true);
        foreach (var id in new[] { 1, 2, 3 })
        {
            await cluster.WaitForStatusAsync(id, status => status.LeaderKnown && status.AppliedIndex >= committed.CommitIndex);
        }
        output.WriteLine($"cut {leader}->{follower}: {cluster.Network.Statistics}");
        Assert.Equal("2", await cluster.Client.GetAsync("during").WaitAsync(HostedCluster.Limit));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostedCluster.Limit);
        while (!condition())
        {
            await Task.Delay(20, deadline.Token); // relay counters change on its own tasks: no event to wait on
        }
    }
}
