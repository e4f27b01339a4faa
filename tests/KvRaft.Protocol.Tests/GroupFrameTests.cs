// Goal: a replica group's peer messages and snapshot chunks travel in group frames that carry the group id and the
// unchanged inner body, group 0 in the plain frames, and a group id no correct peer sends is refused. Method: CsCheck
// round trips through FrameDecoder, GroupFrameCodec.Split and the inner codecs, plus hand-built refusals.
using System.Buffers.Binary;
using CsCheck;

namespace KvRaft.Protocol.Tests;

public class GroupFrameTests
{
    private static readonly Gen<int> GroupId = Gen.Int[0, ProtocolLimits.GroupsMax - 1];

    [Fact]
    public void GroupPeerMessage_RoundTripsGroupIdAndEveryFieldThroughOneFrame() =>
        Gen.Select(GroupId, Generators.PeerMessage).Sample((groupId, message) =>
        {
            var frame = new byte[GroupFrameCodec.FrameSize(groupId, message)];
            Assert.Equal(frame.Length, GroupFrameCodec.FormatFrame(groupId, message, frame));
            var decoded = FrameDecoder.Decode(frame);
            Assert.Equal(FrameDecodeStatus.Frame, decoded.Status);
            Assert.Equal(frame.Length, decoded.ConsumedBytes);
            var (parsedGroup, body) = InnerBody(decoded, frame, FrameType.GroupPeerMessage, FrameType.PeerMessage);
            Assert.Equal(groupId, parsedGroup);
            Assert.True(PeerMessageCodec.Parse(body, out var parsed).IsOk);
            Assert.Equal(PeerMessageCodec.Size(message), body.Length);
            Assert.Equal(message.Term, parsed.Term);
            Assert.Equal(message.Index, parsed.Index);
            Assert.Equal(message.Entries.Count, parsed.Entries.Count);
        }, iter: 500);

    [Fact]
    public void GroupSnapshotChunk_RoundTripsGroupIdAndPayload() =>
        Gen.Select(GroupId, Generators.SnapshotChunk).Sample((groupId, chunk) =>
        {
            var frame = new byte[GroupFrameCodec.FrameSize(groupId, chunk)];
            Assert.Equal(frame.Length, GroupFrameCodec.FormatFrame(groupId, chunk, frame));
            var decoded = FrameDecoder.Decode(frame);
            var (parsedGroup, body) = InnerBody(decoded, frame, FrameType.GroupSnapshotChunk, FrameType.SnapshotChunk);
            Assert.Equal(groupId, parsedGroup);
            Assert.True(SnapshotChunkCodec.Parse(body, out var parsed).IsOk);
            Assert.True(parsed.Payload.Span.SequenceEqual(chunk.Payload.Span));
        }, iter: 200);

    [Fact]
    public void GroupZero_IsThePlainFrameByteForByte() => Generators.PeerMessage.Sample(message =>
    {
        var plain = new byte[PeerMessageCodec.FrameSize(message)];
        PeerMessageCodec.FormatFrame(message, plain);
        var group = new byte[GroupFrameCodec.FrameSize(0, message)];
        GroupFrameCodec.FormatFrame(0, message, group);
        Assert.Equal(plain, group);
    }, iter: 100);

    [Fact]
    public void Split_RefusesAGroupIdAtOrAboveGroupsMaxAndAShortBody()
    {
        var body = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(body, ProtocolLimits.GroupsMax);
        Assert.Equal(ProtocolError.TooLarge, GroupFrameCodec.Split(body, out _, out _).Error);
        BinaryPrimitives.WriteUInt32LittleEndian(body, uint.MaxValue);
        Assert.Equal(ProtocolError.TooLarge, GroupFrameCodec.Split(body, out _, out _).Error);
        Assert.Equal(ProtocolError.Truncated, GroupFrameCodec.Split(new byte[3], out _, out _).Error);
        BinaryPrimitives.WriteUInt32LittleEndian(body, ProtocolLimits.GroupsMax - 1);
        Assert.True(GroupFrameCodec.Split(body, out var groupId, out var inner).IsOk);
        Assert.Equal(ProtocolLimits.GroupsMax - 1, groupId);
        Assert.Equal(4, inner.Length);
    }

    /// <summary>The group id and inner body of a decoded frame: the group frame's, or group 0 for the plain frame.</summary>
    private static (int GroupId, ReadOnlyMemory<byte> Body) InnerBody(FrameDecodeResult decoded, byte[] frame, FrameType groupType, FrameType plainType)
    {
        var body = decoded.Body((ReadOnlyMemory<byte>)frame);
        if (decoded.Type == plainType)
        {
            return (0, body);
        }
        Assert.Equal(groupType, decoded.Type);
        Assert.True(GroupFrameCodec.Split(body, out var groupId, out var inner).IsOk);
        Assert.NotEqual(0, groupId);
        return (groupId, inner);
    }
}
