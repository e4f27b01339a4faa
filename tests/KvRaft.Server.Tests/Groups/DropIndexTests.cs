// Goal: the old owner's replicas that answer no pull (a one-chunk shard is pulled from one of them) drop a moved shard
// without scanning their store in the drop's apply on the event loop: each asks for the offered shards' key index as a
// background export (an asynchronous input, like a pull's export) as soon as the shard is offered, and the drop deletes
// the indexed keys; method: a GroupedCluster (three simulated processes, the replicated controller, data groups 1 and 2
// over 64 shards; exports handed back after drawn delays) moves one shard by a ShardMove write to the controller; every
// replica's drop scans are counted by its state machine (MemoryKvStateMachine.DropScans). Without the index (the node's
// AskForDropIndex returning at once) the replicas that answered no pull scan: DropScans 1 on them.
using System.Text;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;
using Xunit.Abstractions;

namespace KvRaft.Server.Tests.Groups;

public sealed class DropIndexTests(ITestOutputHelper output)
{
    public static TheoryData<int> Seeds => new(1, 2, 3);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_replica_of_the_old_owner_drops_a_moved_shard_from_an_index_built_off_the_loop(int seed)
    {
        output.WriteLine($"seed {seed}");
        var cluster = new GroupedCluster(groups: 3, seed, controllerDataGroups: 2);
        cluster.ElectAll();
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == 1));
        var sessions = new Dictionary<int, (ulong Id, ulong Sequence)>();
        for (var group = 0; group <= 2; group++)
        {
            sessions[group] = (cluster.Call(group, new ClientRequest { Op = ClientOp.RegisterSession }).ClientId, 0);
        }
        ClientResponse Write(int group, ClientRequest request)
        {
            var (id, sequence) = sessions[group];
            sessions[group] = (id, sequence + 1);
            return cluster.Call(group, request with { ClientId = id, Sequence = sequence + 1 });
        }

        var moving = Encoding.UTF8.GetBytes("moving");
        var shard = ShardMap.ShardOf(moving, ShardMap.DefaultShardCount);
        var from = cluster.LatestConfiguration.Owners[shard];
        var to = from == 1 ? 2 : 1;
        Assert.Equal(ClientStatus.Ok, Write(from, new ClientRequest { Op = ClientOp.Put, Key = moving, Value = "v0"u8.ToArray() }).Status);
        Assert.Equal(ClientStatus.Ok, Write(0, new ClientRequest { Op = ClientOp.ShardMove, GroupId = to, Shard = shard }).Status);
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
}
