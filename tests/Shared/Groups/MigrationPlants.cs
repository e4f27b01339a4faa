// Goal: the bugs a live migration can be given (test code only: decorators of the shipped types and of the harness's
// network), so the checks of the migration tests and of the sharded simulation can prove they bite; method: a state
// machine decorator that installs a shard's chunks without their session records, a network interception that
// answers every shard pull with an empty last chunk, and a state machine decorator that, once a snapshot install
// replaced its state, no longer knows the sessions that came to the groups with migrated shards.
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
    /// <summary>
    /// A replica caught up by a snapshot install drops the sessions its group received with migrated shards (as an
    /// install that kept only the group's own session records would): it refuses their writes as of unknown sessions.
    /// </summary>
    InstallDropsMovedSessions,
}

/// <summary>How a <see cref="GroupedCluster"/> is given a <see cref="MigrationPlant"/>.</summary>
internal static class MigrationPlants
{
    /// <summary>What each group's node sees of its state machine under <paramref name="plant"/> (null: the machine itself).</summary>
    public static Func<int, IKvStateMachine, IKvStateMachine>? WrapMachine(MigrationPlant plant)
    {
        var moved = new HashSet<long>(); // the sessions any group received with a shard (one set per cluster)
        return plant switch
        {
            MigrationPlant.InstallWithoutSessions => (group, machine) => group > 0 ? new SessionlessInstalls(machine) : machine,
            MigrationPlant.InstallDropsMovedSessions => (group, machine) => group > 0 ? new ForgetfulSnapshotInstalls(machine, moved) : machine,
            _ => null,
        };
    }

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
internal sealed class SessionlessInstalls(IKvStateMachine inner) : StateMachineDecorator(inner)
{
    public override void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results)
    {
        var stripped = batch.ToArray();
        for (var i = 0; i < stripped.Length; i++)
        {
            if (stripped[i].Command.Op == KvOp.InstallShard)
            {
                stripped[i] = stripped[i] with { Command = stripped[i].Command with { Key = ChunkRecords.Keep(stripped[i].Command.Key, ChunkRecords.UserSpace) } };
            }
        }
        Inner.ApplyBatch(stripped, results);
    }
}

/// <summary>
/// Planted bug (test code only): once a snapshot install replaced its state, the state machine no longer knows the
/// sessions that came to the groups with migrated shards: their writes are refused as of an unknown session (and not
/// applied, here only: the replica's data departs from the others').
/// </summary>
internal sealed class ForgetfulSnapshotInstalls(IKvStateMachine inner, HashSet<long> moved) : StateMachineDecorator(inner), ISnapshotInstallObserver
{
    private HashSet<long> _forgotten = [];

    public void OnSnapshotInstalled() => _forgotten = [.. moved];

    public override void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results)
    {
        foreach (var apply in batch)
        {
            if (apply.Command.Op == KvOp.InstallShard)
            {
                moved.UnionWith(ChunkRecords.SessionClients(apply.Command.Key));
            }
        }
        var changed = batch.ToArray();
        var refused = new List<int>();
        for (var i = 0; i < changed.Length; i++)
        {
            if (changed[i].Command is { ClientId: not 0, Op: KvOp.Put or KvOp.Append or KvOp.Delete or KvOp.CompareAndSet } command && _forgotten.Contains(command.ClientId))
            {
                changed[i] = changed[i] with { Command = new Storage.KvCommand(KvOp.Noop, ReadOnlyMemory<byte>.Empty) };
                refused.Add(i);
            }
        }
        var first = results.Count;
        Inner.ApplyBatch(changed, results);
        foreach (var i in refused)
        {
            results[first + i] = new KvResult(KvStatus.SessionExpired, null);
        }
    }
}

/// <summary>Told by the harness when a snapshot install replaced the state machine's state (a planted bug's hook).</summary>
internal interface ISnapshotInstallObserver
{
    void OnSnapshotInstalled();
}

/// <summary>The records of a shard chunk (<see cref="ShardChunkCodec"/>): u16 key length, the key (its first byte the space), i32 value length, the value.</summary>
internal static class ChunkRecords
{
    public const byte UserSpace = 0;
    public const byte SessionSpace = 1;

    /// <summary>The chunk with only the records of <paramref name="space"/>.</summary>
    public static byte[] Keep(ReadOnlyMemory<byte> chunk, byte space)
    {
        var kept = new List<byte>();
        foreach (var (at, bytes) in Records(chunk))
        {
            if (chunk.Span[at + 2] == space)
            {
                kept.AddRange(chunk.Span.Slice(at, bytes));
            }
        }
        return [.. kept];
    }

    /// <summary>The client ids of the chunk's session records.</summary>
    public static List<long> SessionClients(ReadOnlyMemory<byte> chunk) =>
        [.. Records(chunk).Where(record => chunk.Span[record.At + 2] == SessionSpace).Select(record => BinaryPrimitives.ReadInt64BigEndian(chunk.Span[(record.At + 3)..]))];

    private static List<(int At, int Bytes)> Records(ReadOnlyMemory<byte> chunk)
    {
        var records = new List<(int At, int Bytes)>();
        var span = chunk.Span;
        for (var at = 0; at < span.Length;)
        {
            int keyBytes = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
            var bytes = ShardChunkCodec.RecordHeaderBytes + keyBytes + BinaryPrimitives.ReadInt32LittleEndian(span[(at + 2 + keyBytes)..]);
            records.Add((at, bytes));
            at += bytes;
        }
        return records;
    }
}

/// <summary>A state machine that passes everything to <see cref="Inner"/> (planted bugs override what they change).</summary>
internal abstract class StateMachineDecorator(IKvStateMachine inner) : IKvStateMachine
{
    protected IKvStateMachine Inner => inner;

    public long AppliedIndex => inner.AppliedIndex;

    public long AppliedTerm => inner.AppliedTerm;

    public int SessionCount => inner.SessionCount;

    public byte[] Configuration => inner.Configuration;

    public byte[] ShardState => inner.ShardState;

    public ShardOfKey? ShardOf { get => inner.ShardOf; set => inner.ShardOf = value; }

    public ISnapshotSource? LatestSnapshot => inner.LatestSnapshot;

    public SnapshotPhases LastSnapshotPhases => inner.LastSnapshotPhases;

    public ShardChunk ExportShard(ShardExportRequest request) => inner.ExportShard(request);

    public virtual void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results) => inner.ApplyBatch(batch, results);

    public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

    public bool TryGet(ReadOnlySpan<byte> key, System.Buffers.IBufferWriter<byte> value) => inner.TryGet(key, value);

    public bool TryGetSession(long clientId, out long lastSequence) => inner.TryGetSession(clientId, out lastSequence);

    public ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default) =>
        inner.TakeSnapshotAsync(configuration, cancellationToken);

    public void Dispose() => inner.Dispose();
}
