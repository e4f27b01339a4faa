// Goal: the peer hello round-trips, is refused when truncated or padded, and its check refuses other clusters, nodes and versions; method: CsCheck properties and fixed cases.
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class PeerHelloTests
{
    [Fact]
    public void PeerHello_RoundTripsEveryField() => Generators.PeerHello.Sample(h => Codecs.PeerHello.AssertRoundTrip(h), iter: 1000);

    [Fact]
    public void PeerHello_EveryPrefixOfBodyOrFrameIsIncompleteAndTrailingBytesMalformed() => Generators.PeerHello.Sample(h =>
    {
        Codecs.PeerHello.AssertEveryPrefixTruncated(h);
        Codecs.PeerHello.AssertTrailingByteMalformed(h);
        Codecs.PeerHello.AssertFramePrefixesNeedMoreData(h);
    }, iter: 100);

    [Fact]
    public void PeerHello_GarbageNeverThrows() => Codecs.PeerHello.AssertFuzzSafe(Generators.PeerHello);

    [Fact]
    public void PeerHello_LayoutIsLittleEndianFieldsThenTheClientAddress()
    {
        var bytes = Codecs.PeerHello.Encode(new PeerHello(1, 0x0102030405060708, 3, -1));
        Assert.Equal([1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 255, 255, 255, 255, 0, 0], bytes);
        var announced = Codecs.PeerHello.Encode(new PeerHello(1, 0x0102030405060708, 3, -1) { ClientAddress = "h:1" });
        Assert.Equal([1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 255, 255, 255, 255, 3, 0, (byte)'h', (byte)':', (byte)'1'], announced);
    }

    [Fact]
    public void PeerHelloCheck_RefusesAnotherClusterNodeOrVersion()
    {
        var hello = new PeerHello(ProtocolLimits.Version, 42, 1, 2);
        Assert.True(PeerHelloCodec.Check(hello, 42, 2).IsOk);
        Assert.Equal(ProtocolError.ClusterMismatch, PeerHelloCodec.Check(hello, 43, 2).Error);
        Assert.Equal(ProtocolError.WrongNode, PeerHelloCodec.Check(hello, 42, 3).Error);
        Assert.Equal(ProtocolError.BadVersion, PeerHelloCodec.Check(hello with { ProtocolVersion = 2 }, 42, 2).Error);
    }

    [Fact]
    public void PeerHelloFrame_DecodesThroughTheFrameDecoder()
    {
        var hello = new PeerHello(ProtocolLimits.Version, 7, 1, 2);
        var frame = new byte[PeerHelloCodec.FrameSize(hello)];
        Assert.Equal(frame.Length, PeerHelloCodec.FormatFrame(hello, frame));
        var decoded = FrameDecoder.Decode(frame);
        Assert.Equal(FrameType.PeerHello, decoded.Type);
        Assert.True(PeerHelloCodec.Parse(decoded.Body(frame.AsSpan()), out var parsed).IsOk);
        Assert.Equal(hello, parsed);
    }
}
