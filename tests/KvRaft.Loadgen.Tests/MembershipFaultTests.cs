// Goal: membership changes under load on real server processes keep the history linearizable and lose no acknowledged
// write: a 3-node cluster grows to 5 and shrinks back to 3 (add-learner, promote twice, remove-follower, remove-leader),
// and a dead follower is replaced (killed, its directory wiped, removed, a node with a new id added as a learner and
// promoted) with the new node holding the data. Method: LocalCluster processes with spare node slots (nodes that join
// with --join), loadgen's FaultInjector and load, the history checker over the run plus a final read of every key; waits
// are conditions polled through the client protocol; the cluster's folder is deleted and every process stopped at the end.
using KvRaft.Client;
using KvRaft.Protocol;
using Xunit.Abstractions;

namespace KvRaft.Loadgen.Tests;

public sealed class MembershipFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static readonly LoadSettings Workload = new()
    {
        Clients = 8,
        Duration = TimeSpan.FromSeconds(24),
        Mix = OperationMix.Parse("get=40,put=40,append=10,cas=10"),
        Keys = 100,
        ValueSize = 32,
        OperationTimeout = TimeSpan.FromSeconds(5),
        Seed = 15,
    };

    [Fact]
    public async Task A_cluster_growing_from_three_to_five_and_back_under_load_stays_linearizable_and_keeps_every_acknowledged_write()
    {
        var schedule = FaultPlan.Parse("add-learner@2s,promote@5s,add-learner@8s,promote@11s,remove-follower@14s,remove-leader@17s");
        var directory = NewDirectory();
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, new LocalCluster.LocalClusterOptions { SpareNodes = 2 });
            await using var client = cluster.CreateClient(new KvClientOptions { OperationTimeout = Workload.OperationTimeout });
            var faults = new FaultInjector(cluster, schedule);
            var run = await LoadRun.RunAsync(Workload, client, faults, null, CancellationToken.None);
            Assert.Equal(schedule.Count, run.Faults.Count);
            RunVerdict.Report(output, run, minimumSucceeded: 500);

            var listing = await client.MemberListAsync().WaitAsync(Limit);
            Assert.Equal(3, Voters(listing).Length);
            Assert.Equal(3, listing.Members.Count);
            Assert.Equal(Voters(listing), cluster.NodeIds);
            var joined = Voters(listing).Where(id => id > cluster.NodeCount).DefaultIfEmpty(0).Max(); // remove-follower took an initial node (the lowest id that did not lead): at most one added node left, as the leader
            Assert.True(joined > cluster.NodeCount, "no added node is left among the voters");

            // A joined node leads; a client that knows only the initial nodes' addresses (two of them gone) finds it by the hints.
            Assert.Equal(joined, await client.TransferLeadershipAsync(joined).WaitAsync(Limit));
            await using var initialOnly = KvClient.Connect(cluster.ClientEndpoints, new KvClientOptions { OperationTimeout = TimeSpan.FromSeconds(20) });
            await initialOnly.PutAsync("through-hints", "reached").WaitAsync(Limit);
            await RunVerdict.VerifyAsync(output, initialOnly, run, Workload);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_dead_follower_replaced_by_a_new_id_loses_no_acknowledged_write_and_the_new_node_holds_the_data()
    {
        var directory = NewDirectory();
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, new LocalCluster.LocalClusterOptions { SpareNodes = 1 });
            using var stop = new CancellationTokenSource();
            var writer = WriteUntilStoppedAsync(cluster.Client, stop.Token);
            await WaitForAsync(() => Task.FromResult(writer.IsCompleted || Volatile.Read(ref _acknowledgedCount) >= 50)); // some data before the death

            var leader = await cluster.WaitForLeaderAsync(Limit);
            var dead = cluster.NodeIds.First(id => id != leader);
            await cluster.KillAsync(dead);
            cluster.WipeData(dead);
            Assert.False(Directory.Exists(cluster.NodeDirectory(dead)));
            await cluster.RemoveAsync(dead, TimeSpan.FromSeconds(5)).WaitAsync(Limit);
            var fresh = await cluster.AddNodeAsync().WaitAsync(Limit);
            Assert.Equal(4, fresh);
            await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.AddNodeAsync()); // the one spare slot is used
            await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.RestartAsync(dead)); // a removed id never comes back
            await WaitForAsync(async () =>
            {
                var listing = await cluster.Client.MemberListAsync().WaitAsync(Limit);
                return listing.Members.Single(member => member.NodeId == fresh).MatchIndex >= listing.LastIndex - 100;
            });
            await cluster.Client.PromoteLearnerAsync(fresh).WaitAsync(Limit);
            _countAtPromotion = Volatile.Read(ref _acknowledgedCount);
            await WaitForAsync(() => Task.FromResult(Volatile.Read(ref _acknowledgedCount) >= _countAtPromotion + 50 || writer.IsCompleted));

            await stop.CancelAsync();
            var acknowledged = await writer;
            var members = await cluster.Client.MemberListAsync().WaitAsync(Limit);
            Assert.Equal([.. new[] { 1, 2, 3, 4 }.Where(id => id != dead)], Voters(members));
            output.WriteLine($"node {dead} replaced by node {fresh}; {acknowledged.Count} acknowledged writes");

            // The new node leads, then the third voter goes: every read is served by node 4 with one other voter.
            Assert.Equal(fresh, await cluster.Client.TransferLeadershipAsync(fresh).WaitAsync(Limit));
            await cluster.KillAsync(cluster.NodeIds.First(id => id != fresh && id != leader));
            foreach (var (key, value) in acknowledged)
            {
                Assert.Equal(value, await cluster.Client.GetAsync(key, TimeSpan.FromSeconds(20)).WaitAsync(Limit));
            }
            Assert.Equal(fresh, await cluster.FindLeaderAsync());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private int _acknowledgedCount;
    private int _countAtPromotion;

    private static string NewDirectory() => Path.Combine(Path.GetTempPath(), "kvraft-members-" + Guid.NewGuid().ToString("N"));

    private static int[] Voters(MemberListing listing) =>
        [.. listing.Members.Where(member => (member.Roles & MemberRoles.Voter) != 0).Select(member => member.NodeId)];

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (!await condition())
        {
            await Task.Delay(20, deadline.Token); // polling the cluster through the client protocol: no event to wait on
        }
    }

    /// <summary>Writes distinct keys one after another until stopped; returns those whose write was acknowledged.</summary>
    private async Task<List<(string Key, string Value)>> WriteUntilStoppedAsync(KvClient client, CancellationToken stop)
    {
        var acknowledged = new List<(string, string)>();
        for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
        {
            try
            {
                await client.PutAsync("w" + i, "v" + i, TimeSpan.FromSeconds(5), stop);
                acknowledged.Add(("w" + i, "v" + i));
                Interlocked.Increment(ref _acknowledgedCount);
            }
            catch (Exception error) when (error is KvException or OperationCanceledException)
            {
                // not acknowledged: not checked
            }
        }
        return acknowledged;
    }
}
