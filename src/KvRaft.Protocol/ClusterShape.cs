using System;
using System.Collections.Generic;
using System.Linq;

namespace KvRaft.Protocol;

/// <summary>
/// What every process of a cluster must have been started with alike, announced in its peer hello (issue 16): the
/// data groups (<c>--groups</c>; 0: the one-group server), the shard count (0 without groups), and the node ids of the
/// bootstrap configuration (<c>--peers</c>), sorted; none for a node that joined (<c>--join</c>), whose ids are not
/// compared. Peer addresses are not part of it: they are per viewpoint (a relay or a NAT between two nodes gives each its
/// own address for the other), and a node dialled at an address that another node answers is refused by the hello's
/// addressee check already.
/// </summary>
public sealed record ClusterShape
{
    /// <summary>Creates a shape; <paramref name="memberIds"/> are sorted here.</summary>
    public ClusterShape(int dataGroups, int shardCount, IEnumerable<int> memberIds)
    {
        DataGroups = dataGroups;
        ShardCount = shardCount;
        MemberIds = [.. memberIds.Order()];
    }

    /// <summary>Data groups (<c>--groups</c>), 0 for the one-group server.</summary>
    public int DataGroups { get; }

    /// <summary>Shards the keys are hashed into, 0 for the one-group server.</summary>
    public int ShardCount { get; }

    /// <summary>Node ids of the bootstrap configuration, ascending; empty when not known (a joined node).</summary>
    public IReadOnlyList<int> MemberIds { get; }

    /// <summary>
    /// What differs between a peer's shape and this process's, in words naming the flags
    /// ("peer node 2 runs --groups 8, this node --groups 4"), or null when they agree.
    /// </summary>
    public static string? Difference(int peerNodeId, ClusterShape peer, ClusterShape self)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(self);
        var differences = new List<string>();
        if (peer.DataGroups != self.DataGroups)
        {
            differences.Add($"peer node {peerNodeId} runs {GroupsText(peer.DataGroups)}, this node {GroupsText(self.DataGroups)}");
        }
        if (peer.ShardCount != self.ShardCount)
        {
            differences.Add($"peer node {peerNodeId} hashes keys into {peer.ShardCount} shards, this node into {self.ShardCount}");
        }
        if (peer.MemberIds.Count > 0 && self.MemberIds.Count > 0 && !peer.MemberIds.SequenceEqual(self.MemberIds))
        {
            differences.Add($"peer node {peerNodeId} was started with --peers naming nodes {string.Join(',', peer.MemberIds)}, this node with nodes {string.Join(',', self.MemberIds)}");
        }
        return differences.Count == 0 ? null : "cluster shape differs: " + string.Join("; ", differences);
    }

    private static string GroupsText(int groups) => groups == 0 ? "without --groups (one group)" : $"--groups {groups}";

    /// <inheritdoc/>
    public bool Equals(ClusterShape? other) =>
        other is not null && DataGroups == other.DataGroups && ShardCount == other.ShardCount && MemberIds.SequenceEqual(other.MemberIds);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(DataGroups, ShardCount, MemberIds.Count);
}
