using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;

namespace KvRaft.Server.Node;

/// <summary>
/// The static key → shard → group mapping of a process that hosts several replica groups (issue 16, before the shard
/// controller): a key's shard is <see cref="ShardMap.ShardOf"/> (XxHash3 of its bytes modulo <see cref="Shards"/>, the
/// one function clients and servers share), fixed when the cluster is created; shard <c>s</c> belongs to group <c>s mod Groups</c> (round-robin). Every process and client computes the
/// same answer from the two numbers alone. The controller (issue 16, point 2) will replace the second step with a
/// numbered configuration; the first stays.
/// </summary>
public sealed class StaticShardAssignment
{
    /// <summary>The most shards a cluster may be created with.</summary>
    public const int ShardsMax = ShardMap.ShardCountMax;

    /// <summary>Shards a cluster gets unless told otherwise (as in the issue: 64).</summary>
    public const int DefaultShards = ShardMap.DefaultShardCount;

    /// <summary>A map of <paramref name="shards"/> shards over <paramref name="groups"/> groups (1 ≤ groups ≤ shards ≤ <see cref="ShardsMax"/>).</summary>
    public StaticShardAssignment(int groups, int shards = DefaultShards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(groups, ProtocolLimits.GroupsMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, groups);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shards, ShardsMax);
        Groups = groups;
        Shards = shards;
    }

    /// <summary>Replica groups: ids 0 to Groups - 1.</summary>
    public int Groups { get; }

    /// <summary>Shards: ids 0 to Shards - 1.</summary>
    public int Shards { get; }

    /// <summary>The shard of <paramref name="key"/>.</summary>
    public int ShardOf(ReadOnlySpan<byte> key) => ShardMap.ShardOf(key, Shards);

    /// <summary>The group that owns <paramref name="shard"/>.</summary>
    public int GroupOfShard(int shard)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, Shards);
        return shard % Groups;
    }

    /// <summary>The group that owns <paramref name="key"/>.</summary>
    public int GroupOf(ReadOnlySpan<byte> key) => Groups == 1 ? 0 : GroupOfShard(ShardOf(key));
}
