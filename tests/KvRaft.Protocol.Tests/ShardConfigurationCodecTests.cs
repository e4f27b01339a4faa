// Goal: a shard configuration and the key-to-shard map have the layouts docs/wire-format.md gives, every sound
// configuration survives a round trip, and no bytes a correct controller never writes are accepted (refused, never
// thrown or asserted); method: a hand-built configuration checked byte by byte, random sound configurations
// (seeded, seed in the message) round-tripped, every truncation and single-byte corruption of an encoding parsed.
using KvRaft.Protocol.Sharding;

namespace KvRaft.Protocol.Tests;

public class ShardConfigurationCodecTests
{
    private static readonly ShardConfiguration TwoGroups = new()
    {
        Number = 7,
        Owners = [1, 2, 0],
        Groups = [new ShardGroup(1, [new ShardGroupMember(1, "a:1", "a:2")]), new ShardGroup(2, [new ShardGroupMember(4, "b:1", "b:2"), new ShardGroupMember(5, "c:1", "c:2")])],
    };

    [Fact]
    public void Configuration_IsVersionNumberOwnersThenGroupsWithTheirMembers()
    {
        Assert.Equal(Unchecked(TwoGroups), ShardConfigurationCodec.Encode(TwoGroups));
        var expected = "01" + "0700000000000000" + "0300" + "01000000" + "02000000" + "00000000" + "0200"
            + "01000000" + "01" + "01000000" + "0300" + "613A31" + "0300" + "613A32"
            + "02000000" + "02" + "04000000" + "0300" + "623A31" + "0300" + "623A32" + "05000000" + "0300" + "633A31" + "0300" + "633A32";
        Assert.Equal(Convert.FromHexString(expected), ShardConfigurationCodec.Encode(TwoGroups));
    }

    [Fact]
    public void RandomSoundConfigurations_SurviveARoundTrip()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var configuration = RandomConfiguration(new Random(seed));
            var bytes = ShardConfigurationCodec.Encode(configuration);
            Assert.True(ShardConfigurationCodec.Read(bytes, out var read).IsOk, $"seed {seed}");
            Assert.True(configuration.Equals(read), $"seed {seed}");
        }
    }

    [Fact]
    public void EveryTruncation_IsRefusedAsTruncated()
    {
        var bytes = ShardConfigurationCodec.Encode(TwoGroups);
        for (var length = 0; length < bytes.Length; length++)
        {
            var result = ShardConfigurationCodec.Read(bytes.AsSpan(0, length), out var read);
            Assert.Equal(ProtocolError.Truncated, result.Error);
            Assert.Null(read);
        }
    }

    [Fact]
    public void EverySingleByteCorruption_IsRefusedOrStillSound()
    {
        var bytes = ShardConfigurationCodec.Encode(TwoGroups);
        for (var position = 0; position < bytes.Length; position++)
        {
            foreach (var value in new byte[] { 0x00, 0x01, 0x7F, 0x80, 0xFF })
            {
                var corrupt = (byte[])bytes.Clone();
                corrupt[position] = value;
                var result = ShardConfigurationCodec.Read(corrupt, out var read);
                Assert.True(result.IsOk ? read!.Problem() is null : read is null, $"byte {position} = {value}: {result}");
            }
        }
    }

    [Theory]
    [InlineData("an owner that is no group", 3)]
    [InlineData("group ids not ascending", 2)]
    [InlineData("a member address that is not host:port", 1)]
    public void UnsoundConfigurations_AreRefusedAsMalformed(string breach, int which)
    {
        var unsound = which switch
        {
            3 => TwoGroups with { Owners = [1, 9, 0] },
            2 => TwoGroups with { Groups = [TwoGroups.Groups[1], TwoGroups.Groups[0]] },
            _ => TwoGroups with { Groups = [new ShardGroup(1, [new ShardGroupMember(1, "no port", "a:2")]), TwoGroups.Groups[1]] },
        };
        var bytes = Unchecked(unsound);
        Assert.True(ShardConfigurationCodec.Read(bytes, out _).Error == ProtocolError.Malformed, breach);
    }

    [Fact]
    public void TrailingBytes_AreRefused()
    {
        var bytes = ShardConfigurationCodec.Encode(TwoGroups).Append((byte)0).ToArray();
        Assert.Equal(ProtocolError.Malformed, ShardConfigurationCodec.Read(bytes, out _).Error);
    }

    [Fact]
    public void ShardOf_IsXxHash3OfTheKeyModuloTheShardCount()
    {
        var key = "user:42"u8.ToArray();
        Assert.Equal((int)(System.IO.Hashing.XxHash3.HashToUInt64(key) % 64), ShardMap.ShardOf(key, 64));
        var counts = new int[ShardMap.DefaultShardCount];
        for (var i = 0; i < 64_000; i++)
        {
            counts[ShardMap.ShardOf(System.Text.Encoding.ASCII.GetBytes($"k{i}"), counts.Length)]++;
        }
        Assert.All(counts, count => Assert.InRange(count, 800, 1200));
    }

    private static ShardConfiguration RandomConfiguration(Random random)
    {
        var groups = Enumerable.Range(1, random.Next(0, 6)).Select(id => new ShardGroup(id * 3,
            Enumerable.Range(1, random.Next(1, ShardConfiguration.MembersPerGroupMax + 1))
                .Select(node => new ShardGroupMember((id * 10) + node, $"h{node}:{1000 + node}", $"host-{id}.example:{2000 + node}")).ToArray())).ToArray();
        var owners = Enumerable.Range(0, random.Next(1, 130)).Select(_ => groups.Length == 0 || random.Next(4) == 0 ? 0 : groups[random.Next(groups.Length)].GroupId).ToArray();
        return new ShardConfiguration { Number = random.NextInt64(0, long.MaxValue), Owners = owners, Groups = groups };
    }

    /// <summary>The documented layout of <paramref name="configuration"/>, written without checks (as a faulty controller would).</summary>
    private static byte[] Unchecked(ShardConfiguration configuration)
    {
        var bytes = new List<byte> { 1 };
        bytes.AddRange(BitConverter.GetBytes(configuration.Number));
        bytes.AddRange(BitConverter.GetBytes((ushort)configuration.Owners.Count));
        bytes.AddRange(configuration.Owners.SelectMany(BitConverter.GetBytes));
        bytes.AddRange(BitConverter.GetBytes((ushort)configuration.Groups.Count));
        foreach (var group in configuration.Groups)
        {
            bytes.AddRange(BitConverter.GetBytes(group.GroupId));
            bytes.Add((byte)group.Members.Count);
            foreach (var member in group.Members)
            {
                bytes.AddRange(BitConverter.GetBytes(member.NodeId));
                foreach (var address in new[] { member.PeerAddress, member.ClientAddress })
                {
                    bytes.AddRange(BitConverter.GetBytes((ushort)address.Length));
                    bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(address));
                }
            }
        }
        return [.. bytes];
    }
}
