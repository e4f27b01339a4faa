using System;
using System.IO.Hashing;

namespace KvRaft.Protocol.Sharding;

/// <summary>
/// Which shard a key belongs to (docs/design.md, "Sharding: configurations, migration, and why it is safe"): the key
/// space is cut into a number of shards fixed when the cluster is created, and a key's shard is the XxHash3 of its
/// bytes (seed 0) modulo that number. Client and server compute it alike; changing it would move every key.
/// </summary>
public static class ShardMap
{
    /// <summary>Shards of a cluster created without saying how many.</summary>
    public const int DefaultShardCount = 64;

    /// <summary>Most shards a cluster may have (a configuration names an owner per shard).</summary>
    public const int ShardCountMax = 1024;

    /// <summary>The shard of <paramref name="key"/> among <paramref name="shardCount"/> shards (0-based).</summary>
    public static int ShardOf(ReadOnlySpan<byte> key, int shardCount)
    {
        Invariant.True(shardCount is > 0 and <= ShardCountMax, shardCount);
        return (int)(XxHash3.HashToUInt64(key) % (ulong)shardCount);
    }
}
