// Goal: membership changes work end to end on real servers: a 3-node cluster grows to 5 (nodes started with --join,
// added as learners, promoted through KvClient) and shrinks back to 3 while a client keeps writing, with every
// acknowledged write still readable; removed nodes' peer connections close; a --join node catches up and is promoted by
// the leader's --auto-promote; a node joins a cluster whose client ports require mutual TLS. Method: in-process
// KvServer nodes on 127.0.0.1 (HostedCluster, data and certificates in a temporary folder deleted at the end), waits
// on conditions polled through the client protocol (no sleeps), every server disposed.
using KvRaft.Client;
using KvRaft.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Hosting;

public sealed class MembershipHostingTests
{
    [Fact]
    public async Task A_three_node_cluster_grows_to_five_and_shrinks_to_three_while_writes_go_on_and_no_acknowledged_write_is_lost()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance);
        await cluster.WaitForLeaderAsync(_ => true);
        using var stop = new CancellationTokenSource();
        var writer = WriteUntilStoppedAsync(cluster.Client, stop.Token);

        foreach (var id in new[] { 4, 5 })
        {
            await cluster.JoinAsync(id); // adds itself as a learner
            var options = cluster.Options[id - 1];
            await cluster.Client.AddLearnerAsync(id, options.PeerListen, options.ClientListen).WaitAsync(HostedCluster.Limit); // done already: Ok
            await WaitForMembersAsync(cluster, listing => Match(listing, id) >= listing.LastIndex - 10);
            await cluster.Client.PromoteLearnerAsync(id).WaitAsync(HostedCluster.Limit);
        }
        var five = await WaitForMembersAsync(cluster, listing => Voters(listing).SequenceEqual([1, 2, 3, 4, 5]));
        Assert.DoesNotContain(five.Members, member => member.Roles == MemberRoles.Learner);
        Assert.All(five.Members, member => Assert.NotNull(member.PeerAddress));

        foreach (var id in new[] { 4, 5 })
        {
            await cluster.Client.RemoveMemberAsync(id).WaitAsync(HostedCluster.Limit);
        }
        await WaitForMembersAsync(cluster, listing => Voters(listing).SequenceEqual([1, 2, 3]) && listing.Members.Count == 3);
        await WaitUntilAsync(() => new[] { 1, 2, 3 }.All(node => !cluster.IsConnected(node, 4) && !cluster.IsConnected(node, 5)));

        await stop.CancelAsync();
        var acknowledged = await writer;
        Assert.True(acknowledged.Count > 0, "no write was acknowledged");
        foreach (var (key, value) in acknowledged)
        {
            Assert.Equal(value, await cluster.Client.GetAsync(key).WaitAsync(HostedCluster.Limit));
        }
    }

    [Fact]
    public async Task A_joining_node_catches_up_and_the_leader_promotes_it_with_auto_promote()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, autoPromote: 100);
        await cluster.WaitForLeaderAsync(_ => true);
        for (var i = 0; i < 50; i++)
        {
            await cluster.Client.PutAsync("k" + i, "v" + i).WaitAsync(HostedCluster.Limit);
        }

        var endpoint = await cluster.JoinAsync(4);

        await WaitForMembersAsync(cluster, listing => Voters(listing).SequenceEqual([1, 2, 3, 4]));
        await cluster.Client.PutAsync("after", "promotion").WaitAsync(HostedCluster.Limit);
        var leader = await cluster.Client.MemberListAsync().WaitAsync(HostedCluster.Limit);
        var caughtUp = await cluster.WaitForStatusAsync(4, status => status.AppliedIndex >= leader.LastIndex);
        Assert.Equal(NodeRole.Follower, caughtUp.Role);
        var own = await cluster.Client.MemberListAsync(endpoint).WaitAsync(HostedCluster.Limit); // node 4's own view
        Assert.Equal([1, 2, 3, 4], Voters(own));
        Assert.Equal(cluster.Options[3].PeerListen, own.Members.Single(member => member.NodeId == 4).PeerAddress);
    }

    [Fact]
    public async Task A_node_joins_a_cluster_whose_client_ports_require_mutual_tls()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance, tls: true);
        await cluster.WaitForLeaderAsync(_ => true);
        await cluster.Client.PutAsync("before", "the join").WaitAsync(HostedCluster.Limit);

        await cluster.JoinAsync(4); // over TLS, presenting its own certificate: a plain join would not get an answer

        var listing = await WaitForMembersAsync(cluster, listing => listing.Members.Any(member => member.NodeId == 4) && Match(listing, 4) >= listing.LastIndex - 10);
        Assert.Equal(MemberRoles.Learner, listing.Members.Single(member => member.NodeId == 4).Roles);
        await cluster.Client.PromoteLearnerAsync(4).WaitAsync(HostedCluster.Limit);
        var voters = Voters(await cluster.Client.MemberListAsync().WaitAsync(HostedCluster.Limit));
        Assert.Equal([1, 2, 3, 4], voters);
    }

    [Fact]
    public async Task Membership_requests_are_refused_clearly()
    {
        await using var cluster = await HostedCluster.StartAsync(3, NullLoggerFactory.Instance);
        await cluster.WaitForLeaderAsync(_ => true);

        var notLearner = await Assert.ThrowsAsync<KvInvalidArgumentException>(() => cluster.Client.PromoteLearnerAsync(9).WaitAsync(HostedCluster.Limit));
        Assert.Contains("no learner", notLearner.Message);
        await Assert.ThrowsAsync<KvInvalidArgumentException>(() => cluster.Client.AddLearnerAsync(1, "127.0.0.1:1", "127.0.0.1:2").WaitAsync(HostedCluster.Limit));
        await Assert.ThrowsAsync<ArgumentException>(() => cluster.Client.AddLearnerAsync(7, "no port", "127.0.0.1:2").WaitAsync(HostedCluster.Limit));
        await cluster.Client.RemoveMemberAsync(9).WaitAsync(HostedCluster.Limit); // no member already: done
        var listing = await cluster.Client.MemberListAsync().WaitAsync(HostedCluster.Limit);
        Assert.Equal([1, 2, 3], Voters(listing));
        Assert.Equal(3, listing.Members.Count);
    }

    private static long Match(MemberListing listing, int id) => listing.Members.FirstOrDefault(member => member.NodeId == id).MatchIndex;

    private static int[] Voters(MemberListing listing) =>
        [.. listing.Members.Where(member => (member.Roles & MemberRoles.Voter) != 0).Select(member => member.NodeId)];

    private static async Task<MemberListing> WaitForMembersAsync(HostedCluster cluster, Func<MemberListing, bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostedCluster.Limit);
        while (true)
        {
            var listing = await cluster.Client.MemberListAsync(timeout: TimeSpan.FromSeconds(5), cancellationToken: deadline.Token);
            if (condition(listing))
            {
                return listing;
            }

            await Task.Delay(20, deadline.Token); // polling the leader's configuration: no event to wait on
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(HostedCluster.Limit);
        while (!condition())
        {
            await Task.Delay(20, deadline.Token); // polling the transports' connection state: no event to wait on
        }
    }

    /// <summary>Writes distinct keys one after another until stopped; returns those whose write was acknowledged.</summary>
    private static async Task<List<(string Key, string Value)>> WriteUntilStoppedAsync(KvClient client, CancellationToken stop)
    {
        var acknowledged = new List<(string, string)>();
        for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
        {
            try
            {
                await client.PutAsync("w" + i, "v" + i, TimeSpan.FromSeconds(5), stop);
                acknowledged.Add(("w" + i, "v" + i));
            }
            catch (Exception error) when (error is KvException or OperationCanceledException)
            {
                // not acknowledged: not checked
            }
        }
        return acknowledged;
    }
}
