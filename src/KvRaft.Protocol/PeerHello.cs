using System;

namespace KvRaft.Protocol;

/// <summary>
/// The first frame each way on every peer connection: who is calling whom, in which cluster, and where the sender
/// serves clients (so that nodes fill NotLeader hints without being told every node's client address).
/// </summary>
public readonly record struct PeerHello(ushort ProtocolVersion, ulong ClusterId, int FromNodeId, int ToNodeId)
{
    /// <summary>The sender's client address ("host:port"), or null when it has none to announce.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The sender's cluster shape (flags every process must share), or null when it announces none (not checked).</summary>
    public ClusterShape? Shape { get; init; }

    /// <summary>Which of the pair's connections this is (docs/transport.md, "Connections"): bulk unless it says otherwise.</summary>
    public PeerLane Lane { get; init; }
}

/// <summary>
/// The two connections of a pair of nodes: <see cref="Bulk"/> carries everything but what <see cref="Control"/> carries,
/// the election messages and heartbeats (and their answers), so that these never wait behind queued Appends or snapshot bytes.
/// </summary>
public enum PeerLane : byte
{
    /// <summary>Appends, snapshots, and everything else not on the control lane.</summary>
    Bulk = 0,
    /// <summary>PreVote, Vote, Heartbeat, TimeoutNow and their answers.</summary>
    Control = 1,
}

/// <summary>
/// Codec for <see cref="PeerHello"/>. Body, 20 bytes + the address: u16 protocolVersion, u64 clusterId,
/// i32 fromNodeId, i32 toNodeId, text clientAddress (u16 length, UTF-8; empty = none); then, optionally (absent: no
/// shape announced), the cluster shape, 5 bytes + 4 per member: u16 dataGroups, u16 shardCount, u8 memberCount,
/// memberCount × i32 memberId (positive, strictly ascending); then, optionally (absent: the bulk lane), u8 lane (1: control;
/// the bulk lane is announced by its absence, so a bulk hello is what it was before lanes). A shape is at least 5 bytes:
/// one byte left after the address or the shape is the lane.
/// </summary>
public static class PeerHelloCodec
{
    /// <summary>Body size in bytes without the client address's bytes.</summary>
    public const int Bytes = 20;

    /// <summary>Bytes of the shape without its member ids.</summary>
    public const int ShapeBytes = 5;

    /// <summary>Body size of <paramref name="hello"/>.</summary>
    public static int Size(in PeerHello hello) =>
        Bytes + WireWriter.TextBytes(hello.ClientAddress) + (hello.Shape is { } shape ? ShapeBytes + (4 * shape.MemberIds.Count) : 0)
        + (hello.Lane == PeerLane.Bulk ? 0 : 1);

    /// <summary>Writes the body; returns the bytes written.</summary>
    public static int Format(in PeerHello hello, Span<byte> destination)
    {
        var size = Size(hello);
        Invariant.True(destination.Length >= size, destination.Length);
        var writer = new WireWriter(destination);
        writer.U16(hello.ProtocolVersion);
        writer.U64(hello.ClusterId);
        writer.I32(hello.FromNodeId);
        writer.I32(hello.ToNodeId);
        writer.Text(hello.ClientAddress);
        if (hello.Shape is { } shape)
        {
            Invariant.True(shape.DataGroups is >= 0 and <= Sharding.ShardConfiguration.GroupsMax && shape.ShardCount is >= 0 and <= Sharding.ShardMap.ShardCountMax
                && shape.MemberIds.Count <= ProtocolLimits.VotersMax, shape.MemberIds.Count);
            writer.U16((ushort)shape.DataGroups);
            writer.U16((ushort)shape.ShardCount);
            writer.U8((byte)shape.MemberIds.Count);
            foreach (var member in shape.MemberIds)
            {
                writer.I32(member);
            }
        }
        if (hello.Lane != PeerLane.Bulk)
        {
            writer.U8((byte)hello.Lane);
        }
        Invariant.True(writer.Written == size, writer.Written);
        return writer.Written;
    }

