// Goal: the client works against a real three-node cluster: it finds the leader, every operation behaves, and writes survive the leader's loss exactly once. Method: RealCluster in process on free 127.0.0.1 ports; bounded waits.
using KvRaft.Protocol;

namespace KvRaft.Client.Tests;

public sealed class ClusterIntegrationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static KvClientOptions Options() => Bounded.Options() with { OperationTimeout = TimeSpan.FromSeconds(15) };

    [Fact]
    public async Task Every_operation_works_against_a_real_three_node_cluster()
    {
        await using var cluster = await RealCluster.StartAsync();
        await using var client = KvClient.Connect(cluster.Endpoints, Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        Assert.Equal("v", await Bounded.Wait(client.GetAsync("k")));
        await Bounded.Wait(client.AppendAsync("k", "w"));
        Assert.Equal(new CasResult(true, "x"), await Bounded.Wait(client.CompareAndSetAsync("k", "vw", "x")));
        Assert.Equal(new CasResult(false, "x"), await Bounded.Wait(client.CompareAndSetAsync("k", null, "y")));
        Assert.True(await Bounded.Wait(client.DeleteAsync("k")));
        Assert.False(await Bounded.Wait(client.DeleteAsync("k")));
        Assert.Null(await Bounded.Wait(client.GetAsync("k")));
        await Bounded.Wait(Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.AppendAsync("many", "."))));
        Assert.Equal(200, (await Bounded.Wait(client.GetAsync("many")))!.Length);
    }

    [Fact]
    public async Task Appends_continue_exactly_once_after_the_leader_stops()
    {
        await using var cluster = await RealCluster.StartAsync();
        await using var client = KvClient.Connect(cluster.Endpoints, Options());
        for (var i = 0; i < 5; i++)
        {
            await Bounded.Wait(client.AppendAsync("log", "a"));
        }
        var leader = await LeaderAsync(client, cluster);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await cluster.StopAsync(leader);
        var stopped = watch.ElapsedMilliseconds;
        await Bounded.Wait(client.AppendAsync("log", "b"));
        output.WriteLine($"leader stopped in {stopped} ms; first append after it done {watch.ElapsedMilliseconds - stopped} ms later");
        for (var i = 1; i < 5; i++)
        {
            await Bounded.Wait(client.AppendAsync("log", "b"));
        }
        Assert.Equal("aaaaabbbbb", await Bounded.Wait(client.GetAsync("log")));
    }

    private static async Task<int> LeaderAsync(KvClient client, RealCluster cluster)
    {
        foreach (var endpoint in cluster.Endpoints)
        {
            var status = await Bounded.Wait(client.StatusAsync(endpoint));
            if (status.Role == NodeRole.Leader)
            {
                return status.NodeId;
            }
        }
        throw new InvalidOperationException("no node reports itself leader");
    }
}
