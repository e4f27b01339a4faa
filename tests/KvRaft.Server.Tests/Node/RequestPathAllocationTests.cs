// Goal: the node's request path (request in, response formatted, through the core, the log twin and the state machine twin) allocates nothing per request in steady state; method: a warmed-up single-node KvNode fed turns of Put or Get requests, allocated bytes of the thread counted over many turns.
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Server.Tests.Node;

public sealed class RequestPathAllocationTests
{
    private const int RequestsPerTurn = 64;
    private const int WarmupTurns = 500;
    private const int MeasuredTurns = 500;

    [Fact]
    public void PutTurns_AllocateLessThanABytePerRequest()
    {
        var path = new SingleNodePath();
        var bytes = path.AllocatedOver(path.PutTurn);
        Assert.Equal(0, path.Mismatches);
        Assert.True(bytes < MeasuredTurns * RequestsPerTurn, $"{bytes} bytes allocated for {MeasuredTurns * RequestsPerTurn} Puts");
    }

    [Fact]
    public void GetTurns_AllocateLessThanABytePerRequest()
    {
        var path = new SingleNodePath();
        path.PutTurn(); // every key has a value: the Gets answer Ok with it
        var bytes = path.AllocatedOver(path.GetTurn);
        Assert.Equal(0, path.Mismatches);
        Assert.True(bytes < MeasuredTurns * RequestsPerTurn, $"{bytes} bytes allocated for {MeasuredTurns * RequestsPerTurn} Gets");
    }

    /// <summary>A one-node cluster with an elected leader, one session and prepared request frames.</summary>
    private sealed class SingleNodePath
    {
        private readonly MemoryRaftLogStore _log = new();
        private readonly FormattingOutbox _responses = new();
        private readonly KvNode _node;
        private readonly byte[][] _puts = new byte[RequestsPerTurn][];
        private readonly byte[][] _gets = new byte[RequestsPerTurn][];
        private ulong _sequence;

        /// <summary>Requests that did not parse, log commits that did not end at once, and turns that did not answer every request Ok (no Assert inside a measured turn: it allocates).</summary>
        public int Mismatches { get; private set; }

        public SingleNodePath()
        {
            _node = new KvNode(new KvNodeOptions
            {
                Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
                Voters = new[] { 1 },
                Seed = 1,
                Limits = new ServerLimits { SnapshotAfterLogBytes = long.MaxValue },
            }, _log, new MemoryKvStateMachine(), new NoPeers(), _responses, NullLogger.Instance);
            for (var i = 0; i < 100 && _node.RaftStatus.Role != Role.Leader; i++)
            {
                Turn();
            }

            Assert.Equal(Role.Leader, _node.RaftStatus.Role);
            _node.OnClientRequest(1, new ClientRequest { RequestId = 1, Op = ClientOp.RegisterSession });
            Turn();
            var clientId = _responses.LastClientId;
            Assert.NotEqual(0UL, clientId);
            _responses.TakeOkCount();
            for (var i = 0; i < RequestsPerTurn; i++)
            {
                var key = System.Text.Encoding.ASCII.GetBytes($"k{i:D15}");
                _puts[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Put, ClientId = clientId, Key = key, Value = new byte[100] });
                _gets[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Get, Key = key });
            }
        }

        public long AllocatedOver(Action turn)
        {
            for (var i = 0; i < WarmupTurns; i++)
            {
                turn();
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < MeasuredTurns; i++)
            {
                turn();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        public void PutTurn()
        {
            foreach (var frame in _puts)
            {
                if (!ClientRequestCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var request).IsOk)
                {
                    Mismatches++;
                }

                _node.OnClientRequest(1, request with { Sequence = ++_sequence });
            }
            Turn();
            if (_responses.TakeOkCount() != RequestsPerTurn)
            {
                Mismatches++;
            }
        }

        public void GetTurn()
        {
            foreach (var frame in _gets)
            {
                if (!ClientRequestCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var request).IsOk)
                {
                    Mismatches++;
                }

                _node.OnClientRequest(1, request);
            }
            Turn();
            if (_responses.TakeOkCount() != RequestsPerTurn)
            {
                Mismatches++;
            }
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

                if (!_log.CommitAsync().IsCompletedSuccessfully)
                {
                    Mismatches++; // the memory log syncs at once
                }

                _node.OnLogWriteDurable();
            }
            if (_log.LastIndex - _log.FirstIndex >= 32)
            {
                _log.CompactUntil(_log.LastIndex - 16, _log.TryGetTerm(_log.LastIndex - 16, out var term) ? term : 0);
            }
        }

        private static byte[] Frame(ClientRequest request)
        {
            var frame = new byte[ClientRequestCodec.FrameSize(request)];
            ClientRequestCodec.FormatFrame(request, frame);
            return frame;
        }
    }

    /// <summary>Formats every response into one reused buffer, as the transport would, and counts the Ok ones.</summary>
    private sealed class FormattingOutbox : IClientOutbox
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _ok;

        public ulong LastClientId { get; private set; }

        public void Reply(long connectionId, in ClientResponse response)
        {
            ClientResponseCodec.FormatFrame(response, _buffer);
            LastClientId = response.ClientId;
            if (response.Status == ClientStatus.Ok)
            {
                _ok++;
            }
        }

        public void Flush() { }

        public int TakeOkCount()
        {
            var ok = _ok;
            _ok = 0;
            return ok;
        }
    }
}
