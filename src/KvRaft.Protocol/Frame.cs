using System;
using System.Buffers.Binary;

namespace KvRaft.Protocol;

/// <summary>The frame type byte: which codec reads the body.</summary>
public enum FrameType : byte
{
    /// <summary>First frame on every peer connection: <see cref="PeerHelloCodec"/>.</summary>
    PeerHello = 1,
    /// <summary>A Raft message between nodes: <see cref="PeerMessageCodec"/>.</summary>
    PeerMessage = 2,
    /// <summary>A piece of a snapshot: <see cref="SnapshotChunkCodec"/>.</summary>
    SnapshotChunk = 3,
    /// <summary>A Raft message of one replica group (a u32 group id, then a PeerMessage body): <see cref="GroupFrameCodec"/>.</summary>
    GroupPeerMessage = 4,
    /// <summary>A snapshot chunk of one replica group (a u32 group id, then a SnapshotChunk body): <see cref="GroupFrameCodec"/>.</summary>
    GroupSnapshotChunk = 5,
    /// <summary>A client request: <see cref="ClientRequestCodec"/>.</summary>
    ClientRequest = 16,
    /// <summary>A response to a client request: <see cref="ClientResponseCodec"/>.</summary>
    ClientResponse = 17,
    // 18 and 19 are retired (they once carried test-only fault control): refused as unknown, never reused.
    /// <summary>
    /// A client request to one replica group of a sharded process (a u32 group id, then a ClientRequest body):
    /// <see cref="GroupFrameCodec.Split"/>, then <see cref="ClientRequestCodec"/>. Group 0 keeps the plain frame.
    /// </summary>
    GroupClientRequest = 20,
}

/// <summary>
/// The frame header: <c>u32 length</c> (of everything after it: version + type + body),
/// <c>u8 version</c>, <c>u8 frame type</c>.
/// </summary>
public static class FrameHeader
{
    /// <summary>Header size in bytes.</summary>
    public const int Bytes = 6;

    /// <summary>Bytes of the length field.</summary>
    public const int LengthBytes = 4;

    /// <summary>Largest body a frame can carry under <see cref="ProtocolLimits.FrameBytesMax"/>.</summary>
    public const int BodyBytesMax = ProtocolLimits.FrameBytesMax - 2;

    /// <summary>True when <paramref name="value"/> names a known frame type.</summary>
    public static bool IsKnown(byte value) => value is (byte)FrameType.PeerHello or (byte)FrameType.PeerMessage
        or (byte)FrameType.SnapshotChunk or (byte)FrameType.GroupPeerMessage or (byte)FrameType.GroupSnapshotChunk or (byte)FrameType.ClientRequest or (byte)FrameType.ClientResponse
        or (byte)FrameType.GroupClientRequest;

    /// <summary>Writes the header for a body of <paramref name="bodyBytes"/>; returns <see cref="Bytes"/>.</summary>
    public static int Format(FrameType type, int bodyBytes, Span<byte> destination)
    {
        Invariant.True(bodyBytes >= 0 && bodyBytes <= BodyBytesMax, bodyBytes);
        Invariant.True(IsKnown((byte)type), type);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(bodyBytes + 2));
        destination[4] = ProtocolLimits.Version;
        destination[5] = (byte)type;
        return Bytes;
    }
}

/// <summary>What <see cref="FrameDecoder.Decode"/> found at the start of a buffer.</summary>
public enum FrameDecodeStatus : byte
{
    /// <summary>The buffer holds a prefix of a frame: read at least <see cref="FrameDecodeResult.NeededBytes"/> more.</summary>
    NeedMoreData = 0,
    /// <summary>A whole frame: its body is at [BodyOffset, BodyOffset + BodyBytes) and it spans ConsumedBytes.</summary>
    Frame = 1,
    /// <summary>The stream is broken: close the connection (see <see cref="FrameDecodeResult.Error"/>).</summary>
    Error = 2,
}

/// <summary>The outcome of decoding one frame from the start of a buffer.</summary>
public readonly record struct FrameDecodeResult(
    FrameDecodeStatus Status,
    FrameType Type,
    int BodyOffset,
    int BodyBytes,
    int ConsumedBytes,
    int NeededBytes,
    ParseResult Error)
{
    /// <summary>The body of a decoded frame, as a slice of the buffer that was decoded.</summary>
    public ReadOnlySpan<byte> Body(ReadOnlySpan<byte> buffer)
    {
        Invariant.True(Status == FrameDecodeStatus.Frame);
        return buffer.Slice(BodyOffset, BodyBytes);
    }

    /// <summary>The body of a decoded frame, as a slice of the memory that was decoded.</summary>
    public ReadOnlyMemory<byte> Body(ReadOnlyMemory<byte> buffer)
    {
        Invariant.True(Status == FrameDecodeStatus.Frame);
        return buffer.Slice(BodyOffset, BodyBytes);
    }
}

/// <summary>
/// Splits a byte stream into frames. A pure function of the buffer: the transport calls it with
/// what it has read so far, then consumes, waits or closes. Oversized, bad-version and
/// unknown-type frames are refused from their header alone, before their body is read.
/// </summary>
public static class FrameDecoder
{
    /// <summary>Decodes the frame at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Bytes received and not yet consumed.</param>
    /// <param name="frameBytesMax">The limit on the length field; defaults to <see cref="ProtocolLimits.FrameBytesMax"/>.</param>
    public static FrameDecodeResult Decode(ReadOnlySpan<byte> buffer, int frameBytesMax = ProtocolLimits.FrameBytesMax)
    {
        Invariant.True(frameBytesMax >= 2 && frameBytesMax <= ProtocolLimits.FrameBytesMax, frameBytesMax);
        if (buffer.Length < FrameHeader.LengthBytes)
        {
            return NeedMore(FrameHeader.Bytes - buffer.Length);
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        if (length < 2)
        {
            return Fail(ProtocolError.Malformed, "frame length shorter than its version and type bytes");
        }
        if (length > (uint)frameBytesMax)
        {
            return Fail(ProtocolError.TooLarge, "frame length exceeds FrameBytesMax");
        }
        if (buffer.Length >= 5 && buffer[4] != ProtocolLimits.Version)
        {
            return Fail(ProtocolError.BadVersion, "frame version is not 1");
        }
        if (buffer.Length >= 6 && !FrameHeader.IsKnown(buffer[5]))
        {
            return Fail(ProtocolError.UnknownType, "unknown frame type");
        }
        var total = FrameHeader.LengthBytes + (int)length;
        if (buffer.Length < total)
        {
            return NeedMore(total - buffer.Length);
        }
        var bodyBytes = (int)length - 2;
        return new FrameDecodeResult(FrameDecodeStatus.Frame, (FrameType)buffer[5], FrameHeader.Bytes, bodyBytes, total, 0, ParseResult.Ok);
    }

    private static FrameDecodeResult NeedMore(int bytes) =>
        new(FrameDecodeStatus.NeedMoreData, default, 0, 0, 0, bytes, ParseResult.Ok);

    private static FrameDecodeResult Fail(ProtocolError error, string message) =>
        new(FrameDecodeStatus.Error, default, 0, 0, 0, 0, ParseResult.Fail(error, message));
}
