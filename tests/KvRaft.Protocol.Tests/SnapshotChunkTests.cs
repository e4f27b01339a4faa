// Goal: snapshot chunks round-trip, carry a verified CRC-32 and refuse bad input with the right error; method: CsCheck properties plus hand-built refusals.
using System.Buffers.Binary;
using System.IO.Hashing;
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class SnapshotChunkTests
{
    private static readonly SnapshotChunk Sample = new()
    {
        SnapshotIndex = 100,
        SnapshotTerm = 3,
        Offset = 4096,
        ChunkIndex = 1,
        Last = true,
        UncompressedBytes = 5,
        Payload = new byte[] { 1, 2, 3, 4, 5 },
    };

    [Fact]
    public void SnapshotChunk_RoundTripsEveryField() => Generators.SnapshotChunk.Sample(c => Codecs.SnapshotChunk.AssertRoundTrip(c), iter: 1000);

    [Fact]
    public void SnapshotChunk_EveryPrefixOfBodyOrFrameIsIncompleteAndTrailingBytesMalformed() => Generators.SnapshotChunk.Sample(c =>
    {
        Codecs.SnapshotChunk.AssertEveryPrefixTruncated(c);
        Codecs.SnapshotChunk.AssertTrailingByteMalformed(c);
        Codecs.SnapshotChunk.AssertFramePrefixesNeedMoreData(c);
    }, iter: 100);

    [Fact]
    public void SnapshotChunk_GarbageAndMutationsNeverThrowAndAcceptOnlyCanonicalBytes() => Codecs.SnapshotChunk.AssertFuzzSafe(Generators.SnapshotChunk);

    [Fact]
    public void SnapshotChunk_ChecksumIsCrc32OfTheStoredPayloadAtOffset37()
    {
        var bytes = Codecs.SnapshotChunk.Encode(Sample);
        Assert.Equal(Crc32.HashToUInt32(new byte[] { 1, 2, 3, 4, 5 }), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(37)));
        Assert.Equal(SnapshotChunkCodec.FixedBytes + 5, bytes.Length);
    }

    [Fact]
    public void SnapshotChunk_RefusesAFlippedPayloadBitAsChecksumMismatch()
    {
        var bytes = Codecs.SnapshotChunk.Encode(Sample);
        bytes[^2] ^= 0x10;
        Assert.Equal(ProtocolError.ChecksumMismatch, SnapshotChunkCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void SnapshotChunk_RefusesAPayloadAboveItsLimit()
    {
        var bytes = Codecs.SnapshotChunk.Encode(Sample with { Compressed = true });
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(29), ProtocolLimits.SnapshotChunkBytesMax + 1);
        Assert.Equal(ProtocolError.TooLarge, SnapshotChunkCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void SnapshotChunk_RefusesUncompressedLengthsThatDisagree()
    {
        var bytes = Codecs.SnapshotChunk.Encode(Sample);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(29), 6);
        Assert.Equal(ProtocolError.Malformed, SnapshotChunkCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void SnapshotChunk_RefusesReservedFlagBits()
    {
        var bytes = Codecs.SnapshotChunk.Encode(Sample);
        bytes[28] |= 4;
        Assert.Equal(ProtocolError.Malformed, SnapshotChunkCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void SnapshotChunk_PayloadIsAViewOfTheBody()
    {
        var bytes = Codecs.SnapshotChunk.Encode(Sample);
        Assert.True(SnapshotChunkCodec.Parse(bytes, out var chunk).IsOk);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(chunk.Payload, out var segment));
        Assert.Same(bytes, segment.Array);
    }
}
