using KvRaft.Protocol;

namespace KvRaft.Server.Node;

/// <summary>
/// What the node requires of a client request before it queues it, and the fixed messages of the refusals
/// (docs/wire-format.md, "Sessions and sequences"). Checked for every request, on every node, before anything else.
/// </summary>
public static class ClientContract
{
    /// <summary>A Get or a write with an empty key.</summary>
    public const string EmptyKeyMessage = "empty key: a key has at least one byte";

    /// <summary>A write under client id 0.</summary>
    public const string NoSessionMessage = "client id 0: register a session (RegisterSession) and write under its id";

    /// <summary>A write with sequence 0 or above 2^63 - 1.</summary>
    public const string SequenceRangeMessage = "sequence out of range: a session's sequences are 1 to 2^63 - 1";

    /// <summary>A write whose sequence is below the session's last (or 0 on a session with no write yet).</summary>
    public const string StaleSequenceMessage = "sequence below the session's last: not applied";

    /// <summary>A write reusing the session's last sequence for a different request.</summary>
    public const string SequenceReusedMessage = "sequence already used in this session by a different request: not applied";

    /// <summary>A leadership transfer to a negative node id.</summary>
    public const string TransferTargetMessage = "transfer target out of range: a node id is positive, or 0 to let the leader choose";

    /// <summary>A membership change naming a node id that is not positive.</summary>
    public const string MemberIdMessage = "member id out of range: a node id is positive";

    /// <summary>An AddLearner whose addresses are not plain "host:port".</summary>
    public const string MemberAddressMessage = "member addresses must be host:port (printable ASCII, no spaces, port 1-65535)";

    /// <summary>A controller write naming a group id out of range.</summary>
    public static readonly string GroupIdMessage = $"group id out of range: a data group's id is 1 to {ProtocolLimits.GroupsMax - 1}";

    /// <summary>A ShardMove naming a shard out of range.</summary>
    public static readonly string ShardMessage = $"shard out of range: shards are numbered from 0, fewer than {Protocol.Sharding.ShardMap.ShardCountMax}";

    /// <summary>A ShardQuery naming a negative configuration other than −1.</summary>
    public const string ConfigurationNumberMessage = "configuration number out of range: 0 or more, or -1 for the latest";

    /// <summary>Null when <paramref name="request"/> may be served; otherwise the message of its InvalidArgument answer.</summary>
    public static string? Check(in ClientRequest request)
    {
        switch (request.Op)
        {
            case ClientOp.Get:
                return request.Key.IsEmpty ? EmptyKeyMessage : null;
            case ClientOp.Put or ClientOp.Append or ClientOp.Delete or ClientOp.CompareAndSet:
                if (request.ClientId == 0)
                {
                    return NoSessionMessage;
                }

                if (request.Sequence is 0 or > long.MaxValue)
                {
                    return SequenceRangeMessage;
                }

                return request.Key.IsEmpty ? EmptyKeyMessage : null;
            case ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove:
                return request.ClientId == 0 ? NoSessionMessage
                    : request.Sequence is 0 or > long.MaxValue ? SequenceRangeMessage
                    : request.GroupId is <= 0 or >= ProtocolLimits.GroupsMax ? GroupIdMessage
                    : request.Shard is < 0 or >= Protocol.Sharding.ShardMap.ShardCountMax ? ShardMessage : null;
            case ClientOp.ShardQuery:
                return request.ConfigurationNumber < -1 ? ConfigurationNumberMessage : null;
            case ClientOp.TransferLeader:
                return request.TargetNodeId < 0 ? TransferTargetMessage : null;
            case ClientOp.PromoteLearner or ClientOp.RemoveMember:
                return request.TargetNodeId <= 0 ? MemberIdMessage : null;
            case ClientOp.AddLearner:
                return request.TargetNodeId <= 0 ? MemberIdMessage
                    : !MemberAddress.IsValidAddress(request.PeerAddress) || !MemberAddress.IsValidAddress(request.ClientAddress) ? MemberAddressMessage : null;
            default:
                return null; // RegisterSession and Status carry nothing to check
        }
    }
}
