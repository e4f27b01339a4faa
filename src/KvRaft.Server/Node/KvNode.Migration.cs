using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Raft;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;
using StorageKvCommand = KvRaft.Storage.KvCommand;

namespace KvRaft.Server.Node;

/// <summary>
/// Live migration of a data group (docs/design.md, "Sharding: configurations, migration, and why it is safe"): the shard
/// states applied from the group's own log (<see cref="GroupShards"/>, kept in the state machine), and the leader's
/// driving of them: the next configuration proposed once settled, pulling shards pulled chunk by chunk from their old
/// owner and installed through the log, the old owner asked to drop its copy, the drop confirmed through the log. Every
/// step is an entry of the group that takes it, idempotent by (shard, configuration, chunk), so a new leader resumes
/// from the applied state; the leader-local timers below only pace the retries.
/// </summary>
public sealed partial class KvNode
{
    private GroupShards? _shards; // a data group's shard states as applied here (null: the one-group store, or the controller)
    private long _migrationDueTick; // the next tick at which the leader drives the migration
    private uint _migrationRound; // the leader's migration steps so far: a shard's pull or drop goes to the old owner's members in turn, one per step
    // Shard entries this leader proposed and has not seen applied, by (kind, shard, configuration, chunk): the tick it
    // proposed each, so that a retry within MigrationRetryTicks proposes nothing twice. At most a few per shard.
    private readonly Dictionary<(ShardEntryKind Kind, int Shard, long Number, int Chunk), long> _shardProposals = [];

    /// <summary>Ticks between a leader's retries of a pull, a drop request or a shard proposal (the configuration source is read as often).</summary>
    public const int MigrationRetryTicks = 10;

    /// <summary>This data group's shard states as applied here (null for the one-group store and the controller).</summary>
    public GroupShards? Shards => _shards;

    /// <summary>
    /// Reads the shard states from the state machine (at start, and after a snapshot install replaced its state): the
    /// configuration-0 state (owning nothing) when no shard entry was applied yet. A group enters its first
    /// configuration through a Reconfigure entry like any other, so every replica decides every request alike.
    /// </summary>
    private void RestoreShards()
    {
        if (_routing is null || _routing.IsController)
        {
            _shards = null;
            return;
        }
        _machine.ShardOf = ShardMap.ShardOf;
        var state = _machine.ShardState;
        var shardCount = _routing.Configurations.Latest.ShardCount;
        // From this node's own store (a record that does not fit stops the start with StorageCorruptException), or
        // from an installed snapshot, whose record was checked the same way before it replaced anything (VerifyIncoming).
        _shards = state.Length == 0 ? new GroupShards(_routing.GroupId, shardCount) : GroupShards.Decode(state, _routing.GroupId, shardCount);
        AskForDropIndex(); // a restarted old owner, or one whose store a snapshot replaced
    }

    /// <summary>
    /// The state machine command of a shard entry at its log position: the shard states move (or, for an entry that
    /// does not fit them, stale or repeated, nothing changes: a Noop) and the command records them with the entry's work.
    /// </summary>
    private StorageKvCommand ApplyShardEntry(in Entry entry)
    {
        var parsed = ShardEntryCodec.Parse(entry.Data, out var shardEntry);
        Invariant.True(parsed.IsOk, parsed.Message); // it passed the same codec when proposed or received
        if (_shards is null)
        {
            return new StorageKvCommand(KvOp.Noop, default); // not a data group: no leader of ours proposes one
        }
        var shard = shardEntry.Shard;
        var number = shardEntry.Configuration;
        var changed = shardEntry.Kind switch
        {
            ShardEntryKind.Reconfigure => ShardConfigurationCodec.Read(shardEntry.Payload.Span, out var next).IsOk && _shards.Reconfigure(next!),
            ShardEntryKind.InstallShard => _shards.InstallChunk(shard, number, shardEntry.Chunk, shardEntry.IsLast, ShardChunkCodec.LastKey(shardEntry.Payload, _shards.Cursor(shard))),
            ShardEntryKind.DropShard => _shards.Dropped(shard, number),
            _ => _shards.DropConfirmed(shard, number),
        };
        _shardProposals.Remove((shardEntry.Kind, shard, number, shardEntry.Chunk));
        if (!changed)
        {
            return new StorageKvCommand(KvOp.Noop, default);
        }
        _migrationDueTick = 0; // the leader takes the next step at its next tick
        if (shardEntry.Kind == ShardEntryKind.Reconfigure)
        {
            _logger.LogInformation("Group {Group} node {Id}: configuration {Number}", _routing!.GroupId, Id, number);
            AskForDropIndex(); // taken by the host after this turn's applies: the offered shards are frozen by then
        }
        var states = _shards.Encode();
        return shardEntry.Kind switch
        {
            ShardEntryKind.Reconfigure => new StorageKvCommand(KvOp.Reconfigure, default, states),
            ShardEntryKind.InstallShard => new StorageKvCommand(KvOp.InstallShard, shardEntry.Payload, states),
            ShardEntryKind.DropShard => new StorageKvCommand(KvOp.DropShard, ShardChunkCodec.DropKey(shard, _shards.Current.ShardCount, number), states),
            _ => new StorageKvCommand(KvOp.ShardDropConfirmed, default, states),
        };
    }

