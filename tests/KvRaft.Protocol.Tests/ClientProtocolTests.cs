// Goal: client requests and responses round-trip every op and status and refuse bad input with the right error; method: CsCheck properties plus hand-built refusals.
using System.Buffers.Binary;
using System.Text;
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class ClientProtocolTests
{
    [Fact]
    public void ClientRequest_RoundTripsEveryOp() => Generators.ClientRequest.Sample(r => Codecs.ClientRequest.AssertRoundTrip(r), iter: 1000);

    [Fact]
    public void ClientRequest_EveryPrefixOfBodyOrFrameIsIncompleteAndTrailingBytesMalformed() => Generators.ClientRequest.Sample(r =>
    {
        Codecs.ClientRequest.AssertEveryPrefixTruncated(r);
        Codecs.ClientRequest.AssertTrailingByteMalformed(r);
        Codecs.ClientRequest.AssertFramePrefixesNeedMoreData(r);
    }, iter: 100);

    [Fact]
    public void ClientRequest_GarbageAndMutationsNeverThrowAndAcceptOnlyCanonicalBytes() => Codecs.ClientRequest.AssertFuzzSafe(Generators.ClientRequest);

    [Fact]
    public void ClientRequest_WriteBecomesTheSameLogCommand() => Generators.ClientRequest.Where(r => r.IsWrite).Sample(r =>
    {
        var command = r.ToCommand();
        Assert.Equal(r.ClientId, command.ClientId);
        Assert.Equal(r.Sequence, command.Sequence);
        Codecs.KvCommand.AssertRoundTrip(command);
    }, iter: 300);

    [Fact]
    public void ClientRequest_RefusesAnUnknownOp()
    {
        var bytes = Codecs.ClientRequest.Encode(new ClientRequest { RequestId = 1, Op = ClientOp.Status });
        foreach (var op in new byte[] { 0, (byte)(ClientOps.Last + 1), 255 })
        {
            bytes[8] = op;
            Assert.Equal(ProtocolError.UnknownType, ClientRequestCodec.Parse(bytes, out _).Error);
        }
    }

    [Fact]
    public void ClientRequest_RefusesAGetKeyAboveItsLimit()
    {
        var bytes = Codecs.ClientRequest.Encode(new ClientRequest { RequestId = 1, Op = ClientOp.Get, Key = new byte[] { 1 } });
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(ClientRequestCodec.FixedBytes), ProtocolLimits.KeyBytesMax + 1);
        Assert.Equal(ProtocolError.TooLarge, ClientRequestCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void ClientRequest_FrameDecodesThroughTheFrameDecoder()
    {
        var request = new ClientRequest { RequestId = 9, Op = ClientOp.Put, ClientId = 3, Sequence = 4, Key = "k"u8.ToArray(), Value = "v"u8.ToArray() };
        var frame = new byte[ClientRequestCodec.FrameSize(request)];
        Assert.Equal(frame.Length, ClientRequestCodec.FormatFrame(request, frame));
        var decoded = FrameDecoder.Decode(frame);
        Assert.Equal(FrameType.ClientRequest, decoded.Type);
        Assert.True(ClientRequestCodec.Parse(decoded.Body(frame.AsMemory()), out var parsed).IsOk);
        Assert.Equal(request, parsed);
    }

    [Fact]
    public void ClientResponse_RoundTripsEveryOpAndStatus() => Generators.ClientResponse.Sample(r => Codecs.ClientResponse.AssertRoundTrip(r), iter: 2000);

    [Fact]
    public void ClientResponse_EveryPrefixOfBodyOrFrameIsIncompleteAndTrailingBytesMalformed() => Generators.ClientResponse.Sample(r =>
    {
        Codecs.ClientResponse.AssertEveryPrefixTruncated(r);
        Codecs.ClientResponse.AssertTrailingByteMalformed(r);
        Codecs.ClientResponse.AssertFramePrefixesNeedMoreData(r);
    }, iter: 200);

    [Fact]
    public void ClientResponse_GarbageAndMutationsNeverThrowAndAcceptOnlyCanonicalBytes() => Codecs.ClientResponse.AssertFuzzSafe(Generators.ClientResponse);

    [Fact]
    public void ClientResponse_RefusesUnknownStatusAndRole()
    {
        var bytes = Codecs.ClientResponse.Encode(new ClientResponse { RequestId = 1, Op = ClientOp.Status, Status = ClientStatus.Ok });
        bytes[10 + 4] = 4; // role
        Assert.Equal(ProtocolError.UnknownType, ClientResponseCodec.Parse(bytes, out _).Error);
        bytes[9] = (byte)(ClientOps.LastStatus + 1); // status
        Assert.Equal(ProtocolError.UnknownType, ClientResponseCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void ClientResponse_WrongGroupIsStatusTenWithANonNegativeConfigurationNumber()
    {
        var response = new ClientResponse { RequestId = 5, Op = ClientOp.Get, Status = ClientStatus.WrongGroup, ConfigurationNumber = 7 };
        var bytes = Codecs.ClientResponse.Encode(response);
        Assert.Equal(10, bytes[9]);
        Assert.Equal(10 + 8, bytes.Length);
        Assert.True(ClientResponseCodec.Parse(bytes, out var parsed).IsOk);
        Assert.Equal(response, parsed);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(10), -1);
        Assert.Equal(ProtocolError.Malformed, ClientResponseCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void ClientRequest_ToAGroupTravelsInAGroupClientRequestFrameAndGroupZeroInThePlainOne() =>
        Gen.Select(Gen.Int[0, ProtocolLimits.GroupsMax - 1], Generators.ClientRequest).Sample((groupId, request) =>
        {
            var frame = new byte[ClientRequestCodec.FrameSize(groupId, request)];
            Assert.Equal(frame.Length, ClientRequestCodec.FormatFrame(groupId, request, frame));
            var decoded = FrameDecoder.Decode(frame, ProtocolLimits.GroupRequestFrameBytesMax);
            Assert.Equal(FrameDecodeStatus.Frame, decoded.Status);
            var body = decoded.Body((ReadOnlyMemory<byte>)frame);
            var parsedGroup = 0;
            if (groupId == 0)
            {
                Assert.Equal(FrameType.ClientRequest, decoded.Type);
            }
            else
            {
                Assert.Equal(FrameType.GroupClientRequest, decoded.Type);
                Assert.True(GroupFrameCodec.Split(body, out parsedGroup, out body).IsOk);
            }
            Assert.Equal(groupId, parsedGroup);
            Assert.True(ClientRequestCodec.Parse(body, out var parsed).IsOk);
            Assert.Equal(request, parsed);
        }, iter: 300);

    [Theory]
    [InlineData(ClientStatus.SessionNotOwned, 8)]
    [InlineData(ClientStatus.TooManySessions, 9)]
    public void ClientResponse_SessionRefusalsHaveTheirNumberAndAMessage(ClientStatus status, byte number)
    {
        var response = new ClientResponse { RequestId = 5, Op = ClientOp.Put, Status = status, Message = "not yours" };
        var bytes = Codecs.ClientResponse.Encode(response);
        Assert.Equal(number, bytes[9]);
        Assert.Equal(10 + 2 + 9, bytes.Length);
        Assert.True(ClientResponseCodec.Parse(bytes, out var parsed).IsOk);
        Assert.Equal(response, parsed);
    }

    [Fact]
    public void ClientResponse_TransferLeaderAnswerCarriesAPositiveLeaderIdAndRefusesAnyOther()
    {
        var bytes = Codecs.ClientResponse.Encode(new ClientResponse { RequestId = 3, Op = ClientOp.TransferLeader, Status = ClientStatus.Ok, LeaderKnown = true, LeaderId = 2 });
        Assert.Equal(10 + 4, bytes.Length);
        Assert.True(ClientResponseCodec.Parse(bytes, out var parsed).IsOk);
        Assert.Equal(2, parsed.LeaderId);
        foreach (var leader in new[] { 0, -1 })
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), leader);
            Assert.Equal(ProtocolError.Malformed, ClientResponseCodec.Parse(bytes, out _).Error);
        }
    }

    [Fact]
    public void ClientResponse_TooLargeIsStatusSevenWithAMessage()
    {
        var response = new ClientResponse { RequestId = 5, Op = ClientOp.Append, Status = ClientStatus.TooLarge, Message = "too big" };
        var bytes = Codecs.ClientResponse.Encode(response);
        Assert.Equal(7, bytes[9]);
        Assert.Equal(10 + 2 + 7, bytes.Length);
        Assert.True(ClientResponseCodec.Parse(bytes, out var parsed).IsOk);
        Assert.Equal(response, parsed);
    }

    [Fact]
    public void ClientRequest_HeadIsReadFromTheFirstNineBytesOfABody()
    {
        var body = Codecs.ClientRequest.Encode(new ClientRequest { RequestId = 0x0102030405060708, Op = ClientOp.Put, ClientId = 1, Sequence = 1, Key = new byte[] { 1 }, Value = new byte[3] });
        Assert.True(ClientRequestCodec.TryReadHead(body.AsSpan(0, ClientRequestCodec.FixedBytes), out var requestId, out var op));
        Assert.Equal((0x0102030405060708UL, ClientOp.Put), (requestId, op));
        Assert.False(ClientRequestCodec.TryReadHead(body.AsSpan(0, ClientRequestCodec.FixedBytes - 1), out _, out _));
        body[8] = 0;
        Assert.False(ClientRequestCodec.TryReadHead(body, out _, out _));
    }

    [Fact]
    public void ClientResponse_RefusesInvalidUtf8InAMessage()
    {
        var bytes = Codecs.ClientResponse.Encode(new ClientResponse { RequestId = 1, Op = ClientOp.Put, Status = ClientStatus.InvalidArgument, Message = "ab" });
        bytes[^1] = 0xFF;
        Assert.Equal(ProtocolError.Malformed, ClientResponseCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void ClientResponse_RefusesATextAboveItsLimit()
    {
        var bytes = Codecs.ClientResponse.Encode(new ClientResponse { RequestId = 1, Op = ClientOp.Get, Status = ClientStatus.InternalError, Message = "x" });
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(10), ProtocolLimits.TextBytesMax + 1);
        Assert.Equal(ProtocolError.TooLarge, ClientResponseCodec.Parse(bytes, out _).Error);
    }

    [Fact]
    public void ClientResponse_NotLeaderCarriesLeaderIdAndAddress()
    {
        var response = new ClientResponse
        {
            RequestId = 77,
            Op = ClientOp.Put,
            Status = ClientStatus.NotLeader,
            LeaderKnown = true,
            LeaderId = 3,
            LeaderAddress = "127.0.0.1:7003",
        };
        var bytes = Codecs.ClientResponse.Encode(response);
        Assert.Equal(10 + 1 + 4 + 2 + Encoding.UTF8.GetByteCount(response.LeaderAddress), bytes.Length);
        Codecs.ClientResponse.AssertRoundTrip(response);
    }

    [Fact]
    public void ClientResponse_CompareAndSetDistinguishesAbsentFromEmpty()
    {
        var absent = new ClientResponse { RequestId = 1, Op = ClientOp.CompareAndSet, Status = ClientStatus.Ok, Swapped = false, ValuePresent = false };
        var empty = absent with { ValuePresent = true, Value = Array.Empty<byte>() };
        Assert.True(ClientResponseCodec.Parse(Codecs.ClientResponse.Encode(absent), out var a).IsOk);
        Assert.True(ClientResponseCodec.Parse(Codecs.ClientResponse.Encode(empty), out var e).IsOk);
        Assert.False(a.ValuePresent);
        Assert.True(e.ValuePresent);
    }

    [Fact]
    public void ClientResponse_FormatAllocatesNothing()
    {
        var response = new ClientResponse { RequestId = 1, Op = ClientOp.Get, Status = ClientStatus.NotLeader, LeaderKnown = true, LeaderId = 2, LeaderAddress = "node2:7000" };
        var buffer = new byte[ClientResponseCodec.FrameSize(response)];
        for (var i = 0; i < 1000; i++) // warm up past tiered compilation
        {
            ClientResponseCodec.FormatFrame(response, buffer);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            ClientResponseCodec.FormatFrame(response, buffer);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
