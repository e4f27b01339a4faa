// Goal: idle groups quiesce (GroupReplicas.QuiesceAfterTicks): once a group has had nothing but heartbeats for its
// bound, none of its replicas ticks, so it sends nothing at all while a busy group of the same processes keeps
// committing; a request wakes a quiesced group, which commits it under the same leader and term (no election), and its
// peers wake with the leader's Append; a quiesced leader asked to hand over wakes and its group is led by the process it
// chose. Method: GroupedCluster's simulated processes (lock-step turns, seeded delays),
// frames counted per group by the simulated network; seeds printed in the assertion messages.
using System.Text;
using KvRaft.Protocol;
using KvRaft.Testing.Groups;

namespace KvRaft.Server.Tests.Groups;

public sealed class QuiesceTests
{
    private const int QuiesceAfterTicks = 100;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Idle_groups_send_nothing_once_quiesced_while_a_busy_group_keeps_committing(int seed)
    {
        var cluster = new GroupedCluster(groups: 3, seed, quiesceAfterTicks: QuiesceAfterTicks);
        cluster.ElectAll();
        cluster.RegisterSessions();
        var terms = Terms(cluster);
        var busyKey = KeyOf(cluster, group: 0);
        for (var i = 0; i < 2 * QuiesceAfterTicks / 10 + 10; i++) // long enough for the idle groups' leaders to quiesce
        {
            Put(cluster, busyKey, "v" + i);
            cluster.RunSteps(10);
        }
        Assert.All(cluster.Processes, process => Assert.True(process.Replicas!.IsQuiesced(1) && process.Replicas.IsQuiesced(2), $"seed {seed}: p{process.Id}"));
        var before = new Dictionary<int, long>(cluster.Network.SentByGroup);
        for (var i = 0; i < 20; i++)
        {
            Put(cluster, busyKey, "w" + i);
            cluster.RunSteps(10);
        }
        Assert.True(cluster.Network.SentByGroup[0] > before[0], $"seed {seed}: the busy group sent nothing");
        Assert.Equal(before.GetValueOrDefault(1), cluster.Network.SentByGroup.GetValueOrDefault(1));
        Assert.Equal(before.GetValueOrDefault(2), cluster.Network.SentByGroup.GetValueOrDefault(2));
        Assert.Equal(terms[1..], Terms(cluster)[1..]); // the idle groups held no election
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_request_wakes_a_quiesced_group_which_commits_it_under_the_same_leader_and_term(int seed)
    {
        var cluster = new GroupedCluster(groups: 2, seed, quiesceAfterTicks: QuiesceAfterTicks);
        cluster.ElectAll();
        cluster.RegisterSessions();
        var leader = cluster.LeaderOf(1)!.Id;
        var terms = Terms(cluster);
        cluster.RunSteps(3 * QuiesceAfterTicks);
        Assert.All(cluster.Processes, process => Assert.True(process.Replicas!.IsQuiesced(1), $"seed {seed}: p{process.Id}"));
        var key = KeyOf(cluster, group: 1);
        Assert.Equal(ClientStatus.Ok, Put(cluster, key, "after").Status);
        Assert.Equal("after", Encoding.UTF8.GetString(cluster.Get(key).Value.Span));
        Assert.Equal(leader, cluster.LeaderOf(1)!.Id);
        Assert.Equal(terms, Terms(cluster));
        Assert.All(cluster.Processes, process => Assert.False(process.Replicas!.IsQuiesced(1), $"seed {seed}: p{process.Id} slept through the Append"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_quiesced_leader_asked_to_hand_over_wakes_and_its_group_is_led_by_the_chosen_process(int seed)
    {
        var cluster = new GroupedCluster(groups: 2, seed, quiesceAfterTicks: QuiesceAfterTicks);
        cluster.ElectAll();
        cluster.RegisterSessions();
        var leader = cluster.LeaderOf(1)!;
        var term = leader.Replicas![1].RaftStatus.Term;
        cluster.RunSteps(3 * QuiesceAfterTicks);
        Assert.True(leader.Replicas.IsQuiesced(1), $"seed {seed}: the idle leader did not quiesce");

        var transfers = leader.Replicas.HandOverLeadership();

        Assert.False(leader.Replicas.IsQuiesced(1), $"seed {seed}: the leader handing over still sleeps");
        var target = Assert.Single(transfers, transfer => transfer.Group == 1).Target;
        Assert.True(target != 0 && target != leader.Id, $"seed {seed}: handed over to {target}");
        cluster.RunSteps(QuiesceAfterTicks);
        var heir = cluster.LeaderOf(1)!;
        Assert.Equal(target, heir.Id);
        Assert.True(heir.Replicas![1].RaftStatus.Term > term, $"seed {seed}: term {heir.Replicas[1].RaftStatus.Term} after {term}");
    }

    private static ClientResponse Put(GroupedCluster cluster, string key, string value)
    {
        var (group, request) = cluster.NextPut(key, value);
        return cluster.Call(group, request);
    }

    private static long[] Terms(GroupedCluster cluster) =>
        [.. Enumerable.Range(0, cluster.Groups).Select(group => cluster.LeaderOf(group)!.Replicas![group].RaftStatus.Term)];

    private static string KeyOf(GroupedCluster cluster, int group) =>
        Enumerable.Range(0, 1000).Select(i => "key-" + i).First(key => cluster.Map.GroupOf(Encoding.UTF8.GetBytes(key)) == group);
}
