// Goal: the bugs a live migration can be given (test code only: decorators of the shipped types and of the harness's
// network), so the checks of the migration tests and of the sharded simulation can prove they bite; method: a state
// machine decorator that installs a shard's chunks without their session records, and a network interception that
// answers every shard pull with an empty last chunk.
using System.Buffers.Binary;
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Testing.Groups;

/// <summary>A bug planted in a live migration.</summary>
internal enum MigrationPlant
{
    None,
    /// <summary>The new owner installs the chunks without the old group's sessions (it drops the sessions on migration).</summary>
    InstallWithoutSessions,
    /// <summary>The new owner is answered an empty last chunk: it serves a pulling shard before its data arrived.</summary>
    ServeBeforeDataArrived,
}

/// <summary>How a <see cref="GroupedCluster"/> is given a <see cref="MigrationPlant"/>.</summary>
internal static class MigrationPlants
{
    /// <summary>What each group's node sees of its state machine under <paramref name="plant"/> (null: the machine itself).</summary>
    public static Func<int, IKvStateMachine, IKvStateMachine>? WrapMachine(MigrationPlant plant) =>
        plant == MigrationPlant.InstallWithoutSessions ? (group, machine) => group > 0 ? new SessionlessInstalls(machine) : machine : null;

    /// <summary>Plants what <paramref name="plant"/> does to the network of <paramref name="cluster"/>.</summary>
    public static void Intercept(GroupedCluster cluster, MigrationPlant plant)
    {
        if (plant == MigrationPlant.ServeBeforeDataArrived)
        {
            cluster.Network.Intercept = (_, message) => message.Type == PeerMessageType.ShardPullReply && !message.Reject
                ? message with { RejectHint = 1, Entries = EntryList.From(new[] { new WireEntry(0, 0, Protocol.EntryType.Normal, ReadOnlyMemory<byte>.Empty) }) }
                : message;
        }
    }
}

/// <summary>Planted bug (test code only): a state machine that installs a shard's chunks without their session records.</summary>
internal sealed class SessionlessInstalls(IKvStateMachine inner) : IKvStateMachine
{
    public long AppliedIndex => inner.AppliedIndex;

    public long AppliedTerm => inner.AppliedTerm;

    public int SessionCount => inner.SessionCount;

    public byte[] Configuration => inner.Configuration;

    public byte[] ShardState => inner.ShardState;

    public ShardOfKey? ShardOf { get => inner.ShardOf; set => inner.ShardOf = value; }

    public ISnapshotSource? LatestSnapshot => inner.LatestSnapshot;

    public SnapshotPhases LastSnapshotPhases => inner.LastSnapshotPhases;

    public ShardChunk ExportShard(ShardExportRequest request) => inner.ExportShard(request);

    public void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results)
    {
        var stripped = batch.ToArray();
        for (var i = 0; i < stripped.Length; i++)
        {
            if (stripped[i].Command.Op == KvOp.InstallShard)
            {
                stripped[i] = stripped[i] with { Command = stripped[i].Command with { Key = UserRecordsOnly(stripped[i].Command.Key) } };
            }
        }
        inner.ApplyBatch(stripped, results);
    }

    private static byte[] UserRecordsOnly(ReadOnlyMemory<byte> chunk)
    {
        var kept = new List<byte>();
        var span = chunk.Span;
        for (var at = 0; at < span.Length;)
        {
            int keyBytes = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
            var bytes = ShardChunkCodec.RecordHeaderBytes + keyBytes + BinaryPrimitives.ReadInt32LittleEndian(span[(at + 2 + keyBytes)..]);
            if (span[at + 2] == 0) // the user space
            {
                kept.AddRange(span.Slice(at, bytes));
            }
            at += bytes;
        }
        return [.. kept];
    }

    public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

    public bool TryGet(ReadOnlySpan<byte> key, System.Buffers.IBufferWriter<byte> value) => inner.TryGet(key, value);

    public bool TryGetSession(long clientId, out long lastSequence) => inner.TryGetSession(clientId, out lastSequence);

    public ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default) =>
        inner.TakeSnapshotAsync(configuration, cancellationToken);

    public void Dispose() => inner.Dispose();
}
