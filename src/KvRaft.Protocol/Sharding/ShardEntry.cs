using System;

namespace KvRaft.Protocol.Sharding;

/// <summary>The shard entries of a data group's log (the storage ops of the same numbers).</summary>
public enum ShardEntryKind : byte
{
    /// <summary>The group enters the configuration in the payload (<see cref="ShardConfigurationCodec"/>).</summary>
    Reconfigure = 32,
    /// <summary>Chunk <see cref="ShardEntry.Chunk"/> of a shard pulled from its previous owner; the payload is the chunk.</summary>
    InstallShard = 33,
    /// <summary>The old owner drops its copy of a shard it offered.</summary>
    DropShard = 34,
    /// <summary>The new owner heard that the old owner dropped its copy.</summary>
    ShardDropConfirmed = 35,
}

/// <summary>
/// One shard entry: what it does, to which shard (0 for Reconfigure), for which configuration, and for an install the
/// chunk's index, whether it is the last, and its data. <see cref="Payload"/> is a view of the parsed buffer.
/// </summary>
public readonly record struct ShardEntry(ShardEntryKind Kind, int Shard, long Configuration, int Chunk = 0, bool IsLast = false, ReadOnlyMemory<byte> Payload = default);

/// <summary>
/// Codec of a shard entry, the data of a Normal log entry (docs/wire-format.md, "Shard entries"): u8 format 2 (a
/// command batch starts with 1, so the first byte tells them apart), u8 kind, u16 shard, i64 configuration, u32 chunk,
/// u8 flags (bit 0: the last chunk), u32 payload length, the payload.
/// </summary>
public static class ShardEntryCodec
{
    /// <summary>The first byte of a shard entry.</summary>
    public const byte Format = 2;

    /// <summary>Bytes before the payload.</summary>
    public const int HeaderBytes = 1 + 1 + 2 + 8 + 4 + 1 + 4;

    private const byte LastFlag = 1;

    /// <summary>True when <paramref name="data"/> is (or claims to be) a shard entry rather than a command batch.</summary>
    public static bool IsShardEntry(ReadOnlySpan<byte> data) => data.Length > 0 && data[0] == Format;

    /// <summary>The entry's bytes.</summary>
    public static byte[] Encode(in ShardEntry entry)
    {
        var bytes = new byte[HeaderBytes + entry.Payload.Length];
        var writer = new WireWriter(bytes);
        writer.U8(Format);
        writer.U8((byte)entry.Kind);
        writer.U16(checked((ushort)entry.Shard));
        writer.I64(entry.Configuration);
        writer.U32(checked((uint)entry.Chunk));
        writer.U8(entry.IsLast ? LastFlag : (byte)0);
        writer.U32((uint)entry.Payload.Length);
        writer.Bytes(entry.Payload.Span);
        return bytes;
    }

    /// <summary>
    /// Reads a shard entry; never throws. Checks the layout and the ranges (a kind of 32 to 35, a shard below
    /// <see cref="ShardMap.ShardCountMax"/>, a positive configuration, a chunk index and the last flag only on an
    /// install, a Reconfigure's configuration well-formed and of that number, no payload on a drop or a confirmation).
    /// </summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> data, out ShardEntry entry)
    {
        entry = default;
        var reader = new WireReader(data);
        if (!reader.U8(out var format) || !reader.U8(out var kind) || !reader.U16(out var shard) || !reader.I64(out var number)
            || !reader.U32(out var chunk) || !reader.U8(out var flags) || !reader.U32(out var length))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "shard entry header missing");
        }
        if (format != Format)
        {
            return ParseResult.Fail(ProtocolError.BadVersion, "shard entry format is not 2");
        }
        if (kind is < (byte)ShardEntryKind.Reconfigure or > (byte)ShardEntryKind.ShardDropConfirmed)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown shard entry kind");
        }
        var install = (ShardEntryKind)kind == ShardEntryKind.InstallShard;
        if (shard >= ShardMap.ShardCountMax || number <= 0 || (flags & ~LastFlag) != 0 || chunk > int.MaxValue
            || (!install && (chunk != 0 || flags != 0)))
        {
            return ParseResult.Fail(ProtocolError.Malformed, "shard entry field out of range");
        }
        if (length > int.MaxValue || !reader.Memory((int)length, out var payload))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "shard entry payload shorter than its length");
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        switch ((ShardEntryKind)kind)
        {
            case ShardEntryKind.Reconfigure:
                var read = ShardConfigurationCodec.Read(payload.Span, out var configuration);
                if (!read.IsOk || configuration!.Number != number || shard != 0)
                {
                    return read.IsOk ? ParseResult.Fail(ProtocolError.Malformed, "Reconfigure names another configuration") : read;
                }
                break;
            case ShardEntryKind.DropShard or ShardEntryKind.ShardDropConfirmed when payload.Length > 0:
                return ParseResult.Fail(ProtocolError.Malformed, "a drop carries no payload");
        }
        entry = new ShardEntry((ShardEntryKind)kind, shard, number, (int)chunk, (flags & LastFlag) != 0, payload);
        return ParseResult.Ok;
    }
}
