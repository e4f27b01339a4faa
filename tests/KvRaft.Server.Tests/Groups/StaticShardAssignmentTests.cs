// Goal: the static key → shard → group map is the same function everywhere (the protocol's ShardMap.ShardOf, XxHash3 of the key's bytes mod the shards; shard mod the groups), spreads keys over every group, and refuses impossible shapes; method: fixed vectors and a count over generated keys.
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Groups;

public sealed class StaticShardAssignmentTests
{
    [Fact]
    public void A_key_maps_to_the_protocol_s_shard_and_the_shard_mod_the_groups()
    {
        var map = new StaticShardAssignment(groups: 3, shards: 64);
        Assert.Equal((int)(System.IO.Hashing.XxHash3.HashToUInt64("a"u8) % 64), map.ShardOf("a"u8));
        Assert.Equal(KvRaft.Protocol.Sharding.ShardMap.ShardOf("user:7"u8, 64), map.ShardOf("user:7"u8));
        Assert.Equal(map.ShardOf("a"u8) % 3, map.GroupOf("a"u8));
        Assert.Equal(0, new StaticShardAssignment(groups: 1).GroupOf("anything"u8));
    }

    [Fact]
    public void Keys_spread_over_every_group()
    {
        var map = new StaticShardAssignment(groups: 8);
        var counts = new int[8];
        for (var i = 0; i < 8000; i++)
        {
            counts[map.GroupOf(System.Text.Encoding.UTF8.GetBytes($"user:{i}"))]++;
        }
        Assert.All(counts, count => Assert.InRange(count, 700, 1300));
    }

    [Fact]
    public void Impossible_shapes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StaticShardAssignment(groups: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StaticShardAssignment(groups: 8, shards: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StaticShardAssignment(groups: 1, shards: StaticShardAssignment.ShardsMax + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StaticShardAssignment(groups: 2).GroupOfShard(64));
    }
}
