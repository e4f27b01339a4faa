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
    private readonly FormattingOutbox responses = new();
    private string? directory;
    private FasterRaftLogStore log = null!;
    private FasterKvStateMachine machine = null!;
    private KvNode node = null!;
    private byte[][] putFrames = null!;
    private byte[][] getFrames = null!;
    private ulong sequence;

    /// <summary>Client requests that arrive in one event-loop turn (one proposal, one read round).</summary>
    [Params(1, 64, 1024)]
    public int RequestsPerTurn { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        directory = BenchData.NewDirectory("request-path");
        log = FasterRaftLogStore.Open(Path.Combine(directory, "log"));
        machine = FasterKvStateMachine.Open(Path.Combine(directory, "kv"));
        node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(1, new Dictionary<int, string> { [1] = "127.0.0.1:8001" }),
            Voters = new[] { 1 },
            Seed = 1,
            Limits = new ServerLimits { SnapshotAfterLogBytes = long.MaxValue },
        }, log, machine, new NoPeers(), responses, NullLogger.Instance);
        for (var i = 0; i < 100 && node.RaftStatus.Role != Role.Leader; i++)
        {
            Turn();
        }
        node.OnClientRequest(1, new ClientRequest { RequestId = 1, Op = ClientOp.RegisterSession });
        Turn();
        var clientId = responses.LastClientId;
        putFrames = new byte[RequestsPerTurn][];
        getFrames = new byte[RequestsPerTurn][];
        for (var i = 0; i < RequestsPerTurn; i++)
        {
            var key = BenchData.Key(i);
            putFrames[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Put, ClientId = clientId, Key = key, Value = new byte[BenchData.ValueBytes] });
            getFrames[i] = Frame(new ClientRequest { RequestId = (ulong)i, Op = ClientOp.Get, Key = key });
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        log.Dispose();
        machine.Dispose();
        BenchData.Delete(directory);
    }

    /// <summary>A turn of Puts: parse, batch into one proposal, persist and commit, apply, answer.</summary>
    [Benchmark]
    public int Puts()
    {
        foreach (var frame in putFrames)
        {
            ClientRequestCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var request);
            node.OnClientRequest(1, request with { Sequence = ++sequence });
        }
        Turn();
        return responses.TakeCount();
    }

    /// <summary>A turn of linearizable Gets: parse, one read index, serve from FasterKV, answer.</summary>
    [Benchmark]
    public int Gets()
    {
        foreach (var frame in getFrames)
        {
            ClientRequestCodec.Parse(frame.AsMemory(FrameHeader.Bytes), out var request);
            node.OnClientRequest(1, request);
        }
        Turn();
        return responses.TakeCount();
    }

    private void Turn()
    {
        node.OnTick();
        node.EndTurn();
        while (node.TryAcceptReady(out var mustCommit))
        {
            if (!mustCommit)
            {
                continue;
            }
            log.CommitAsync().AsTask().GetAwaiter().GetResult();
            node.OnLogWriteDurable();
        }
        // Keep the log short, as snapshots and compaction would (FasterLog truncates its front).
        if (log.LastIndex - log.FirstIndex >= 4096 && log.TryGetTerm(log.LastIndex - 16, out var term))
        {
            log.CompactUntil(log.LastIndex - 16, term);
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

        public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot) { }

        public void Flush() { }
    }

    /// <summary>Formats every response into one reused buffer, as the transport would.</summary>
    private sealed class FormattingOutbox : IClientOutbox
    {
        private readonly byte[] buffer = new byte[1 << 20];
        private int count;

        public ulong LastClientId { get; private set; }

        public void Reply(long connectionId, in ClientResponse response)
        {
            ClientResponseCodec.FormatFrame(response, buffer);
            LastClientId = response.ClientId;
            count++;
        }

        public void Flush() { }

        public int TakeCount()
        {
            var taken = count;
            count = 0;
            return taken;
        }
    }
}
