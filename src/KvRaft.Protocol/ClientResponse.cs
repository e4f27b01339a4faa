using System;

namespace KvRaft.Protocol;

/// <summary>A node's Raft state, the body of an Ok answer to <see cref="ClientOp.Status"/>.</summary>
public readonly record struct NodeStatus
{
    /// <summary>This node's id.</summary>
    public int NodeId { get; init; }
    /// <summary>This node's role.</summary>
    public NodeRole Role { get; init; }
    /// <summary>Current term.</summary>
    public long Term { get; init; }
    /// <summary>True when the node knows a leader for <see cref="Term"/>.</summary>
    public bool LeaderKnown { get; init; }
    /// <summary>The leader's id, when <see cref="LeaderKnown"/> (0 otherwise).</summary>
    public int LeaderId { get; init; }
    /// <summary>Commit index.</summary>
    public long CommitIndex { get; init; }
    /// <summary>Applied index.</summary>
    public long AppliedIndex { get; init; }
    /// <summary>First index in the log.</summary>
    public long LogFirstIndex { get; init; }
    /// <summary>Last index in the log.</summary>
    public long LogLastIndex { get; init; }
    /// <summary>Index of the latest snapshot.</summary>
    public long SnapshotIndex { get; init; }
}

/// <summary>
/// The answer to a <see cref="ClientRequest"/>. Which fields are meaningful depends on
/// <see cref="Status"/> and <see cref="Op"/> (see <see cref="ClientResponseCodec"/>); the rest stay
/// default. After a parse, <see cref="Value"/> is a view of the parsed buffer; the strings are fresh.
/// </summary>
public readonly record struct ClientResponse
{
    /// <summary>The request's id.</summary>
    public ulong RequestId { get; init; }
    /// <summary>The request's op (echoed so that a response can be parsed on its own).</summary>
    public ClientOp Op { get; init; }
    /// <summary>The outcome.</summary>
    public ClientStatus Status { get; init; }
    /// <summary>Ok RegisterSession: the new client id.</summary>
    public ulong ClientId { get; init; }
    /// <summary>Ok Get: the value. Ok CompareAndSet: the current value (the new one if swapped), when <see cref="ValuePresent"/>.</summary>
    public ReadOnlyMemory<byte> Value { get; init; }
    /// <summary>Ok CompareAndSet: true when the key holds a value (then <see cref="Value"/> is it).</summary>
    public bool ValuePresent { get; init; }
    /// <summary>Ok CompareAndSet: true when the new value was set.</summary>
    public bool Swapped { get; init; }
    /// <summary>Ok Status: the node's state.</summary>
    public NodeStatus Node { get; init; }
    /// <summary>NotLeader: true when this node knows the leader.</summary>
    public bool LeaderKnown { get; init; }
    /// <summary>NotLeader: the leader's node id, when <see cref="LeaderKnown"/>. Ok TransferLeader: the node that leads now.</summary>
    public int LeaderId { get; init; }
    /// <summary>NotLeader: the leader's client address ("host:port"), or null when unknown.</summary>
    public string? LeaderAddress { get; init; }
    /// <summary>Retryable, InvalidArgument, InternalError, TooLarge: a human-readable message, or null.</summary>
    public string? Message { get; init; }
    /// <summary>Ok MemberList: the configuration as the answering node sees it.</summary>
    public MemberListing? Members { get; init; }

    /// <summary>
    /// WrongGroup: the configuration number of the group that refused (ask for one at least this new). Ok GroupJoin,
    /// GroupLeave, ShardMove: the controller's configuration after the change.
    /// </summary>
    public long ConfigurationNumber { get; init; }

    /// <summary>Ok ShardQuery: the configuration asked for.</summary>
    public Sharding.ShardConfiguration? Configuration { get; init; }

    /// <summary>Value equality; <see cref="Value"/> compared bytewise.</summary>
    public bool Equals(ClientResponse other) =>
        RequestId == other.RequestId && Op == other.Op && Status == other.Status && ClientId == other.ClientId
        && Value.Span.SequenceEqual(other.Value.Span) && ValuePresent == other.ValuePresent && Swapped == other.Swapped
        && Node == other.Node && LeaderKnown == other.LeaderKnown && LeaderId == other.LeaderId
        && LeaderAddress == other.LeaderAddress && Message == other.Message && Equals(Members, other.Members)
        && ConfigurationNumber == other.ConfigurationNumber && Equals(Configuration, other.Configuration);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RequestId, Op, Status, ClientId, Value.Length);
}

