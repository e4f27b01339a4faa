using System;
using System.IO.Hashing;

namespace KvRaft.Protocol;

/// <summary>
/// One piece of a snapshot sent by a leader. <see cref="Payload"/> is stored as sent: LZ4 bytes
/// when <see cref="Compressed"/> (the transport compresses and decompresses; this project only
/// carries the flag and <see cref="UncompressedBytes"/>). After a parse, <see cref="Payload"/> is a
/// view of the parsed buffer, valid while the caller keeps that buffer unchanged.
/// </summary>
public readonly record struct SnapshotChunk
{
    /// <summary>Index of the last entry the snapshot covers.</summary>
    public long SnapshotIndex { get; init; }
    /// <summary>Term of that entry.</summary>
    public long SnapshotTerm { get; init; }
    /// <summary>Byte offset of this chunk in the uncompressed snapshot.</summary>
    public ulong Offset { get; init; }
    /// <summary>Zero-based number of this chunk.</summary>
    public uint ChunkIndex { get; init; }
    /// <summary>True on the snapshot's last chunk.</summary>
    public bool Last { get; init; }
    /// <summary>True when <see cref="Payload"/> is compressed.</summary>
    public bool Compressed { get; init; }
    /// <summary>Length of the payload once decompressed (equals the payload length when not compressed).</summary>
    public int UncompressedBytes { get; init; }
    /// <summary>The chunk bytes as stored on the wire.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Value equality; <see cref="Payload"/> compared bytewise.</summary>
    public bool Equals(SnapshotChunk other) =>
        SnapshotIndex == other.SnapshotIndex && SnapshotTerm == other.SnapshotTerm && Offset == other.Offset
        && ChunkIndex == other.ChunkIndex && Last == other.Last && Compressed == other.Compressed
        && UncompressedBytes == other.UncompressedBytes && Payload.Span.SequenceEqual(other.Payload.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SnapshotIndex, Offset, ChunkIndex, Payload.Length);
}

/// <summary>
/// Codec for <see cref="SnapshotChunk"/>: a 41-byte fixed part then the payload. The checksum is
/// CRC-32 (IEEE 802.3, <see cref="Crc32"/>; the System.IO.Hashing version in use has no CRC-32C)
/// of the payload as stored; Format computes it, Parse verifies it.
/// </summary>
public static class SnapshotChunkCodec
{
    /// <summary>Bytes before the payload.</summary>
    public const int FixedBytes = 8 + 8 + 8 + 4 + 1 + 4 + 4 + 4;

    private const byte LastFlag = 1;
    private const byte CompressedFlag = 2;

    /// <summary>Body size of <paramref name="chunk"/>.</summary>
    public static int Size(in SnapshotChunk chunk) => FixedBytes + chunk.Payload.Length;

    /// <summary>Writes the body; returns the bytes written. Allocates nothing.</summary>
    public static int Format(in SnapshotChunk chunk, Span<byte> destination)
    {
        var size = Size(chunk);
        Invariant.True(destination.Length >= size, destination.Length);
        Invariant.True(chunk.Payload.Length <= ProtocolLimits.SnapshotChunkBytesMax, chunk.Payload.Length);
        Invariant.True(chunk.UncompressedBytes >= 0 && chunk.UncompressedBytes <= ProtocolLimits.SnapshotChunkBytesMax, chunk.UncompressedBytes);
        Invariant.True(chunk.Compressed || chunk.UncompressedBytes == chunk.Payload.Length, "uncompressed chunk: UncompressedBytes == Payload.Length");
        var payload = chunk.Payload.Span;
        var writer = new WireWriter(destination);
        writer.I64(chunk.SnapshotIndex);
        writer.I64(chunk.SnapshotTerm);
        writer.U64(chunk.Offset);
        writer.U32(chunk.ChunkIndex);
        writer.U8((byte)((chunk.Last ? LastFlag : 0) | (chunk.Compressed ? CompressedFlag : 0)));
        writer.U32((uint)chunk.UncompressedBytes);
        writer.U32((uint)payload.Length);
        writer.U32(Crc32.HashToUInt32(payload));
        writer.Bytes(payload);
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    /// <summary>Reads a body and verifies its checksum; never throws. The payload is a view of <paramref name="body"/>.</summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> body, out SnapshotChunk chunk)
    {
        chunk = default;
        var reader = new WireReader(body);
        if (!reader.I64(out var index) || !reader.I64(out var term) || !reader.U64(out var offset) || !reader.U32(out var chunkIndex)
            || !reader.U8(out var flags) || !reader.U32(out var uncompressed) || !reader.U32(out var stored) || !reader.U32(out var crc))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "snapshot chunk fixed part shorter than 41 bytes");
        }
        if ((flags & ~(LastFlag | CompressedFlag)) != 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "snapshot chunk flags have reserved bits set");
        }
        if (stored > ProtocolLimits.SnapshotChunkBytesMax || uncompressed > ProtocolLimits.SnapshotChunkBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "snapshot chunk exceeds SnapshotChunkBytesMax");
        }
        var compressed = (flags & CompressedFlag) != 0;
        if (!compressed && stored != uncompressed)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "uncompressed chunk with stored length != uncompressed length");
        }
        if (!reader.Memory((int)stored, out var payload))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "snapshot chunk payload missing");
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        if (Crc32.HashToUInt32(payload.Span) != crc)
        {
            return ParseResult.Fail(ProtocolError.ChecksumMismatch, "snapshot chunk CRC-32 does not match its payload");
        }
        chunk = new SnapshotChunk
        {
            SnapshotIndex = index,
            SnapshotTerm = term,
            Offset = offset,
            ChunkIndex = chunkIndex,
            Last = (flags & LastFlag) != 0,
            Compressed = compressed,
            UncompressedBytes = (int)uncompressed,
            Payload = payload,
        };
        return ParseResult.Ok;
    }

    /// <summary>Size of the whole frame (header + body).</summary>
    public static int FrameSize(in SnapshotChunk chunk) => FrameHeader.Bytes + Size(chunk);

    /// <summary>Writes the whole frame (header + body); returns the bytes written.</summary>
    public static int FormatFrame(in SnapshotChunk chunk, Span<byte> destination)
    {
        var header = FrameHeader.Format(FrameType.SnapshotChunk, Size(chunk), destination);
        return header + Format(chunk, destination[header..]);
    }
}
