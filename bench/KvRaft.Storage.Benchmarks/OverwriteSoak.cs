// Goal: the state machine's disk use and snapshot time under a long run of overwrites of a small key space (issue 14:
// 10,000 keys, 100-byte values); method: FasterKvStateMachine with the default limits, batches of 1,024 Puts applied
// as fast as they go, a snapshot taken in the background each time the puts since the last one would fill
// SnapshotAfterLogBytes of Raft log (as a node takes them; one at a time), the folder's file lengths summed after each.
// Run: dotnet run -c Release --project bench/KvRaft.Storage.Benchmarks -- --overwrite-soak [millions of puts, default 20]
using System.Diagnostics;
using System.Globalization;
using KvRaft.Server.Node;

namespace KvRaft.Storage.Benchmarks;

internal static class OverwriteSoak
{
    private const int Keys = 10_000;
    private const int BatchSize = 1024;
    private const int LogBytesPerPut = 16 + 100 + 40; // key, value, entry and command headers: about a put's Raft entry

    public static async Task RunAsync(long puts)
    {
        var directory = BenchData.NewDirectory("soak");
        try
        {
            var limits = StorageLimits.Default;
            using var machine = FasterKvStateMachine.Open(directory, limits);
            var keys = Enumerable.Range(0, Keys).Select(k => (ReadOnlyMemory<byte>)BenchData.Key(k)).ToArray();
            var values = Enumerable.Range(0, 16).Select(seed => (ReadOnlyMemory<byte>)BenchData.Bytes(BenchData.ValueBytes, seed)).ToArray();
            var batch = new KvApply[BatchSize];
            var results = new List<KvResult>(BatchSize);
            var putsPerSnapshot = new ServerLimits().SnapshotAfterLogBytes / LogBytesPerPut; // the policy's cap
            Task<double>? snapshot = null;
            long index = 0, sinceSnapshot = 0, snapshots = 0;
            double lastSnapshotMilliseconds = 0;
            var applying = Stopwatch.StartNew();
            Console.WriteLine($"overwrite soak: {puts:N0} puts over {Keys:N0} keys, 100-byte values, a snapshot every {putsPerSnapshot:N0} puts");
            while (index < puts)
            {
                for (var i = 0; i < BatchSize; i++)
                {
                    index++;
                    batch[i] = new KvApply(index, 1, new KvCommand(KvOp.Put, keys[index % Keys], values[(index / Keys) % values.Length]));
                }
                results.Clear();
                machine.ApplyBatch(batch, results);
                sinceSnapshot += BatchSize;
                if (snapshot is { IsCompleted: true })
                {
                    lastSnapshotMilliseconds = await snapshot;
                    snapshot = null;
                    snapshots++;
                    Report(directory, index, snapshots, lastSnapshotMilliseconds, applying);
                }
                if (snapshot is null && sinceSnapshot >= putsPerSnapshot)
                {
                    sinceSnapshot = 0;
                    snapshot = TimedSnapshot(machine);
                }
            }
            var seconds = applying.Elapsed.TotalSeconds;
            if (snapshot is not null)
            {
                lastSnapshotMilliseconds = await snapshot;
                snapshots++;
            }
            Console.WriteLine($"applied {index:N0} puts in {seconds:F1} s: {index / seconds:N0} puts/s (snapshots in the background)");
            Report(directory, index, snapshots, lastSnapshotMilliseconds, applying);
            var final = await TimedSnapshot(machine);
            Console.WriteLine($"one more snapshot at the end (nothing applied meanwhile): {final:F0} ms");
            Report(directory, index, snapshots + 1, final, applying);
        }
        finally
        {
            BenchData.Delete(directory);
        }
    }

    private static async Task<double> TimedSnapshot(FasterKvStateMachine machine)
    {
        var started = Stopwatch.GetTimestamp();
        await Task.Run(async () => await machine.TakeSnapshotAsync([1]));
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static void Report(string directory, long puts, long snapshots, double snapshotMilliseconds, Stopwatch applying)
    {
        var files = new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).ToList();
        var total = files.Sum(f => f.Length);
        var log = files.Where(f => f.Name.StartsWith("hlog.log.", StringComparison.Ordinal)).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{applying.Elapsed.TotalSeconds,7:F1} s {puts,12:N0} puts, {snapshots,3} snapshots (last {snapshotMilliseconds,6:F0} ms): state machine {total / 1048576.0,8:F1} MiB, of which log {log.Sum(f => f.Length) / 1048576.0,8:F1} MiB in {log.Count} segment(s)"));
    }
}
