// Goal: replicas of many groups in one process commit independently, share one commit of the process's log per turn
// (the Ready contract across groups: nothing that depends on a write leaves before that commit), and lose no acknowledged
// write of any group when every process loses power; a message for a group not hosted is refused. Method: GroupedCluster
// (3 simulated processes, each a GroupReplicas over the memory twin of the shared log, group frames as bytes), seeded
// (the seed is in every assertion message); a planted lie (durable reported before the commit) shows the crash check fails.
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Testing.Groups;

namespace KvRaft.Server.Tests.Groups;

public sealed class GroupReplicasTests
{
    [Fact]
    public void Groups_in_one_process_commit_independently_while_one_group_cannot_reach_a_quorum()
    {
        var cluster = new GroupedCluster(groups: 4, seed: 11);
        cluster.ElectAll();
        cluster.RegisterSessions();
        cluster.Network.CutGroups.Add(1);
        var stalled = cluster.NextPut(KeyOfGroup(cluster, 1, 0), "v");
        var stalledId = cluster.Submit(1, stalled.Request);
        foreach (var group in new[] { 0, 2, 3 })
        {
            var (_, request) = cluster.NextPut(KeyOfGroup(cluster, group, 0), "v");
            Assert.Equal(ClientStatus.Ok, cluster.Call(group, request).Status);
        }
        cluster.RunSteps(200);
        Assert.NotEqual(ClientStatus.Ok, cluster.Answer(stalledId)?.Status); // group 1 alone is stuck
        cluster.Network.CutGroups.Clear();
        Assert.Equal(ClientStatus.Ok, cluster.Call(1, stalled.Request).Status); // the same session and sequence, retried
        Assert.Equal("v", Text(cluster.Get(KeyOfGroup(cluster, 1, 0))));
    }

    [Fact]
    public void One_commit_of_the_shared_log_covers_the_writes_of_many_groups()
    {
        const int groups = 8;
        var cluster = new GroupedCluster(groups, seed: 5, commitDelayStepsMax: 0);
        cluster.ElectAll();
        cluster.RegisterSessions();
        var pending = new List<ulong>();
        for (var step = 0; step < 40; step++)
        {
            for (var group = 0; group < groups; group++)
            {
                pending.Add(cluster.Submit(group, cluster.NextPut(KeyOfGroup(cluster, group, step), $"v{step}").Request));
            }
            cluster.RunSteps(1);
        }
        cluster.RunSteps(100);
        Assert.All(pending, id => Assert.Equal(ClientStatus.Ok, cluster.Answer(id)?.Status));
        foreach (var process in cluster.Processes)
        {
            var statistics = process.Replicas!.Statistics;
            // Every commit the process started is one commit of the shared log (one device sync)...
            Assert.Equal(statistics.Commits, process.Log.CommitCount);
            // ...and it covered the writes of several groups: one log per group would have cost a sync per group write.
            Assert.Equal(groups, statistics.GroupsPerCommitMax);
            Assert.True(statistics.GroupsCovered >= 3 * statistics.Commits,
                $"p{process.Id}: {statistics.Commits} commits covered {statistics.GroupsCovered} group writes ({statistics.GroupWrites} Readies)");
        }
    }

    [Fact]
    public void A_power_cut_of_every_process_loses_no_acknowledged_write_of_any_group()
    {
        for (var seed = 1; seed <= 12; seed++)
        {
            var (acknowledged, lost) = PowerCut(seed, ackBeforeDurable: false);
            Assert.True(acknowledged > 0, $"seed {seed}: nothing was acknowledged before the cut");
            Assert.True(lost.Count == 0, $"seed {seed}: acknowledged writes lost: {string.Join(", ", lost)}");
        }
    }

    [Fact]
    public void The_power_cut_check_finds_lost_writes_when_groups_are_told_durable_before_the_shared_commit()
    {
        var lost = 0;
        for (var seed = 1; seed <= 12 && lost == 0; seed++)
        {
            lost += PowerCut(seed, ackBeforeDurable: true).Lost.Count;
        }
        Assert.True(lost > 0, "the planted lie went unnoticed: the power-cut check cannot fail");
    }

    [Fact]
    public void A_message_for_a_group_not_hosted_is_refused_and_a_group_cannot_be_hosted_twice()
    {
        var log = new MemorySharedRaftLog();
        var replicas = new GroupReplicas(log);
        var check = replicas.OnPeerMessage(7, 2, new PeerMessage { Type = PeerMessageType.Heartbeat, From = 2, To = 1, Term = 1 });
        Assert.True(check.IsRefused);
        Assert.Contains("group 7", check.Reason, StringComparison.Ordinal);
        Assert.False(replicas.Hosts(7));
        var cluster = new GroupedCluster(groups: 2, seed: 3);
        var process = cluster.Process(1);
        Assert.Throws<InvalidOperationException>(() => process.Replicas!.Add(1, process.Replicas[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => process.Replicas!.Add(ProtocolLimits.GroupsMax, process.Replicas[0]));
    }

    /// <summary>
    /// Writes to every group under load, cuts the power of every process at a drawn step (commits in flight), restarts
    /// them, and reads back each acknowledged write; returns how many were acknowledged and the keys lost.
    /// </summary>
    private static (int Acknowledged, List<string> Lost) PowerCut(int seed, bool ackBeforeDurable)
    {
        var cluster = new GroupedCluster(groups: 4, seed, commitDelayStepsMax: 3, ackBeforeDurable: ackBeforeDurable);
        cluster.ElectAll();
        cluster.RegisterSessions();
        var submitted = new List<(ulong Id, string Key, string Value)>();
        var steps = 20 + cluster.Random.Next(60);
        for (var step = 0; step < steps; step++)
        {
            for (var i = 0; i < 3; i++)
            {
                var key = $"s{seed}-k{step}-{i}";
                var (group, request) = cluster.NextPut(key, $"v{step}.{i}");
                submitted.Add((cluster.Submit(group, request), key, $"v{step}.{i}"));
            }
            cluster.RunSteps(1);
        }
        var acknowledged = submitted.Where(item => item.Id != 0 && cluster.Answer(item.Id)?.Status == ClientStatus.Ok).ToList();
        cluster.CrashAndRestartAll();
        cluster.ElectAll();
        var lost = acknowledged.Where(item => cluster.Get(item.Key) is var answer && (answer.Status != ClientStatus.Ok || Text(answer) != item.Value))
            .Select(item => item.Key).ToList();
        return (acknowledged.Count, lost);
    }

    /// <summary>The <paramref name="n"/>-th key (of a fixed sequence) that the static map gives to <paramref name="group"/>.</summary>
    private static string KeyOfGroup(GroupedCluster cluster, int group, int n) =>
        Enumerable.Range(0, int.MaxValue).Select(i => $"key-{i}").Where(key => cluster.Map.GroupOf(System.Text.Encoding.UTF8.GetBytes(key)) == group).ElementAt(n);

    private static string Text(ClientResponse response) => System.Text.Encoding.UTF8.GetString(response.Value.Span);
}
