// Goal: a shard entry has the layout docs/wire-format.md gives, survives a round trip, is told apart from a command
// batch by its first byte, and no bytes a correct leader never writes are accepted (refused, never thrown); method: a
// hand-built entry checked byte by byte, each kind round-tripped, every truncation and single-byte corruption parsed.
using KvRaft.Protocol.Sharding;

namespace KvRaft.Protocol.Tests;

public class ShardEntryCodecTests
{
    private static readonly ShardConfiguration Second = new()
    {
        Number = 2,
        Owners = [1, 1],
        Groups = [new ShardGroup(1, [new ShardGroupMember(1, "a:1", "a:2")])],
    };

    [Fact]
    public void Install_IsFormatKindShardConfigurationChunkFlagsThenThePayload()
    {
        var entry = new ShardEntry(ShardEntryKind.InstallShard, 5, 3, Chunk: 2, IsLast: true, Payload: new byte[] { 0xAA, 0xBB });
        var expected = "02" + "21" + "0500" + "0300000000000000" + "02000000" + "01" + "02000000" + "AABB";
        Assert.Equal(Convert.FromHexString(expected), ShardEntryCodec.Encode(entry));
        Assert.Equal(ShardEntryCodec.HeaderBytes + 2, ShardEntryCodec.Encode(entry).Length);
    }

    [Fact]
    public void EveryKind_SurvivesARoundTrip_AndIsToldApartFromACommandBatch()
    {
        ShardEntry[] entries =
        [
            new(ShardEntryKind.Reconfigure, 0, 2, Payload: ShardConfigurationCodec.Encode(Second)),
            new(ShardEntryKind.InstallShard, 1023, 9, 7, false, new byte[] { 1, 2, 3 }),
            new(ShardEntryKind.DropShard, 4, 9),
            new(ShardEntryKind.ShardDropConfirmed, 4, 9),
        ];
        foreach (var entry in entries)
        {
            var bytes = ShardEntryCodec.Encode(entry);
            Assert.True(ShardEntryCodec.IsShardEntry(bytes));
            Assert.True(ShardEntryCodec.Parse(bytes, out var parsed).IsOk, entry.ToString());
            Assert.Equal((entry.Kind, entry.Shard, entry.Configuration, entry.Chunk, entry.IsLast), (parsed.Kind, parsed.Shard, parsed.Configuration, parsed.Chunk, parsed.IsLast));
            Assert.Equal(entry.Payload.ToArray(), parsed.Payload.ToArray());
        }
        Assert.False(ShardEntryCodec.IsShardEntry(new byte[] { KvCommandBatchCodec.FormatVersion, 0, 0, 0, 0 }));
    }

    [Fact]
    public void EveryTruncationAndCorruption_IsRefusedOrReadAsAnotherSoundEntry_NeverThrown()
    {
        var bytes = ShardEntryCodec.Encode(new ShardEntry(ShardEntryKind.Reconfigure, 0, 2, Payload: ShardConfigurationCodec.Encode(Second)));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(ShardEntryCodec.Parse(bytes.AsMemory(0, length), out _).IsOk, $"length {length}");
        }
        for (var at = 0; at < bytes.Length; at++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var corrupt = (byte[])bytes.Clone();
                corrupt[at] ^= (byte)(1 << bit);
                _ = ShardEntryCodec.Parse(corrupt, out _); // refused or not: never an exception
            }
        }
    }

    [Theory]
    [InlineData("a drop with a payload", ShardEntryKind.DropShard, 1, 1, 0, false, 1)]
    [InlineData("configuration 0", ShardEntryKind.DropShard, 1, 0, 0, false, 0)]
    [InlineData("a chunk index on a confirmation", ShardEntryKind.ShardDropConfirmed, 1, 1, 3, false, 0)]
    [InlineData("the last flag on a drop", ShardEntryKind.DropShard, 1, 1, 0, true, 0)]
    [InlineData("a shard past ShardCountMax", ShardEntryKind.DropShard, ShardMap.ShardCountMax, 1, 0, false, 0)]
    public void FieldsOutOfRange_AreRefused(string why, ShardEntryKind kind, int shard, long number, int chunk, bool isLast, int payloadBytes)
    {
        var bytes = ShardEntryCodec.Encode(new ShardEntry(kind, shard, number, chunk, isLast, new byte[payloadBytes]));
        Assert.False(ShardEntryCodec.Parse(bytes, out _).IsOk, why);
    }
}
