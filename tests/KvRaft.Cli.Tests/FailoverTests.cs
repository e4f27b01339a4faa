// Goal: writes continue while the leader is SIGKILLed under load, and every acknowledged write is there exactly once afterwards. Method: LocalCluster of kvraft-server processes; four writers on one client append unique tokens to their own keys; the leader is killed after 40 acknowledgements; the test waits for 40 more, then reads every key.
using KvRaft.Client;
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class FailoverTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Writers = 4, AcknowledgedBeforeKill = 40, AcknowledgedAfterKill = 40;

    [Fact]
    public async Task Writes_continue_across_a_killed_leader_and_every_acknowledged_write_is_read_back_once()
    {
        using var folder = new TempFolder("kvraft-failover");
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.Processes));
        using var load = new AppendLoad(cluster.Client, Writers);
        var running = load.RunAsync();
        await Bounded.Wait(load.Reached(AcknowledgedBeforeKill));
        var leader = await Bounded.Wait(cluster.WaitForLeaderAsync(Bounded.Limit));
        await cluster.KillAsync(leader);
        var killedAt = load.Acknowledged;
        await Bounded.Wait(load.Reached(killedAt + AcknowledgedAfterKill));
        load.Stop();
        await Bounded.Wait(running);
        output.WriteLine($"killed node {leader} after {killedAt} acknowledged appends; {load.Acknowledged} in all, {load.Unknown} unknown");
        for (var writer = 0; writer < Writers; writer++)
        {
            var value = await Bounded.Wait(cluster.Client.GetAsync(AppendLoad.Key(writer)));
            load.AssertExactlyOnce(writer, value);
        }
    }
}
