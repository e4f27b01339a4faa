using System;

namespace KvRaft.Protocol;

/// <summary>
/// The op-specific fields shared by <see cref="KvCommand"/> and <see cref="ClientRequest"/> writes:
/// Put/Append = key, value; Delete = key; CompareAndSet = key, u8 expect flags, [expected value], value;
/// RegisterSession = nothing.
/// </summary>
internal static class CommandFields
{
    private const byte ExpectAbsentFlag = 1;

    public static bool IsWrite(byte op) => op is (byte)ClientOp.RegisterSession or (byte)ClientOp.Put
        or (byte)ClientOp.Append or (byte)ClientOp.Delete or (byte)ClientOp.CompareAndSet;

    public static int Size(ClientOp op, int keyBytes, int valueBytes, bool expectAbsent, int expectedBytes) => op switch
    {
        ClientOp.RegisterSession => 0,
        ClientOp.Put or ClientOp.Append => 2 + keyBytes + 4 + valueBytes,
        ClientOp.Delete => 2 + keyBytes,
        ClientOp.CompareAndSet => 2 + keyBytes + 1 + (expectAbsent ? 0 : 4 + expectedBytes) + 4 + valueBytes,
        _ => throw new InvariantException("not a write op: " + op),
    };

    public static void Write(ref WireWriter writer, ClientOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool expectAbsent, ReadOnlySpan<byte> expected)
    {
        Invariant.True(op == ClientOp.CompareAndSet || (!expectAbsent && expected.IsEmpty), "only CompareAndSet has an expected value");
        Invariant.True(!expectAbsent || expected.IsEmpty, "an expect-absent CompareAndSet has no expected value");
        Invariant.True(op is not (ClientOp.RegisterSession or ClientOp.Delete) || value.IsEmpty, "RegisterSession and Delete have no value");
        Invariant.True(op != ClientOp.RegisterSession || key.IsEmpty, "RegisterSession has no key");
        switch (op)
        {
            case ClientOp.RegisterSession:
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

    public static ParseResult Read(ref WireReader reader, ClientOp op, out ReadOnlyMemory<byte> key, out ReadOnlyMemory<byte> value, out bool expectAbsent, out ReadOnlyMemory<byte> expected)
    {
        key = default;
        value = default;
        expectAbsent = false;
        expected = default;
        if (op == ClientOp.RegisterSession)
        {
            return ParseResult.Ok;
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
