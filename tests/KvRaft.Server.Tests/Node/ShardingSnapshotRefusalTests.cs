// Goal: a snapshot a leader streams carries the sharding state (a data group's shard states record, the controller
// group's configuration records), and a node that installed a malformed one would stop or be bricked at its next start;
// so the staged snapshot's sharding content is checked before it replaces anything: one that does not fit is refused
// with the reason, the node keeps its state and keeps following its leader, and the same snapshot with well-formed
// content installs; a node whose own store holds such a record refuses to start, saying which. Method: a SnapshotFollower of a data group (group 1) or of the controller group (group 0), fed by
// hand the chunks of a snapshot of a MemoryKvStateMachine whose sharding records were planted (test code only).
using KvRaft.Server.Node;
using KvRaft.Server.Node.Sharding;
using KvRaft.Server.Tests.Node.Sharding;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Node;

public sealed class ShardingSnapshotRefusalTests
{
    private const long SnapshotIndex = 10, SnapshotTerm = 2;

    [Fact]
    public void A_snapshot_whose_shard_states_do_not_fit_is_refused_and_the_node_keeps_its_state()
    {
        var controller = ControllerRecordValidationTests.NewController();
        using var follower = new SnapshotFollower(ownEntries: 3, routing: new GroupRouting(1, controller));
        var states = new GroupShards(1, controller.Latest.ShardCount);
        Assert.True(states.Reconfigure(controller.Latest)); // the group's first configuration: well-formed states
        var wellFormed = states.Encode();
        var malformed = wellFormed.ToArray();
        malformed[^1] = 9; // the last shard's state byte: no shard state

        var verdict = Deliver(follower, DataGroupSnapshot(malformed));

        Assert.Equal(PeerVerdict.Ignored, verdict.Verdict);
        Assert.Contains("shard states record of group 1: state byte 9 of shard 63 is not a shard state", verdict.Reason);
        Assert.Equal(0, follower.Machine.AppliedIndex);
        Assert.Equal(0, follower.Node.Shards!.Current.Number);
        Assert.False(follower.Append(prevIndex: 3, prevTerm: 1).Reject); // it still follows its leader

        verdict = Deliver(follower, DataGroupSnapshot(wellFormed));

        Assert.Equal(PeerVerdict.Accepted, verdict.Verdict);
        Assert.Equal(SnapshotIndex, follower.Machine.AppliedIndex);
        Assert.Equal(1, follower.Node.Shards!.Current.Number);
    }

    [Fact]
    public void A_snapshot_whose_controller_records_do_not_reload_is_refused_and_the_controller_keeps_its_configurations()
    {
        var controller = ControllerRecordValidationTests.NewController();
        using var follower = new SnapshotFollower(ownEntries: 3, routing: new GroupRouting(0, controller));
        var planter = new ControllerRecordValidationTests.RecordPlanter
        {
            Plant = records => records.Write([1], ControllerRecordValidationTests.Range(2, 3)), // configurations 2 and 3 have no record
        };

        var verdict = Deliver(follower, ControllerSnapshot(planter));

        Assert.Equal(PeerVerdict.Ignored, verdict.Verdict);
        Assert.Contains("shard controller records (group 0): configuration 2, within the kept range, has no record", verdict.Reason);
        Assert.Equal(0, follower.Machine.AppliedIndex);
        Assert.Equal(1, controller.Latest.Number);
        Assert.False(follower.Append(prevIndex: 3, prevTerm: 1).Reject);

        verdict = Deliver(follower, ControllerSnapshot(ControllerRecordValidationTests.NewController()));

        Assert.Equal(PeerVerdict.Accepted, verdict.Verdict);
        Assert.Equal(SnapshotIndex, follower.Machine.AppliedIndex);
        Assert.Equal(2, controller.Latest.Number);
    }

    [Fact]
    public async Task A_node_whose_own_store_holds_malformed_shard_states_refuses_to_start_with_the_reason()
    {
        var controller = ControllerRecordValidationTests.NewController();
        using var follower = new SnapshotFollower(ownEntries: 3, routing: new GroupRouting(1, controller));
        var states = new GroupShards(1, controller.Latest.ShardCount);
        Assert.True(states.Reconfigure(controller.Latest));
        var malformed = states.Encode()[..^1]; // cut short: the last shard's state is missing
        follower.Machine.ApplyBatch([new KvApply(1, 1, new KvCommand(KvOp.Reconfigure, default, malformed))], []);
        await follower.Machine.TakeSnapshotAsync([]); // the checkpoint a restart loads

        var error = Assert.Throws<StorageCorruptException>(follower.CrashAndRestart);

        Assert.Contains("shard states record of group 1: state byte runs past the end of the record", error.Message);
    }

    /// <summary>Delivers every chunk and the Snapshot message, takes the Readies; returns the verdict on the last chunk (where the file is verified).</summary>
    private static PeerCheck Deliver(SnapshotFollower follower, LeaderSnapshot snapshot)
    {
        var verdict = default(PeerCheck);
        foreach (var chunk in snapshot.Chunks)
        {
            verdict = follower.Node.OnSnapshotChunk(1, chunk);
        }
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: SnapshotTerm));
        follower.HandleReadies();
        return verdict;
    }

    /// <summary>A data group's snapshot at (10, 2) whose last entry recorded <paramref name="shardStates"/> (as a Reconfigure applies).</summary>
    private static LeaderSnapshot DataGroupSnapshot(byte[] shardStates)
    {
        var machine = new MemoryKvStateMachine();
        Fill(machine, SnapshotIndex - 1);
        machine.ApplyBatch([new KvApply(SnapshotIndex, SnapshotTerm, new KvCommand(KvOp.Reconfigure, default, shardStates))], []);
        return LeaderSnapshot.Of(machine);
    }

    /// <summary>The controller group's snapshot at (10, 2) after one controller write, executed by <paramref name="extension"/>.</summary>
    private static LeaderSnapshot ControllerSnapshot(ICommandExtension extension)
    {
        var machine = new MemoryKvStateMachine { Extension = extension };
        Fill(machine, SnapshotIndex - 2);
        machine.ApplyBatch([new KvApply(SnapshotIndex - 1, SnapshotTerm, new KvCommand(KvOp.RegisterSession, default, ClientId: 77))], []);
        var move = ReplicatedShardController.Arguments(groupId: 2, shard: 0); // shard 0 is group 1's at configuration 1
        var results = new List<KvResult>();
        machine.ApplyBatch([new KvApply(SnapshotIndex, SnapshotTerm, new KvCommand(KvOp.ShardMove, move, ClientId: 77, Sequence: 1))], results);
        Assert.Equal(KvStatus.Ok, Assert.Single(results).Status);
        return LeaderSnapshot.Of(machine);
    }

    private static void Fill(MemoryKvStateMachine machine, long lastIndex)
    {
        for (long index = 1; index <= lastIndex; index++)
        {
            machine.ApplyBatch([new KvApply(index, SnapshotTerm, new KvCommand(KvOp.Put, LeaderSnapshot.Bytes("k" + index), LeaderSnapshot.Bytes("v" + index)))], []);
        }
    }
}
