// Goal: a local cluster of processes tells every node its network fault rules, and a node that restarts or resumes gets the rules in force; method: real kvraft-server processes with --fault-control, each node's rules probed through its own fault control answer.
using KvRaft.Client;

namespace KvRaft.Loadgen.Tests;

public sealed class LocalClusterFaultTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_restarted_or_resumed_node_gets_the_rules_in_force()
    {
        string directory = Path.Combine(Path.GetTempPath(), "kvraft-faults-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, directory, new LocalCluster.LocalClusterOptions { FaultControl = true });
            int leader = await cluster.WaitForLeaderAsync(Limit);
            int follower = leader % 3 + 1, other = follower % 3 + 1;

            await cluster.IsolateAsync(follower).WaitAsync(Limit);
            Assert.StartsWith($"isolated: {follower};", await ProbeAsync(cluster, leader, other, follower));
            await cluster.KillAsync(follower).WaitAsync(Limit);
            await cluster.RestartAsync(follower).WaitAsync(Limit);
            Assert.StartsWith($"isolated: {follower};", await ProbeAsync(cluster, follower, other, follower));
            Assert.Equal(["isolate node " + follower], cluster.FaultRules);

            cluster.Pause(follower);
            await cluster.HealAsync().WaitAsync(Limit);
            Assert.Empty(cluster.FaultRules);
            await cluster.ResumeAsync(follower).WaitAsync(Limit);
            Assert.StartsWith("isolated: none;", await ProbeAsync(cluster, follower, other, follower));

            await cluster.HealAsync().WaitAsync(Limit);
            await cluster.Client.PutAsync("k", "v").WaitAsync(Limit);
            Assert.Equal("v", await cluster.Client.GetAsync("k").WaitAsync(Limit));
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The rules node <paramref name="node"/> holds, read from its answer to a harmless extra one-way cut.</summary>
    private static Task<string> ProbeAsync(LocalCluster.LocalCluster cluster, int from, int to, int node) =>
        FaultControl.CutAsync(cluster.ClientEndpoints[node - 1], from, to).WaitAsync(Limit);
}
