// Goal: time and size of a state machine snapshot of 1M keys (16-byte keys, 100-byte pseudo-random values);
// method: load once, then TakeSnapshotAsync (fold-over checkpoint + LZ4 chunked export) per invocation.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace KvRaft.Storage.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class SnapshotBenchmarks
{
    private const int KeyCount = 1_000_000;
    private const int BatchSize = 1024;
    private string? _directory;
    private FasterKvStateMachine _machine = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchData.NewDirectory("snapshot");
        _machine = FasterKvStateMachine.Open(_directory);
        var random = new Random(3);
        var results = new List<KvResult>(BatchSize);
        var batch = new List<KvApply>(BatchSize);
        for (var i = 0; i < KeyCount; i++)
        {
            var value = new byte[BenchData.ValueBytes];
            random.NextBytes(value);
            batch.Add(new KvApply(i + 1, 1, new KvCommand(KvOp.Put, BenchData.Key(i), value)));
            if (batch.Count == BatchSize || i == KeyCount - 1)
            {
                results.Clear();
                _machine.ApplyBatch(batch.ToArray(), results);
                batch.Clear();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// snapshot of {KeyCount} keys: {_machine.LatestSnapshot?.TotalBytes} bytes");
        _machine.Dispose();
        BenchData.Delete(_directory);
    }

    [Benchmark]
    public async Task<long> Snapshot_1M_keys()
    {
        var info = await _machine.TakeSnapshotAsync([1, 2, 3]);
        return info.Index;
    }
}
