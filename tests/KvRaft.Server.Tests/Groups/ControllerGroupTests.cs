// Goal: group 0 is a replicated shard controller: its writes (GroupJoin, GroupLeave, ShardMove) are entries of its log,
// applied on every replica to the same configurations, kept across a power cut of every process, applied once when
// retried, refused with a reason when they do not fit, refused by a data group; and a ShardQuery is linearizable: it is
// answered only after a read index confirmed by a leader of the current term, so a partitioned old leader or follower
// never answers with a configuration older than one already acknowledged. Method: GroupedCluster (3 simulated
// processes, each a GroupReplicas with a ReplicatedShardController as group 0's state machine extension), seeded (the
// seed is in the messages).
using KvRaft.Protocol;
using KvRaft.Testing.Groups;

namespace KvRaft.Server.Tests.Groups;

public sealed class ControllerGroupTests
{
    private const int DataGroups = 3;

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    public void Controller_writes_give_every_replica_the_same_configurations_and_survive_a_power_cut(int seed)
    {
        var cluster = NewCluster(seed);
        var session = Register(cluster);
        Assert.Equal(2, Ok(cluster, Write(ClientOp.GroupLeave, session, 1, group: 2), seed).ConfigurationNumber);
        var shard = Latest(cluster, seed).Owners.ToList().IndexOf(3);
        Assert.Equal(3, Ok(cluster, Write(ClientOp.ShardMove, session, 2, group: 1, shard: shard), seed).ConfigurationNumber);
        Assert.Equal(4, Ok(cluster, Write(ClientOp.GroupJoin, session, 3, group: 2), seed).ConfigurationNumber);
        var latest = Latest(cluster, seed);
        Assert.Equal(4, latest.Number);
        Assert.Equal(1, Latest(cluster, seed, 3).Owners[shard]);
        cluster.RunSteps(300);
        AssertReplicasAgree(cluster, 4, seed);

        cluster.CrashAndRestartAll();
        cluster.ElectAll();
        Assert.Equal(latest, Latest(cluster, seed));
        cluster.RunSteps(300);
        AssertReplicasAgree(cluster, 4, seed);
    }

    [Fact]
    public void A_retried_controller_write_is_applied_once_and_answers_the_same_configuration()
    {
        const int seed = 5;
        var cluster = NewCluster(seed);
        var session = Register(cluster);
        var move = Write(ClientOp.ShardMove, session, 1, group: 2, shard: Latest(cluster, seed).Owners.ToList().IndexOf(1));
        var first = Ok(cluster, move, seed);
        var retry = Ok(cluster, move, seed); // the same session and sequence, as a client retries after a lost answer
        Assert.Equal(first.ConfigurationNumber, retry.ConfigurationNumber);
        Assert.Equal(2, Latest(cluster, seed).Number);
        var reused = cluster.Call(0, move with { Shard = move.Shard + 1 });
        Assert.Equal(ClientStatus.InvalidArgument, reused.Status);
        Assert.Equal(2, Latest(cluster, seed).Number);
    }

    [Fact]
    public void Controller_writes_that_do_not_fit_are_refused_with_a_reason()
    {
        const int seed = 6;
        var cluster = NewCluster(seed);
        var session = Register(cluster);
        Assert.Contains("not hosted", Refused(cluster, Write(ClientOp.GroupJoin, session, 1, group: 9)));
        Assert.Contains("already in configuration", Refused(cluster, Write(ClientOp.GroupJoin, session, 2, group: 1)));
        Ok(cluster, Write(ClientOp.GroupLeave, session, 3, group: 1), seed);
        Ok(cluster, Write(ClientOp.GroupLeave, session, 4, group: 2), seed);
        Assert.Contains("has not joined", Refused(cluster, Write(ClientOp.ShardMove, session, 5, group: 1, shard: 0)));
        Assert.Contains("last group", Refused(cluster, Write(ClientOp.GroupLeave, session, 6, group: 3)));
        Assert.Contains("group id out of range", Refused(cluster, Write(ClientOp.GroupJoin, session, 7, group: 0))); // never proposed
        Assert.Equal(3, Latest(cluster, seed).Number);
        Assert.Equal(ClientStatus.Ok, Ok(cluster, Write(ClientOp.GroupJoin, session, 7, group: 1), seed).Status); // joins again
        Assert.Contains("served by the controller", cluster.Call(1, new ClientRequest { Op = ClientOp.ShardQuery, ConfigurationNumber = -1 }).Message);
    }

