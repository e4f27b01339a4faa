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
    private MemoryRaftLogStore _log = new();
    private MemoryKvStateMachine _machine = new(new StorageLimits { SnapshotChunkBytes = 512 });
    private readonly Queue<long> _writesDueTicks = new(); // asynchronous storage writes in flight, ending in order

    public int Id { get; } = id;

    public KvNode? Node { get; private set; }

    public bool IsUp => Node is not null;

    public long AppliedIndex => _machine.AppliedIndex;

    /// <summary>Bytes of log kept since its last compaction (the memory twin's count).</summary>
    public long LogBytesSinceCompaction => _log.BytesSinceCompaction;

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

    public void Crash()
    {
        Node = null;
        _writesDueTicks.Clear();
        _log = _log.Recover(writesKept: 0); // what was not committed is gone (here: a commit index not waited for)
        _machine = _machine.Recover(); // back to its last snapshot; the node replays the log
    }

    public void Deliver(in PeerMessage message) => Node?.OnPeerMessage(message);

    public void DeliverChunk(int from, in WireSnapshotChunk chunk) => Node?.OnSnapshotChunk(from, chunk);

    public void ReportSnapshotSent(int to, bool delivered) => Node?.OnSnapshotSent(to, delivered);

    public void Request(long connectionId, in ClientRequest request) => Node?.OnClientRequest(connectionId, request);

    /// <summary>
    /// One tick: time, then the turn's batching, then the Readies. Readies are taken while earlier log writes are
    /// in flight; each write ends after a drawn delay (see <see cref="KvSimCluster.LogWriteDelayTicksMax"/>), in
    /// order (the memory log itself is durable at once: what is tested is what the node does meanwhile).
    /// </summary>
    public void Step()
    {
        if (Node is not { } node) return;
        node.OnTick();
        node.EndTurn();
        long tick = cluster.Tick;
        while (_writesDueTicks.Count > 0 && _writesDueTicks.Peek() <= tick)
        {
            _writesDueTicks.Dequeue();
            node.OnLogWriteDurable();
        }
        for (int round = 0; round < 8 && node.TryAcceptReady(out bool mustCommit); round++)
        {
            if (!mustCommit) continue;
            Assert.True(_log.CommitAsync().IsCompletedSuccessfully);
            if (cluster.LogWriteDelayTicksMax == 0 && _writesDueTicks.Count == 0)
            {
                node.OnLogWriteDurable(); // as the host does with a commit that completed at once
                continue;
            }
            long due = tick + cluster.Random.Next(cluster.LogWriteDelayTicksMax + 1);
            _writesDueTicks.Enqueue(_writesDueTicks.Count > 0 ? Math.Max(due, _writesDueTicks.Last()) : due);
        }
        MaybeSnapshot(node);
    }

    private void MaybeSnapshot(KvNode node)
    {
        if (node.TryStartSnapshot(out byte[] configuration))
        {
            ValueTask<SnapshotInfo> snapshot = _machine.TakeSnapshotAsync(configuration);
            Assert.True(snapshot.IsCompletedSuccessfully);
            node.OnSnapshotTaken(snapshot.Result);
        }
    }
}
