using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Simulation;

/// <summary>
/// One node of the simulated KV cluster: the production KvNode over the in-memory twins of the
/// log store and state machine (which survive a crash, as their durable originals do).
/// </summary>
internal sealed class KvSimNode(KvSimCluster cluster, int id, int[] voters, string stagingDirectory, ServerLimits limits)
{
    private readonly MemoryRaftLogStore _log = new();
    private readonly MemoryKvStateMachine _machine = new(new StorageLimits { SnapshotChunkBytes = 512 });

    public int Id { get; } = id;

    public KvNode? Node { get; private set; }

    public bool IsUp => Node is not null;

    public long AppliedIndex => _machine.AppliedIndex;

    public byte[]? Read(string key) => _machine.Get(System.Text.Encoding.UTF8.GetBytes(key));

    public void Start()
    {
        Node = new KvNode(new KvNodeOptions
        {
            Cluster = new ClusterInfo(Id, voters.ToDictionary(v => v, v => $"sim:{v}")),
            Voters = voters,
            Seed = cluster.Random.NextUInt64(),
            ElectionTicks = 10,
            HeartbeatTicks = 1,
            Limits = limits,
        }, _log, _machine, new SimPeerOutbox(cluster, Id), new SimClientOutbox(cluster, Id), NullLogger.Instance)
        {
            NewSnapshotInstaller = () => new SnapshotInstaller(_machine, stagingDirectory),
        };
    }

    public void Crash() => Node = null;

    public void Deliver(in PeerMessage message) => Node?.OnPeerMessage(message);

    public void DeliverChunk(int from, in WireSnapshotChunk chunk) => Node?.OnSnapshotChunk(from, chunk);

    public void ReportSnapshotSent(int to, bool delivered) => Node?.OnSnapshotSent(to, delivered);

    public void Request(long connectionId, in ClientRequest request) => Node?.OnClientRequest(connectionId, request);

    /// <summary>One tick: time, then the turn's batching, then every Ready (the memory log commits at once).</summary>
    public void Step()
    {
        if (Node is not { } node) return;
        node.OnTick();
        node.EndTurn();
        for (int round = 0; round < 8 && node.TryBeginReady(out bool mustCommit); round++)
        {
            if (mustCommit) Assert.True(_log.CommitAsync().IsCompletedSuccessfully);
            node.CompleteReady();
        }
        if (node.TryStartSnapshot(out byte[] configuration))
        {
            ValueTask<SnapshotInfo> snapshot = _machine.TakeSnapshotAsync(configuration);
            Assert.True(snapshot.IsCompletedSuccessfully);
            node.OnSnapshotTaken(snapshot.Result);
        }
    }
}