    [Fact]
    public void A_shard_query_is_not_answered_by_a_partitioned_old_leader_or_follower()
    {
        const int seed = 9;
        var cluster = NewCluster(seed);
        var session = Register(cluster);
        var oldLeader = cluster.LeaderOf(0)!.Id;
        cluster.Network.IsolatedProcesses.Add(oldLeader);
        for (var step = 0; step < 3000 && cluster.LeaderOf(0)!.Id == oldLeader; step++)
        {
            cluster.RunSteps(1);
        }
        Assert.NotEqual(oldLeader, cluster.LeaderOf(0)!.Id);
        var moved = Ok(cluster, Write(ClientOp.ShardMove, session, 1, group: 2, shard: Latest(cluster, seed).Owners.ToList().IndexOf(1)), seed);
        Assert.Equal(2, moved.ConfigurationNumber);
        var stale = cluster.SubmitTo(oldLeader, 0, new ClientRequest { Op = ClientOp.ShardQuery, ConfigurationNumber = -1 });
        cluster.RunSteps(400);
        var answer = cluster.Answer(stale);
        Assert.True(answer is null || answer.Value.Status != ClientStatus.Ok, $"seed {seed}: the partitioned old leader answered configuration {answer?.Configuration?.Number}");
        Assert.Equal(1, cluster.Process(oldLeader).Controller!.Latest.Number); // it never learned configuration 2

        // A follower cut off after the change: its ShardQuery needs the leader's read index, which never comes.
        cluster.Network.IsolatedProcesses.Clear();
        cluster.RunSteps(300);
        var cutFollower = cluster.ProcessIds.First(id => id != oldLeader && id != cluster.LeaderOf(0)!.Id);
        cluster.Network.IsolatedProcesses.Add(cutFollower);
        Ok(cluster, Write(ClientOp.ShardMove, session, 2, group: 3, shard: Latest(cluster, seed).Owners.ToList().IndexOf(1)), seed);
        var fromFollower = cluster.SubmitTo(cutFollower, 0, new ClientRequest { Op = ClientOp.ShardQuery, ConfigurationNumber = -1 });
        cluster.RunSteps(400);
        var followerAnswer = cluster.Answer(fromFollower);
        Assert.True(followerAnswer is null || followerAnswer.Value.Status != ClientStatus.Ok || followerAnswer.Value.Configuration!.Number == 3,
            $"seed {seed}: the cut-off follower answered configuration {followerAnswer?.Configuration?.Number}");
    }

    private static GroupedCluster NewCluster(int seed)
    {
        var cluster = new GroupedCluster(groups: DataGroups + 1, seed, controllerDataGroups: DataGroups);
        cluster.ElectAll();
        return cluster;
    }

    private static ulong Register(GroupedCluster cluster)
    {
        var answer = cluster.Call(0, new ClientRequest { Op = ClientOp.RegisterSession });
        Assert.Equal(ClientStatus.Ok, answer.Status);
        return answer.ClientId;
    }

    private static ClientRequest Write(ClientOp op, ulong session, ulong sequence, int group, int shard = 0) =>
        new() { Op = op, ClientId = session, Sequence = sequence, GroupId = group, Shard = shard };

    private static ClientResponse Ok(GroupedCluster cluster, ClientRequest request, int seed)
    {
        var answer = cluster.Call(0, request);
        Assert.True(answer.Status == ClientStatus.Ok, $"seed {seed}: {request.Op} answered {answer.Status}: {answer.Message}");
        return answer;
    }

    private static string Refused(GroupedCluster cluster, ClientRequest request)
    {
        var answer = cluster.Call(0, request);
        Assert.Equal(ClientStatus.InvalidArgument, answer.Status);
        return answer.Message!;
    }

    private static Protocol.Sharding.ShardConfiguration Latest(GroupedCluster cluster, int seed, long number = -1)
    {
        var answer = cluster.Call(0, new ClientRequest { Op = ClientOp.ShardQuery, ConfigurationNumber = number });
        Assert.True(answer.Status == ClientStatus.Ok, $"seed {seed}: ShardQuery answered {answer.Status}: {answer.Message}");
        return answer.Configuration!;
    }

    private static void AssertReplicasAgree(GroupedCluster cluster, long latest, int seed)
    {
        var first = cluster.Process(1).Controller!.Kept;
        Assert.True(first[^1].Number == latest, $"seed {seed}: p1 at configuration {first[^1].Number}");
        foreach (var process in cluster.Processes)
        {
            Assert.True(first.SequenceEqual(process.Controller!.Kept), $"seed {seed}: p{process.Id}'s configurations differ from p1's");
        }
    }
}
