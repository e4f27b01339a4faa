using System;

namespace KvRaft.Protocol;

/// <summary>
/// A write as stored in the Raft log: RegisterSession, Put, Append, Delete or CompareAndSet, with
/// the client's id and sequence number (for exactly-once application). Byte fields are views of the
/// parsed buffer after a parse.
/// </summary>
public readonly record struct KvCommand
{
    /// <summary>The write op (never Get or Status).</summary>
    public ClientOp Op { get; init; }
    /// <summary>The client's session id.</summary>
    public ulong ClientId { get; init; }
    /// <summary>The client's request sequence number within its session.</summary>
    public ulong Sequence { get; init; }
    /// <summary>The key (empty for RegisterSession).</summary>
    public ReadOnlyMemory<byte> Key { get; init; }
    /// <summary>The value (Put, Append) or new value (CompareAndSet).</summary>
    public ReadOnlyMemory<byte> Value { get; init; }
    /// <summary>CompareAndSet: swap only if the key is absent.</summary>
    public bool ExpectAbsent { get; init; }
    /// <summary>CompareAndSet: the value the key must hold (when not <see cref="ExpectAbsent"/>).</summary>
    public ReadOnlyMemory<byte> Expected { get; init; }

    /// <summary>Value equality; byte fields compared bytewise.</summary>
    public bool Equals(KvCommand other) =>
        Op == other.Op && ClientId == other.ClientId && Sequence == other.Sequence && ExpectAbsent == other.ExpectAbsent
        && Key.Span.SequenceEqual(other.Key.Span) && Value.Span.SequenceEqual(other.Value.Span) && Expected.Span.SequenceEqual(other.Expected.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Op, ClientId, Sequence, Key.Length, Value.Length);
}

/// <summary>Codec for one <see cref="KvCommand"/>: u8 op, u64 clientId, u64 sequence, then the op's fields.</summary>
public static class KvCommandCodec
{
    /// <summary>Bytes before the op's fields.</summary>
    public const int FixedBytes = 1 + 8 + 8;

    /// <summary>Encoded size of <paramref name="command"/>.</summary>
    public static int Size(in KvCommand command) =>
        FixedBytes + CommandFields.Size(command.Op, command.Key.Length, command.Value.Length, command.ExpectAbsent, command.Expected.Length);

    /// <summary>Writes the command; returns the bytes written. Allocates nothing.</summary>
    public static int Format(in KvCommand command, Span<byte> destination)
    {
        var size = Size(command);
        Invariant.True(destination.Length >= size, destination.Length);
        var writer = new WireWriter(destination);
        Write(ref writer, command);
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    internal static void Write(ref WireWriter writer, in KvCommand command)
    {
        Invariant.True(CommandFields.IsWrite((byte)command.Op), command.Op);
        writer.U8((byte)command.Op);
        writer.U64(command.ClientId);
        writer.U64(command.Sequence);
        CommandFields.Write(ref writer, command.Op, command.Key.Span, command.Value.Span, command.ExpectAbsent, command.Expected.Span);
    }

    /// <summary>Reads one command that fills <paramref name="payload"/> exactly; never throws. Byte fields are views of it.</summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> payload, out KvCommand command)
    {
        var reader = new WireReader(payload);
        var result = Read(ref reader, out command);
        return result.IsOk ? reader.End() : result;
    }

    internal static ParseResult Read(ref WireReader reader, out KvCommand command)
    {
        command = default;
        if (!reader.U8(out var op))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "command op missing");
        }
        if (!CommandFields.IsWrite(op))
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown command op");
        }
        if (!reader.U64(out var clientId) || !reader.U64(out var sequence))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "command client id or sequence missing");
        }
        var result = CommandFields.Read(ref reader, (ClientOp)op, out var key, out var value, out var expectAbsent, out var expected);
        if (!result.IsOk)
        {
            return result;
        }
        command = new KvCommand
        {
            Op = (ClientOp)op,
            ClientId = clientId,
            Sequence = sequence,
            Key = key,
            Value = value,
            ExpectAbsent = expectAbsent,
            Expected = expected,
        };
        return ParseResult.Ok;
    }
}
