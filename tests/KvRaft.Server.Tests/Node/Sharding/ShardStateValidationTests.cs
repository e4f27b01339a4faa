// Goal: a data group's shard states record (docs/storage-format.md, "Shard states") reaches a node from its own store
// and from a peer's snapshot, so decoding it validates every field and refuses what does not fit with a
// StorageCorruptException saying what, never an assertion or an index error: every state a migration passes through
// decodes to itself, and each kind of malformed record (cut short, another version or group, another shard count,
// configurations not consecutive, a group id 0 or negative, a state byte out of range or not fitting the owners, a
// cursor longer than the record, a negative chunk, trailing bytes) is refused by name. Method: records made by
// GroupShards itself along a seeded random migration walk (the seed is in every failure message), then edited at the
// field under test; a seeded fuzz mutates them and asserts decoding throws nothing but the refusal type.
using System.Buffers.Binary;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using KvRaft.Testing;

namespace KvRaft.Server.Tests.Node.Sharding;

public sealed class ShardStateValidationTests
{
    private const int ShardCount = 8, GroupCount = 3;

    [Fact]
    public void Every_state_a_migration_passes_through_decodes_to_itself()
    {
        var seen = new HashSet<ShardState>();
        var cursors = 0;
        for (var seed = 0; seed < 40; seed++)
        {
            foreach (var (groupId, bytes) in MigrationWalk(seed, steps: 300))
            {
                var decoded = Decode(bytes, groupId, seed);
                Assert.True(bytes.AsSpan().SequenceEqual(decoded.Encode()), $"seed {seed}: group {groupId}'s record does not decode to itself");
                seen.UnionWith(Enumerable.Range(0, ShardCount).Select(decoded.StateOf));
                cursors += Enumerable.Range(0, ShardCount).Count(shard => decoded.Cursor(shard).Length > 0);
            }
        }
        Assert.Equal(Enum.GetValues<ShardState>().Length, seen.Count); // the walks reach every state
        Assert.True(cursors > 0, "the walks reach no pull past its first chunk");
    }

