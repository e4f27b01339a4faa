// Goal: the controller's records (docs/storage-format.md, "Extension records") reach group 0 from its own store and from
// a peer's snapshot, so reloading them validates each and refuses what does not fit with a StorageCorruptException
// naming the record, never an assertion: a range of the wrong length, out of order or wider than ConfigurationsKept, a
// configuration record missing from the kept range or holding another number (a duplicate), one that does not decode
// (cut short, another version, a group id 0 or negative), of another shard count or naming a group the processes do not
// host. A refused Reload or Check changes nothing; a recovery from refused records refuses to start. Method: records of
// a controller after accepted moves, edited at the record under test; a seeded fuzz mutates the records and asserts
// reloading throws nothing but the refusal type.
using System.Buffers.Binary;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;
using KvRaft.Testing;

namespace KvRaft.Server.Tests.Node.Sharding;

public sealed class ControllerRecordValidationTests
{
    private static readonly byte[] RangeKey = [1];

    [Fact]
    public void Records_written_by_accepted_moves_reload_to_the_same_configurations()
    {
        var (controller, records) = ControllerAfterMoves(moves: 5);
        var reloaded = NewController();
        reloaded.Reload(records);
        Assert.Equal(controller.Kept, reloaded.Kept);
        Assert.Equal(6, reloaded.Latest.Number);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(17)]
    public void A_range_record_of_the_wrong_length_is_refused(int length) =>
        Assert.Contains($"the range record holds {length} bytes, not 16", Refusal(records => records.Write(RangeKey, new byte[length])));

    [Theory]
    [InlineData(5, 3)] // out of order
    [InlineData(-1, 4)] // a negative first
    [InlineData(0, 1)] // a last that is the bootstrap's
    [InlineData(2, 2 + ShardController.ConfigurationsKept)] // wider than ConfigurationsKept
    public void A_kept_range_out_of_order_or_out_of_bounds_is_refused(long first, long last) =>
        Assert.Contains($"the kept range {first}..{last}", Refusal(records => records.Write(RangeKey, Range(first, last))));

    [Fact]
    public void A_configuration_record_missing_from_the_kept_range_is_refused() =>
        Assert.Contains("configuration 4, within the kept range, has no record", Refusal(records => records.Remove(ConfigurationKey(4))));

    [Fact]
    public void A_configuration_record_holding_another_number_is_refused()
    {
        // The record of configuration 4 duplicates configuration 3's.
        var refusal = Refusal(records => records.Write(ConfigurationKey(4), records.Read(ConfigurationKey(3))!));
        Assert.Contains("the record of configuration 4 holds configuration 3", refusal);
    }

