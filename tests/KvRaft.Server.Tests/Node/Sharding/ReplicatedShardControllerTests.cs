// Goal: the controller's state lives in group 0's state machine as its records, so that a snapshot, its install on
// another replica and a recovery from the store's checkpoint rebuild the same configurations; the controller's writes
// are deduplicated by session like any write (a retry answers the first answer, applies nothing); a refusal changes
// nothing and says why; at most ConfigurationsKept configurations are kept, the older records removed. Method: a
// MemoryKvStateMachine with the controller as its extension, fed storage commands as group 0's log would apply them.
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Node.Sharding;

public sealed class ReplicatedShardControllerTests : IDisposable
{
    private const long Session = 77;
    private readonly string _staging = Path.Combine(Path.GetTempPath(), "kvraft-controller-" + Guid.NewGuid().ToString("N"));
    private long _index;

    public void Dispose()
    {
        if (Directory.Exists(_staging))
        {
            Directory.Delete(_staging, recursive: true);
        }
    }

    [Fact]
    public void Before_any_controller_write_the_configurations_are_the_bootstrap()
    {
        var controller = NewController(groups: 3);
        Assert.Equal(1, controller.Latest.Number);
        Assert.Equal([0L, 1L], controller.Kept.Select(configuration => configuration.Number));
        Assert.Equal([1, 2, 3], controller.Latest.Groups.Select(group => group.GroupId));
    }

    [Fact]
    public void Accepted_writes_make_numbered_configurations_and_answer_the_new_number()
    {
        var (machine, controller) = NewMachine(groups: 3);
        Assert.Equal(2, Number(Apply(machine, KvOp.GroupLeave, 1, group: 3)));
        Assert.DoesNotContain(3, controller.Latest.Owners);
        var shard = controller.Latest.Owners.ToList().IndexOf(2);
        Assert.Equal(3, Number(Apply(machine, KvOp.ShardMove, 2, group: 1, shard: shard)));
        Assert.Equal(1, controller.Latest.Owners[shard]);
        Assert.Equal(4, Number(Apply(machine, KvOp.GroupJoin, 3, group: 3)));
        Assert.Contains(3, controller.Latest.Owners);
        Assert.Equal(3, controller.TryGet(3)!.Number);
        Assert.Null(controller.TryGet(5));
    }

    [Fact]
    public void A_retried_controller_write_answers_its_first_answer_and_applies_nothing()
    {
        var (machine, controller) = NewMachine(groups: 2);
        var first = Apply(machine, KvOp.ShardMove, 1, group: 2, shard: 0);
        var retry = Apply(machine, KvOp.ShardMove, 1, group: 2, shard: 0);
        Assert.Equal(KvStatus.Ok, retry.Status);
        Assert.True(retry.Duplicate);
        Assert.Equal(Number(first), Number(retry));
        Assert.Equal(2, controller.Latest.Number);
        var reused = Apply(machine, KvOp.ShardMove, 1, group: 1, shard: 0); // same sequence, another write
        Assert.Equal(KvStatus.SequenceReused, reused.Status);
        Assert.Equal(2, controller.Latest.Number);
    }

    [Fact]
    public void Refusals_say_why_and_change_nothing()
    {
        var (machine, controller) = NewMachine(groups: 2);
        Assert.Contains("not hosted", Refusal(Apply(machine, KvOp.GroupJoin, 1, group: 7)));
        Assert.Contains("already in configuration", Refusal(Apply(machine, KvOp.GroupJoin, 2, group: 1)));
        Assert.Contains("does not exist", Refusal(Apply(machine, KvOp.ShardMove, 3, group: 1, shard: ShardMap.DefaultShardCount)));
        Assert.Equal(2, Number(Apply(machine, KvOp.GroupLeave, 4, group: 2)));
        Assert.Contains("has not joined", Refusal(Apply(machine, KvOp.ShardMove, 5, group: 2, shard: 0)));
        Assert.Contains("last group", Refusal(Apply(machine, KvOp.GroupLeave, 6, group: 1)));
        Assert.Contains("not in configuration", Refusal(Apply(machine, KvOp.GroupLeave, 7, group: 2)));
        Assert.Equal(2, controller.Latest.Number);
        var refusedAgain = Apply(machine, KvOp.GroupLeave, 7, group: 2); // a refusal is an answer: its retry gets it again
        Assert.True(refusedAgain.Duplicate);
        Assert.Contains("not in configuration", Refusal(refusedAgain));
    }

