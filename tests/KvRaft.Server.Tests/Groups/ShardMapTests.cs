// Goal: the static key → shard → group map is the same function everywhere (FNV-1a 64 of the key's bytes, mod the shards; shard mod the groups), spreads keys over every group, and refuses impossible shapes; method: fixed vectors and a count over generated keys.
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Groups;

public sealed class ShardMapTests
{
    [Fact]
    public void A_key_maps_to_the_FNV1a_hash_mod_the_shards_and_the_shard_mod_the_groups()
    {
        var map = new ShardMap(groups: 3, shards: 64);
        // FNV-1a 64 of "a" is 0xAF63DC4C8601EC8C (the published test vector).
        Assert.Equal((int)(0xAF63DC4C8601EC8CUL % 64), map.ShardOf("a"u8));
        Assert.Equal(map.ShardOf("a"u8) % 3, map.GroupOf("a"u8));
        Assert.Equal((int)(0xCBF29CE484222325UL % 64), map.ShardOf([])); // the offset basis: the empty key's hash
        Assert.Equal(0, new ShardMap(groups: 1).GroupOf("anything"u8));
    }

    [Fact]
    public void Keys_spread_over_every_group()
    {
        var map = new ShardMap(groups: 8);
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
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardMap(groups: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardMap(groups: 8, shards: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardMap(groups: 1, shards: ShardMap.ShardsMax + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardMap(groups: 2).GroupOfShard(64));
    }
}