    [Fact]
    public void A_configuration_record_cut_short_or_of_another_version_is_refused()
    {
        Assert.Contains("the record of configuration 5 does not decode", Refusal(records => records.Write(ConfigurationKey(5), records.Read(ConfigurationKey(5))![..20])));
        Assert.Contains("version unknown", Refusal(records => records.Write(ConfigurationKey(5), Edit(records.Read(ConfigurationKey(5))!, bytes => bytes[0] = 2))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_configuration_naming_a_group_id_0_or_negative_is_refused(int groupId)
    {
        var firstGroupAt = 1 + 8 + 2 + (4 * ShardMap.DefaultShardCount) + 2;
        var refusal = Refusal(records => records.Write(ConfigurationKey(5),
            Edit(records.Read(ConfigurationKey(5))!, bytes => BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(firstGroupAt), groupId))));
        Assert.Contains("the record of configuration 5 does not decode: shard configuration breaks an invariant", refusal);
    }

    [Fact]
    public void A_configuration_of_another_shard_count_is_refused()
    {
        var other = new ShardConfiguration { Number = 5, Owners = new int[16], Groups = [new ShardGroup(1, ShardStateValidationTests.Members(1))] };
        Assert.Contains("holds configuration 5 of 16 shards (the cluster has 64)", Refusal(records => records.Write(ConfigurationKey(5), ShardConfigurationCodec.Encode(other))));
    }

    [Fact]
    public void A_configuration_naming_a_group_the_processes_do_not_host_is_refused()
    {
        var latest = NewController().Latest;
        var stranger = latest with { Number = 5, Groups = [.. latest.Groups, new ShardGroup(7, ShardStateValidationTests.Members(7))] };
        Assert.Contains("configuration 5 names group 7, which the processes do not host", Refusal(records => records.Write(ConfigurationKey(5), ShardConfigurationCodec.Encode(stranger))));
    }

    [Fact]
    public void A_refused_reload_or_check_changes_nothing()
    {
        var (controller, records) = ControllerAfterMoves(moves: 5);
        var kept = controller.Kept.ToArray();
        records.Remove(ConfigurationKey(4));
        Assert.Throws<StorageCorruptException>(() => controller.Check(records));
        Assert.Throws<StorageCorruptException>(() => controller.Reload(records));
        Assert.Equal(kept, controller.Kept);
    }

    [Fact]
    public async Task A_recovery_from_records_that_do_not_reload_refuses_to_start_with_the_reason()
    {
        var machine = new MemoryKvStateMachine();
        var planter = new RecordPlanter();
        machine.Extension = planter;
        machine.ApplyBatch([new KvApply(1, 1, new KvCommand(KvOp.RegisterSession, default, ClientId: 77))], []);
        planter.Plant = records => records.Write(RangeKey, Range(2, 3)); // names configurations 2 and 3, whose records are absent
        machine.ApplyBatch([new KvApply(2, 1, new KvCommand(KvOp.ShardMove, new byte[8], ClientId: 77, Sequence: 1))], []);
        await machine.TakeSnapshotAsync([]);
        var recovered = machine.Recover();
        var error = Assert.Throws<StorageCorruptException>(() => recovered.Extension = NewController());
        Assert.Contains("shard controller records (group 0): configuration 2, within the kept range, has no record", error.Message);
    }

    [Fact]
    public void Mutated_records_are_reloaded_or_refused_never_anything_else()
    {
        const int Seed = 7122026;
        var random = new Random(Seed);
        var (_, original) = ControllerAfterMoves(moves: 6);
        var keys = new[] { RangeKey }.Concat(Enumerable.Range(2, 6).Select(number => ConfigurationKey(number))).ToArray();
        var refused = 0;
        for (var i = 0; i < 5_000; i++)
        {
            var records = original.Copy();
            var key = keys[random.Next(keys.Length)];
            if (random.Next(10) == 0)
            {
                records.Remove(key);
            }
            else
            {
                records.Write(key, ByteMutations.Apply(records.Read(key)!, random));
            }
            try
            {
                NewController().Reload(records);
            }
            catch (StorageCorruptException)
            {
                refused++;
            }
            catch (Exception error)
            {
                Assert.Fail($"seed {Seed}, mutation {i}: {error.GetType().Name} escaped reloading: {error.Message}");
            }
        }
        Assert.True(refused > 2_500, $"seed {Seed}: only {refused} of 5000 mutations refused: the mutations miss the records");
    }

    /// <summary>A controller of groups 1 to 3 after <paramref name="moves"/> accepted moves, and its records (range 0..moves+1).</summary>
    internal static (ReplicatedShardController Controller, DictionaryRecords Records) ControllerAfterMoves(int moves)
    {
        var controller = NewController();
        var records = new DictionaryRecords();
        controller.Reload(records);
        for (var i = 1; i <= moves; i++)
        {
            var target = (controller.Latest.Owners[i] % 3) + 1; // another group than the owner: a new configuration
            var command = new KvCommand(KvOp.ShardMove, ReplicatedShardController.Arguments(target, i), ClientId: 77, Sequence: i);
            Assert.Equal(KvStatus.Ok, controller.Execute(command, records).Status);
        }
        Assert.Equal(1 + moves, controller.Latest.Number);
        return (controller, records);
    }

    internal static ReplicatedShardController NewController() =>
        new(ShardController.Bootstrap(ShardMap.DefaultShardCount, [.. Enumerable.Range(1, 3).Select(group => new ShardGroup(group, ShardStateValidationTests.Members(group)))]));

    internal static byte[] ConfigurationKey(long number)
    {
        var key = new byte[9];
        key[0] = 2;
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), number);
        return key;
    }

    internal static byte[] Range(long first, long last)
    {
        var range = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(range, first);
        BinaryPrimitives.WriteInt64LittleEndian(range.AsSpan(8), last);
        return range;
    }

    private static string Refusal(Action<DictionaryRecords> edit)
    {
        var (_, records) = ControllerAfterMoves(moves: 5);
        edit(records);
        Assert.Throws<StorageCorruptException>(() => NewController().Check(records));
        var error = Assert.Throws<StorageCorruptException>(() => NewController().Reload(records));
        Assert.Contains("shard controller records (group 0): ", error.Message);
        return error.Message;
    }

    private static byte[] Edit(byte[] bytes, Action<byte[]> edit)
    {
        edit(bytes);
        return bytes;
    }

    /// <summary>Extension records in a dictionary, as the state machine keeps them.</summary>
    internal sealed class DictionaryRecords : IExtensionRecords
    {
        private readonly Dictionary<string, byte[]> _records = [];

        public byte[]? Read(ReadOnlySpan<byte> key) => _records.TryGetValue(Convert.ToHexString(key), out var value) ? [.. value] : null;

        public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _records[Convert.ToHexString(key)] = value.ToArray();

        public void Remove(ReadOnlySpan<byte> key) => _records.Remove(Convert.ToHexString(key));

        public DictionaryRecords Copy()
        {
            var copy = new DictionaryRecords();
            foreach (var (key, value) in _records)
            {
                copy._records[key] = value;
            }
            return copy;
        }
    }

    /// <summary>Test code only: an extension that writes whatever records it is told to when a controller write applies (a malformed store or snapshot).</summary>
    internal sealed class RecordPlanter : ICommandExtension
    {
        public Action<IExtensionRecords>? Plant { get; set; }

        public KvResult Execute(in KvCommand command, IExtensionRecords records)
        {
            Plant?.Invoke(records);
            return new KvResult(KvStatus.Ok, new byte[8]);
        }

        public void Reload(IExtensionRecords records) { }

        public void Check(IExtensionRecords records) { }
    }
}
