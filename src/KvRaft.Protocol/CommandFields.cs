using System;

namespace KvRaft.Protocol;

/// <summary>
/// The op-specific fields shared by <see cref="KvCommand"/> and <see cref="ClientRequest"/> writes:
/// Put/Append = key, value; Delete = key; CompareAndSet = key, u8 expect flags, [expected value], value;
/// RegisterSession = nothing; GroupJoin, GroupLeave = i32 group id; ShardMove = i32 shard, i32 group id.
/// </summary>
internal static class CommandFields
{
    private const byte ExpectAbsentFlag = 1;

    public static bool IsWrite(byte op) => op is (byte)ClientOp.RegisterSession or (byte)ClientOp.Put
        or (byte)ClientOp.Append or (byte)ClientOp.Delete or (byte)ClientOp.CompareAndSet
        or (byte)ClientOp.GroupJoin or (byte)ClientOp.GroupLeave or (byte)ClientOp.ShardMove;

    public static int Size(ClientOp op, int keyBytes, int valueBytes, bool expectAbsent, int expectedBytes) => op switch
    {
        ClientOp.RegisterSession => 0,
        ClientOp.GroupJoin or ClientOp.GroupLeave => 4,
        ClientOp.ShardMove => 8,
        ClientOp.Put or ClientOp.Append => 2 + keyBytes + 4 + valueBytes,
        ClientOp.Delete => 2 + keyBytes,
        ClientOp.CompareAndSet => 2 + keyBytes + 1 + (expectAbsent ? 0 : 4 + expectedBytes) + 4 + valueBytes,
        _ => throw new InvariantException("not a write op: " + op),
    };

    public static void Write(ref WireWriter writer, ClientOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool expectAbsent, ReadOnlySpan<byte> expected, int groupId = 0, int shard = 0)
    {
        Invariant.True(ClientOps.IsControllerWrite(op) || (groupId == 0 && shard == 0), "only the controller's writes name a group");
        Invariant.True(!ClientOps.IsControllerWrite(op) || (key.IsEmpty && value.IsEmpty), "the controller's writes have no key or value");
        Invariant.True(op == ClientOp.CompareAndSet || (!expectAbsent && expected.IsEmpty), "only CompareAndSet has an expected value");
        Invariant.True(!expectAbsent || expected.IsEmpty, "an expect-absent CompareAndSet has no expected value");
        Invariant.True(op is not (ClientOp.RegisterSession or ClientOp.Delete) || value.IsEmpty, "RegisterSession and Delete have no value");
        Invariant.True(op != ClientOp.RegisterSession || key.IsEmpty, "RegisterSession has no key");
        switch (op)
        {
            case ClientOp.RegisterSession:
                break;
            case ClientOp.GroupJoin or ClientOp.GroupLeave:
                writer.I32(groupId);
                break;
            case ClientOp.ShardMove:
                writer.I32(shard);
                writer.I32(groupId);
                break;
            case ClientOp.Put or ClientOp.Append:
                writer.Key(key);
                writer.Value(value);
                break;
            case ClientOp.Delete:
                writer.Key(key);
                break;
            case ClientOp.CompareAndSet:
                writer.Key(key);
                writer.U8(expectAbsent ? ExpectAbsentFlag : (byte)0);
                if (!expectAbsent)
                {
                    writer.Value(expected);
                }
                writer.Value(value);
                break;
            default:
                throw new InvariantException("not a write op: " + op);
        }
    }

    public static ParseResult Read(ref WireReader reader, ClientOp op, out ReadOnlyMemory<byte> key, out ReadOnlyMemory<byte> value, out bool expectAbsent, out ReadOnlyMemory<byte> expected, out int groupId, out int shard)
    {
        key = default;
        value = default;
        expectAbsent = false;
        expected = default;
        groupId = 0;
        shard = 0;
        if (op == ClientOp.RegisterSession)
        {
            return ParseResult.Ok;
        }
        if (op is ClientOp.GroupJoin or ClientOp.GroupLeave)
        {
            return reader.I32(out groupId) ? ParseResult.Ok : ParseResult.Fail(ProtocolError.Truncated, "group id missing");
        }
        if (op == ClientOp.ShardMove)
        {
            return reader.I32(out shard) && reader.I32(out groupId) ? ParseResult.Ok : ParseResult.Fail(ProtocolError.Truncated, "shard or group id missing");
        }
        var result = reader.Key(out key);
        if (!result.IsOk || op == ClientOp.Delete)
        {
            return result;
        }
        if (op == ClientOp.CompareAndSet)
        {
            if (!reader.U8(out var flags))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "compare-and-set flags missing");
            }
            if ((flags & ~ExpectAbsentFlag) != 0)
            {
                return ParseResult.Fail(ProtocolError.Malformed, "compare-and-set flags have reserved bits set");
            }
            expectAbsent = flags == ExpectAbsentFlag;
            if (!expectAbsent)
            {
                result = reader.Value(out expected);
                if (!result.IsOk)
                {
                    return result;
                }
            }
        }
        return reader.Value(out value);
    }
}
