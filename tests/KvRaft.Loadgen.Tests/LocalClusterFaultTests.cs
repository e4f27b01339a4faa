// Goal: a local cluster of processes cuts links outside the nodes: an isolated node stays cut off across a restart and a pause (the relays, not the nodes, hold the rules), and catches up after a heal; method: real kvraft-server processes whose peer links run through LocalCluster's relays, node progress read from each node's status.
using KvRaft.Protocol;

namespace KvRaft.Loadgen.Tests;

public sealed class LocalClusterFaultTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_isolated_node_stays_cut_off_across_a_restart_and_a_pause_and_catches_up_after_a_heal()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-faults-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, new LocalCluster.LocalClusterOptions { LinkRelays = true });
            var leader = await cluster.WaitForLeaderAsync(Limit);
            var follower = leader % 3 + 1;

            cluster.Isolate(follower);
            Assert.Equal(["isolate node " + follower], cluster.FaultRules);
            await cluster.Client.PutAsync("while-isolated", "1").WaitAsync(Limit);
            var committed = (await StatusAsync(cluster, leader)).CommitIndex;
            await cluster.KillAsync(follower).WaitAsync(Limit);
            await cluster.RestartAsync(follower).WaitAsync(Limit);
            var restarted = await StatusAsync(cluster, follower);
            Assert.True(restarted.AppliedIndex < committed, $"the restarted node applied {restarted.AppliedIndex} of {committed} while isolated");

            cluster.Pause(follower);
            cluster.Heal();
            Assert.Empty(cluster.FaultRules);
            cluster.Resume(follower);
            await WaitUntilAsync(async () => (await StatusAsync(cluster, follower)).AppliedIndex >= committed);
            Assert.True(cluster.Network!.Statistics.ConnectionsClosedByCut + cluster.Network.Statistics.ConnectionsRefused > 0);

            await cluster.Client.PutAsync("k", "v").WaitAsync(Limit);
            Assert.Equal("v", await cluster.Client.GetAsync("k").WaitAsync(Limit));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Transfer_leader_fault_moves_the_leadership_and_names_both_leaders()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-faults-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, new LocalCluster.LocalClusterOptions { Mode = LocalCluster.LocalClusterMode.InProcess });
            var before = await cluster.WaitForLeaderAsync(Limit);
            var faults = new FaultInjector(cluster, FaultPlan.Parse("transfer-leader@0s"));
            using var deadline = new CancellationTokenSource(Limit);

            await faults.RunAsync(Clock.NowNanoseconds(), deadline.Token);

            var after = await cluster.WaitForLeaderAsync(Limit);
            Assert.NotEqual(before, after);
            var fault = Assert.Single(faults.Events);
            Assert.Equal($"transfer-leader n{before}->n{after}", fault.Label);
            Assert.True(fault.TakenEffectNanoseconds >= fault.AtNanoseconds);
            await cluster.Client.PutAsync("after-transfer", "1").WaitAsync(Limit);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Stop_leader_fault_stops_the_leader_another_node_leads_and_restart_brings_it_back()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-faults-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, new LocalCluster.LocalClusterOptions { Mode = LocalCluster.LocalClusterMode.InProcess });
            var before = await cluster.WaitForLeaderAsync(Limit);
            var faults = new FaultInjector(cluster, FaultPlan.Parse("stop-leader@0s"));
            using var deadline = new CancellationTokenSource(Limit);

            await faults.RunAsync(Clock.NowNanoseconds(), deadline.Token);

            Assert.Equal($"stop-leader n{before}", Assert.Single(faults.Events).Label);
            Assert.False(cluster.IsRunning(before));
            Assert.NotEqual(before, await cluster.WaitForLeaderAsync(Limit));
            await faults.RestartAllAsync(); // what the restart fault does
            Assert.True(cluster.IsRunning(before));
            await cluster.Client.PutAsync("after-stop", "1").WaitAsync(Limit);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Network_faults_need_link_relays()
    {
        var directory = Path.Combine(Path.GetTempPath(), "kvraft-faults-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(1, directory, new LocalCluster.LocalClusterOptions { Mode = LocalCluster.LocalClusterMode.InProcess });
            Assert.Null(cluster.Network);
            Assert.Throws<InvalidOperationException>(() => cluster.Isolate(1));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>The status of node <paramref name="id"/>, asked until it answers (a process just started listens a moment later).</summary>
    private static async Task<NodeStatus> StatusAsync(LocalCluster.LocalCluster cluster, int id)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (true)
        {
            try
            {
                return await cluster.Client.StatusAsync(cluster.ClientEndpoints[id - 1], TimeSpan.FromSeconds(1), deadline.Token);
            }
            catch (Client.KvException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(20, deadline.Token); // a starting process: no event to wait on
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (!await condition())
        {
            await Task.Delay(20, deadline.Token); // polling node state: no event to wait on
        }
    }
}