    /// <summary>Reads a body; never throws.</summary>
    public static ParseResult Parse(ReadOnlySpan<byte> body, out PeerHello hello)
    {
        hello = default;
        var reader = new WireReader(body);
        if (!reader.U16(out var version) || !reader.U64(out var clusterId) || !reader.I32(out var from) || !reader.I32(out var to))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "peer hello shorter than 18 bytes");
        }
        var result = reader.Text(out var clientAddress);
        if (!result.IsOk)
        {
            return result;
        }
        ClusterShape? shape = null;
        if (reader.Remaining > 1)
        {
            result = ParseShape(ref reader, out shape);
            if (!result.IsOk)
            {
                return result;
            }
        }
        var lane = PeerLane.Bulk;
        if (reader.Remaining == 1)
        {
            result = ParseLane(ref reader, out lane);
            if (!result.IsOk)
            {
                return result;
            }
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        hello = new PeerHello(version, clusterId, from, to) { ClientAddress = clientAddress, Shape = shape, Lane = lane };
        return ParseResult.Ok;
    }

    /// <summary>The lane byte: only the control lane is announced (the bulk lane is the byte's absence).</summary>
    private static ParseResult ParseLane(ref WireReader reader, out PeerLane lane)
    {
        lane = PeerLane.Bulk;
        if (!reader.U8(out var value) || value != (byte)PeerLane.Control)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "peer hello's lane is not 1 (control; the bulk lane is announced by its absence)");
        }
        lane = PeerLane.Control;
        return ParseResult.Ok;
    }

    private static ParseResult ParseShape(ref WireReader reader, out ClusterShape? shape)
    {
        shape = null;
        if (!reader.U16(out var groups) || !reader.U16(out var shards) || !reader.U8(out var count))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "peer hello's cluster shape shorter than 5 bytes");
        }
        if (groups > Sharding.ShardConfiguration.GroupsMax || shards > Sharding.ShardMap.ShardCountMax || count > ProtocolLimits.VotersMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "peer hello's cluster shape names more groups, shards or members than the limits");
        }
        var members = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.I32(out members[i]))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "peer hello's cluster shape ends inside its member ids");
            }
            if (members[i] <= 0 || (i > 0 && members[i] <= members[i - 1]))
            {
                return ParseResult.Fail(ProtocolError.Malformed, "peer hello's member ids are not positive and strictly ascending");
            }
        }
        shape = new ClusterShape(groups, shards, members);
        return ParseResult.Ok;
    }

    /// <summary>
    /// The check of a peer's announced shape against this process's (either null: not checked): refuses a peer
    /// started with other --groups, another shard count or another --peers, naming what differs.
    /// </summary>
    public static ParseResult CheckShape(in PeerHello hello, ClusterShape? self)
    {
        if (hello.Shape is not { } peer || self is null || ClusterShape.Difference(hello.FromNodeId, peer, self) is not { } difference)
        {
            return ParseResult.Ok;
        }
        return ParseResult.Fail(ProtocolError.ShapeMismatch, difference);
    }

    /// <summary>
    /// The receiver's check of an accepted hello: refuses another protocol version, another
    /// cluster, or a hello addressed to another node. On refusal the receiver closes the connection.
    /// </summary>
    public static ParseResult Check(in PeerHello hello, ulong clusterId, int selfNodeId)
    {
        if (hello.ProtocolVersion != ProtocolLimits.Version)
        {
            return ParseResult.Fail(ProtocolError.BadVersion, "peer speaks another protocol version");
        }
        if (hello.ClusterId != clusterId)
        {
            return ParseResult.Fail(ProtocolError.ClusterMismatch, $"peer node {hello.FromNodeId} belongs to cluster {hello.ClusterId}, this node to cluster {clusterId}");
        }
        if (hello.ToNodeId != selfNodeId)
        {
            return ParseResult.Fail(ProtocolError.WrongNode, $"peer hello from node {hello.FromNodeId} addressed to node {hello.ToNodeId}, not to this node {selfNodeId}");
        }
        return ParseResult.Ok;
    }

    /// <summary>Size of the whole frame (header + body).</summary>
    public static int FrameSize(in PeerHello hello) => FrameHeader.Bytes + Size(hello);

    /// <summary>Writes the whole frame (header + body); returns the bytes written.</summary>
    public static int FormatFrame(in PeerHello hello, Span<byte> destination)
    {
        var header = FrameHeader.Format(FrameType.PeerHello, Size(hello), destination);
        return header + Format(hello, destination[header..]);
    }
}
