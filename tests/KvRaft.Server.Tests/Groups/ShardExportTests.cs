// Goal: the old owner reads a moving shard's chunks off the event loop, so a pull in flight holds up no other shard:
// writes to shards that do not move, in the old owner's group and in the other, commit while an export is outstanding,
// and the shard arrives whole once the export is handed back; method: a GroupedCluster (three simulated processes, the
// replicated controller, data groups 1 and 2 over 64 shards) whose processes hold every export taken from the nodes (the
// export is an asynchronous input), a shard moved by a ShardMove write to the controller, then the exports released.
// Also: the old owner's replicas that answer no pull (a one-chunk shard is pulled from one of them) drop the moved shard
// without scanning their store in the drop's apply on the event loop: each asks for the offered shards' key index as a
// background export as soon as the shard is offered, and the drop deletes the indexed keys; every replica's drop scans
// are counted by its state machine (MemoryKvStateMachine.DropScans); without the index (the node's AskForDropIndex
// returning at once) the replicas that answered no pull scan: DropScans 1 on two of three.
using System.Text;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;
using KvRaft.Testing.Groups;
using Xunit.Abstractions;

namespace KvRaft.Server.Tests.Groups;

public sealed class ShardExportTests(ITestOutputHelper output)
{
    public static TheoryData<int> Seeds => new(1, 2, 3);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Writes_to_shards_that_do_not_move_commit_while_a_pull_waits_for_the_old_owners_export(int seed)
    {
        var (cluster, writer, moving, shard, from, to) = Start(seed);
        foreach (var process in cluster.Processes)
        {
            process.HoldExports = true;
        }
        Assert.Equal(ClientStatus.Ok, writer.Write(0, new ClientRequest { Op = ClientOp.ShardMove, GroupId = to, Shard = shard }).Status);
        cluster.RunUntil(() => cluster.Processes.Any(process => process.ExportsInFlight > 0));

        // A key of each data group on a shard that stays: the old owner's other shards and the new owner's.
        var configuration = cluster.LatestConfiguration;
        foreach (var group in new[] { from, to })
        {
            var key = Enumerable.Range(0, 1000).Select(i => Encoding.UTF8.GetBytes($"still{i}"))
                .First(candidate => ShardMap.ShardOf(candidate, ShardMap.DefaultShardCount) is var other && other != shard && configuration.Owners[other] == group);
            var started = cluster.Step;
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(ClientStatus.Ok, writer.Write(group, new ClientRequest { Op = ClientOp.Append, Key = key, Value = new[] { (byte)('0' + i) } }).Status);
            }
            output.WriteLine($"group {group}: 5 writes committed in {cluster.Step - started} steps with the export held");
            Assert.Equal(ClientStatus.Ok, cluster.Call(group, new ClientRequest { Op = ClientOp.Get, Key = key }).Status);
        }
        Assert.True(cluster.Processes.Any(process => process.ExportsInFlight > 0), "the export was held throughout");
        Assert.All(cluster.Processes, process => Assert.Equal(ShardState.Pulling, process.Replicas![to].Shards!.StateOf(shard)));

        foreach (var process in cluster.Processes)
        {
            process.HoldExports = false;
        }
        var latest = configuration.Number;
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == latest && shards.Settled));
        var read = cluster.Call(to, new ClientRequest { Op = ClientOp.Get, Key = moving });
        Assert.Equal(ClientStatus.Ok, read.Status);
        Assert.Equal("v0"u8.ToArray(), read.Value.ToArray());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_replica_of_the_old_owner_drops_a_moved_shard_from_an_index_built_off_the_loop(int seed)
    {
        var (cluster, writer, moving, shard, from, to) = Start(seed);
        Assert.Equal(ClientStatus.Ok, writer.Write(0, new ClientRequest { Op = ClientOp.ShardMove, GroupId = to, Shard = shard }).Status);
        var latest = cluster.LatestConfiguration.Number;
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == latest && shards.Settled));

        Assert.All(cluster.Processes, process =>
        {
            var machine = process.MachineOf(from);
            Assert.Equal(ShardState.NotOwned, process.Replicas![from].Shards!.StateOf(shard));
            Assert.Equal(0, machine.DropScans); // before: every follower of the old owner scanned its store in the drop's apply
            Assert.True(machine.ExportScans >= 1, "the index was built by an export scan");
            Assert.Null(machine.Get(moving)); // the drop deleted the indexed key
            Assert.Equal(0, process.Replicas[from].ShardExportsPending);
        });
        Assert.Equal("v0"u8.ToArray(), cluster.Call(to, new ClientRequest { Op = ClientOp.Get, Key = moving }).Value.ToArray());
        output.WriteLine($"export scans per replica of group {from}: {string.Join(", ", cluster.Processes.Select(process => process.MachineOf(from).ExportScans))}");
    }

    /// <summary>Settles the cluster and writes "v0" to the key "moving", of a shard of data group <c>from</c> that moves to <c>to</c>.</summary>
    private (GroupedCluster Cluster, GroupWriter Writer, byte[] Moving, int Shard, int From, int To) Start(int seed)
    {
        output.WriteLine($"seed {seed}");
        var cluster = new GroupedCluster(groups: 3, seed, controllerDataGroups: 2);
        var writer = new GroupWriter(cluster, dataGroups: 2);
        var moving = Encoding.UTF8.GetBytes("moving");
        var shard = ShardMap.ShardOf(moving, ShardMap.DefaultShardCount);
        var from = cluster.LatestConfiguration.Owners[shard];
        Assert.Equal(ClientStatus.Ok, writer.Write(from, new ClientRequest { Op = ClientOp.Put, Key = moving, Value = "v0"u8.ToArray() }).Status);
        return (cluster, writer, moving, shard, from, from == 1 ? 2 : 1);
    }
}
