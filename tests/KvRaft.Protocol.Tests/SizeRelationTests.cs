// Goal: the derived limits in ProtocolLimits are exactly the sizes of the largest messages, and those messages fit the bounds above them (a maximal request fits one command batch, a batch one entry, an entry one Append frame, a value answer and a snapshot chunk one frame). Method: format the largest message of each kind with real codecs and compare its size with the limits; the same relations are also compile-time checks (ProtocolLimits.SizeRelations).
using KvRaft.Protocol;

namespace KvRaft.Protocol.Tests;

public sealed class SizeRelationTests
{
    private static readonly byte[] MaximalKey = new byte[ProtocolLimits.KeyBytesMax];
    private static readonly byte[] MaximalValue = new byte[ProtocolLimits.ValueBytesMax];

    private static readonly ClientRequest MaximalRequest = new()
    {
        RequestId = ulong.MaxValue,
        Op = ClientOp.CompareAndSet,
        ClientId = ulong.MaxValue,
        Sequence = ulong.MaxValue,
        Key = MaximalKey,
        Expected = MaximalValue,
        Value = MaximalValue,
    };

    [Fact]
    public void A_maximal_compare_and_set_request_is_exactly_RequestBodyBytesMax_and_its_frame_RequestFrameBytesMax()
    {
        Assert.Equal(ProtocolLimits.RequestBodyBytesMax, ClientRequestCodec.Size(MaximalRequest));
        Assert.Equal(FrameHeader.LengthBytes + ProtocolLimits.RequestFrameBytesMax, ClientRequestCodec.FrameSize(MaximalRequest));
        var frame = new byte[ClientRequestCodec.FrameSize(MaximalRequest)];
        ClientRequestCodec.FormatFrame(MaximalRequest, frame);
        Assert.Equal(FrameDecodeStatus.Frame, FrameDecoder.Decode(frame, ProtocolLimits.RequestFrameBytesMax).Status);
        Assert.Equal(FrameDecodeStatus.Error, FrameDecoder.Decode(frame, ProtocolLimits.RequestFrameBytesMax - 1).Status);
    }

    [Fact]
    public void A_maximal_request_to_a_replica_group_has_a_frame_of_exactly_GroupRequestFrameBytesMax()
    {
        var frame = new byte[ClientRequestCodec.FrameSize(ProtocolLimits.GroupsMax - 1, MaximalRequest)];
        ClientRequestCodec.FormatFrame(ProtocolLimits.GroupsMax - 1, MaximalRequest, frame);
        Assert.Equal(FrameHeader.LengthBytes + ProtocolLimits.GroupRequestFrameBytesMax, frame.Length);
        Assert.Equal(FrameDecodeStatus.Frame, FrameDecoder.Decode(frame, ProtocolLimits.GroupRequestFrameBytesMax).Status);
        Assert.Equal(FrameDecodeStatus.Error, FrameDecoder.Decode(frame, ProtocolLimits.GroupRequestFrameBytesMax - 1).Status);
    }

    [Fact]
    public void A_maximal_command_is_exactly_CommandBytesMax_and_a_batch_of_it_fits_CommandBatchBytesMax()
    {
        var command = MaximalRequest.ToCommand() with { Identity = ulong.MaxValue }; // as a leader with client TLS stamps it
        Assert.Equal(ProtocolLimits.CommandBytesMax, KvCommandCodec.Size(command));
        var batch = KvCommandBatchCodec.Size(new[] { command });
        Assert.True(batch <= ProtocolLimits.CommandBatchBytesMax, $"{batch} > {ProtocolLimits.CommandBatchBytesMax}");
        Assert.Equal(ProtocolLimits.CommandBatchBytesMax, ProtocolLimits.EntryDataBytesMax);
    }

    [Fact]
    public void An_append_carrying_one_maximal_entry_fits_one_frame_and_parses()
    {
        var entry = new WireEntry(long.MaxValue - 1, long.MaxValue, EntryType.Normal, new byte[ProtocolLimits.EntryDataBytesMax]);
        var message = new PeerMessage { Type = PeerMessageType.Append, From = 1, To = 2, Term = 1, Entries = EntryList.From(new[] { entry }) };
        var frameBytes = PeerMessageCodec.FrameSize(message);
        Assert.True(frameBytes - FrameHeader.LengthBytes <= ProtocolLimits.FrameBytesMax, $"{frameBytes}");
        Assert.True(EntryList.BlockSize(new[] { entry }) <= ProtocolLimits.EntriesBlockBytesMax);
        var frame = new byte[frameBytes];
        PeerMessageCodec.FormatFrame(message, frame);
        var decoded = FrameDecoder.Decode(frame);
        Assert.Equal(FrameDecodeStatus.Frame, decoded.Status);
        Assert.True(PeerMessageCodec.Parse(decoded.Body(frame.AsMemory()), out _).IsOk);
    }

    [Fact]
    public void A_maximal_snapshot_chunk_and_an_answer_carrying_a_maximal_value_fit_one_frame()
    {
        var chunk = new SnapshotChunk { SnapshotIndex = 1, SnapshotTerm = 1, Payload = new byte[ProtocolLimits.SnapshotChunkBytesMax], UncompressedBytes = ProtocolLimits.SnapshotChunkBytesMax };
        Assert.True(SnapshotChunkCodec.FrameSize(chunk) - FrameHeader.LengthBytes <= ProtocolLimits.FrameBytesMax);
        var answer = new ClientResponse { RequestId = 1, Op = ClientOp.CompareAndSet, Status = ClientStatus.Ok, Swapped = false, ValuePresent = true, Value = MaximalValue };
        Assert.True(ClientResponseCodec.FrameSize(answer) - FrameHeader.LengthBytes <= ProtocolLimits.FrameBytesMax);
    }
}
