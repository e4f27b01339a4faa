// Goal: cost per client request of the node's full request path without sockets (request frame in, response frame out, through the core, the log store and the state machine); method: a single-node KvNode over the in-memory storage twins, fed a turn of Put or Get frames.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class RequestPathBenchmarks
{
    private const int KeptEntries = 16;
    private readonly FormattingOutbox _responses = new();
    private MemoryRaftLogStore _log = null!;
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
        _log = new MemoryRaftLogStore();
        _node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
            Voters = new[] { 1 },
            Seed = 1,
            Limits = new ServerLimits { SnapshotAfterLogBytes = long.MaxValue },
        }, _log, new MemoryKvStateMachine(), new NoPeers(), _responses, NullLogger.Instance);
        for (var i = 0; i < 100 && _node.RaftStatus.Role != Raft.Role.Leader; i++)
        {
            Turn();
        }

        var clientId = Register();
        _putFrames = new byte[RequestsPerTurn][];
        _getFrames = new byte[RequestsPerTurn][];
        for (var i = 0; i < RequestsPerTurn; i++)
        {
            _putFrames[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Put, ClientId = clientId, Key = Key(i), Value = new byte[100] });
            _getFrames[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Get, Key = Key(i) });
        }
        _sequence = 0;
    }

    /// <summary>A turn of Puts: parse, batch into one proposal, persist, commit, apply, answer.</summary>
    [Benchmark]
    public int Puts()
    {
        for (var i = 0; i < _putFrames.Length; i++)
        {
            // One session, a fresh sequence number per Put: the node applies them in order within the batch.
            ClientRequestCodec.Parse(_putFrames[i].AsMemory(FrameHeader.Bytes), out var request);
            _node.OnClientRequest(1, request with { Sequence = ++_sequence });
        }
        Turn();
        return _responses.TakeCount();
    }

    /// <summary>A turn of linearizable Gets: parse, one read index, serve from the state machine, answer.</summary>
    [Benchmark]
    public int Gets()
    {
        for (var i = 0; i < _getFrames.Length; i++)
        {
            ClientRequestCodec.Parse(_getFrames[i].AsMemory(FrameHeader.Bytes), out var request);
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

            _ = _log.CommitAsync(); // the memory twin commits at once (and forgets what it kept to lose at a crash)
            _node.OnLogWriteDurable();
        }
        // Keep the log short, as snapshots and compaction would: the twin returns compacted entries' buffers to the pool.
        if (_log.LastIndex - _log.FirstIndex >= 2 * KeptEntries)
        {
            _log.CompactUntil(_log.LastIndex - KeptEntries, _log.TryGetTerm(_log.LastIndex - KeptEntries, out var term) ? term : 0);
        }
    }

    private ulong Register()
    {
        _node.OnClientRequest(1, new ClientRequest { RequestId = 1, Op = ClientOp.RegisterSession });
        Turn();
        return _responses.LastClientId;
    }

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"k{i:D15}");

    private static byte[] Frame(ClientRequest request)
    {
        var frame = new byte[FrameHeader.Bytes + ClientRequestCodec.Size(request)];
        FrameHeader.Format(FrameType.ClientRequest, frame.Length - FrameHeader.Bytes, frame);
        ClientRequestCodec.Format(request, frame.AsSpan(FrameHeader.Bytes));
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
            var count = _count;
            _count = 0;
            return count;
        }
    }
}
