using System;

namespace KvRaft.Protocol;

/// <summary>
/// A write as stored in the Raft log: RegisterSession, Put, Append, Delete, CompareAndSet or a shard controller write, with
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
    /// <summary>
    /// Digest of the authenticated identity of the connection the leader received this write on (XXH3 of its client
    /// certificate's names), 0 when the client port does not authenticate clients. Set by the leader, never by the
    /// client; a session belongs to the identity that registered it.
    /// </summary>
    public ulong Identity { get; init; }
    /// <summary>The key (empty for RegisterSession).</summary>
    public ReadOnlyMemory<byte> Key { get; init; }
    /// <summary>The value (Put, Append) or new value (CompareAndSet).</summary>
    public ReadOnlyMemory<byte> Value { get; init; }
    /// <summary>CompareAndSet: swap only if the key is absent.</summary>
    public bool ExpectAbsent { get; init; }
    /// <summary>CompareAndSet: the value the key must hold (when not <see cref="ExpectAbsent"/>).</summary>
    public ReadOnlyMemory<byte> Expected { get; init; }
    /// <summary>GroupJoin, GroupLeave, ShardMove: the group.</summary>
    public int GroupId { get; init; }
    /// <summary>ShardMove: the shard.</summary>
    public int Shard { get; init; }

    /// <summary>Value equality; byte fields compared bytewise.</summary>
    public bool Equals(KvCommand other) =>
        Op == other.Op && ClientId == other.ClientId && Sequence == other.Sequence && Identity == other.Identity && ExpectAbsent == other.ExpectAbsent
        && GroupId == other.GroupId && Shard == other.Shard
        && Key.Span.SequenceEqual(other.Key.Span) && Value.Span.SequenceEqual(other.Value.Span) && Expected.Span.SequenceEqual(other.Expected.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Op, ClientId, Sequence, Key.Length, Value.Length);
}

/// <summary>
/// Codec for one <see cref="KvCommand"/>: u8 op (bit 7 set: an identity follows), u64 clientId, u64 sequence,
/// [u64 identity, only when not 0], then the op's fields. Commands without an identity keep the layout of logs
/// written before identities existed.
/// </summary>
public static class KvCommandCodec
{
    /// <summary>Bytes before the op's fields, without an identity.</summary>
    public const int FixedBytes = 1 + 8 + 8;

    /// <summary>Bytes of the identity field, present only when the identity is not 0.</summary>
    public const int IdentityBytes = 8;

    /// <summary>Set in the op byte when the identity field follows the sequence.</summary>
    public const byte IdentityFlag = 0x80;

    /// <summary>Encoded size of <paramref name="command"/>.</summary>
    public static int Size(in KvCommand command) =>
        FixedBytes + (command.Identity != 0 ? IdentityBytes : 0) + CommandFields.Size(command.Op, command.Key.Length, command.Value.Length, command.ExpectAbsent, command.Expected.Length);

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
        var hasIdentity = command.Identity != 0;
        writer.U8((byte)((byte)command.Op | (hasIdentity ? IdentityFlag : 0)));
        writer.U64(command.ClientId);
        writer.U64(command.Sequence);
        if (hasIdentity)
        {
            writer.U64(command.Identity);
        }
        CommandFields.Write(ref writer, command.Op, command.Key.Span, command.Value.Span, command.ExpectAbsent, command.Expected.Span, command.GroupId, command.Shard);
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
        if (!reader.U8(out var opByte))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "command op missing");
        }
        var hasIdentity = (opByte & IdentityFlag) != 0;
        var op = (byte)(opByte & ~IdentityFlag);
        if (!CommandFields.IsWrite(op))
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown command op");
        }
        if (!reader.U64(out var clientId) || !reader.U64(out var sequence))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "command client id or sequence missing");
        }
        ulong identity = 0;
        if (hasIdentity)
        {
            if (!reader.U64(out identity))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "command identity missing");
            }
            if (identity == 0)
            {
                return ParseResult.Fail(ProtocolError.Malformed, "command identity flagged but 0");
            }
        }
        var result = CommandFields.Read(ref reader, (ClientOp)op, out var key, out var value, out var expectAbsent, out var expected, out var groupId, out var shard);
        if (!result.IsOk)
        {
            return result;
        }
        command = new KvCommand
        {
            Op = (ClientOp)op,
            ClientId = clientId,
            Sequence = sequence,
            Identity = identity,
            Key = key,
            Value = value,
            ExpectAbsent = expectAbsent,
            Expected = expected,
            GroupId = groupId,
            Shard = shard,
        };
        return ParseResult.Ok;
    }
}
