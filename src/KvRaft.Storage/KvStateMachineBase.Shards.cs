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

    /// <summary>Every live user record (store key, value), for exporting and dropping a shard.</summary>
    private protected abstract IEnumerable<(byte[] Key, byte[] Value)> ReadUserRecords();

    /// <summary>The live user records of <paramref name="shard"/> (a store scan may yield superseded versions: the point read decides).</summary>
    private List<(byte[] Key, byte[] Value)> ShardRecords(int shard, int shardCount, ShardOfKey shardOf)
    {
        var found = new List<(byte[], byte[])>();
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var (key, _) in ReadUserRecords())
        {
            if (shardOf(key.AsSpan(1), shardCount) == shard && seen.Add(key) && Read(key) is { } value)
            {
                found.Add((key, value));
            }
        }
        return found;
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
                Invariant.True(drop.Length == 4, drop.Length);
                foreach (var (key, _) in ShardRecords(BinaryPrimitives.ReadUInt16LittleEndian(drop), BinaryPrimitives.ReadUInt16LittleEndian(drop[2..]), shardOf))
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
