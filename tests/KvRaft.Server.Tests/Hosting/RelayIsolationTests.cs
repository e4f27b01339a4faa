// Goal: a network fault made outside the nodes (relays on every peer link) acts on real nodes: an isolated leader is replaced, and rejoins and catches up after a heal; method: in-process KvServer nodes on 127.0.0.1 whose --peers name relays, cut and healed through the RelayNetwork.
using KvRaft.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class RelayIsolationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task An_isolated_leader_is_replaced_and_rejoins_after_a_heal()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance);
        int oldLeader = await cluster.WaitForLeaderAsync(_ => true);
        await cluster.Client.PutAsync("before", "1").WaitAsync(HostedCluster.Limit);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        cluster.Network.Isolate(oldLeader); // the relays close its peer connections: the nodes are told nothing
        Assert.True(cluster.Network.Statistics.ConnectionsClosedByCut >= 1, "the isolated leader's connections were closed");
        int newLeader = await cluster.WaitForLeaderAsync(status => status.NodeId != oldLeader);
        await cluster.Client.PutAsync("during", "2").WaitAsync(HostedCluster.Limit);
        output.WriteLine($"node {oldLeader} isolated; node {newLeader} leads and a write went through {watch.ElapsedMilliseconds} ms later");
        NodeStatus isolated = await cluster.WaitForStatusAsync(oldLeader, status => status.Role != NodeRole.Leader);
        NodeStatus leader = await cluster.WaitForStatusAsync(newLeader, _ => true);
        Assert.True(isolated.CommitIndex < leader.CommitIndex, $"the isolated node committed {isolated.CommitIndex}, the leader {leader.CommitIndex}");

        watch.Restart();
        cluster.Network.Heal();
        await cluster.Client.PutAsync("after", "3").WaitAsync(HostedCluster.Limit);
        NodeStatus committed = await cluster.WaitForStatusAsync(newLeader, _ => true);
        await cluster.WaitForStatusAsync(oldLeader, status => status.LeaderKnown && status.AppliedIndex >= committed.CommitIndex);
        output.WriteLine($"healed; node {oldLeader} caught up {watch.ElapsedMilliseconds} ms later");
        Assert.Equal("2", await cluster.Client.GetAsync("during").WaitAsync(HostedCluster.Limit));
    }
}
