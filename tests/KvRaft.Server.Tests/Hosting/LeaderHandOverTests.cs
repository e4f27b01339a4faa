// Goal: a leader that is stopped (SIGTERM, or KvServer disposed) hands leadership to its best follower before it stops,
// so the cluster is led again at once instead of after an election timeout of silence, and a follower's stop hands
// nothing over; method: in-process KvServer nodes on 127.0.0.1 (HostedCluster) with a long election timeout (2 s, so a
// loaded machine cannot make the transfer time out), stop a node, then ask the others at once, without waiting, who leads;
// the same hand-over asked for by a client (TransferLeader) answers only once the new leader leads.
using KvRaft.Client;
using KvRaft.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class LeaderHandOverTests
{
    private const int ElectionTicks = 200; // 2 s at 10 ms a tick: no election can end on its own before the checks below

    [Fact]
    public async Task A_stopping_leader_hands_leadership_to_a_follower_that_leads_when_the_stop_returns()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, electionTicks: ElectionTicks);
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        var before = await cluster.WaitForStatusAsync(leader, _ => true);
        await cluster.Client.PutAsync("k", "1").WaitAsync(HostedCluster.Limit);

        var stopped = await cluster.StopAsync(leader);

        var heir = stopped.HandedOverTo;
        Assert.True(heir != 0 && heir != leader, $"node {leader} handed over to {heir}");
        var now = await cluster.Client.StatusAsync(cluster.Endpoints[heir - 1], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(NodeRole.Leader, now.Role);
        Assert.True(now.Term > before.Term, $"term {now.Term} after {before.Term}");
        Assert.Equal("1", await cluster.Client.GetAsync("k").WaitAsync(HostedCluster.Limit));
    }

    [Fact]
    public async Task A_stopping_leader_hands_over_to_the_follower_it_can_reach_not_to_an_isolated_one()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, electionTicks: ElectionTicks);
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        var isolated = leader % 3 + 1;
        var reachable = isolated % 3 + 1;
        cluster.Network.Isolate(isolated);
        await cluster.Client.PutAsync("k", "1").WaitAsync(HostedCluster.Limit); // the isolated follower falls behind

        var stopped = await cluster.StopAsync(leader);

        Assert.Equal(reachable, stopped.HandedOverTo);
        var now = await cluster.Client.StatusAsync(cluster.Endpoints[reachable - 1], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(NodeRole.Leader, now.Role);
    }

    [Fact]
    public async Task A_stopping_follower_hands_nothing_over_and_the_leader_keeps_leading()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, electionTicks: ElectionTicks);
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        var before = await cluster.WaitForStatusAsync(leader, _ => true);
        var follower = leader % 3 + 1;

        var stopped = await cluster.StopAsync(follower);

        Assert.Equal(0, stopped.HandedOverTo);
        var now = await cluster.Client.StatusAsync(cluster.Endpoints[leader - 1], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(NodeRole.Leader, now.Role);
        Assert.Equal(before.Term, now.Term);
    }

    [Fact]
    public async Task A_client_transfer_to_a_named_voter_answers_once_that_voter_leads()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, electionTicks: ElectionTicks);
        var leader = await cluster.WaitForLeaderAsync(_ => true);
        var target = leader % 3 + 1;

        var now = await cluster.Client.TransferLeadershipAsync(target).WaitAsync(HostedCluster.Limit);

        Assert.Equal(target, now);
        var status = await cluster.Client.StatusAsync(cluster.Endpoints[target - 1], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(NodeRole.Leader, status.Role);
        await cluster.Client.PutAsync("after", "1").WaitAsync(HostedCluster.Limit); // the new leader takes writes
        Assert.Equal(target, await cluster.Client.TransferLeadershipAsync(target).WaitAsync(HostedCluster.Limit)); // already leads
    }

    [Fact]
    public async Task A_client_transfer_without_a_target_moves_leadership_to_another_node()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, electionTicks: ElectionTicks);
        var leader = await cluster.WaitForLeaderAsync(_ => true);

        var now = await cluster.Client.TransferLeadershipAsync().WaitAsync(HostedCluster.Limit);

        Assert.NotEqual(leader, now);
        var status = await cluster.Client.StatusAsync(cluster.Endpoints[now - 1], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(NodeRole.Leader, status.Role);
    }

    [Fact]
    public async Task A_client_transfer_to_a_node_that_is_not_a_voter_is_refused_and_the_leader_keeps_leading()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, electionTicks: ElectionTicks);
        var leader = await cluster.WaitForLeaderAsync(_ => true);

        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => cluster.Client.TransferLeadershipAsync(9).WaitAsync(HostedCluster.Limit));

        var status = await cluster.Client.StatusAsync(cluster.Endpoints[leader - 1], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(NodeRole.Leader, status.Role);
        await cluster.Client.PutAsync("still", "1").WaitAsync(HostedCluster.Limit);
    }
}
