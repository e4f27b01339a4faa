using System.Buffers.Binary;

namespace KvRaft.Storage;

/// <summary>
/// Shard migration in the state machine (docs/design.md, "Migration, pulled by the new owner"): the group's shard
/// states kept as an opaque record, a shard's records exported in chunks (KvStateMachineBase.ShardExport.cs), chunks installed (sessions merged: the higher
/// last sequence wins), a shard's keys dropped.
/// </summary>
public abstract partial class KvStateMachineBase
{
    /// <inheritdoc/>
    public byte[] ShardState { get; private set; } = [];

    /// <inheritdoc/>
    public ShardOfKey? ShardOf { get; set; }

    private long _dropScans;

    /// <summary>
    /// Drops that scanned the store for their shard's keys (in the apply, on the caller's thread) because no export of
    /// their configuration had indexed them all; the node asks for that index off the loop as soon as a shard is offered.
    /// </summary>
    public long DropScans => Interlocked.Read(ref _dropScans);

    /// <summary>
    /// The store keys of <paramref name="shard"/>'s records (some maybe dead: the caller's point operation decides): those
    /// an export of <paramref name="configuration"/> indexed, else those a scan of the store finds (under the apply gate,
    /// outside the store's apply pass).
    /// </summary>
    private IEnumerable<byte[]> ShardKeys(int shard, int shardCount, long configuration, ShardOfKey shardOf)
    {
        if (IndexedKeys(shard, shardCount, configuration) is { } indexed)
        {
            return indexed;
        }
        Interlocked.Increment(ref _dropScans);
        var keys = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var slice = new List<byte[]>(ExportScanSliceRecords);
        EndApplyPass();
        try
        {
            var scan = BeginUserKeyScan();
            bool more;
            do
            {
                slice.Clear();
                more = scan.Next(ExportScanSliceRecords, slice, out _);
                foreach (var key in slice)
                {
                    if (shardOf(key.AsSpan(1), shardCount) == shard)
                    {
                        keys.Add(key);
                    }
                }
            }
            while (more);
        }
        finally
        {
            BeginApplyPass();
        }
        return keys;
    }

    private KvResult ApplyShardOp(in KvApply apply)
    {
        var command = apply.Command;
        switch (command.Op)
        {
            case KvOp.InstallShard:
                foreach (var (key, value) in ShardChunkCodec.Records(command.Key))
                {
                    if (key.Span[0] == KvKeys.UserSpace)
                    {
                        Write(key.Span, value.Span);
                    }
                    else
                    {
                        Invariant.True(SessionState.TryDecode(value.Span, out var session), "a shard chunk is validated before it is proposed");
                        MergeSession(KvKeys.SessionClient(key.Span), session, apply.Index);
                    }
                }
                break;
            case KvOp.DropShard:
                var shardOf = ShardOf ?? throw new InvalidOperationException("DropShard needs ShardOf");
                var drop = command.Key.Span;
                Invariant.True(drop.Length == ShardChunkCodec.DropKeyBytes, drop.Length);
                var dropped = ShardKeys(BinaryPrimitives.ReadUInt16LittleEndian(drop), BinaryPrimitives.ReadUInt16LittleEndian(drop[2..]), BinaryPrimitives.ReadInt64LittleEndian(drop[4..]), shardOf);
                foreach (var key in dropped)
                {
                    Remove(key);
                }
                break;
            case KvOp.Reconfigure or KvOp.ShardDropConfirmed:
                break;
            default:
                throw new InvariantException("not a shard op: " + command.Op);
        }
        ShardState = command.Value.ToArray();
        Write(KvKeys.ShardStateKey, ShardState);
        return new KvResult(KvStatus.Ok, null);
    }

    /// <summary>
    /// Merges a session of another group: kept when this group has none of that id or one with a lower last sequence
    /// (a client has one request outstanding per session, so the higher sequence holds every answer a retry may
    /// need); its place in the expiry order is the install entry's <paramref name="index"/>.
    /// </summary>
    private void MergeSession(long clientId, SessionState incoming, long index)
    {
        if (_sessions.TryGetValue(clientId, out var existing))
        {
            if (existing.LastSequence >= incoming.LastSequence)
            {
                return;
            }
            _sessions.Remove(clientId);
            CountIdentity(existing.Identity, -1);
        }
        RecordSession(clientId, incoming with { LastIndex = index });
    }
}