    [Fact]
    public void A_record_cut_short_anywhere_is_refused()
    {
        var bytes = PullingRecord();
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Contains("runs past the end", Refusal(bytes[..length]));
        }
    }

    [Fact]
    public void A_record_of_another_version_is_refused() =>
        Assert.Contains("version 2, not 1", Refusal(Edit(PullingRecord(), bytes => bytes[0] = 2)));

    [Fact]
    public void A_record_of_another_group_is_refused() =>
        Assert.Contains("recorded for group 1", Refusal(PullingRecord(), groupId: 2));

    [Fact]
    public void A_shard_count_other_than_the_cluster_s_is_refused()
    {
        Assert.Contains("in a cluster of 16", Refusal(PullingRecord(), shardCount: 16));
        var layout = Layout.Of(PullingRecord());
        Assert.Contains("9 shard states", Refusal(Edit(PullingRecord(), bytes => BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(layout.CountAt), ShardCount + 1))));
    }

    [Fact]
    public void Configurations_whose_numbers_are_not_consecutive_are_refused()
    {
        var layout = Layout.Of(PullingRecord());
        // The current configuration's number (after its length and version byte) jumps one ahead: a gap.
        Assert.Contains("not consecutive", Refusal(Edit(PullingRecord(), bytes => BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(layout.CurrentAt + 1), 4))));
        // Or goes back below the previous one: out of order.
        Assert.Contains("not consecutive", Refusal(Edit(PullingRecord(), bytes => BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(layout.CurrentAt + 1), 1))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_configuration_naming_a_group_id_0_or_negative_is_refused(int groupId)
    {
        var layout = Layout.Of(PullingRecord());
        var firstGroupAt = layout.CurrentAt + 1 + 8 + 2 + (4 * ShardCount) + 2;
        Assert.Contains("current configuration: shard configuration breaks an invariant",
            Refusal(Edit(PullingRecord(), bytes => BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(firstGroupAt), groupId))));
    }

    [Fact]
    public void A_state_byte_out_of_range_is_refused()
    {
        var layout = Layout.Of(PullingRecord());
        Assert.Contains("state byte 5 of shard 3 is not a shard state", Refusal(Edit(PullingRecord(), bytes => bytes[layout.StatesAt + 3] = 5)));
        Assert.Contains("state byte 255", Refusal(Edit(PullingRecord(), bytes => bytes[layout.StatesAt] = 255)));
    }

    [Fact]
    public void A_state_that_does_not_fit_the_configurations_owners_is_refused()
    {
        var shards = PullingShards();
        var notOwned = Enumerable.Range(0, ShardCount).First(shard => shards.StateOf(shard) == ShardState.NotOwned && shards.Previous.Owners[shard] != 1);
        var layout = Layout.Of(shards.Encode());
        foreach (var state in new[] { ShardState.Serving, ShardState.WaitingForDrop, ShardState.Offering })
        {
            Assert.Contains($"shard {notOwned} is {state} but", Refusal(Edit(shards.Encode(), bytes => bytes[layout.StatesAt + notOwned] = (byte)state)));
        }
    }

    [Fact]
    public void A_cursor_longer_than_its_record_is_refused()
    {
        var layout = Layout.Of(PullingRecord());
        var refusal = Refusal(Edit(PullingRecord(), bytes => BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(layout.PullsAt + 4), ushort.MaxValue)));
        Assert.Contains("cursor of 65535 bytes runs past the end", refusal);
    }

    [Fact]
    public void A_negative_next_chunk_is_refused()
    {
        var layout = Layout.Of(PullingRecord());
        Assert.Contains("next chunk -1 is negative", Refusal(Edit(PullingRecord(), bytes => BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(layout.PullsAt), -1))));
    }

    [Fact]
    public void Bytes_after_the_record_are_refused() =>
        Assert.Contains("3 bytes after the last pull cursor", Refusal([.. PullingRecord(), 1, 2, 3]));

    [Fact]
    public void Mutated_records_are_decoded_or_refused_never_anything_else()
    {
        const int Seed = 20261207;
        var random = new Random(Seed);
        var corpus = MigrationWalk(Seed, steps: 200).Where(record => record.Bytes.Length > 0).ToList();
        corpus.Add((1, PullingRecord()));
        var refused = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var (groupId, original) = corpus[random.Next(corpus.Count)];
            var mutated = ByteMutations.Apply(original, random);
            try
            {
                GroupShards.Decode(mutated, groupId, ShardCount);
            }
            catch (StorageCorruptException)
            {
                refused++;
            }
            catch (Exception error)
            {
                Assert.Fail($"seed {Seed}, mutation {i}: {error.GetType().Name} escaped decoding: {error.Message}");
            }
        }
        Assert.True(refused > 10_000, $"seed {Seed}: only {refused} of 20000 mutations refused: the mutations miss the fields");
    }

    /// <summary>Group 1's shard states with shard 1 pulling from group 2 after one chunk (its cursor set), the others as a move leaves them.</summary>
    internal static GroupShards PullingShards()
    {
        var controller = new ShardController(ShardCount);
        controller.Join(2, Members(2));
        controller.Join(1, Members(1));
        var one = new GroupShards(1, ShardCount);
        Assert.True(one.Reconfigure(controller.Query(1)!) && one.Reconfigure(controller.Query(2)!));
        var pulling = Enumerable.Range(0, ShardCount).First(shard => one.StateOf(shard) == ShardState.Pulling);
        Assert.True(one.InstallChunk(pulling, 2, chunk: 0, isLast: false, [0, 7, 7, 7]));
        return one;
    }

    private static byte[] PullingRecord() => PullingShards().Encode();

    internal static ShardGroupMember[] Members(int groupId) => [new ShardGroupMember(groupId, $"127.0.0.1:{9000 + groupId}", $"127.0.0.1:{8000 + groupId}")];

    /// <summary>
    /// The records of every group after every step of a seeded random migration: controller changes, reconfigurations,
    /// chunks installed (cursors of random store keys), drops and drop confirmations, as the groups' logs would apply them.
    /// </summary>
    internal static List<(int GroupId, byte[] Bytes)> MigrationWalk(int seed, int steps)
    {
        var random = new Random(seed);
        var controller = new ShardController(ShardCount);
        var groups = Enumerable.Range(1, GroupCount).Select(id => new GroupShards(id, ShardCount)).ToArray();
        var records = new List<(int, byte[])>();
        for (var step = 0; step < steps; step++)
        {
            var group = groups[random.Next(GroupCount)];
            var shard = random.Next(ShardCount);
            var number = group.Current.Number;
            var groupId = random.Next(1, GroupCount + 1);
            _ = random.Next(6) switch
            {
                0 => random.Next(3) switch
                {
                    0 => controller.Join(groupId, Members(groupId)).Accepted,
                    1 => controller.Leave(groupId).Accepted,
                    _ => controller.Move(shard, groupId).Accepted,
                },
                1 => controller.Query(number + 1) is { } next && group.Reconfigure(next),
                2 => group.InstallChunk(shard, number, group.NextChunk(shard), random.Next(3) == 0, RandomKey(random)),
                3 => group.Dropped(shard, number),
                4 => group.DropConfirmed(shard, number),
                _ => false,
            };
            records.Add((group.GroupId, group.Encode()));
        }
        return records;
    }

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[random.Next(2, 24)];
        random.NextBytes(key);
        key[0] = (byte)random.Next(2); // a user or a session store key
        return key;
    }

    private static GroupShards Decode(byte[] bytes, int groupId, int seed)
    {
        try
        {
            return GroupShards.Decode(bytes, groupId, ShardCount);
        }
        catch (StorageCorruptException error)
        {
            Assert.Fail($"seed {seed}: a record GroupShards wrote is refused: {error.Message}");
            throw;
        }
    }

    private static string Refusal(byte[] bytes, int shardCount = ShardCount, int groupId = 1)
    {
        var error = Assert.Throws<StorageCorruptException>(() => GroupShards.Decode(bytes, groupId, shardCount));
        Assert.Contains($"shard states record of group {groupId}", error.Message);
        return error.Message;
    }

    private static byte[] Edit(byte[] bytes, Action<byte[]> edit)
    {
        edit(bytes);
        return bytes;
    }

    /// <summary>Where the fields of a record sit: the current configuration (after its length), the shard count, the states, the pulls.</summary>
    private readonly record struct Layout(int CurrentAt, int CountAt, int StatesAt, int PullsAt)
    {
        public static Layout Of(byte[] bytes)
        {
            var current = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(5));
            var previousAt = 9 + current;
            var countAt = previousAt + 4 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(previousAt));
            return new Layout(9, countAt, countAt + 2, countAt + 2 + ShardCount);
        }
    }
}
