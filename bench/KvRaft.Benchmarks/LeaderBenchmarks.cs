// Goal: cost of a leader proposing a batch and committing it with acks from two followers; method: crafted acks, no follower nodes.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using KvRaft.Raft;

namespace KvRaft.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class LeaderBenchmarks
{
    private static readonly int[] Voters = { 1, 2, 3 };
    private readonly List<Message> _outbox = new();
    private MemoryStorage _storage = null!;
    private RaftNode _node = null!;
    private ReadOnlyMemory<byte>[] _batch = null!;

    [Params(1, 64, 1024)]
    public int Payloads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _storage = new MemoryStorage(Voters);
        _node = new RaftNode(new RaftConfig { Id = 1, Storage = _storage, Random = new Prng(7), PreVote = false });
        _batch = Enumerable.Range(0, Payloads).Select(_ => (ReadOnlyMemory<byte>)new byte[100]).ToArray();
        _node.Campaign();
        Drain();
        _node.Step(new Message { Type = MessageType.VoteResponse, From = 2, To = 1, Term = _node.Term });
        Drain();
        if (_node.Role != Role.Leader)
        {
            throw new InvalidOperationException("setup did not elect node 1");
        }
    }

    /// <summary>Propose one batch, persist it, ack every Append from both followers, apply the commit.</summary>
    [Benchmark]
    public long ProposeAndCommit()
    {
        if (_node.Propose(_batch, out var first) != ProposeStatus.Accepted)
        {
            throw new InvalidOperationException("refused");
        }

        Drain();
        if (_node.Committed < first + _batch.Length - 1)
        {
            throw new InvalidOperationException("not committed");
        }

        if (_storage.LastIndex - _storage.FirstIndex > 16_384)
        {
            _storage.CreateSnapshot(_node.Committed - 1, new ConfigState(Voters)); // storage compacts only behind a snapshot
            _storage.Compact(_node.Committed - 1);
        }
        return first;
    }

    private void Drain()
    {
        while (_node.HasReady)
        {
            var ready = _node.GetReady();
            _outbox.AddRange(ready.Messages);
            _storage.Append(ready.Entries);
            if (ready.HardStateChanged)
            {
                _storage.SetHardState(ready.HardState);
            }

            _outbox.AddRange(ready.MessagesAfterPersist);
            _node.Advance();
            for (var i = 0; i < _outbox.Count; i++)
            {
                var message = _outbox[i];
                if (message.Type != MessageType.Append || message.Entries.Length == 0)
                {
                    continue;
                }

                _node.Step(new Message
                {
                    Type = MessageType.AppendResponse,
                    From = message.To,
                    To = 1,
                    Term = _node.Term,
                    Index = message.Index + message.Entries.Length,
                });
            }
            _outbox.Clear();
        }
    }
}
