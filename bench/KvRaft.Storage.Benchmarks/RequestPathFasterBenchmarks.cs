// Goal: cost and allocation per client request of the node's request path on the production stores (FasterRaftLogStore, FasterKvStateMachine on real files), to compare with the in-memory twins of bench/KvRaft.Benchmarks; method: a single-node KvNode fed a turn of Put or Get frames, each Ready's log write committed (flushed) before the next.
using BenchmarkDotNet.Attributes;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Storage.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class RequestPathFasterBenchmarks
{
    private readonly FormattingOutbox _responses = new();
    private string? _directory;
    private FasterRaftLogStore _log = null!;
    private FasterKvStateMachine _machine = null!;
    private KvNode _node = null!;
    private byte[][] _putFrames = null!;
    private byte[][] _getFrames = null!;
    private ulong _sequence;

    /// <summary>Client requests that arrive in one event-loop turn (one proposal, one read round).</summary>
    [Params(1, 64, 1024)]
    public int RequestsPerTurn { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchData.NewDirectory("request-path");
        _log = FasterRaftLogStore.Open(Path.Combine(_directory, "log"));
        _machine = FasterKvStateMachine.Open(Path.Combine(_directory, "kv"));
        _node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
            Voters = new[] { 1 },
            Seed = 1,
            Limits = new ServerLimits { SnapshotAfterLogBytes = long.MaxValue },
        }, _log, _machine, new NoPeers(), _responses, NullLogger.Instance);
        for (var i = 0; i < 100 && _node.RaftStatus.Role != Role.Leader; i++)
        {
            Turn();
        }
        _node.OnClientRequest(1, new ClientRequest { RequestId = 1, Op = ClientOp.RegisterSession });
        Turn();
        var clientId = _responses.LastClientId;
        _putFrames = new byte[RequestsPerTurn][];
        _getFrames = new byte[RequestsPerTurn][];
        for (var i = 0; i < RequestsPerTurn; i++)
        {
            var key = BenchData.Key(i);
            _putFrames[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Put, ClientId = clientId, Key = key, Value = new byte[BenchData.ValueBytes] });
            _getFrames[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Get, Key = key });
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        _machine.Dispose();
        BenchData.Delete(_directory);
    }

    /// <summary>A turn of Puts: parse, batch into one proposal, persist and commit, apply, answer.</summary>
    [Benchmark]
    public int Puts()
    {
        foreach (var frame in _putFrames)
        {
            ClientRequestCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var request);
            _node.OnClientRequest(1, request with { Sequence = ++_sequence });
        }
        Turn();
        return _responses.TakeCount();
    }

    /// <summary>A turn of linearizable Gets: parse, one read index, serve from FasterKV, answer.</summary>
    [Benchmark]
    public int Gets()
    {
        foreach (var frame in _getFrames)
        {
            ClientRequestCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var request);
            _node.OnClientRequest(1, request);
        }
        Turn();
        return _responses.TakeCount();
    }

    private void Turn()
    {
        _node.OnTick();
        _node.EndTurn();
        while (_node.TryAcceptReady(out var mustCommit))
        {
            if (!mustCommit)
            {
                continue;
            }
            _log.CommitAsync().AsTask().GetAwaiter().GetResult();
            _node.OnLogWriteDurable();
        }
        // Keep the log short, as snapshots and compaction would (FasterLog truncates its front).
        if (_log.LastIndex - _log.FirstIndex >= 4096 && _log.TryGetTerm(_log.LastIndex - 16, out var term))
        {
            _log.CompactUntil(_log.LastIndex - 16, term);
        }
    }

    private static byte[] Frame(ClientRequest request)
    {
        var frame = new byte[ClientRequestCodec.FrameSize(request)];
        ClientRequestCodec.FormatFrame(request, frame);
        return frame;
    }

    private sealed class NoPeers : IPeerOutbox
    {
        public void Send(in PeerMessage message) { }

        public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) { }

        public void Flush() { }
    }

    /// <summary>Formats every response into one reused buffer, as the transport would.</summary>
    private sealed class FormattingOutbox : IClientOutbox
    {
        private readonly byte[] _buffer = new byte[1 << 20];
        private int _count;

        public ulong LastClientId { get; private set; }

        public void Reply(long connectionId, in ClientResponse response)
        {
            ClientResponseCodec.FormatFrame(response, _buffer);
            LastClientId = response.ClientId;
            _count++;
        }

        public void Flush() { }

        public int TakeCount()
        {
            var taken = _count;
            _count = 0;
            return taken;
        }
    }
}
