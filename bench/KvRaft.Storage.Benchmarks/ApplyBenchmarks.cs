// Goal: state machine apply throughput and allocation on FasterKV: batches of 1,024 Puts, 16-byte keys, 100-byte
// values, without sessions and as clients send them (each under one of 256 sessions, as a node applies them);
// method: ApplyBatch over a 1M-key space (inserts first, then updates); each result is the time (and bytes) per Put.
using BenchmarkDotNet.Attributes;

namespace KvRaft.Storage.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class ApplyBenchmarks
{
    private const int BatchSize = 1024;
    private const long KeySpace = 1 << 20;
    private readonly byte[] _value = BenchData.Bytes(BenchData.ValueBytes, 2);
    private readonly KvApply[] _batch = new KvApply[BatchSize];
    private readonly List<KvResult> _results = new(BatchSize);
    private string? _directory;
    private FasterKvStateMachine _machine = null!;
    private ReadOnlyMemory<byte>[] _keys = null!;
    private const int Sessions = 256;
    private long _index;
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchData.NewDirectory("apply");
        _machine = FasterKvStateMachine.Open(_directory);
        _keys = new ReadOnlyMemory<byte>[KeySpace];
        for (var i = 0; i < KeySpace; i++)
        {
            _keys[i] = BenchData.Key(i);
        }
        for (var session = 1; session <= Sessions; session++)
        {
            _index++;
            _results.Clear();
            _machine.ApplyBatch([new KvApply(_index, 1, new KvCommand(KvOp.RegisterSession, default, ClientId: session))], _results);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _machine.Dispose();
        BenchData.Delete(_directory);
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public void Apply_1024_puts()
    {
        // Keys were built in the setup; filling the batch copies references only.
        for (var i = 0; i < BatchSize; i++)
        {
            _index++;
            _batch[i] = new KvApply(_index, 1, new KvCommand(KvOp.Put, _keys[_index % KeySpace], _value));
        }
        _results.Clear();
        _machine.ApplyBatch(_batch, _results);
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public void Apply_1024_session_puts()
    {
        for (var i = 0; i < BatchSize; i++)
        {
            _index++;
            var session = i % Sessions;
            if (session == 0)
            {
                _sequence++;
            }
            _batch[i] = new KvApply(_index, 1, new KvCommand(KvOp.Put, _keys[_index % KeySpace], _value, ClientId: session + 1, Sequence: _sequence));
        }
        _results.Clear();
        _machine.ApplyBatch(_batch, _results);
    }
}
