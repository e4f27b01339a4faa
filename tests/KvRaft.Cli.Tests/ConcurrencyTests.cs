// Goal: one client shared by 32 threads stays correct: every call completes and each thread reads back exactly what it wrote. Method: 32 dedicated threads on the blocking API (put, append, compare-and-set, get on keys of their own) against a real in-process three-node LocalCluster; joins are bounded.
using System.Diagnostics;
using KvRaft.Client;
using KvRaft.LocalCluster;

namespace KvRaft.Cli.Tests;

public sealed class ConcurrencyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Threads = 32, Rounds = 25;

    [Fact]
    public async Task Thirty_two_threads_on_one_client_complete_and_each_reads_its_own_writes()
    {
        using var folder = new TempFolder("kvraft-threads");
        await using var cluster = await LocalCluster.LocalCluster.StartAsync(3, folder.Path, Bounded.ClusterOptions(LocalClusterMode.InProcess));
        var client = cluster.Client;
        var failures = new Exception?[Threads];
        var watch = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, Threads).Select(index => new Thread(() => failures[index] = Capture(() => Work(client, index)))).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(Bounded.Limit), "a thread did not finish in time");
        }

        output.WriteLine($"{Threads} threads x {Rounds} rounds x 4 calls in {watch.ElapsedMilliseconds} ms");
        Assert.All(failures, failure => Assert.Null(failure));
    }

    private static void Work(KvClient client, int index)
    {
        var log = "";
        string? previous = null;
        for (var round = 0; round < Rounds; round++)
        {
            client.Put($"t{index}-put", $"v{round}");
            client.Append($"t{index}-log", $"{round},");
            log += $"{round},";
            var next = $"c{round}";
            Assert.Equal(new CasResult(true, next), client.CompareAndSet($"t{index}-cas", previous, next));
            previous = next;
            Assert.Equal($"v{round}", client.Get($"t{index}-put"));
        }
        Assert.Equal(log, client.Get($"t{index}-log"));
        Assert.Equal(previous, client.Get($"t{index}-cas"));
    }

    private static Exception? Capture(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception error)
        {
            return error;
        }
    }
}
