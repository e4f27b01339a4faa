using System;
using System.Collections.Generic;
using System.Linq;

namespace KvRaft.Protocol;

/// <summary>What a <see cref="FaultControlRequest"/> asks a node's network fault injector to do.</summary>
public enum FaultControlAction : byte
{
    /// <summary>Cut <see cref="FaultControlRequest.NodeId"/> off from every other node, both ways.</summary>
    Isolate = 1,
    /// <summary>Split the nodes into <see cref="FaultControlRequest.Groups"/> that cannot reach each other (replaces the cuts in force).</summary>
    Partition = 2,
    /// <summary>Drop every message from <see cref="FaultControlRequest.NodeId"/> to <see cref="FaultControlRequest.ToNodeId"/> (one way).</summary>
    Cut = 3,
    /// <summary>Drop <see cref="FaultControlRequest.DropPercent"/>% of messages and delay the rest by up to <see cref="FaultControlRequest.DelayMillisecondsMax"/>.</summary>
    Unreliable = 4,
    /// <summary>Remove every rule: the network is whole again.</summary>
    Heal = 5,
}

/// <summary>
/// A request to change a node's network fault rules (test machinery: it is handled by the node's
/// host, outside the Raft log, and refused unless the node runs with fault control on). Fields an
/// action does not use stay default.
/// </summary>
public readonly record struct FaultControlRequest
{
    /// <summary>Chosen by the sender; the response echoes it.</summary>
    public ulong RequestId { get; init; }
    /// <summary>What to do.</summary>
    public FaultControlAction Action { get; init; }
    /// <summary>Isolate: the node; Cut: the sender whose messages are dropped.</summary>
    public int NodeId { get; init; }
    /// <summary>Cut: the receiver.</summary>
    public int ToNodeId { get; init; }
    /// <summary>Partition: the groups (each a list of node ids; a node is in at most one group).</summary>
    public IReadOnlyList<IReadOnlyList<int>>? Groups { get; init; }
    /// <summary>Unreliable: percentage of messages dropped, 0–100.</summary>
    public int DropPercent { get; init; }
    /// <summary>Unreliable: largest delay of a delivered message, in milliseconds (0 = none).</summary>
    public int DelayMillisecondsMax { get; init; }

    /// <summary>Value equality; groups compared element by element.</summary>
    public bool Equals(FaultControlRequest other) =>
        RequestId == other.RequestId && Action == other.Action && NodeId == other.NodeId && ToNodeId == other.ToNodeId
        && DropPercent == other.DropPercent && DelayMillisecondsMax == other.DelayMillisecondsMax && SameGroups(Groups, other.Groups);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(RequestId, Action, NodeId, ToNodeId, DropPercent, DelayMillisecondsMax, Groups?.Count ?? -1);

    /// <summary>A human-readable form, e.g. "isolate node 2" or "partition [1 2] [3]".</summary>
    public string Describe() => Action switch
    {
        FaultControlAction.Isolate => $"isolate node {NodeId}",
        FaultControlAction.Partition => "partition " + string.Join(' ', (Groups ?? []).Select(group => "[" + string.Join(' ', group) + "]")),
        FaultControlAction.Cut => $"cut {NodeId}->{ToNodeId}",
        FaultControlAction.Unreliable => $"unreliable: drop {DropPercent}%, delay up to {DelayMillisecondsMax} ms",
        FaultControlAction.Heal => "heal",
        _ => "unknown action " + (byte)Action,
    };

    private static bool SameGroups(IReadOnlyList<IReadOnlyList<int>>? left, IReadOnlyList<IReadOnlyList<int>>? right)
    {
        if (left is null || right is null) return (left?.Count ?? 0) == (right?.Count ?? 0);
        return left.Count == right.Count && left.Zip(right).All(pair => pair.First.SequenceEqual(pair.Second));
    }
}

/// <summary>
/// Codec for <see cref="FaultControlRequest"/> (frame type 18): u64 requestId, u8 action, then by
/// action: Isolate i32 nodeId; Partition u8 groupCount, then per group u8 nodeCount and i32 node ids;
/// Cut i32 fromNodeId, i32 toNodeId; Unreliable u8 dropPercent, u32 delayMillisecondsMax; Heal nothing.
/// Layout in docs/wire-format.md.
/// </summary>
public static class FaultControlRequestCodec
{
    /// <summary>Bytes before the action's fields.</summary>
    public const int FixedBytes = 8 + 1;

    /// <summary>Body size of <paramref name="request"/>.</summary>
    public static int Size(in FaultControlRequest request) => FixedBytes + request.Action switch
    {
        FaultControlAction.Isolate => 4,
        FaultControlAction.Partition => 1 + (request.Groups ?? []).Sum(group => 1 + (4 * group.Count)),
        FaultControlAction.Cut => 8,
        FaultControlAction.Unreliable => 1 + 4,
        _ => 0,
    };

