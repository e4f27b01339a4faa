// Goal: live migration between data groups keeps every acknowledged append, applies none twice, serves no stale read and
// moves the sessions with the shards, through moves, a power cut of every process and restarts; method: a GroupedCluster
// of three simulated processes hosting the replicated controller (group 0) and data groups 1 and 2 over 64 shards, shards
// moved by ShardMove writes to the controller, a process cut off across a move, MigrationWorkload clients that route by a cached configuration, every key checked at
// the end; planted bugs (test decorators only) each caught by the check that names it, the same seed passing without.
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;
using KvRaft.Testing.Groups;
using Xunit.Abstractions;

namespace KvRaft.Server.Tests.Groups;

public sealed class MigrationTests(ITestOutputHelper output)
{
    private const int Keys = 16;

    public static TheoryData<int> Seeds => new(Enumerable.Range(1, 6));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Shards_move_under_a_partition_and_a_power_cut_with_every_acknowledged_append_applied_once_and_no_stale_read(int seed)
    {
        var verdict = Run(seed, MigrationPlant.None);
        output.WriteLine($"seed {seed}: {verdict}");
        Assert.True(verdict.Passed, $"seed {seed}: {verdict}");
        Assert.True(verdict.Acknowledged > 100, $"seed {seed}: {verdict}");
    }

    [Fact]
    public void Installing_the_data_without_the_sessions_is_caught_by_the_sessions_check()
    {
        const int seed = 1;
        var planted = Run(seed, MigrationPlant.InstallWithoutSessions);
        output.WriteLine($"planted: {planted}");
        Assert.NotEmpty(planted.SessionsNotMoved);
        Assert.True(Run(seed, MigrationPlant.None).Passed);
    }

    [Fact]
    public void Serving_a_pulling_shard_before_its_data_arrived_is_caught_by_the_lost_appends_and_stale_reads_checks()
    {
        const int seed = 2;
        var planted = Run(seed, MigrationPlant.ServeBeforeDataArrived);
        output.WriteLine($"planted: {planted}");
        Assert.NotEmpty(planted.LostAcknowledgedAppends);
        Assert.True(Run(seed, MigrationPlant.None).Passed);
    }

    private static MigrationVerdict Run(int seed, MigrationPlant plant)
    {
        var cluster = new GroupedCluster(groups: 3, seed, controllerDataGroups: 2, wrapMachine: MigrationPlants.WrapMachine(plant));
        MigrationPlants.Intercept(cluster, plant);
        cluster.ElectAll();
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == 1));
        var controllerSession = cluster.Call(0, new ClientRequest { Op = ClientOp.RegisterSession }).ClientId;
        var workload = new MigrationWorkload(cluster, clients: 4, keys: Keys);
        workload.RegisterSessions();
        var random = new Random(seed);
        var moves = 0;
        for (var step = 1; step <= 5000; step++)
        {
            if (step % 700 == 0)
            {
                // The shard of a key the clients use, to the other data group, through the controller's log.
                var shard = ShardMap.ShardOf(System.Text.Encoding.UTF8.GetBytes("key" + random.Next(Keys)), ShardMap.DefaultShardCount);
                var to = cluster.LatestConfiguration.Owners[shard] == 1 ? 2 : 1;
                var answer = cluster.Call(0, new ClientRequest { Op = ClientOp.ShardMove, ClientId = controllerSession, Sequence = (ulong)++moves, GroupId = to, Shard = shard });
                Assert.True(answer.Status == ClientStatus.Ok, $"seed {seed}: move answered {answer.Status} {answer.Message}");
            }
            if (step == 1300)
            {
                cluster.Network.IsolatedProcesses.Add(1 + random.Next(3)); // a partition across the move at step 1400
            }
            if (step == 1900)
            {
                cluster.Network.IsolatedProcesses.Clear();
            }
            if (step == 2600)
            {
                cluster.CrashAndRestartAll();
            }
            workload.Step();
            cluster.RunSteps(1);
        }
        var verdict = workload.Finish(moves);
        var latest = cluster.LatestConfiguration.Number;
        cluster.RunUntil(() => cluster.DataReplicas().All(shards => shards.Current.Number == latest && shards.Settled));
        return verdict;
    }
}
