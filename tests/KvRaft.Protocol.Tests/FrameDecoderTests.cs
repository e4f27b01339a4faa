// Goal: the frame decoder splits streams exactly and refuses bad headers before any body byte; method: hand-built headers plus CsCheck streams of frames.
using System.Buffers.Binary;
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class FrameDecoderTests
{
    private static byte[] Frame(FrameType type, byte[] body)
    {
        var frame = new byte[FrameHeader.Bytes + body.Length];
        FrameHeader.Format(type, body.Length, frame);
        body.CopyTo(frame, FrameHeader.Bytes);
        return frame;
    }

    private static byte[] Header(uint length, byte version = ProtocolLimits.Version, byte type = (byte)FrameType.PeerMessage)
    {
        var header = new byte[FrameHeader.Bytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, length);
        header[4] = version;
        header[5] = type;
        return header;
    }

    [Fact]
    public void FrameHeader_IsLengthOfWhatFollowsThenVersionThenType()
    {
        var frame = Frame(FrameType.ClientRequest, [7, 8, 9]);
        Assert.Equal([5, 0, 0, 0, 1, 16, 7, 8, 9], frame);
    }

    [Fact]
    public void Decode_ReturnsBodyTypeAndConsumedForAWholeFrame()
    {
        var frame = Frame(FrameType.SnapshotChunk, [1, 2, 3, 4]);
        var buffer = frame.Concat(new byte[] { 99, 98 }).ToArray();
        var result = FrameDecoder.Decode(buffer);
        Assert.Equal(FrameDecodeStatus.Frame, result.Status);
        Assert.Equal(FrameType.SnapshotChunk, result.Type);
        Assert.Equal(frame.Length, result.ConsumedBytes);
        Assert.Equal([1, 2, 3, 4], result.Body(buffer.AsSpan()).ToArray());
        Assert.Equal([1, 2, 3, 4], result.Body(buffer.AsMemory()).ToArray());
    }

    [Fact]
    public void Decode_EveryPrefixOfAFrameNeedsMoreDataAndSaysHowMuch()
    {
        var frame = Frame(FrameType.PeerMessage, Enumerable.Range(0, 40).Select(i => (byte)i).ToArray());
        for (var length = 0; length < frame.Length; length++)
        {
            var result = FrameDecoder.Decode(frame.AsSpan(0, length));
            Assert.Equal(FrameDecodeStatus.NeedMoreData, result.Status);
            if (length >= FrameHeader.LengthBytes)
            {
                Assert.Equal(frame.Length - length, result.NeededBytes);
            }
            else
            {
                Assert.InRange(result.NeededBytes, 1, frame.Length - length);
            }
        }
    }

    [Fact]
    public void Decode_RefusesAnOversizedLengthFromTheLengthFieldAlone()
    {
        var header = Header(ProtocolLimits.FrameBytesMax + 1u);
        var result = FrameDecoder.Decode(header.AsSpan(0, 4));
        Assert.Equal(FrameDecodeStatus.Error, result.Status);
        Assert.Equal(ProtocolError.TooLarge, result.Error.Error);
        Assert.Equal(ProtocolError.TooLarge, FrameDecoder.Decode(Header(uint.MaxValue)).Error.Error);
    }

    [Fact]
    public void Decode_AcceptsALengthAtTheLimitAndHonoursACallerLimit()
    {
        Assert.Equal(FrameDecodeStatus.NeedMoreData, FrameDecoder.Decode(Header(ProtocolLimits.FrameBytesMax)).Status);
        var frame = Frame(FrameType.PeerHello, new byte[100]);
        Assert.Equal(ProtocolError.TooLarge, FrameDecoder.Decode(frame, frameBytesMax: 101).Error.Error);
        Assert.Equal(FrameDecodeStatus.Frame, FrameDecoder.Decode(frame, frameBytesMax: 102).Status);
    }

    [Fact]
    public void Decode_RefusesALengthTooShortForVersionAndType()
    {
        Assert.Equal(ProtocolError.Malformed, FrameDecoder.Decode(Header(0)).Error.Error);
        Assert.Equal(ProtocolError.Malformed, FrameDecoder.Decode(Header(1)).Error.Error);
        Assert.Equal(FrameDecodeStatus.Frame, FrameDecoder.Decode(Header(2)).Status);
    }

    [Fact]
    public void Decode_RefusesABadVersionBeforeTheBody()
    {
        foreach (var version in new byte[] { 0, 2, 255 })
        {
            var result = FrameDecoder.Decode(Header(1000, version).AsSpan(0, 5));
            Assert.Equal(ProtocolError.BadVersion, result.Error.Error);
        }
    }

    [Fact]
    public void Decode_RefusesAnUnknownFrameTypeBeforeTheBody()
    {
        foreach (var type in new byte[] { 0, 6, 15, 21, 255 })
        {
            Assert.Equal(ProtocolError.UnknownType, FrameDecoder.Decode(Header(1000, type: type)).Error.Error);
        }
    }

    [Fact]
    public void Decode_RefusesTheRetiredFrameTypes18And19AsUnknown()
    {
        foreach (var type in new byte[] { 18, 19 })
        {
            Assert.False(FrameHeader.IsKnown(type));
            Assert.Equal(ProtocolError.UnknownType, FrameDecoder.Decode(Header(10, type: type)).Error.Error);
        }
    }

    [Fact]
    public void Decode_SplitsAStreamOfFramesExactly()
    {
        var frames = Gen.Select(Gen.OneOfConst(Enum.GetValues<FrameType>()), Gen.Byte.Array[0, 64]).Array[0, 10];
        frames.Sample(list =>
        {
            var stream = list.SelectMany(f => Frame(f.Item1, f.Item2)).ToArray();
            var offset = 0;
            foreach (var (type, body) in list)
            {
                var result = FrameDecoder.Decode(stream.AsSpan(offset));
                Assert.Equal(FrameDecodeStatus.Frame, result.Status);
                Assert.Equal(type, result.Type);
                Assert.Equal(body, result.Body(stream.AsSpan(offset)).ToArray());
                offset += result.ConsumedBytes;
            }
            Assert.Equal(stream.Length, offset);
            Assert.Equal(FrameDecodeStatus.NeedMoreData, FrameDecoder.Decode(stream.AsSpan(offset)).Status);
        }, iter: 500);
    }

    [Fact]
    public void Decode_NeverThrowsOnGarbage()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var result = FrameDecoder.Decode(bytes);
            if (result.Status == FrameDecodeStatus.Frame)
            {
                Assert.InRange(result.ConsumedBytes, FrameHeader.Bytes, bytes.Length);
            }
        }, iter: 5000);
    }
}
