using System;
using System.Collections.Generic;

namespace KvRaft.Protocol;

/// <summary>What a member is in the configuration (a voter may be in both halves while joint).</summary>
[Flags]
public enum MemberRoles : byte
{
    /// <summary>No role (not a member).</summary>
    None = 0,
    /// <summary>A voter of the configuration (the incoming half while joint).</summary>
    Voter = 1,
    /// <summary>A voter of the outgoing half of a joint configuration.</summary>
    OutgoingVoter = 2,
    /// <summary>A learner: receives the log, never votes.</summary>
    Learner = 4,
}

/// <summary>One member as a node sees it.</summary>
public readonly record struct MemberInfo
{
    /// <summary>The member's node id.</summary>
    public int NodeId { get; init; }
    /// <summary>Its roles.</summary>
    public MemberRoles Roles { get; init; }
    /// <summary>The leader's match index of this member (the leader's own last index for itself); -1 when the answering node does not lead.</summary>
    public long MatchIndex { get; init; }
    /// <summary>Its peer address ("host:port") as the replicated configuration (or the node's bootstrap flags) has it; null when unknown.</summary>
    public string? PeerAddress { get; init; }
    /// <summary>Its client address; null when unknown.</summary>
    public string? ClientAddress { get; init; }
}

/// <summary>The configuration as one node sees it: the body of an Ok answer to <see cref="ClientOp.MemberList"/>.</summary>
public sealed record MemberListing
{
    /// <summary>The node that answered.</summary>
    public int NodeId { get; init; }
    /// <summary>The cluster id its peers check in their hellos (a node joining adopts it).</summary>
    public ulong ClusterId { get; init; }
    /// <summary>
    /// The voters the cluster was started with (before any Config entry: what its log's first changes apply to); a
    /// node joining starts from them. Ascending.
    /// </summary>
    public IReadOnlyList<int> InitialVoters { get; init; } = [];
    /// <summary>True when the answering node leads (then the match indexes are known).</summary>
    public bool Leading { get; init; }
    /// <summary>True while a joint change is under way (two voter sets).</summary>
    public bool Joint { get; init; }
    /// <summary>The answering node's last log index.</summary>
    public long LastIndex { get; init; }
    /// <summary>The members, ascending by id.</summary>
    public IReadOnlyList<MemberInfo> Members { get; init; } = [];

    /// <summary>Members at most in a listing (the configuration's bound).</summary>
    public const int MembersMax = 64;

    private const byte LeadingFlag = 1, JointFlag = 2;
    private const byte AllRoles = (byte)(MemberRoles.Voter | MemberRoles.OutgoingVoter | MemberRoles.Learner);

    /// <summary>Value equality, members compared in order.</summary>
    public bool Equals(MemberListing? other) => other is not null && NodeId == other.NodeId && ClusterId == other.ClusterId && Leading == other.Leading
        && Joint == other.Joint && LastIndex == other.LastIndex && System.Linq.Enumerable.SequenceEqual(InitialVoters, other.InitialVoters)
        && System.Linq.Enumerable.SequenceEqual(Members, other.Members);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(NodeId, Leading, Joint, LastIndex, Members.Count);

    /// <summary>
    /// Encoded bytes: i32 node id, u64 cluster id, u8 flags, i64 last index, u8 initial voter count and i32 ids, u8
    /// member count, then per member i32 id, u8 roles, i64 match, text peer, text client.
    /// </summary>
    internal int Size()
    {
        var size = 4 + 8 + 1 + 8 + 1 + (4 * InitialVoters.Count) + 1;
        foreach (var member in Members)
        {
            size += 4 + 1 + 8 + 2 + WireWriter.TextBytes(member.PeerAddress) + 2 + WireWriter.TextBytes(member.ClientAddress);
        }

        return size;
    }

    internal void Write(ref WireWriter writer)
    {
        Invariant.True(Members.Count <= MembersMax && InitialVoters.Count <= MembersMax, Members.Count);
        writer.I32(NodeId);
        writer.U64(ClusterId);
        writer.U8((byte)((Leading ? LeadingFlag : 0) | (Joint ? JointFlag : 0)));
        writer.I64(LastIndex);
        writer.U8((byte)InitialVoters.Count);
        foreach (var voter in InitialVoters)
        {
            writer.I32(voter);
        }
        writer.U8((byte)Members.Count);
        foreach (var member in Members)
        {
            writer.I32(member.NodeId);
            writer.U8((byte)member.Roles);
            writer.I64(member.MatchIndex);
            writer.Text(member.PeerAddress);
            writer.Text(member.ClientAddress);
        }
    }

    internal static ParseResult Read(ref WireReader reader, out MemberListing? listing)
    {
        listing = null;
        if (!reader.I32(out var nodeId) || !reader.U64(out var clusterId) || !reader.U8(out var flags) || !reader.I64(out var lastIndex)
            || !ReadIds(ref reader, out var initialVoters) || !reader.U8(out var count))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "member list header missing");
        }
        if ((flags & ~(LeadingFlag | JointFlag)) != 0 || count > MembersMax || initialVoters is null)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "member list flags have reserved bits set, or too many members");
        }
        var members = new MemberInfo[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.I32(out var id) || !reader.U8(out var roles) || !reader.I64(out var match))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "member fields missing");
            }
            if (roles is 0 || (roles & ~AllRoles) != 0)
            {
                return ParseResult.Fail(ProtocolError.Malformed, "member roles empty or with reserved bits set");
            }
            var result = reader.Text(out var peer);
            if (result.IsOk)
            {
                result = reader.Text(out var client);
                members[i] = new MemberInfo { NodeId = id, Roles = (MemberRoles)roles, MatchIndex = match, PeerAddress = peer, ClientAddress = client };
            }
            if (!result.IsOk)
            {
                return result;
            }
        }
        listing = new MemberListing { NodeId = nodeId, ClusterId = clusterId, InitialVoters = initialVoters, Leading = (flags & LeadingFlag) != 0, Joint = (flags & JointFlag) != 0, LastIndex = lastIndex, Members = members };
        return ParseResult.Ok;
    }

    /// <summary>u8 count and i32 ids; false when truncated, <paramref name="ids"/> null when the count is over the bound.</summary>
    private static bool ReadIds(ref WireReader reader, out int[]? ids)
    {
        ids = null;
        if (!reader.U8(out var count))
        {
            return false;
        }

        var read = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.I32(out read[i]))
            {
                return false;
            }
        }
        ids = count > MembersMax ? null : read;
        return true;
    }
}
