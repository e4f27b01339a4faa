// Goal: time to reopen (recover) a large Raft log: 1 GiB of 100-byte entries; method: write it once in the setup,
// then each invocation opens the store (FasterLog recovery + the full checked scan) and closes it.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace KvRaft.Storage.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class RecoveryBenchmarks
{
    private const long LogBytes = 1L << 30;
    private string? _directory;

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchData.NewDirectory("recovery");
        var (entries, bytes) = BenchData.WriteRaftLog(_directory, LogBytes);
        Console.WriteLine($"// recovery log: {entries} entries, {bytes} bytes");
    }

    [GlobalCleanup]
    public void Cleanup() => BenchData.Delete(_directory);

    [Benchmark]
    public long Reopen_1GiB_log()
    {
        using var store = FasterRaftLogStore.Open(_directory!);
        return store.LastIndex;
    }
}