/// <summary>
/// Codec for <see cref="ClientResponse"/>: u64 requestId, u8 op, u8 status, then the body by status,
/// and for Ok by op. Layout in docs/wire-format.md.
/// </summary>
public static class ClientResponseCodec
{
    /// <summary>Bytes before the body.</summary>
    public const int FixedBytes = 8 + 1 + 1;

    /// <summary>Bytes of a <see cref="NodeStatus"/>.</summary>
    public const int NodeStatusBytes = 4 + 1 + 8 + 1 + 4 + (8 * 5);

    private const byte SwappedFlag = 1;
    private const byte PresentFlag = 2;

    /// <summary>Body size of <paramref name="response"/>.</summary>
    public static int Size(in ClientResponse response) => FixedBytes + response.Status switch
    {
        ClientStatus.Ok => response.Op switch
        {
            ClientOp.RegisterSession => 8,
            ClientOp.Get => 4 + response.Value.Length,
            ClientOp.CompareAndSet => 1 + (response.ValuePresent ? 4 + response.Value.Length : 0),
            ClientOp.Status => NodeStatusBytes,
            ClientOp.TransferLeader => 4,
            ClientOp.MemberList => response.Members!.Size(),
            ClientOp.ShardQuery => Sharding.ShardConfigurationCodec.Size(response.Configuration!),
            ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove => 8,
            _ => 0,
        },
        ClientStatus.WrongGroup => 8,
        ClientStatus.NotLeader => 1 + 4 + 2 + WireWriter.TextBytes(response.LeaderAddress),
        ClientStatus.Retryable or ClientStatus.InvalidArgument or ClientStatus.InternalError or ClientStatus.TooLarge
            or ClientStatus.SessionNotOwned or ClientStatus.TooManySessions => 2 + WireWriter.TextBytes(response.Message),
        _ => 0,
    };

