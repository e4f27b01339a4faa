// Goal: a local cluster started again on the same data directory finds its data; method: a real in-process three-node LocalCluster written to, disposed, and started again on the same folder.
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class LocalClusterRestartTests
{
    [Fact]
    public async Task Cluster_started_again_on_the_same_directory_serves_the_data_written_before()
    {
        using var folder = new TempFolder("kvraft-restart");
        await using (var first = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.InProcess)))
        {
            await Bounded.Wait(first.Client.PutAsync("durable", "v1"));
            await Bounded.Wait(first.Client.AppendAsync("durable", "+v2"));
        }
        await using var second = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.InProcess));
        Assert.Equal("v1+v2", await Bounded.Wait(second.Client.GetAsync("durable")));
        await Bounded.Wait(second.Client.PutAsync("after", "restart"));
        Assert.Equal("restart", await Bounded.Wait(second.Client.GetAsync("after")));
    }
}
