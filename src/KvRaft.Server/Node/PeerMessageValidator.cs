using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Raft;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>What became of one message (or snapshot chunk) from a peer.</summary>
public enum PeerVerdict : byte
{
    /// <summary>Taken (or dropped as stale, as Raft drops late answers): nothing wrong with it.</summary>
    Accepted,
    /// <summary>Not taken, and possible from a correct peer (a snapshot stream from a former leader, say).</summary>
    Ignored,
    /// <summary>No correct peer sends this: the host logs it once and closes the connection it came on.</summary>
    Refused,
}

/// <summary>The verdict on one message from a peer, with the reason of a refusal (a constant: no allocation).</summary>
public readonly record struct PeerCheck(PeerVerdict Verdict, string? Reason)
{
    /// <summary>Taken.</summary>
    public static PeerCheck Accept => default;

    /// <summary>Not taken, but possible from a correct peer.</summary>
    public static PeerCheck Ignore(string reason) => new(PeerVerdict.Ignored, reason);

    /// <summary>Impossible from a correct peer.</summary>
    public static PeerCheck Refuse(string reason) => new(PeerVerdict.Refused, reason);

    /// <summary>True when the connection the message came on must be closed.</summary>
    public bool IsRefused => Verdict == PeerVerdict.Refused;
}

/// <summary>What a node knows of itself when it checks a peer's message: <paramref name="Config"/> is the configuration in effect.</summary>
public readonly record struct PeerView(int Id, ConfigState Config, long Term, int Leader, Role Role, long LastIndex);

/// <summary>
/// Checks every message from a peer against the node's state before the Raft core sees it (docs/security.md, "Peer
/// port"): who sent it (the connection's authenticated peer, another node, to this node), its terms (never negative,
/// never beyond <see cref="RaftNode.TermMax"/> nor <see cref="TermAheadMax"/> above ours), its indices (never
/// negative; an Append's entries right after its index, terms never decreasing nor passing the message's, each
/// command batch well-formed), one leader per term, and answers only to what this node sent. Allocation-free when
/// the message passes. The core checks the same invariants again on its own (a refusal there is never an assertion).
/// </summary>
public static class PeerMessageValidator
{
    /// <summary>
    /// How far above this node's term a peer's term may be: an impostor needs 2^38 messages to push a cluster to
    /// <see cref="RaftNode.TermMax"/>. A cluster gets this far only by electing a leader every 100 ms for three weeks
    /// (a node that far behind, a new one too, refuses its leader: docs/security.md, "Peer port").
    /// </summary>
    public const long TermAheadMax = 1L << 24;

    /// <summary>The verdict on <paramref name="message"/>, received on the connection of peer <paramref name="sender"/>.</summary>
    public static PeerCheck Check(int sender, in PeerMessage message, in PeerView node)
    {
        var refusal = CheckIdentity(sender, message, node) ?? CheckNumbers(message, node) ?? CheckShape(message, node) ?? CheckTerm(message, node);
        return refusal is null ? PeerCheck.Accept : PeerCheck.Refuse(refusal);
    }

    /// <summary>
    /// Whether <paramref name="id"/> may be a peer of <paramref name="node"/>: a member of its configuration (a voter of
    /// either half or a learner) other than itself, or any other positive id. A voter or learner just added, or the
    /// leader of a configuration this node has not applied yet (a node added while it was down, or one that gets the
    /// change from a snapshot), is a correct peer before this node knows of it; the core accepts any positive sender
    /// other than itself and listens, as leader, only to its members (docs/design.md, "Membership"). What stays
    /// impossible: an id not positive, and this node's own.
    /// </summary>
    public static bool IsPossiblePeer(int id, in PeerView node) => id > 0 && id != node.Id;

    private static string? CheckIdentity(int sender, in PeerMessage message, in PeerView node)
    {
        if (message.From != sender)
        {
            return "From is not the peer the connection was opened by";
        }

        if (message.To != node.Id)
        {
            return "To is not this node";
        }

        if (!IsPossiblePeer(sender, node))
        {
            return "the sender is not another node";
        }

        return null;
    }

    private static string? CheckNumbers(in PeerMessage message, in PeerView node)
    {
        if (message.Term < 0 || message.LogTerm < 0)
        {
            return "a negative term";
        }

        if (message.Term > RaftNode.TermMax)
        {
            return "a term above TermMax";
        }

        if (message.Term > node.Term + TermAheadMax)
        {
            return "a term more than TermAheadMax above this node's";
        }
        // Not checked on votes: a write torn after its entries leaves a log whose last term is above the node's term.
        if (message.LogTerm > message.Term && message.Type == PeerMessageType.Append)
        {
            return "a previous log term above the message's term";
        }

        if (message.Index < 0 || message.Commit < 0 || message.RejectHint < 0)
        {
            return "a negative index";
        }

        return null;
    }

