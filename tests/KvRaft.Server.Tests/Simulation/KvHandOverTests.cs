// Goal: a leader handing leadership over (as it does before it stops) leaves no client waiting or pausing: writes that
// reach it during the transfer are held, then answered NotLeader naming the new leader (never Retryable, which sent
// clients into growing pauses just as the cluster had a new leader); when its host stops, what it had proposed is
// answered at once and every later request is answered NotLeader. Method: the deterministic KvSimCluster (3 voters,
// no simulated clients), seeded; the test's own requests go on a connection of no simulated client and their answers
// are collected.
using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Tests.Simulation;

public sealed class KvHandOverTests
{
    private const long Connection = 99_000_001; // no simulated client's: its answers land in OtherResponses

    [Theory]
    [InlineData(51UL)]
    [InlineData(52UL)]
    [InlineData(53UL)]
    public void Writes_reaching_a_leader_during_its_hand_over_are_answered_NotLeader_naming_the_new_leader(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 3, clientCount: 0, keyCount: 1);
        RunUntil(cluster, () => cluster.Leader is not null, seed);
        var old = cluster.Leader!;
        var heir = old.Node!.HandOverLeadership();
        Assert.True(heir != 0, $"seed {seed}: no follower to hand over to");

        ulong sent = 0;
        RunUntil(cluster, () =>
        {
            old.Request(Connection, new ClientRequest { Op = ClientOp.RegisterSession, RequestId = ++sent });
            return cluster.Node(heir).Node!.RaftStatus.Role == Role.Leader;
        }, seed);
        RunUntil(cluster, () => cluster.OtherResponses.Count == (int)sent, seed);

        Assert.True(sent > 1, $"seed {seed}: the transfer ended before a second write");
        foreach (var answer in cluster.OtherResponses)
        {
            Assert.True(answer.Status == ClientStatus.NotLeader && answer.LeaderId == heir,
                $"seed {seed}: a write during the hand-over to {heir} was answered {answer.Status} naming {answer.LeaderId}");
        }
    }

    [Fact]
    public void A_stopping_leader_answers_what_it_proposed_at_once_and_later_requests_NotLeader_naming_no_one()
    {
        const ulong seed = 54;
        using var cluster = new KvSimCluster(seed, 3, clientCount: 0, keyCount: 1);
        RunUntil(cluster, () => cluster.Leader is not null, seed);
        var leader = cluster.Leader!;
        cluster.Network.Partition([leader.Id], cluster.Nodes.Where(n => n.Id != leader.Id).Select(n => n.Id));
        leader.Request(Connection, new ClientRequest { Op = ClientOp.RegisterSession, RequestId = 1 });
        cluster.Run(3); // proposed; cut off from its followers, it cannot commit
        Assert.Empty(cluster.OtherResponses);

        leader.Node!.OnStopping();
        leader.Node!.RefuseAfterStop(Connection, new ClientRequest { Op = ClientOp.Put, RequestId = 2, Key = new byte[] { 1 } }, 0);
        leader.Node!.FlushClients();

        Assert.Equal(2, cluster.OtherResponses.Count);
        Assert.Equal(ClientStatus.Retryable, cluster.OtherResponses[0].Status); // proposed: its outcome is unknown
        Assert.Equal((ClientStatus.NotLeader, 0), (cluster.OtherResponses[1].Status, cluster.OtherResponses[1].LeaderId));
    }

    private static void RunUntil(KvSimCluster cluster, Func<bool> done, ulong seed, int ticksMax = 3000)
    {
        for (var tick = 0; tick < ticksMax; tick++)
        {
            if (done())
            {
                return;
            }

            cluster.Run(1);
        }
        Assert.Fail($"seed {seed}: not reached in {ticksMax} ticks");
    }
}
