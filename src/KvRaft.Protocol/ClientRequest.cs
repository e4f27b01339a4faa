using System;

namespace KvRaft.Protocol;

/// <summary>
/// A client request. Fields an op does not use stay default. After a parse, byte fields are views of
/// the parsed buffer, valid while the caller keeps it unchanged.
/// </summary>
public readonly record struct ClientRequest
{
    /// <summary>Chosen by the client; the response echoes it (responses may come out of order).</summary>
    public ulong RequestId { get; init; }
    /// <summary>The operation.</summary>
    public ClientOp Op { get; init; }
    /// <summary>Writes: the client's session id.</summary>
    public ulong ClientId { get; init; }
    /// <summary>Writes: the client's request sequence number within its session.</summary>
    public ulong Sequence { get; init; }
    /// <summary>Get and writes other than RegisterSession: the key.</summary>
    public ReadOnlyMemory<byte> Key { get; init; }
    /// <summary>Put, Append: the value; CompareAndSet: the new value.</summary>
    public ReadOnlyMemory<byte> Value { get; init; }
    /// <summary>CompareAndSet: swap only if the key is absent.</summary>
    public bool ExpectAbsent { get; init; }
    /// <summary>CompareAndSet: the value the key must hold (when not <see cref="ExpectAbsent"/>).</summary>
    public ReadOnlyMemory<byte> Expected { get; init; }

    /// <summary>True for the ops that become a <see cref="KvCommand"/> in the log.</summary>
    public bool IsWrite => CommandFields.IsWrite((byte)Op);

    /// <summary>
    /// TransferLeader: the node to hand leadership to; 0 lets the leader choose. AddLearner, PromoteLearner,
    /// RemoveMember: the member's node id.
    /// </summary>
    public int TargetNodeId { get; init; }

    /// <summary>MemberList: true to ask the receiving node for its own view (any node answers), false for the leader's.</summary>
    public bool LocalView { get; init; }

    /// <summary>AddLearner: the new member's peer address ("host:port").</summary>
    public string? PeerAddress { get; init; }

    /// <summary>AddLearner: the new member's client address ("host:port").</summary>
    public string? ClientAddress { get; init; }

    /// <summary>ShardQuery: the configuration asked for, −1 for the latest (any other negative is InvalidArgument).</summary>
    public long ConfigurationNumber { get; init; }

    /// <summary>GroupJoin, GroupLeave, ShardMove: the group.</summary>
    public int GroupId { get; init; }

    /// <summary>ShardMove: the shard.</summary>
    public int Shard { get; init; }

    /// <summary>The log command for a write request (same fields, no request id).</summary>
    public KvCommand ToCommand()
    {
        Invariant.True(IsWrite, Op);
        return new KvCommand
        {
            Op = Op,
            ClientId = ClientId,
            Sequence = Sequence,
            Key = Key,
            Value = Value,
            ExpectAbsent = ExpectAbsent,
            Expected = Expected,
            GroupId = GroupId,
            Shard = Shard,
        };
    }

    /// <summary>Value equality; byte fields compared bytewise.</summary>
    public bool Equals(ClientRequest other) =>
        RequestId == other.RequestId && Op == other.Op && ClientId == other.ClientId && Sequence == other.Sequence
        && TargetNodeId == other.TargetNodeId && LocalView == other.LocalView
        && PeerAddress == other.PeerAddress && ClientAddress == other.ClientAddress && ConfigurationNumber == other.ConfigurationNumber
        && GroupId == other.GroupId && Shard == other.Shard
        && ExpectAbsent == other.ExpectAbsent && Key.Span.SequenceEqual(other.Key.Span)
        && Value.Span.SequenceEqual(other.Value.Span) && Expected.Span.SequenceEqual(other.Expected.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RequestId, Op, ClientId, Sequence, Key.Length, Value.Length);
}

/// <summary>
/// Codec for <see cref="ClientRequest"/>: u64 requestId, u8 op, then by op: RegisterSession and
/// Status nothing; Get a key; TransferLeader i32 targetNodeId; MemberList u8 local view (0 or 1); AddLearner i32 node id,
/// text peer address, text client address; PromoteLearner and RemoveMember i32 node id; ShardQuery i64 configuration
/// number; Put/Append/Delete/CompareAndSet/GroupJoin/GroupLeave/ShardMove u64 clientId, u64 sequence and the same fields
/// as a <see cref="KvCommand"/>.
/// </summary>
public static class ClientRequestCodec
{
    /// <summary>Bytes before the op's fields.</summary>
    public const int FixedBytes = 8 + 1;