    private static string? CheckShape(in PeerMessage message, in PeerView node)
    {
        if (message.Entries.Count > 0 && message.Type != PeerMessageType.Append)
        {
            return "entries on a message other than Append";
        }

        if ((message.Snapshot is not null) != (message.Type == PeerMessageType.Snapshot))
        {
            return "snapshot metadata missing, or on a message other than Snapshot";
        }

        return message.Type switch
        {
            PeerMessageType.Append => CheckEntries(message),
            PeerMessageType.Snapshot => CheckSnapshot(message.Snapshot!.Value, message.Term),
            PeerMessageType.SnapshotAck => CheckSnapshotAck(message),
            PeerMessageType.PreVote when message.Context != 0 => "a pre-vote with a context",
            PeerMessageType.Vote when message.Context is not 0 and not ForcedCampaignContext => "a vote with an unknown context",
            PeerMessageType.TimeoutNow when message.Context != 0 && (message.Context == message.From || message.Context > int.MaxValue || !IsPossiblePeer((int)Math.Max(message.Context, 0), node))
                => "a leadership transfer notice naming no other node",
            _ => null,
        };
    }

    /// <summary>The context of a Vote forced by a leadership transfer (RaftNode's ForcedCampaignContext).</summary>
    private const long ForcedCampaignContext = 1;

    private static string? CheckEntries(in PeerMessage message)
    {
        if (message.Index > long.MaxValue - message.Entries.Count)
        {
            return "entry indices overflow";
        }

        var expected = message.Index + 1;
        var previousTerm = message.LogTerm;
        foreach (var entry in message.Entries)
        {
            if (entry.Index != expected++)
            {
                return "entries do not follow the Append's index one by one";
            }

            if (entry.Term < 1 || entry.Term < previousTerm || entry.Term > message.Term)
            {
                return "an entry term below the one before it or above the message's";
            }

            previousTerm = entry.Term;
            if (entry.Type == Protocol.EntryType.Config && !RaftNode.IsConfigEntryData(entry.Data.Span))
            {
                return "a configuration entry that does not decode";
            }

            if (entry.Type == Protocol.EntryType.Normal && ShardEntryCodec.IsShardEntry(entry.Data.Span))
            {
                if (CheckShardEntry(entry.Data) is { } refusal)
                {
                    return refusal;
                }
            }
            else if (entry.Type == Protocol.EntryType.Normal && !KvCommandBatchCodec.Parse(entry.Data, out _).IsOk)
            {
                return "an entry that is not a well-formed command batch";
            }
        }
        return null;
    }

    /// <summary>A shard entry must parse, and an install's chunk be made of whole records of the spaces a chunk holds (the applying replica reads it as such).</summary>
    private static string? CheckShardEntry(ReadOnlyMemory<byte> data)
    {
        if (!ShardEntryCodec.Parse(data, out var entry).IsOk)
        {
            return "a shard entry that does not parse";
        }
        if (entry.Kind == ShardEntryKind.InstallShard
            && ShardChunkCodec.Validate(entry.Payload.Span, [], shard: 0, shardCount: 1, SizeLimits.ServerStorage, static (_, _) => 0, out _) is not null)
        {
            return "a shard install entry whose chunk is malformed";
        }
        return null;
    }

    /// <summary>
    /// A snapshot's configuration must be well-formed (ids positive, distinct, ascending; learners no voters;
    /// auto-leave only when joint). It need not name this node: a learner just added may be sent a snapshot taken
    /// before its addition, and the entries after it add the node.
    /// </summary>
    private static string? CheckSnapshot(SnapshotMeta snapshot, long messageTerm)
    {
        if (snapshot.Index < 1 || snapshot.Term < 1 || snapshot.Term > messageTerm)
        {
            return "a snapshot index or term out of range";
        }

        if (snapshot.Voters.Length + snapshot.VotersOutgoing.Length + snapshot.Learners.Length > ConfigState.MembersMax)
        {
            return "a snapshot configuration above MembersMax";
        }

        if (!PeerMessageMapper.ConfigOf(snapshot).IsWellFormed())
        {
            return "a snapshot whose configuration is not well-formed";
        }

        return null;
    }

    /// <summary>
    /// A snapshot acknowledgement names a snapshot (index and term positive, the term not above the message's) and a
    /// position in it: chunks and bytes both zero, or at least one byte a chunk. Whether the position is one the leader
    /// sent is the leader's own check (<see cref="SnapshotTransfer.OnAck"/>).
    /// </summary>
    private static string? CheckSnapshotAck(in PeerMessage message)
    {
        if (message.Index < 1 || message.LogTerm < 1 || message.LogTerm > message.Term)
        {
            return "a snapshot acknowledgement naming no possible snapshot";
        }

        if (message.Context < 0 || message.Context > message.RejectHint || (message.Context == 0) != (message.RejectHint == 0))
        {
            return "a snapshot acknowledgement whose chunks and bytes disagree";
        }

        return message.Commit != 0 ? "a snapshot acknowledgement with a commit index" : null;
    }

    /// <summary>One leader per term; as leader, answers only to what this node sent.</summary>
    private static string? CheckTerm(in PeerMessage message, in PeerView node)
    {
        if (message.Term != node.Term)
        {
            return null; // a newer term is adopted (within bounds), an older one answered or dropped by the core
        }

        switch (message.Type)
        {
            case PeerMessageType.Append:
            case PeerMessageType.Heartbeat:
            case PeerMessageType.Snapshot:
            case PeerMessageType.TimeoutNow:
                return node.Leader != 0 && node.Leader != message.From ? "a leader's message from a node that is not the leader of the term" : null;
            case PeerMessageType.AppendResponse:
                return node.Role == Role.Leader && message.Index > node.LastIndex ? "an append response beyond this leader's last index" : null;
            default:
                return null;
        }
    }
}
