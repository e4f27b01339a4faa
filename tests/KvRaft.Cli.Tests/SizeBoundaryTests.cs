// Goal: requests at the exact size limits of the protocol work end to end, or are refused with a clear TooLarge answer, and no node ever stops because of a request's size. Method: a LocalCluster of three kvraft-server processes; a maximal Put, a maximal compare-and-set, 64 concurrent maximal Puts on one client (each Ok or a clear error, every Ok read back), the CLI fed a maximal value on stdin; after each, every node is still running and answers Status.
using KvRaft.Client;
using KvRaft.LocalCluster;
using KvRaft.Protocol;

namespace KvRaft.Cli.Tests;

public sealed partial class SizeBoundaryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int ConcurrentPuts = 64;

    [Fact]
    public async Task A_put_of_a_maximal_value_succeeds_reads_back_and_no_node_stops()
    {
        using var folder = new TempFolder("kvraft-size-put");
        await using var cluster = await StartAsync(folder);
        var value = Filled(ProtocolLimits.ValueBytesMax, seed: 1);
        await Bounded.Wait(cluster.Client.PutAsync("big"u8.ToArray(), value));
        Assert.Equal(value, await Bounded.Wait(cluster.Client.GetBytesAsync("big"u8.ToArray())));
        await AssertEveryNodeServes(cluster);
    }

    [Fact]
    public async Task A_compare_and_set_with_maximal_key_expected_value_and_new_value_swaps_and_no_node_stops()
    {
        using var folder = new TempFolder("kvraft-size-cas");
        await using var cluster = await StartAsync(folder);
        var key = Filled(ProtocolLimits.KeyBytesMax, seed: 2);
        var first = Filled(ProtocolLimits.ValueBytesMax, seed: 3);
        var second = Filled(ProtocolLimits.ValueBytesMax, seed: 4);
        await Bounded.Wait(cluster.Client.PutAsync(key, first));
        var result = await Bounded.Wait(cluster.Client.CompareAndSetAsync(key, first, second));
        Assert.True(result.Swapped);
        Assert.Equal(second, await Bounded.Wait(cluster.Client.GetBytesAsync(key)));
        await AssertEveryNodeServes(cluster);
    }

    [Fact]
    public async Task Sixty_four_concurrent_maximal_puts_each_end_ok_or_with_a_clear_error_and_every_ok_reads_back()
    {
        using var folder = new TempFolder("kvraft-size-concurrent");
        await using var cluster = await StartAsync(folder);
        var puts = Enumerable.Range(0, ConcurrentPuts)
            .Select(index => cluster.Client.PutAsync(Key(index), Filled(ProtocolLimits.ValueBytesMax, seed: 100 + index)))
            .ToArray();
        await Bounded.Wait(Task.WhenAll(puts).ContinueWith(_ => { }, TaskScheduler.Default)); // every put ended, one way or another
        var ok = 0;
        for (var index = 0; index < ConcurrentPuts; index++)
        {
            if (puts[index].IsCompletedSuccessfully)
            {
                ok++;
                Assert.Equal(Filled(ProtocolLimits.ValueBytesMax, seed: 100 + index), await Bounded.Wait(cluster.Client.GetBytesAsync(Key(index))));
                continue;
            }
            var error = puts[index].Exception!.InnerException!;
            output.WriteLine($"put {index}: {error.GetType().Name}: {error.Message}");
            Assert.True(error is KvNotAppliedException or KvOutcomeUnknownException, error.ToString()); // retryable or busy: a clear error, not a hang or a crash
        }
        output.WriteLine($"{ok} of {ConcurrentPuts} concurrent maximal puts acknowledged");
        await AssertEveryNodeServes(cluster);
    }

    [Fact]
    public async Task The_cli_puts_a_maximal_value_from_standard_input_and_reads_it_back()
    {
        using var folder = new TempFolder("kvraft-size-cli");
        await using var cluster = await StartAsync(folder);
        string value = new('v', ProtocolLimits.ValueBytesMax);
        var endpoints = string.Join(',', cluster.ClientEndpoints);
        var put = await Tool.RunAsync("kvraft.dll", ["put", "big", "-", "--endpoints", endpoints], input: value);
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Equal(value, await Bounded.Wait(cluster.Client.GetAsync("big")));
        await AssertEveryNodeServes(cluster);
    }

    private static Task<LocalCluster.LocalCluster> StartAsync(TempFolder folder) =>
        LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.Processes));

    /// <summary>Every node process is alive, answers Status, and the cluster still takes a write.</summary>
    private static async Task AssertEveryNodeServes(LocalCluster.LocalCluster cluster)
    {
        for (var id = 1; id <= cluster.NodeCount; id++)
        {
            Assert.True(cluster.IsRunning(id), $"node {id} stopped");
            var status = await Bounded.Wait(cluster.Client.StatusAsync(cluster.ClientEndpoints[id - 1]));
            Assert.Equal(id, status.NodeId);
        }
        await Bounded.Wait(cluster.Client.PutAsync("after", "still serving"));
        Assert.Equal("still serving", await Bounded.Wait(cluster.Client.GetAsync("after")));
    }

    private static byte[] Key(int index) => System.Text.Encoding.ASCII.GetBytes($"big-{index:D2}");

    /// <summary>Deterministic bytes, different for each seed.</summary>
    private static byte[] Filled(int bytes, int seed)
    {
        var value = new byte[bytes];
        new Random(seed).NextBytes(value);
        return value;
    }
}