    /// <summary>Writes the body; returns the bytes written.</summary>
    public static int Format(in FaultControlRequest request, Span<byte> destination)
    {
        var size = Size(request);
        Invariant.True(destination.Length >= size, destination.Length);
        Invariant.True(request.Action is >= FaultControlAction.Isolate and <= FaultControlAction.Heal, request.Action);
        var writer = new WireWriter(destination);
        writer.U64(request.RequestId);
        writer.U8((byte)request.Action);
        switch (request.Action)
        {
            case FaultControlAction.Isolate:
                Invariant.True(request.NodeId > 0, request.NodeId);
                writer.I32(request.NodeId);
                break;
            case FaultControlAction.Partition:
                WriteGroups(ref writer, request.Groups);
                break;
            case FaultControlAction.Cut:
                Invariant.True(request.NodeId > 0 && request.ToNodeId > 0 && request.NodeId != request.ToNodeId, "a cut joins two different nodes");
                writer.I32(request.NodeId);
                writer.I32(request.ToNodeId);
                break;
            case FaultControlAction.Unreliable:
                Invariant.True(request.DropPercent is >= 0 and <= 100, request.DropPercent);
                Invariant.True(request.DelayMillisecondsMax is >= 0 and <= ProtocolLimits.FaultDelayMillisecondsMax, request.DelayMillisecondsMax);
                writer.U8((byte)request.DropPercent);
                writer.U32((uint)request.DelayMillisecondsMax);
                break;
            default:
                break;
        }
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    private static void WriteGroups(ref WireWriter writer, IReadOnlyList<IReadOnlyList<int>>? groups)
    {
        Invariant.True(groups is { Count: >= 2 and <= ProtocolLimits.VotersMax }, "a partition has 2 to VotersMax groups");
        Invariant.True(groups.Sum(group => group.Count) <= ProtocolLimits.VotersMax, "at most VotersMax nodes in a partition");
        Invariant.True(groups.SelectMany(group => group).Distinct().Count() == groups.Sum(group => group.Count), "a node is in at most one group");
        writer.U8((byte)groups.Count);
        foreach (var group in groups)
        {
            Invariant.True(group.Count >= 1, "a group is not empty");
            writer.U8((byte)group.Count);
            foreach (var nodeId in group)
            {
                Invariant.True(nodeId > 0, nodeId);
                writer.I32(nodeId);
            }
        }
    }

    /// <summary>Reads a body; never throws.</summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> body, out FaultControlRequest request)
    {
        request = default;
        var reader = new WireReader(body.Span);
        if (!reader.U64(out var requestId) || !reader.U8(out var actionByte))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "fault control request id or action missing");
        }
        if (actionByte is < (byte)FaultControlAction.Isolate or > (byte)FaultControlAction.Heal)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown fault control action");
        }
        var parsed = new FaultControlRequest { RequestId = requestId, Action = (FaultControlAction)actionByte };
        var result = parsed.Action switch
        {
            FaultControlAction.Isolate => ReadIsolate(ref reader, ref parsed),
            FaultControlAction.Partition => ReadPartition(ref reader, ref parsed),
            FaultControlAction.Cut => ReadCut(ref reader, ref parsed),
            FaultControlAction.Unreliable => ReadUnreliable(ref reader, ref parsed),
            _ => ParseResult.Ok,
        };
        if (!result.IsOk)
        {
            return result;
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        request = parsed;
        return ParseResult.Ok;
    }

    private static ParseResult ReadIsolate(ref WireReader reader, ref FaultControlRequest request)
    {
        if (!reader.I32(out var nodeId))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "isolated node id missing");
        }
        if (nodeId <= 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "node ids are positive");
        }
        request = request with { NodeId = nodeId };
        return ParseResult.Ok;
    }

    private static ParseResult ReadCut(ref WireReader reader, ref FaultControlRequest request)
    {
        if (!reader.I32(out var from) || !reader.I32(out var to))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "cut node ids missing");
        }
        if (from <= 0 || to <= 0 || from == to)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "a cut joins two different nodes with positive ids");
        }
        request = request with { NodeId = from, ToNodeId = to };
        return ParseResult.Ok;
    }

    private static ParseResult ReadUnreliable(ref WireReader reader, ref FaultControlRequest request)
    {
        if (!reader.U8(out var dropPercent))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "drop percentage missing");
        }
        if (dropPercent > 100)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "drop percentage above 100");
        }
        if (!reader.U32(out var delay))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "largest delay missing");
        }
        if (delay > ProtocolLimits.FaultDelayMillisecondsMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "delay exceeds FaultDelayMillisecondsMax");
        }
        request = request with { DropPercent = dropPercent, DelayMillisecondsMax = (int)delay };
        return ParseResult.Ok;
    }

    private static ParseResult ReadPartition(ref WireReader reader, ref FaultControlRequest request)
    {
        if (!reader.U8(out var groupCount))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "partition group count missing");
        }
        if (groupCount > ProtocolLimits.VotersMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "partition group count exceeds VotersMax");
        }
        if (groupCount < 2)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "a partition has at least two groups");
        }
        var groups = new IReadOnlyList<int>[groupCount];
        var seen = new HashSet<int>();
        for (var g = 0; g < groupCount; g++)
        {
            var result = ReadGroup(ref reader, seen, out groups[g]);
            if (!result.IsOk)
            {
                return result;
            }
        }
        request = request with { Groups = groups };
        return ParseResult.Ok;
    }

    private static ParseResult ReadGroup(ref WireReader reader, HashSet<int> seen, out IReadOnlyList<int> group)
    {
        group = [];
        if (!reader.U8(out var count))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "partition group size missing");
        }
        if (count == 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "an empty partition group");
        }
        if (seen.Count + count > ProtocolLimits.VotersMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "more than VotersMax nodes in a partition");
        }
        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.I32(out ids[i]))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "partition node id missing");
            }
            if (ids[i] <= 0 || !seen.Add(ids[i]))
            {
                return ParseResult.Fail(ProtocolError.Malformed, "partition node ids are positive and each in one group");
            }
        }
        group = ids;
        return ParseResult.Ok;
    }

    /// <summary>Size of the whole frame (header + body).</summary>
    public static int FrameSize(in FaultControlRequest request) => FrameHeader.Bytes + Size(request);

    /// <summary>Writes the whole frame (header + body); returns the bytes written.</summary>
    public static int FormatFrame(in FaultControlRequest request, Span<byte> destination)
    {
        var header = FrameHeader.Format(FrameType.FaultControlRequest, Size(request), destination);
        return header + Format(request, destination[header..]);
    }
}