    /// <summary>Writes the body; returns the bytes written. Allocates nothing.</summary>
    public static int Format(in ClientResponse response, Span<byte> destination)
    {
        var size = Size(response);
        Invariant.True(destination.Length >= size, destination.Length);
        Invariant.True(response.Op is >= ClientOp.RegisterSession and <= ClientOps.Last, response.Op);
        Invariant.True(response.Status != ClientStatus.Ok || response.Op != ClientOp.MemberList || response.Members is not null, "an Ok member list carries the members");
        Invariant.True(response.Status != ClientStatus.Ok || response.Op != ClientOp.ShardQuery || response.Configuration is not null, "an Ok shard query carries the configuration");
        Invariant.True(response.Status <= ClientOps.LastStatus, response.Status);
        var writer = new WireWriter(destination);
        writer.U64(response.RequestId);
        writer.U8((byte)response.Op);
        writer.U8((byte)response.Status);
        switch (response.Status)
        {
            case ClientStatus.Ok:
                WriteOk(ref writer, response);
                break;
            case ClientStatus.NotLeader:
                Invariant.True(response.LeaderKnown || response.LeaderId == 0, "an unknown leader has id 0");
                writer.Bool(response.LeaderKnown);
                writer.I32(response.LeaderId);
                writer.Text(response.LeaderAddress);
                break;
            case ClientStatus.Retryable or ClientStatus.InvalidArgument or ClientStatus.InternalError or ClientStatus.TooLarge
            or ClientStatus.SessionNotOwned or ClientStatus.TooManySessions:
                writer.Text(response.Message);
                break;
            case ClientStatus.WrongGroup:
                Invariant.True(response.ConfigurationNumber >= 0, response.ConfigurationNumber);
                writer.I64(response.ConfigurationNumber);
                break;
            default:
                break;
        }
        if (response.Status == ClientStatus.Ok && response.Op == ClientOp.ShardQuery)
        {
            // The configuration is the body's last field and delimits itself (its codec reads to the end).
            return writer.Written + Sharding.ShardConfigurationCodec.Write(response.Configuration!, destination[writer.Written..]);
        }
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    private static void WriteOk(ref WireWriter writer, in ClientResponse response)
    {
        switch (response.Op)
        {
            case ClientOp.RegisterSession:
                writer.U64(response.ClientId);
                break;
            case ClientOp.Get:
                writer.Value(response.Value.Span);
                break;
            case ClientOp.CompareAndSet:
                Invariant.True(response.ValuePresent || response.Value.IsEmpty, "an absent value is empty");
                writer.U8((byte)((response.Swapped ? SwappedFlag : 0) | (response.ValuePresent ? PresentFlag : 0)));
                if (response.ValuePresent)
                {
                    writer.Value(response.Value.Span);
                }
                break;
            case ClientOp.Status:
                var node = response.Node;
                Invariant.True(node.LeaderKnown || node.LeaderId == 0, "an unknown leader has id 0");
                writer.I32(node.NodeId);
                writer.U8((byte)node.Role);
                writer.I64(node.Term);
                writer.Bool(node.LeaderKnown);
                writer.I32(node.LeaderId);
                writer.I64(node.CommitIndex);
                writer.I64(node.AppliedIndex);
                writer.I64(node.LogFirstIndex);
                writer.I64(node.LogLastIndex);
                writer.I64(node.SnapshotIndex);
                break;
            case ClientOp.TransferLeader:
                Invariant.True(response.LeaderId > 0, "a transfer answers with the node that leads");
                writer.I32(response.LeaderId);
                break;
            case ClientOp.MemberList:
                response.Members!.Write(ref writer);
                break;
            case ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove:
                Invariant.True(response.ConfigurationNumber >= 0, response.ConfigurationNumber);
                writer.I64(response.ConfigurationNumber);
                break;
            default:
                break;
        }
    }

    /// <summary>Reads a body; never throws. <see cref="ClientResponse.Value"/> is a view of <paramref name="body"/>.</summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> body, out ClientResponse response)
    {
        response = default;
        var reader = new WireReader(body);
        if (!reader.U64(out var requestId) || !reader.U8(out var op) || !reader.U8(out var status))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "response id, op or status missing");
        }
        if (op is < (byte)ClientOp.RegisterSession or > (byte)ClientOps.Last)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown client op");
        }
        if (status > (byte)ClientOps.LastStatus)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown client status");
        }
        var parsed = new ClientResponse { RequestId = requestId, Op = (ClientOp)op, Status = (ClientStatus)status };
        var result = (ClientStatus)status switch
        {
            ClientStatus.Ok => ReadOk(ref reader, ref parsed),
            ClientStatus.NotLeader => ReadNotLeader(ref reader, ref parsed),
            ClientStatus.Retryable or ClientStatus.InvalidArgument or ClientStatus.InternalError or ClientStatus.TooLarge
            or ClientStatus.SessionNotOwned or ClientStatus.TooManySessions => ReadMessage(ref reader, ref parsed),
            ClientStatus.WrongGroup => ReadConfigurationNumber(ref reader, ref parsed),
            _ => ParseResult.Ok,
        };
        if (result.IsOk && parsed.Status == ClientStatus.Ok && parsed.Op == ClientOp.ShardQuery)
        {
            // The last field, to the end of the body: its codec checks that nothing follows it.
            result = Sharding.ShardConfigurationCodec.Read(body.Span[reader.Position..], out var configuration);
            parsed = parsed with { Configuration = configuration };
            response = result.IsOk ? parsed : default;
            return result;
        }
        if (!result.IsOk)
        {
            return result;
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        response = parsed;
        return ParseResult.Ok;
    }

    private static ParseResult ReadNotLeader(ref WireReader reader, ref ClientResponse response)
    {
        if (!reader.U8(out var known) || !reader.I32(out var leaderId))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "leader fields missing");
        }
        if (known > 1 || (known == 0 && leaderId != 0))
        {
            return ParseResult.Fail(ProtocolError.Malformed, "leader-known flag is not 0 or 1, or an unknown leader has an id");
        }
        var result = reader.Text(out var address);
        response = response with { LeaderKnown = known == 1, LeaderId = leaderId, LeaderAddress = address };
        return result;
    }

    private static ParseResult ReadConfigurationNumber(ref WireReader reader, ref ClientResponse response)
    {
        if (!reader.I64(out var number))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "configuration number missing");
        }
        if (number < 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "configuration number negative");
        }
        response = response with { ConfigurationNumber = number };
        return ParseResult.Ok;
    }

    private static ParseResult ReadMessage(ref WireReader reader, ref ClientResponse response)
    {
        var result = reader.Text(out var message);
        response = response with { Message = message };
        return result;
    }

    private static ParseResult ReadOk(ref WireReader reader, ref ClientResponse response)
    {
        switch (response.Op)
        {
            case ClientOp.RegisterSession:
                if (!reader.U64(out var clientId))
                {
                    return ParseResult.Fail(ProtocolError.Truncated, "client id missing");
                }
                response = response with { ClientId = clientId };
                return ParseResult.Ok;
            case ClientOp.Get:
                {
                    var result = reader.Value(out var value);
                    response = response with { Value = value };
                    return result;
                }
            case ClientOp.CompareAndSet:
                {
                    if (!reader.U8(out var flags))
                    {
                        return ParseResult.Fail(ProtocolError.Truncated, "compare-and-set result flags missing");
                    }
                    if ((flags & ~(SwappedFlag | PresentFlag)) != 0)
                    {
                        return ParseResult.Fail(ProtocolError.Malformed, "compare-and-set result flags have reserved bits set");
                    }
                    var present = (flags & PresentFlag) != 0;
                    var value = ReadOnlyMemory<byte>.Empty;
                    var result = present ? reader.Value(out value) : ParseResult.Ok;
                    response = response with { Swapped = (flags & SwappedFlag) != 0, ValuePresent = present, Value = value };
                    return result;
                }
            case ClientOp.Status:
                return ReadNodeStatus(ref reader, ref response);
            case ClientOp.TransferLeader:
                if (!reader.I32(out var leader))
                {
                    return ParseResult.Fail(ProtocolError.Truncated, "transfer answer without its leader id");
                }
                if (leader <= 0)
                {
                    return ParseResult.Fail(ProtocolError.Malformed, "transfer answer with a leader id that is not positive");
                }
                response = response with { LeaderKnown = true, LeaderId = leader };
                return ParseResult.Ok;
            case ClientOp.MemberList:
                {
                    var result = MemberListing.Read(ref reader, out var listing);
                    response = response with { Members = listing };
                    return result;
                }
            case ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove:
                return ReadConfigurationNumber(ref reader, ref response);
            default:
                return ParseResult.Ok;
        }
    }

    private static ParseResult ReadNodeStatus(ref WireReader reader, ref ClientResponse response)
    {
        if (!reader.I32(out var nodeId) || !reader.U8(out var role) || !reader.I64(out var term) || !reader.U8(out var known)
            || !reader.I32(out var leaderId) || !reader.I64(out var commit) || !reader.I64(out var applied)
            || !reader.I64(out var first) || !reader.I64(out var last) || !reader.I64(out var snapshot))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "node status shorter than 58 bytes");
        }
        if (role > (byte)NodeRole.Leader)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown node role");
        }
        if (known > 1 || (known == 0 && leaderId != 0))
        {
            return ParseResult.Fail(ProtocolError.Malformed, "leader-known flag is not 0 or 1, or an unknown leader has an id");
        }
        response = response with
        {
            Node = new NodeStatus
            {
                NodeId = nodeId,
                Role = (NodeRole)role,
                Term = term,
                LeaderKnown = known == 1,
                LeaderId = leaderId,
                CommitIndex = commit,
                AppliedIndex = applied,
                LogFirstIndex = first,
                LogLastIndex = last,
                SnapshotIndex = snapshot,
            },
        };
        return ParseResult.Ok;
    }

    /// <summary>Size of the whole frame (header + body).</summary>
    public static int FrameSize(in ClientResponse response) => FrameHeader.Bytes + Size(response);

    /// <summary>Writes the whole frame (header + body); returns the bytes written.</summary>
    public static int FormatFrame(in ClientResponse response, Span<byte> destination)
    {
        var header = FrameHeader.Format(FrameType.ClientResponse, Size(response), destination);
        return header + Format(response, destination[header..]);
    }
}
