// Goal: durable appends per second of the FasterLog Raft log with a commit every 1, 64 and 1,024 entries of 100 bytes;
// method: append and CommitAsync on real files in a temp folder; each result is the time per durable entry.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace KvRaft.Storage.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class LogAppendBenchmarks
{
    private readonly ReadOnlyMemory<byte> _data = BenchData.Bytes(BenchData.EntryBytes, 1);
    private string? _directory;
    private FasterRaftLogStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchData.NewDirectory("append");
        _store = FasterRaftLogStore.Open(_directory);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        BenchData.Delete(_directory);
    }

    private async Task Run(int entriesPerCommit, int commits)
    {
        for (var c = 0; c < commits; c++)
        {
            _store.Append(BenchData.Entries(_store.LastIndex + 1, entriesPerCommit, _data), null);
            await _store.CommitAsync();
        }
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public Task Commit_every_entry() => Run(1, 64);

    [Benchmark(OperationsPerInvoke = 64 * 64)]
    public Task Commit_every_64_entries() => Run(64, 64);

    [Benchmark(OperationsPerInvoke = 1024 * 16)]
    public Task Commit_every_1024_entries() => Run(1024, 16);
}
