using System;
using System.Buffers.Binary;

namespace KvRaft.Protocol;

/// <summary>
/// The frames of a process that hosts several replica groups (docs/wire-format.md, "Group frames"): the
/// <see cref="FrameType.GroupPeerMessage"/> and <see cref="FrameType.GroupSnapshotChunk"/> bodies are a u32 group id
/// (below <see cref="ProtocolLimits.GroupsMax"/>) followed by the PeerMessage or SnapshotChunk body of that group.
/// Group 0 travels in the plain frames (types 2 and 3), so a one-group node's traffic is unchanged byte for byte.
/// </summary>
public static class GroupFrameCodec
{
    /// <summary>Bytes of the group id in front of the inner body.</summary>
    public const int GroupIdBytes = 4;

    /// <summary>
    /// Splits a group frame's body into its group id and the inner body (a PeerMessage or SnapshotChunk body, parsed
    /// by its own codec). A group id at or above <see cref="ProtocolLimits.GroupsMax"/> is refused as TooLarge: no
    /// correct peer sends one. A group id below it that the receiver does not host is the receiver's to refuse.
    /// </summary>
    public static ParseResult Split(ReadOnlyMemory<byte> body, out int groupId, out ReadOnlyMemory<byte> inner)
    {
        groupId = 0;
        inner = default;
        if (body.Length < GroupIdBytes)
        {
            return ParseResult.Fail(ProtocolError.Truncated, "group frame shorter than its group id");
        }
        var id = BinaryPrimitives.ReadUInt32LittleEndian(body.Span);
        if (id >= ProtocolLimits.GroupsMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "group id at or above GroupsMax");
        }
        groupId = (int)id;
        inner = body[GroupIdBytes..];
        return ParseResult.Ok;
    }

    /// <summary>Frame size of <paramref name="message"/> of group <paramref name="groupId"/> (the plain frame for group 0).</summary>
    public static int FrameSize(int groupId, in PeerMessage message) =>
        groupId == 0 ? PeerMessageCodec.FrameSize(message) : FrameHeader.Bytes + GroupIdBytes + PeerMessageCodec.Size(message);

    /// <summary>Writes <paramref name="message"/> of group <paramref name="groupId"/> as a whole frame; returns the bytes written.</summary>
    public static int FormatFrame(int groupId, in PeerMessage message, Span<byte> destination)
    {
        if (groupId == 0)
        {
            return PeerMessageCodec.FormatFrame(message, destination);
        }
        var prefix = Prefix(FrameType.GroupPeerMessage, groupId, PeerMessageCodec.Size(message), destination);
        return prefix + PeerMessageCodec.Format(message, destination[prefix..]);
    }

    /// <summary>Frame size of <paramref name="chunk"/> of group <paramref name="groupId"/> (the plain frame for group 0).</summary>
    public static int FrameSize(int groupId, in SnapshotChunk chunk) =>
        groupId == 0 ? SnapshotChunkCodec.FrameSize(chunk) : FrameHeader.Bytes + GroupIdBytes + SnapshotChunkCodec.Size(chunk);

    /// <summary>Writes <paramref name="chunk"/> of group <paramref name="groupId"/> as a whole frame; returns the bytes written.</summary>
    public static int FormatFrame(int groupId, in SnapshotChunk chunk, Span<byte> destination)
    {
        if (groupId == 0)
        {
            return SnapshotChunkCodec.FormatFrame(chunk, destination);
        }
        var prefix = Prefix(FrameType.GroupSnapshotChunk, groupId, SnapshotChunkCodec.Size(chunk), destination);
        return prefix + SnapshotChunkCodec.Format(chunk, destination[prefix..]);
    }

    private static int Prefix(FrameType type, int groupId, int innerBytes, Span<byte> destination)
    {
        Invariant.True(groupId > 0 && groupId < ProtocolLimits.GroupsMax, groupId);
        var header = FrameHeader.Format(type, GroupIdBytes + innerBytes, destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[header..], (uint)groupId);
        return header + GroupIdBytes;
    }
}
