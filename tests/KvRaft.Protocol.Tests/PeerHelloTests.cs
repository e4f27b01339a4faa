// Goal: the peer hello round-trips (its cluster shape and lane too), is refused when truncated or padded, and its checks refuse other clusters, nodes, versions and cluster shapes, naming what differs; method: CsCheck properties and fixed cases.
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class PeerHelloTests
{
    [Fact]
    public void PeerHello_RoundTripsEveryField() => Generators.PeerHello.Sample(h => Codecs.PeerHello.AssertRoundTrip(h), iter: 1000);

    [Fact]
    public void PeerHello_EveryPrefixOfBodyOrFrameIsIncompleteAndTrailingBytesMalformed() => Generators.PeerHello.Sample(h =>
    {
        Codecs.PeerHello.AssertFramePrefixesNeedMoreData(h);
        var bytes = Codecs.PeerHello.Encode(h);
        var withoutShape = PeerHelloCodec.Size(h with { Shape = null, Lane = PeerLane.Bulk });
        var withoutLane = PeerHelloCodec.Size(h with { Lane = PeerLane.Bulk });
        for (var length = 0; length < bytes.Length; length++)
        {
            var result = PeerHelloCodec.Parse(bytes.AsSpan(0, length), out var parsed);
            if (length == withoutShape || length == withoutLane)
            {
                // the shape and the lane are optional: a hello that ends after the address (or the shape) announces none (the bulk lane)
                Assert.True(result.IsOk && parsed.Lane == PeerLane.Bulk && (parsed.Shape is null) == (length == withoutShape), result.ToString());
            }
            else if (length == withoutShape + 1)
            {
                // one byte after the address is a lane: the control lane's 1, else refused
                Assert.True(bytes[withoutShape] == 1 ? result.IsOk && parsed.Lane == PeerLane.Control : result.Error == ProtocolError.Malformed, result.ToString());
            }
            else
            {
                Assert.Equal(ProtocolError.Truncated, result.Error);
            }
        }
        var longer = new byte[bytes.Length + 1];
        bytes.CopyTo(longer, 0);
        // a zero byte after the address or the shape is a lane other than control; after the control lane's byte, two bytes start a shape
        var expected = h.Shape is null && h.Lane == PeerLane.Control ? ProtocolError.Truncated : ProtocolError.Malformed;
        Assert.Equal(expected, PeerHelloCodec.Parse(longer, out _).Error);
    }, iter: 100);

    [Fact]
    public void PeerHello_ControlLaneIsOneByteAfterTheShapeAndTheBulkLaneNone()
    {
        var bulk = new PeerHello(1, 0x0102030405060708, 3, -1) { ClientAddress = "h:1", Shape = new ClusterShape(4, 64, [3]) };
        var bulkBytes = Codecs.PeerHello.Encode(bulk);
        var controlBytes = Codecs.PeerHello.Encode(bulk with { Lane = PeerLane.Control });
        var controlWithoutShape = Codecs.PeerHello.Encode(bulk with { Shape = null, Lane = PeerLane.Control });

        Assert.Equal([.. bulkBytes, 1], controlBytes); // a bulk hello is what it was before lanes
        Assert.Equal([1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 255, 255, 255, 255, 3, 0, (byte)'h', (byte)':', (byte)'1', 1], controlWithoutShape);
        Assert.True(PeerHelloCodec.Parse(controlWithoutShape, out var parsed).IsOk);
        Assert.Equal(PeerLane.Control, parsed.Lane);
        Assert.Null(parsed.Shape);
        Assert.Equal(ProtocolError.Malformed, PeerHelloCodec.Parse([.. bulkBytes, 2], out _).Error); // no third lane
    }

    [Fact]
    public void PeerHello_ShapeLayoutFollowsTheAddress()
    {
        var hello = new PeerHello(1, 0x0102030405060708, 3, -1) { ClientAddress = "h:1", Shape = new ClusterShape(4, 64, [3, 1, 2]) };
        var bytes = Codecs.PeerHello.Encode(hello);
        Assert.Equal([1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 255, 255, 255, 255, 3, 0, (byte)'h', (byte)':', (byte)'1',
            4, 0, 64, 0, 3, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0], bytes);
    }

    [Fact]
    public void PeerHello_ShapeWithMembersOutOfOrderOrBeyondTheLimitsIsRefused()
    {
        byte[] prefix = [1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0];
        Assert.Equal(ProtocolError.Malformed, PeerHelloCodec.Parse([.. prefix, 1, 0, 64, 0, 2, 2, 0, 0, 0, 1, 0, 0, 0], out _).Error);
        Assert.Equal(ProtocolError.Malformed, PeerHelloCodec.Parse([.. prefix, 1, 0, 64, 0, 1, 0, 0, 0, 0], out _).Error);
        Assert.Equal(ProtocolError.TooLarge, PeerHelloCodec.Parse([.. prefix, 255, 255, 64, 0, 0], out _).Error);
        Assert.Equal(ProtocolError.TooLarge, PeerHelloCodec.Parse([.. prefix, 1, 0, 64, 0, 255], out _).Error);
    }

    [Fact]
    public void PeerHelloShapeCheck_NamesTheFlagThatDiffers()
    {
        var self = new ClusterShape(4, 64, [1, 2, 3]);
        var hello = new PeerHello(ProtocolLimits.Version, 42, 2, 1) { Shape = new ClusterShape(8, 64, [1, 2, 3]) };

        var groups = PeerHelloCodec.CheckShape(hello, self);
        var members = PeerHelloCodec.CheckShape(hello with { Shape = new ClusterShape(4, 64, [1, 2, 4]) }, self);
        var oneGroup = PeerHelloCodec.CheckShape(hello with { Shape = new ClusterShape(0, 0, [1, 2, 3]) }, self);

        Assert.Equal(ProtocolError.ShapeMismatch, groups.Error);
        Assert.Contains("peer node 2 runs --groups 8, this node --groups 4", groups.Message, StringComparison.Ordinal);
        Assert.Contains("peer node 2 was started with --peers naming nodes 1,2,4, this node with nodes 1,2,3", members.Message, StringComparison.Ordinal);
        Assert.Contains("peer node 2 runs without --groups (one group), this node --groups 4", oneGroup.Message, StringComparison.Ordinal);
        Assert.Contains("hashes keys into 0 shards, this node into 64", oneGroup.Message, StringComparison.Ordinal);
        Assert.True(PeerHelloCodec.CheckShape(hello with { Shape = self }, self).IsOk);
        Assert.True(PeerHelloCodec.CheckShape(hello with { Shape = null }, self).IsOk); // announced none: not checked
        Assert.True(PeerHelloCodec.CheckShape(hello with { Shape = new ClusterShape(4, 64, []) }, self).IsOk); // a joined node: ids not compared
        Assert.True(PeerHelloCodec.CheckShape(hello, null).IsOk);
    }

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
