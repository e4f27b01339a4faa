// Goal: state machine apply throughput on FasterKV: batches of 1,024 Puts, 16-byte keys, 100-byte values;
// method: ApplyBatch over a 1M-key space (inserts first, then updates); each result is the time per Put.
using BenchmarkDotNet.Attributes;

namespace KvRaft.Storage.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class ApplyBenchmarks
{
    private const int BatchSize = 1024;
    private const long KeySpace = 1 << 20;
    private readonly byte[] value = BenchData.Bytes(BenchData.ValueBytes, 2);
    private readonly KvApply[] batch = new KvApply[BatchSize];
    private readonly List<KvResult> results = new(BatchSize);
    private string? directory;
    private FasterKvStateMachine machine = null!;
    private ReadOnlyMemory<byte>[] keys = null!;
    private long index;

    [GlobalSetup]
    public void Setup()
    {
        directory = BenchData.NewDirectory("apply");
        machine = FasterKvStateMachine.Open(directory);
        keys = new ReadOnlyMemory<byte>[KeySpace];
        for (var i = 0; i < KeySpace; i++)
        {
            keys[i] = BenchData.Key(i);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        machine.Dispose();
        BenchData.Delete(directory);
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public void Apply_1024_puts()
    {
        // Keys were built in the setup; filling the batch copies references only.
        for (var i = 0; i < BatchSize; i++)
        {
            index++;
            batch[i] = new KvApply(index, 1, new KvCommand(KvOp.Put, keys[index % KeySpace], value));
        }
        results.Clear();
        machine.ApplyBatch(batch, results);
    }
}
