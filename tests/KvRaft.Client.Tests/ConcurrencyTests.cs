// Goal: one client shared by many threads completes every call and hands each caller its own answer; concurrent requests share socket writes. Method: 32 threads issue 10,000 mixed calls against a fake that answers out of order, each thread checking results against its own model of its keys.
using System.Collections.Concurrent;
using Xunit.Abstractions;

namespace KvRaft.Client.Tests;

public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    private const int Threads = 32;
    private const int Operations = 10_000;

    [Fact]
    public async Task Thirty_two_threads_issuing_ten_thousand_mixed_calls_all_complete_with_their_own_answers()
    {
        await using var server = new FakeServer { ShuffleReplies = true };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        var failures = new ConcurrentQueue<Exception>();
        var completed = 0;
        var threads = Enumerable.Range(0, Threads).Select(thread => new Thread(() =>
        {
            try
            {
                Interlocked.Add(ref completed, RunThread(client, thread));
            }
            catch (Exception error)
            {
                failures.Enqueue(error);
            }
        })).ToList();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        threads.ForEach(thread => thread.Start());
        Assert.All(threads, thread => Assert.True(thread.Join(Bounded.Limit), "a thread did not finish in time"));
        watch.Stop();
        Assert.Empty(failures);
        Assert.Equal(Operations, completed);
        Assert.Equal(0, server.SessionOverlaps);
        Assert.Equal(0, server.Store.DuplicateApplications());
        output.WriteLine($"{Operations} calls on {Threads} threads in {watch.ElapsedMilliseconds} ms; frames {client.Counters.Frames}, socket writes {client.Counters.Writes}");
        Assert.True(client.Counters.Frames > client.Counters.Writes, "requests issued together should share socket writes");
    }

    /// <summary>Runs this thread's share of the calls on its own keys, checking each answer against a local model.</summary>
    private static int RunThread(KvClient client, int thread)
    {
        var model = new Dictionary<string, string?>();
        var done = 0;
        for (var i = thread; i < Operations; i += Threads)
        {
            var key = $"t{thread}-k{i % 3}";
            var expected = model.GetValueOrDefault(key);
            switch (i % 5)
            {
                case 0:
                    client.Put(key, $"v{i}");
                    model[key] = $"v{i}";
                    break;
                case 1:
                    Assert.Equal(expected, client.Get(key));
                    break;
                case 2:
                    client.Append(key, "a");
                    model[key] = expected + "a";
                    break;
                case 3:
                    Assert.Equal(new CasResult(true, $"c{i}"), client.CompareAndSet(key, expected, $"c{i}"));
                    model[key] = $"c{i}";
                    break;
                default:
                    Assert.Equal(expected is not null, client.Delete(key));
                    model[key] = null;
                    break;
            }
            done++;
        }
        return done;
    }

    [Fact]
    public async Task Requests_issued_in_the_same_instant_are_coalesced_into_few_socket_writes()
    {
        await using var server = new FakeServer { ShuffleReplies = true };
        await using var client = KvClient.Connect([server.Endpoint], Bounded.Options());
        await Bounded.Wait(client.PutAsync("k", "v"));
        var before = (client.Counters.Frames, client.Counters.Writes);
        var values = await Bounded.Wait(Task.WhenAll(Enumerable.Range(0, 2_000).Select(_ => client.GetAsync("k"))));
        Assert.All(values, value => Assert.Equal("v", value));
        var frames = client.Counters.Frames - before.Frames;
        var writes = client.Counters.Writes - before.Writes;
        output.WriteLine($"2,000 gets: {frames} frames in {writes} socket writes");
        Assert.Equal(2_000, frames);
        // How many frames share a write depends on thread scheduling (504 of 2,000 were seen on a loaded machine,
        // 1–5 on an idle one); half is a bound that still fails if requests are written one by one.
        Assert.True(writes <= frames / 2, $"{writes} writes for {frames} frames");
    }
}

public sealed class InFlightLimitTests
{
    [Fact]
    public async Task One_request_in_flight_per_connection_still_completes_many_concurrent_calls_in_turn()
    {
        await using var server = new FakeServer { ShuffleReplies = true };
        var options = Bounded.Options() with { MaxInFlightPerConnection = 1 };
        await using var client = KvClient.Connect([server.Endpoint], options);
        await Bounded.Wait(Task.WhenAll(Enumerable.Range(0, 100).Select(i => client.PutAsync("k" + i, "v"))));
        Assert.Equal(client.Counters.Frames, client.Counters.Writes); // one at a time: nothing to coalesce
        Assert.Equal("v", server.Store.Value("k99"));
    }
}