    /// <summary>
    /// The leader's step, every <see cref="MigrationRetryTicks"/> (sooner after a shard entry applied): settled, it
    /// proposes the next configuration once its process's controller replica has it; otherwise it pulls the next chunk
    /// of up to <see cref="ServerLimits.ShardPullsMax"/> pulling shards and asks the old owners of the installed ones to
    /// drop their copy. Requests of shards that do not move are never held by any of it.
    /// </summary>
    private void DriveMigration()
    {
        if (_shards is null || _raft.Role != Role.Leader || _tick < _migrationDueTick)
        {
            return;
        }
        _migrationDueTick = _tick + MigrationRetryTicks;
        if (_shards.Settled)
        {
            if (_routing!.Configurations.TryGet(_shards.Current.Number + 1) is { } next)
            {
                ProposeShardEntry(new ShardEntry(ShardEntryKind.Reconfigure, 0, next.Number, Payload: ShardConfigurationCodec.Encode(next)));
            }
            return;
        }
        var pulls = 0;
        _migrationRound++;
        for (var shard = 0; shard < _shards.Current.ShardCount; shard++)
        {
            switch (_shards.StateOf(shard))
            {
                case ShardState.Pulling when pulls < _limits.ShardPullsMax:
                    pulls++;
                    SendShardMessage(PeerMessageType.ShardPull, _shards.PullSource(shard), shard, _shards.NextChunk(shard), _shards.Cursor(shard).ToArray());
                    break;
                case ShardState.WaitingForDrop:
                    SendShardMessage(PeerMessageType.ShardDrop, _shards.Previous.Owners[shard], shard, 0, null);
                    break;
            }
        }
    }

    /// <summary>Proposes a shard entry unless this leader proposed the same one less than <see cref="MigrationRetryTicks"/> ago.</summary>
    private void ProposeShardEntry(in ShardEntry entry)
    {
        var key = (entry.Kind, entry.Shard, entry.Configuration, entry.Chunk);
        if (_raft.Role != Role.Leader || (_shardProposals.TryGetValue(key, out var proposed) && _tick - proposed < MigrationRetryTicks))
        {
            return;
        }
        if (_shardProposals.Count > 4 * (_shards!.Current.ShardCount + 1))
        {
            _shardProposals.Clear(); // bounded: entries lost to a change of leader are never seen applied
        }
        ReadOnlyMemory<byte> data = ShardEntryCodec.Encode(entry);
        if (_raft.Propose(new ReadOnlySpan<ReadOnlyMemory<byte>>(in data), out _) == ProposeStatus.Accepted)
        {
            _shardProposals[key] = _tick;
        }
    }

    /// <summary>
    /// A pull or a drop request to the group that owned <paramref name="shard"/> before, each step to the next of its
    /// members for that shard: every member in turn, so a drop request reaches the old owner's leader (the only replica
    /// that proposes the drop) within as many steps as it has members. (One counter over all messages sent each shard's
    /// request to the same member every step when the shards waiting numbered a multiple of the members: seed 399 of
    /// the sharded simulation waited forever for drops its followers were asked for.)
    /// </summary>
    private void SendShardMessage(PeerMessageType type, int group, int shard, int chunk, byte[]? cursor)
    {
        var members = _shards!.Previous.FindGroup(group)?.Members;
        var to = members is { Count: > 0 } ? members[(int)((_migrationRound + (uint)shard) % (uint)members.Count)].NodeId : Id;
        SendShardMessage(type, group, to, shard, _shards.Current.Number, chunk, cursor);
    }

    private void SendShardMessage(PeerMessageType type, int group, int to, int shard, long number, int chunk, byte[]? data, bool reject = false, long answer = 0, bool isLast = false)
    {
        var message = new PeerMessage
        {
            Type = type,
            From = Id,
            To = to,
            Term = _routing!.GroupId, // the sender's group: where the answer goes
            Index = number,
            Commit = shard,
            Context = chunk,
            Reject = reject,
            LogTerm = answer,
            RejectHint = isLast ? 1 : 0,
            Entries = data is null ? default : EntryList.From(new[] { new WireEntry(0, 0, Protocol.EntryType.Normal, data) }),
        };
        _peers.SendToGroup(group, message);
    }
}