    private static bool HasSession(ClientOp op) => op is ClientOp.Put or ClientOp.Append or ClientOp.Delete or ClientOp.CompareAndSet || ClientOps.IsControllerWrite(op);

    /// <summary>Body size of <paramref name="request"/>.</summary>
    public static int Size(in ClientRequest request) => FixedBytes + request.Op switch
    {
        ClientOp.RegisterSession or ClientOp.Status => 0,
        ClientOp.Get => 2 + request.Key.Length,
        ClientOp.TransferLeader or ClientOp.PromoteLearner or ClientOp.RemoveMember => 4,
        ClientOp.MemberList => 1,
        ClientOp.ShardQuery => 8,
        ClientOp.AddLearner => 4 + 2 + WireWriter.TextBytes(request.PeerAddress) + 2 + WireWriter.TextBytes(request.ClientAddress),
        _ => 16 + CommandFields.Size(request.Op, request.Key.Length, request.Value.Length, request.ExpectAbsent, request.Expected.Length),
    };

    /// <summary>Writes the body; returns the bytes written. Allocates nothing.</summary>
    public static int Format(in ClientRequest request, Span<byte> destination)
    {
        var size = Size(request);
        Invariant.True(destination.Length >= size, destination.Length);
        Invariant.True(request.Op is >= ClientOp.RegisterSession and <= ClientOps.Last, request.Op);
        Invariant.True(request.Op == ClientOp.TransferLeader || ClientOps.IsMemberChange(request.Op) || request.TargetNodeId == 0, "only TransferLeader and member changes name a node");
        Invariant.True(HasSession(request.Op) || (request.ClientId == 0 && request.Sequence == 0), "only writes carry a client id and sequence");
        Invariant.True(request.Op == ClientOp.ShardQuery || request.ConfigurationNumber == 0, "only ShardQuery names a configuration");
        Invariant.True(ClientOps.IsControllerWrite(request.Op) || (request.GroupId == 0 && request.Shard == 0), "only the controller's writes name a group or shard");
        var writer = new WireWriter(destination);
        writer.U64(request.RequestId);
        writer.U8((byte)request.Op);
        switch (request.Op)
        {
            case ClientOp.RegisterSession or ClientOp.Status:
                Invariant.True(request.Key.IsEmpty && request.Value.IsEmpty && request.Expected.IsEmpty && !request.ExpectAbsent, "no fields");
                break;
            case ClientOp.Get:
                Invariant.True(request.Value.IsEmpty && request.Expected.IsEmpty && !request.ExpectAbsent, "Get has a key only");
                writer.Key(request.Key.Span);
                break;
            case ClientOp.TransferLeader or ClientOp.PromoteLearner or ClientOp.RemoveMember:
                writer.I32(request.TargetNodeId);
                break;
            case ClientOp.MemberList:
                writer.Bool(request.LocalView);
                break;
            case ClientOp.ShardQuery:
                writer.I64(request.ConfigurationNumber);
                break;
            case ClientOp.AddLearner:
                writer.I32(request.TargetNodeId);
                writer.Text(request.PeerAddress);
                writer.Text(request.ClientAddress);
                break;
            default:
                writer.U64(request.ClientId);
                writer.U64(request.Sequence);
                CommandFields.Write(ref writer, request.Op, request.Key.Span, request.Value.Span, request.ExpectAbsent, request.Expected.Span, request.GroupId, request.Shard);
                break;
        }
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    /// <summary>Reads a body; never throws. Byte fields are views of <paramref name="body"/>.</summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> body, out ClientRequest request)
    {
        request = default;
        var reader = new WireReader(body);
        if (!reader.U64(out var requestId) || !reader.U8(out var opByte))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "request id or op missing");
        }
        if (opByte is < (byte)ClientOp.RegisterSession or > (byte)ClientOps.Last)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown client op");
        }
        var op = (ClientOp)opByte;
        ulong clientId = 0, sequence = 0;
        ReadOnlyMemory<byte> key = default, value = default, expected = default;
        var expectAbsent = false;
        var result = ParseResult.Ok;
        var targetNodeId = 0;
        var localView = false;
        long configurationNumber = 0;
        int groupId = 0, shard = 0;
        string? peerAddress = null, clientAddress = null;
        if (op == ClientOp.Get)
        {
            result = reader.Key(out key);
        }
        else if (op is ClientOp.TransferLeader or ClientOp.PromoteLearner or ClientOp.RemoveMember or ClientOp.AddLearner && !reader.I32(out targetNodeId))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "target node id missing");
        }
        else if (op == ClientOp.MemberList)
        {
            result = ReadLocalView(ref reader, out localView);
        }
        else if (op == ClientOp.ShardQuery && !reader.I64(out configurationNumber))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "configuration number missing");
        }
        else if (HasSession(op))
        {
            if (!reader.U64(out clientId) || !reader.U64(out sequence))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "request client id or sequence missing");
            }
            result = CommandFields.Read(ref reader, op, out key, out value, out expectAbsent, out expected, out groupId, out shard);
        }
        if (result.IsOk && op == ClientOp.AddLearner)
        {
            result = reader.Text(out peerAddress);
            if (result.IsOk)
            {
                result = reader.Text(out clientAddress);
            }
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
        request = new ClientRequest
        {
            RequestId = requestId,
            Op = op,
            ClientId = clientId,
            Sequence = sequence,
            Key = key,
            Value = value,
            ExpectAbsent = expectAbsent,
            Expected = expected,
            TargetNodeId = targetNodeId,
            LocalView = localView,
            PeerAddress = peerAddress,
            ClientAddress = clientAddress,
            ConfigurationNumber = configurationNumber,
            GroupId = groupId,
            Shard = shard,
        };
        return ParseResult.Ok;
    }

    private static ParseResult ReadLocalView(ref WireReader reader, out bool localView)
    {
        localView = false;
        if (!reader.U8(out var flag))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "member list view flag missing");
        }
        if (flag > 1)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "member list view flag is not 0 or 1");
        }
        localView = flag == 1;
        return ParseResult.Ok;
    }

    /// <summary>
    /// Reads only the request id and op at the start of a body (or of the part of it received so far),
    /// to answer a request refused as too large; false when they are missing or the op is unknown.
    /// </summary>
    public static bool TryReadHead(ReadOnlySpan<byte> body, out ulong requestId, out ClientOp op)
    {
        requestId = 0;
        op = default;
        if (body.Length < FixedBytes || body[8] is < (byte)ClientOp.RegisterSession or > (byte)ClientOps.Last)
        {
            return false;
        }
        requestId = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(body);
        op = (ClientOp)body[8];
        return true;
    }

    /// <summary>Size of the whole frame (header + body).</summary>
    public static int FrameSize(in ClientRequest request) => FrameHeader.Bytes + Size(request);

    /// <summary>Writes the whole frame (header + body); returns the bytes written.</summary>
    public static int FormatFrame(in ClientRequest request, Span<byte> destination)
    {
        var header = FrameHeader.Format(FrameType.ClientRequest, Size(request), destination);
        return header + Format(request, destination[header..]);
    }

    /// <summary>Size of the frame of <paramref name="request"/> to group <paramref name="groupId"/> (the plain frame for group 0).</summary>
    public static int FrameSize(int groupId, in ClientRequest request) =>
        groupId == 0 ? FrameSize(request) : FrameHeader.Bytes + GroupFrameCodec.GroupIdBytes + Size(request);

    /// <summary>
    /// Writes <paramref name="request"/> to group <paramref name="groupId"/> as a whole frame: a
    /// <see cref="FrameType.GroupClientRequest"/> (u32 group id, then the body), or the plain frame for group 0.
    /// </summary>
    public static int FormatFrame(int groupId, in ClientRequest request, Span<byte> destination)
    {
        if (groupId == 0)
        {
            return FormatFrame(request, destination);
        }
        Invariant.True(groupId > 0 && groupId < ProtocolLimits.GroupsMax, groupId);
        var header = FrameHeader.Format(FrameType.GroupClientRequest, GroupFrameCodec.GroupIdBytes + Size(request), destination);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(destination[header..], (uint)groupId);
        var prefix = header + GroupFrameCodec.GroupIdBytes;
        return prefix + Format(request, destination[prefix..]);
    }
}
