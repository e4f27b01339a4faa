using System;
using System.Collections.Generic;
using System.Linq;

namespace KvRaft.Protocol.Sharding;

/// <summary>One member of a replica group: its node id and where it listens ("host:port" each).</summary>
public sealed record ShardGroupMember(int NodeId, string PeerAddress, string ClientAddress);

/// <summary>A replica group of a configuration: its id (positive) and its members, ascending by node id.</summary>
public sealed record ShardGroup(int GroupId, IReadOnlyList<ShardGroupMember> Members)
{
    /// <summary>Value equality, members compared in order.</summary>
    public bool Equals(ShardGroup? other) => other is not null && GroupId == other.GroupId && Members.SequenceEqual(other.Members);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(GroupId, Members.Count);
}

/// <summary>
/// One configuration of a sharded cluster (docs/design.md, "Sharding: configurations, migration, and why it is
/// safe"): its number, the owner of every shard (a group id, 0 for none) and the groups with their members.
/// Configurations are immutable and numbered from 0 (no groups, no owners); the controller makes each from the one
/// before it. Invariants (<see cref="Problem"/> names the first broken one): number ≥ 0; 1 to
/// <see cref="ShardMap.ShardCountMax"/> shards; at most <see cref="GroupsMax"/> groups with positive ids, strictly
/// ascending; each with 1 to <see cref="MembersPerGroupMax"/> members, node ids positive and strictly ascending,
/// addresses valid (<see cref="HostPort.IsValid"/>); every owner 0 or one of the groups.
/// </summary>
public sealed record ShardConfiguration
{
    /// <summary>Most groups in one configuration.</summary>
    public const int GroupsMax = 256;

    /// <summary>Most members of one group (a Raft group of 9 tolerates 4 failures; more only slows its commits).</summary>
    public const int MembersPerGroupMax = 9;

    /// <summary>The configuration's number: 0 for the first, one more for each after it.</summary>
    public long Number { get; init; }

    /// <summary>The owner of each shard, by shard number: a group id, or 0 when no group owns it.</summary>
    public IReadOnlyList<int> Owners { get; init; } = [];

    /// <summary>The groups, ascending by id.</summary>
    public IReadOnlyList<ShardGroup> Groups { get; init; } = [];

    /// <summary>The number of shards.</summary>
    public int ShardCount => Owners.Count;

    /// <summary>Configuration 0 of a cluster of <paramref name="shardCount"/> shards: no groups, no owners.</summary>
    public static ShardConfiguration Initial(int shardCount)
    {
        Invariant.True(shardCount is > 0 and <= ShardMap.ShardCountMax, shardCount);
        return new ShardConfiguration { Number = 0, Owners = new int[shardCount] };
    }

    /// <summary>The group that owns <paramref name="key"/>'s shard (0 for none).</summary>
    public int OwnerOfKey(ReadOnlySpan<byte> key) => Owners[ShardMap.ShardOf(key, ShardCount)];

    /// <summary>The group with id <paramref name="groupId"/>, or null.</summary>
    public ShardGroup? FindGroup(int groupId)
    {
        foreach (var group in Groups)
        {
            if (group.GroupId == groupId)
            {
                return group;
            }
        }
        return null;
    }

    /// <summary>The shards <paramref name="groupId"/> owns, ascending.</summary>
    public IReadOnlyList<int> ShardsOf(int groupId)
    {
        var shards = new List<int>();
        for (var shard = 0; shard < Owners.Count; shard++)
        {
            if (Owners[shard] == groupId)
            {
                shards.Add(shard);
            }
        }
        return shards;
    }

    /// <summary>The first broken invariant (see the type's summary), or null when the configuration is sound.</summary>
    public string? Problem()
    {
        if (Number < 0 || Owners.Count is 0 or > ShardMap.ShardCountMax)
        {
            return "configuration number negative, or shard count outside 1..ShardCountMax";
        }
        if (Groups.Count > GroupsMax)
        {
            return "more groups than GroupsMax";
        }
        var groupIds = new HashSet<int>();
        var previous = 0;
        foreach (var group in Groups)
        {
            if (group.GroupId <= previous)
            {
                return "group ids not positive and strictly ascending";
            }
            previous = group.GroupId;
            groupIds.Add(group.GroupId);
            var problem = MembersProblem(group.Members);
            if (problem is not null)
            {
                return problem;
            }
        }
        foreach (var owner in Owners)
        {
            if (owner != 0 && !groupIds.Contains(owner))
            {
                return "a shard's owner is not a group of the configuration";
            }
        }
        return null;
    }

    private static string? MembersProblem(IReadOnlyList<ShardGroupMember> members)
    {
        if (members.Count is 0 or > MembersPerGroupMax)
        {
            return "a group has no members or more than MembersPerGroupMax";
        }
        var previous = 0;
        foreach (var member in members)
        {
            if (member.NodeId <= previous)
            {
                return "member ids not positive and strictly ascending";
            }
            previous = member.NodeId;
            if (!HostPort.IsValid(member.PeerAddress) || !HostPort.IsValid(member.ClientAddress))
            {
                return "a member's address is not host:port";
            }
        }
        return null;
    }

    /// <summary>Value equality, owners and groups compared in order.</summary>
    public bool Equals(ShardConfiguration? other) => other is not null && Number == other.Number
        && Owners.SequenceEqual(other.Owners) && Groups.SequenceEqual(other.Groups);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Number, Owners.Count, Groups.Count);
}
