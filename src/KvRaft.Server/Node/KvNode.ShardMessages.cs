using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Raft;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// The migration's peer messages (docs/wire-format.md, "Shard migration messages"): ShardPull and ShardDrop answered by
/// any replica of the old owner from its applied state (a shard it offers is frozen there, and a drop it applied is
/// committed; a chunk is read off the event loop: KvNode.ShardExports.cs), ShardPullReply and ShardDropReply taken by
/// the new owner's leader, which proposes what they allow. Every field is checked first: a message no correct peer
/// sends is refused (the host closes its connection), one that is merely late is ignored.
/// </summary>
public sealed partial class KvNode
{
    private PeerCheck OnShardMessage(int sender, in PeerMessage message)
    {
        if (CheckShardMessage(sender, message) is { } refusal)
        {
            Statistics.PeerMessageRefused();
            return PeerCheck.Refuse(refusal);
        }
        var group = (int)message.Term;
        var shard = (int)message.Commit;
        switch (message.Type)
        {
            case PeerMessageType.ShardPull:
                OnShardPull(group, message.From, shard, message.Index, (int)message.Context, SingleData(message));
                return PeerCheck.Accept;
            case PeerMessageType.ShardPullReply:
                return OnShardPullReply(message, shard);
            case PeerMessageType.ShardDrop:
                OnShardDrop(group, message.From, shard, message.Index);
                return PeerCheck.Accept;
            default:
                if (!message.Reject && IsLeaderAt(shard, message.Index, ShardState.WaitingForDrop))
                {
                    ProposeShardEntry(new ShardEntry(ShardEntryKind.ShardDropConfirmed, shard, message.Index));
                }
                return PeerCheck.Accept;
        }
    }

    /// <summary>Why no correct peer sends <paramref name="message"/> to this replica, or null.</summary>
    private string? CheckShardMessage(int sender, in PeerMessage message)
    {
        if (message.From != sender || message.To != Id || sender <= 0)
        {
            return "shard message: From is not the connection's peer, or To is not this node";
        }
        if (_shards is null)
        {
            return "shard message to a replica that is not of a data group";
        }
        if (message.Term is < 1 or >= ProtocolLimits.GroupsMax || message.Index < 1 || message.Commit < 0 || message.Commit >= _shards.Current.ShardCount
            || message.Context is < 0 or > int.MaxValue || message.Snapshot is not null)
        {
            return "shard message: group, configuration, shard or chunk out of range";
        }
        var entries = message.Entries.Count;
        var data = entries == 1 ? SingleData(message).Length : 0;
        return message.Type switch
        {
            PeerMessageType.ShardPull when entries != 1 || data > SizeLimits.ServerStorage.KeyMaxBytes + 1 => "ShardPull: one cursor, a store key at most",
            PeerMessageType.ShardPullReply when message.Reject && (entries != 0 || message.LogTerm is not ((long)PullAnswer.NotYet or (long)PullAnswer.Gone)) => "ShardPullReply refused with data or no reason",
            PeerMessageType.ShardPullReply when !message.Reject && (entries != 1 || data > SizeLimits.StorageShardChunkBytesMax(_limits) || message.RejectHint is not (0 or 1)) => "ShardPullReply: one chunk within the chunk bound",
            PeerMessageType.ShardDrop or PeerMessageType.ShardDropReply when entries != 0 => "ShardDrop carries no entries",
            _ => null,
        };
    }

    private static ReadOnlyMemory<byte> SingleData(in PeerMessage message)
    {
        foreach (var entry in message.Entries)
        {
            return entry.Data;
        }
        return ReadOnlyMemory<byte>.Empty;
    }

    /// <summary>
    /// The old owner: if the shard is frozen here for that configuration, the chunk after <paramref name="cursor"/> is
    /// read off the event loop and answered when it is back (<see cref="OnShardExported"/>); else why not.
    /// </summary>
    private void OnShardPull(int group, int from, int shard, long number, int chunk, ReadOnlyMemory<byte> cursor)
    {
        var answer = _shards!.AnswerPull(shard, number);
        if (answer != PullAnswer.Data)
        {
            SendShardMessage(PeerMessageType.ShardPullReply, group, from, shard, number, chunk, null, reject: true, answer: (long)answer);
            return;
        }
        AskForExport(group, from, shard, number, chunk, cursor);
    }

    /// <summary>The new owner's leader: the chunk it waits for is checked whole, then proposed; any other answer waits for the next pull.</summary>
    private PeerCheck OnShardPullReply(in PeerMessage message, int shard)
    {
        var chunk = (int)message.Context;
        if (message.Reject || !IsLeaderAt(shard, message.Index, ShardState.Pulling) || chunk != _shards!.NextChunk(shard))
        {
            return PeerCheck.Accept; // not yet there, or late: the leader pulls again
        }
        var payload = SingleData(message);
        var isLast = message.RejectHint == 1;
        var refusal = ShardChunkCodec.Validate(payload.Span, _shards.Cursor(shard), shard, _shards.Current.ShardCount, SizeLimits.ServerStorage, ShardMap.ShardOf, out _);
        if (refusal is null && !isLast && payload.Length == 0)
        {
            refusal = "shard chunk: empty and not the last";
        }
        if (refusal is not null)
        {
            Statistics.PeerMessageRefused();
            return PeerCheck.Refuse(refusal);
        }
        ProposeShardEntry(new ShardEntry(ShardEntryKind.InstallShard, shard, message.Index, chunk, isLast, payload.ToArray()));
        return PeerCheck.Accept;
    }

    /// <summary>
    /// The old owner: dropped (or past that configuration) → yes; still offering → its leader proposes the drop, and the
    /// answer is "not yet" until it is applied.
    /// </summary>
    private void OnShardDrop(int group, int from, int shard, long number)
    {
        var current = _shards!.Current.Number;
        var offering = number == current && _shards.StateOf(shard) == ShardState.Offering;
        if (offering && _raft.Role == Role.Leader)
        {
            ProposeShardEntry(new ShardEntry(ShardEntryKind.DropShard, shard, number));
        }
        SendShardMessage(PeerMessageType.ShardDropReply, group, from, shard, number, 0, null, reject: offering || number > current);
    }

    /// <summary>True when this replica leads its group and <paramref name="shard"/> is in <paramref name="state"/> for configuration <paramref name="number"/>.</summary>
    private bool IsLeaderAt(int shard, long number, ShardState state) =>
        _raft.Role == Role.Leader && _shards!.Current.Number == number && _shards.StateOf(shard) == state;
}
