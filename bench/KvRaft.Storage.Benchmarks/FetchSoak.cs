// Goal: how fast a leader's background log reads (IRaftLogStore.ReadStoredAsync, the fetches that catch up a follower
// or learner whose entries were evicted from the cache) go, idle and with the thread pool busy as on a loaded server
// (issue 15: a learner joining under full load took 73 s). Method: a FasterRaftLogStore with a small entry cache
// filled with ENTRIES entries of BYTES bytes and committed, then every entry read back in 4 MiB fetches from the first
// index, one fetch at a time (as LogFetches does for one follower); with "busy", as many spinning work items as cores
// keep the thread pool occupied meanwhile. Prints MiB/s and the mean time of one fetch.
// Run: dotnet run -c Release --project bench/KvRaft.Storage.Benchmarks -- --fetch-soak [entries] [bytes] [busy]
using System.Diagnostics;
using System.Globalization;

namespace KvRaft.Storage.Benchmarks;

internal static class FetchSoak
{
    private const long FetchBytesMax = 4L << 20; // ServerLimits.LogFetchBytesMax

    public static async Task RunAsync(string[] args)
    {
        var entries = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
        var entryBytes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4_096;
        var busy = args.Length > 3 && args[3] == "busy";
        var directory = BenchData.NewDirectory("fetch");
        try
        {
            using var log = FasterRaftLogStore.Open(directory, StorageLimits.Default with { EntryCacheBytes = 1 << 20 });
            var payload = BenchData.Bytes(entryBytes, 1);
            var batch = new LogEntry[256];
            for (var index = 1; index <= entries; index += batch.Length)
            {
                var count = Math.Min(batch.Length, entries - index + 1);
                for (var i = 0; i < count; i++)
                {
                    batch[i] = new LogEntry(index + i, 1, 0, payload);
                }
                log.Append(batch.AsSpan(0, count), null);
                await log.CommitAsync();
            }

            using var stop = new CancellationTokenSource();
            var burners = busy ? Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(() => Burn(stop.Token))).ToArray() : [];
            var read = new List<LogEntry>();
            long next = 1, fetches = 0, bytes = 0;
            var clock = Stopwatch.StartNew();
            while (next <= entries)
            {
                read.Clear();
                await log.ReadStoredAsync(next, entries + 1, FetchBytesMax, read);
                next = read[^1].Index + 1;
                bytes += read.Sum(entry => (long)entry.Data.Length);
                fetches++;
            }
            var seconds = clock.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            await Task.WhenAll(burners);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fetch soak ({(busy ? "busy thread pool" : "idle")}): {entries:N0} entries of {entryBytes:N0} bytes, {fetches} fetches of up to 4 MiB: {bytes / seconds / (1 << 20):N1} MiB/s, {seconds * 1000 / fetches:N1} ms a fetch"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A thread-pool work item that spins, yielding now and then, as a loaded server's work does.</summary>
    private static async Task Burn(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 1000);
            while (Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(100);
            }
            await Task.Yield();
        }
    }
}