    [Fact]
    public async Task A_snapshot_installed_on_another_replica_carries_the_configurations()
    {
        var (source, controller) = NewMachine(groups: 3);
        Apply(source, KvOp.GroupLeave, 1, group: 2);
        Apply(source, KvOp.ShardMove, 2, group: 3, shard: 9);
        await source.TakeSnapshotAsync([]);
        var (target, installed) = NewMachine(groups: 3, register: false);
        using (var installer = new SnapshotInstaller(target, _staging))
        {
            using var reader = source.LatestSnapshot!.OpenSnapshotReader();
            while (reader.TryReadNext(out var chunk))
            {
                installer.Accept(chunk);
            }
            installer.Complete();
        }
        Assert.Equal(controller.Kept, installed.Kept);
        Assert.Equal(3, installed.Latest.Number);
    }

    [Fact]
    public async Task A_recovery_from_the_checkpoint_rebuilds_the_configurations_the_checkpoint_holds()
    {
        var (machine, controller) = NewMachine(groups: 2);
        Apply(machine, KvOp.ShardMove, 1, group: 2, shard: 0);
        await machine.TakeSnapshotAsync([]);
        Apply(machine, KvOp.ShardMove, 2, group: 2, shard: 1); // after the checkpoint: lost by the crash, replayed from the log
        Assert.Equal(3, controller.Latest.Number);
        var recovered = machine.Recover();
        recovered.Extension = controller;
        Assert.Equal(2, controller.Latest.Number);
        Assert.Equal(2, controller.Latest.Owners[0]);
    }

    [Fact]
    public void At_most_ConfigurationsKept_configurations_are_kept_and_the_older_records_are_removed()
    {
        var controller = NewController(groups: 2);
        var records = new DictionaryRecords();
        controller.Reload(records);
        var moves = ShardController.ConfigurationsKept + 10;
        for (var i = 1; i <= moves; i++)
        {
            var command = new KvCommand(KvOp.ShardMove, ReplicatedShardController.Arguments(1 + (i % 2), 0), ClientId: Session, Sequence: i);
            Assert.Equal(KvStatus.Ok, controller.Execute(command, records).Status);
        }
        Assert.Equal(ShardController.ConfigurationsKept, controller.Kept.Count);
        Assert.Equal(1 + moves, controller.Latest.Number);
        Assert.Null(controller.TryGet(1));
        Assert.Equal(ShardController.ConfigurationsKept + 1, records.Count); // one record per kept configuration, and the range
        var reloaded = NewController(groups: 2);
        reloaded.Reload(records);
        Assert.Equal(controller.Kept, reloaded.Kept);
    }

    private sealed class DictionaryRecords : IExtensionRecords
    {
        private readonly Dictionary<string, byte[]> _records = [];

        public int Count => _records.Count;

        public byte[]? Read(ReadOnlySpan<byte> key) => _records.TryGetValue(Convert.ToHexString(key), out var value) ? [.. value] : null;

        public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _records[Convert.ToHexString(key)] = value.ToArray();

        public void Remove(ReadOnlySpan<byte> key) => _records.Remove(Convert.ToHexString(key));
    }

    private static ReplicatedShardController NewController(int groups)
    {
        var members = new[] { new ShardGroupMember(1, "127.0.0.1:9001", "127.0.0.1:8001"), new ShardGroupMember(2, "127.0.0.1:9002", "127.0.0.1:8002") };
        return new ReplicatedShardController(ShardController.Bootstrap(ShardMap.DefaultShardCount, [.. Enumerable.Range(1, groups).Select(group => new ShardGroup(group, members))]));
    }

    private (MemoryKvStateMachine Machine, ReplicatedShardController Controller) NewMachine(int groups, bool register = true)
    {
        var machine = new MemoryKvStateMachine();
        var controller = NewController(groups);
        machine.Extension = controller;
        if (register)
        {
            machine.ApplyBatch([new KvApply(++_index, 1, new KvCommand(KvOp.RegisterSession, default, ClientId: Session))], []);
        }
        return (machine, controller);
    }

    private KvResult Apply(MemoryKvStateMachine machine, KvOp op, long sequence, int group, int shard = 0)
    {
        var results = new List<KvResult>();
        machine.ApplyBatch([new KvApply(++_index, 1, new KvCommand(op, ReplicatedShardController.Arguments(group, shard), ClientId: Session, Sequence: sequence))], results);
        return results.Single();
    }

    private static long Number(KvResult result)
    {
        Assert.Equal(KvStatus.Ok, result.Status);
        return ReplicatedShardController.AnsweredNumber(result.Value);
    }

    private static string Refusal(KvResult result)
    {
        Assert.Equal(KvStatus.Refused, result.Status);
        return System.Text.Encoding.UTF8.GetString(result.Value!);
    }
}
