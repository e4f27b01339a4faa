// Goal: cost of a follower handling one Append batch or one heartbeat, Ready/Advance included; method: one RaftNode fed crafted leader messages.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using KvRaft.Raft;

namespace KvRaft.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class FollowerBenchmarks
{
    private static readonly int[] Voters = { 1, 2, 3 };
    private readonly ReadOnlyMemory<byte> _payload = new byte[100];
    private MemoryStorage _storage = null!;
    private RaftNode _node = null!;
    private Entry[] _entries = null!;
    private long _next;

    [Params(64, 1024)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _storage = new MemoryStorage(Voters);
        _node = new RaftNode(new RaftConfig { Id = 2, Storage = _storage, Random = new Prng(7) });
        _entries = new Entry[Entries];
        _next = 1;
        Drain();
    }

    /// <summary>One Append of <see cref="Entries"/> entries of 100 bytes: Step, persist to MemoryStorage, apply, Advance.</summary>
    [Benchmark]
    public int StepAppend()
    {
        var prev = _next - 1;
        for (var i = 0; i < _entries.Length; i++)
        {
            _entries[i] = new Entry(_next + i, 1, EntryType.Normal, _payload);
        }

        _node.Step(new Message
        {
            Type = MessageType.Append,
            From = 1,
            To = 2,
            Term = 1,
            Index = prev,
            LogTerm = prev == 0 ? 0 : 1,
            Commit = prev + _entries.Length,
            Entries = _entries,
        });
        _next += _entries.Length;
        var handled = Drain();
        if (_storage.LastIndex - _storage.FirstIndex > 16_384)
        {
            _storage.CreateSnapshot(_storage.LastIndex - 1, new ConfigState(Voters)); // storage compacts only behind a snapshot
            _storage.Compact(_storage.LastIndex - 1);
        }
        return handled;
    }

    /// <summary>One heartbeat: Step, the response in a Ready, Advance.</summary>
    [Benchmark]
    public int StepHeartbeat()
    {
        _node.Step(new Message { Type = MessageType.Heartbeat, From = 1, To = 2, Term = 1, Commit = _next - 1 });
        return Drain();
    }

    private int Drain()
    {
        var handled = 0;
        while (_node.HasReady)
        {
            var ready = _node.GetReady();
            if (ready.Snapshot is { } snapshot)
            {
                _storage.ApplySnapshot(snapshot);
            }

            _storage.Append(ready.Entries);
            if (ready.HardStateChanged)
            {
                _storage.SetHardState(ready.HardState);
            }

            handled += ready.Messages.Count + ready.MessagesAfterPersist.Count + ready.CommittedEntries.Count;
            _node.Advance();
        }
        return handled;
    }
}
