// Goal: a write that times out while the leader is stopped is applied at most once, and later writes from the same client apply exactly once. Method: LocalCluster of kvraft-server processes; SIGSTOP the leader and one follower (no quorum is left to elect another leader the client could move to), append with a 1 s per-call timeout (expect KvOutcomeUnknownException), SIGCONT both, append again, then count the tokens in the value.
using KvRaft.Client;
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class RetryAfterTimeoutTests
{
    [Fact]
    public async Task An_append_that_timed_out_against_a_paused_leader_appears_at_most_once()
    {
        using var folder = new TempFolder("kvraft-paused");
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.Processes));
        var client = cluster.Client;
        await Bounded.Wait(client.AppendAsync("log", "a;"));
        var leader = await Bounded.Wait(cluster.WaitForLeaderAsync(Bounded.Limit));
        var follower = leader % 3 + 1;
        cluster.Pause(leader);
        cluster.Pause(follower);
        try
        {
            await Assert.ThrowsAsync<KvOutcomeUnknownException>(() => Bounded.Wait(client.AppendAsync("log", "b;", TimeSpan.FromSeconds(1))));
        }
        finally
        {
            cluster.Resume(follower);
            cluster.Resume(leader);
        }
        await Bounded.Wait(client.AppendAsync("log", "c;"));
        await Bounded.Wait(client.AppendAsync("log", "d;"));
        var tokens = (await Bounded.Wait(client.GetAsync("log")))!.Split(';', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, tokens.Count(t => t == "a"));
        Assert.InRange(tokens.Count(t => t == "b"), 0, 1);
        Assert.Equal(1, tokens.Count(t => t == "c"));
        Assert.Equal(1, tokens.Count(t => t == "d"));
        Assert.Equal(["a", "c", "d"], tokens.Where(t => t != "b"));
    }
}
