// Goal: fault control requests and responses round-trip every action and status and refuse bad input with the right error; method: CsCheck properties plus hand-built refusals.
using System.Buffers.Binary;
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class FaultControlTests
{
    private static readonly Codec<FaultControlRequest> Request = new(
        FaultControlRequestCodec.Size, FaultControlRequestCodec.Format, FaultControlRequestCodec.Parse, Frame: FrameType.FaultControlRequest);

    private static readonly Codec<FaultControlResponse> Response = new(
        FaultControlResponseCodec.Size, FaultControlResponseCodec.Format, FaultControlResponseCodec.Parse, Frame: FrameType.FaultControlResponse);

    private static readonly Gen<int> NodeId = Gen.Int[1, int.MaxValue];

    /// <summary>Distinct positive ids dealt into 2..5 non-empty groups.</summary>
    private static readonly Gen<IReadOnlyList<IReadOnlyList<int>>> Groups =
        Gen.Select(Gen.Int[1, 1000].Array[2, ProtocolLimits.VotersMax], Gen.Int[2, 5], (ids, count) =>
        {
            int[] distinct = [.. ids.Distinct()];
            if (distinct.Length < 2) distinct = [1, 2];
            int groups = Math.Min(count, distinct.Length);
            return (IReadOnlyList<IReadOnlyList<int>>)[.. Enumerable.Range(0, groups)
                .Select(g => (IReadOnlyList<int>)[.. distinct.Where((_, i) => i % groups == g)])];
        });

    private static readonly Gen<FaultControlRequest> Requests = Gen.OneOf(
        Gen.Select(Gen.ULong, NodeId, (id, node) => new FaultControlRequest { RequestId = id, Action = FaultControlAction.Isolate, NodeId = node }),
        Gen.Select(Gen.ULong, Groups, (id, groups) => new FaultControlRequest { RequestId = id, Action = FaultControlAction.Partition, Groups = groups }),
        Gen.Select(Gen.ULong, NodeId, Gen.Int[1, 1000], (id, from, step) =>
            new FaultControlRequest { RequestId = id, Action = FaultControlAction.Cut, NodeId = from, ToNodeId = from > 1000 ? from - step : from + step }),
        Gen.Select(Gen.ULong, Gen.Int[0, 100], Gen.Int[0, ProtocolLimits.FaultDelayMillisecondsMax], (id, drop, delay) =>
            new FaultControlRequest { RequestId = id, Action = FaultControlAction.Unreliable, DropPercent = drop, DelayMillisecondsMax = delay }),
        Gen.ULong.Select(id => new FaultControlRequest { RequestId = id, Action = FaultControlAction.Heal }));

    private static readonly Gen<FaultControlResponse> Responses = Gen.Select(Gen.ULong, Gen.Byte[0, 2], Generators.Text,
        (id, status, message) => new FaultControlResponse { RequestId = id, Status = (FaultControlStatus)status, Message = message });

    [Fact]
    public void Request_round_trips_every_action() => Requests.Sample(r => Request.AssertRoundTrip(r), iter: 1000);

    [Fact]
    public void Request_every_prefix_of_body_or_frame_is_incomplete_and_trailing_bytes_malformed() => Requests.Sample(r =>
    {
        Request.AssertEveryPrefixTruncated(r);
        Request.AssertTrailingByteMalformed(r);
        Request.AssertFramePrefixesNeedMoreData(r);
    }, iter: 200);

    [Fact]
    public void Request_garbage_and_mutations_never_throw_and_accept_only_canonical_bytes() => Request.AssertFuzzSafe(Requests);

    [Fact]
    public void Request_isolate_layout_is_request_id_action_and_node_id()
    {
        var bytes = Request.Encode(new FaultControlRequest { RequestId = 0x0102, Action = FaultControlAction.Isolate, NodeId = 3 });
        Assert.Equal([2, 1, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0], bytes);
    }

    [Fact]
    public void Request_refuses_an_unknown_action()
    {
        var bytes = Request.Encode(new FaultControlRequest { RequestId = 1, Action = FaultControlAction.Heal });
        foreach (var action in new byte[] { 0, 6, 255 })
        {
            bytes[8] = action;
            Assert.Equal(ProtocolError.UnknownType, FaultControlRequestCodec.Parse(bytes, out _).Error);
        }
    }

    [Fact]
    public void Request_refuses_non_positive_ids_self_cuts_and_a_node_in_two_groups()
    {
        var isolate = Request.Encode(new FaultControlRequest { RequestId = 1, Action = FaultControlAction.Isolate, NodeId = 1 });
        BinaryPrimitives.WriteInt32LittleEndian(isolate.AsSpan(9), 0);
        Assert.Equal(ProtocolError.Malformed, FaultControlRequestCodec.Parse(isolate, out _).Error);

        var cut = Request.Encode(new FaultControlRequest { RequestId = 1, Action = FaultControlAction.Cut, NodeId = 1, ToNodeId = 2 });
        BinaryPrimitives.WriteInt32LittleEndian(cut.AsSpan(13), 1);
        Assert.Equal(ProtocolError.Malformed, FaultControlRequestCodec.Parse(cut, out _).Error);

        var partition = Request.Encode(new FaultControlRequest { RequestId = 1, Action = FaultControlAction.Partition, Groups = [[1, 2], [3]] });
        BinaryPrimitives.WriteInt32LittleEndian(partition.AsSpan(partition.Length - 4), 2);
        Assert.Equal(ProtocolError.Malformed, FaultControlRequestCodec.Parse(partition, out _).Error);
    }

    [Fact]
    public void Request_refuses_a_single_group_an_empty_group_and_too_many_groups()
    {
        var partition = Request.Encode(new FaultControlRequest { RequestId = 1, Action = FaultControlAction.Partition, Groups = [[1], [2]] });
        partition[9] = 1;
        Assert.Equal(ProtocolError.Malformed, FaultControlRequestCodec.Parse(partition, out _).Error);
        partition[9] = ProtocolLimits.VotersMax + 1;
        Assert.Equal(ProtocolError.TooLarge, FaultControlRequestCodec.Parse(partition, out _).Error);
        partition[9] = 2;
        partition[10] = 0;
        Assert.Equal(ProtocolError.Malformed, FaultControlRequestCodec.Parse(partition, out _).Error);
    }

    [Fact]
    public void Request_refuses_a_drop_above_100_percent_and_a_delay_above_its_limit()
    {
        var bytes = Request.Encode(new FaultControlRequest { RequestId = 1, Action = FaultControlAction.Unreliable, DropPercent = 5, DelayMillisecondsMax = 10 });
        bytes[9] = 101;
        Assert.Equal(ProtocolError.Malformed, FaultControlRequestCodec.Parse(bytes, out _).Error);
        bytes[9] = 5;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(10), ProtocolLimits.FaultDelayMillisecondsMax + 1);
        Assert.Equal(ProtocolError.TooLarge, FaultControlRequestCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void Response_round_trips_every_status() => Responses.Sample(r => Response.AssertRoundTrip(r), iter: 1000);

    [Fact]
    public void Response_every_prefix_of_body_or_frame_is_incomplete_and_trailing_bytes_malformed() => Responses.Sample(r =>
    {
        Response.AssertEveryPrefixTruncated(r);
        Response.AssertTrailingByteMalformed(r);
        Response.AssertFramePrefixesNeedMoreData(r);
    }, iter: 200);

    [Fact]
    public void Response_garbage_and_mutations_never_throw_and_accept_only_canonical_bytes() => Response.AssertFuzzSafe(Responses);

    [Fact]
    public void Response_refuses_an_unknown_status()
    {
        var bytes = Response.Encode(new FaultControlResponse { RequestId = 1, Status = FaultControlStatus.Ok });
        bytes[8] = 3;
        Assert.Equal(ProtocolError.UnknownType, FaultControlResponseCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void Clip_keeps_a_short_message_and_cuts_a_long_one_to_the_text_limit()
    {
        Assert.Equal("isolated 2", FaultControlResponseCodec.Clip("isolated 2"));
        string clipped = FaultControlResponseCodec.Clip(new string('x', 5000));
        Assert.Equal(ProtocolLimits.TextBytesMax, clipped.Length);
        Assert.EndsWith("...", clipped, StringComparison.Ordinal);
        Response.AssertRoundTrip(new FaultControlResponse { RequestId = 1, Message = FaultControlResponseCodec.Clip(new string('é', 5000)) });
    }
}
