// Goal: a leader asked to remove itself hands leadership over first, so the cluster has a new leader by TimeoutNow (no
// pre-vote, no election timeout of silence), the request is answered NotLeader naming the new leader, and the new
// leader removes the old one when the client retries there (the removal is idempotent); when the hand-over is
// abandoned the old leader proposes its own removal, as without one. Method: the deterministic KvSimCluster (3
// voters, simulated clients writing), seeded; the test's own requests go on a connection of no simulated client, the
// peer messages are watched (and TimeoutNow dropped for the abandoned hand-over) through the network's intercept.
using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Tests.Simulation;

public sealed class KvRemoveLeaderTests
{
    private const long Connection = 99_000_002; // no simulated client's: its answers land in OtherResponses
    private const int ElectionTicks = 10; // KvSimNode's

    [Theory]
    [InlineData(61UL)]
    [InlineData(62UL)]
    [InlineData(63UL)]
    [InlineData(64UL)]
    public void A_leader_removing_itself_hands_over_by_TimeoutNow_and_the_new_leader_removes_it(ulong seed)
    {
        using var cluster = new KvSimCluster(seed, 3, clientCount: 3, keyCount: 4);
        RunUntil(cluster, () => cluster.Leader is not null, seed);
        cluster.Run(50); // writes under way
        var old = cluster.Leader!;
        var term = old.Node!.RaftStatus.Term;
        var timeoutNows = new List<int>();
        var preVotes = 0;
        cluster.Network.Intercept = (from, message) =>
        {
            if (message.Type == PeerMessageType.TimeoutNow && from == old.Id && message.Context == 0)
            {
                timeoutNows.Add(message.To);
            }

            preVotes += message.Type == PeerMessageType.PreVote ? 1 : 0;
            return true;
        };

        old.Request(Connection, new ClientRequest { Op = ClientOp.RemoveMember, TargetNodeId = old.Id, RequestId = 1 });
        var target = old.Node!.LeadTransferee;
        Assert.True(target != 0, $"seed {seed}: no hand-over started");
        RunUntil(cluster, () => old.Node!.RaftStatus.Role != Role.Leader, seed, load: true);
        var steppedDown = cluster.Tick;
        RunUntil(cluster, () => cluster.Node(target).Node!.RaftStatus.Role == Role.Leader, seed, load: true);
        Assert.True(cluster.Tick - steppedDown < ElectionTicks, $"seed {seed}: no leader for {cluster.Tick - steppedDown} ticks");
        RunUntil(cluster, () => cluster.OtherResponses.Count == 1, seed, load: true);
        var answer = cluster.OtherResponses[0];
        var heir = cluster.Leader!;
        Assert.True(heir.Id != old.Id, $"seed {seed}: the old leader still leads");
        Assert.True((answer.Status, answer.LeaderId) == (ClientStatus.NotLeader, heir.Id), $"seed {seed}: answered {answer.Status} naming {answer.LeaderId}, not NotLeader naming {heir.Id}");
        Assert.True(timeoutNows.SequenceEqual([heir.Id]), $"seed {seed}: TimeoutNow sent to [{string.Join(',', timeoutNows)}], the new leader is {heir.Id}");
        Assert.True(preVotes == 0, $"seed {seed}: {preVotes} pre-votes: an election timed out");
        Assert.True(heir.Node!.RaftStatus.Term == term + 1, $"seed {seed}: term {heir.Node!.RaftStatus.Term} after {term}: more than the transfer's election");

        ulong requestId = 1;
        RunUntil(cluster, () =>
        {
            if (cluster.OtherResponses[^1].Status != ClientStatus.Ok)
            {
                heir.Request(Connection, new ClientRequest { Op = ClientOp.RemoveMember, TargetNodeId = old.Id, RequestId = ++requestId });
            }
            return cluster.OtherResponses[^1].Status == ClientStatus.Ok;
        }, seed, load: true);
        Assert.All(cluster.OtherResponses.Skip(1).SkipLast(1), retry => Assert.Equal(ClientStatus.Retryable, retry.Status)); // its first entry not applied yet
        RunUntil(cluster, () => cluster.Nodes.Where(n => n != old).All(n => !n.Node!.Config.IsMember(old.Id)), seed, load: true);
        Assert.Equal(heir.Id, cluster.Leader!.Id);
        Assert.Equal(term + 1, cluster.Leader!.Node!.RaftStatus.Term);
        Assert.Equal(0, preVotes);

        cluster.Run(100);
        cluster.Drain();
        cluster.CheckLinearizable();
    }

    [Fact]
    public void A_leader_whose_hand_over_is_abandoned_proposes_its_own_removal()
    {
        const ulong seed = 65;
        using var cluster = new KvSimCluster(seed, 3, clientCount: 0, keyCount: 1);
        RunUntil(cluster, () => cluster.Leader is not null, seed);
        var old = cluster.Leader!;
        cluster.Network.Intercept = (_, message) => message.Type != PeerMessageType.TimeoutNow; // the transfer never ends

        old.Request(Connection, new ClientRequest { Op = ClientOp.RemoveMember, TargetNodeId = old.Id, RequestId = 1 });
        Assert.NotEqual(0, old.Node!.LeadTransferee);
        RunUntil(cluster, () => cluster.OtherResponses.Count == 1, seed);

        Assert.Equal(ClientStatus.Ok, cluster.OtherResponses[0].Status); // proposed once abandoned, applied
        Assert.False(old.Node!.Config.IsMember(old.Id));
        RunUntil(cluster, () => cluster.Leader is { } leader && leader.Id != old.Id, seed);
    }

    private static void RunUntil(KvSimCluster cluster, Func<bool> done, ulong seed, bool load = false, int ticksMax = 3000)
    {
        for (var tick = 0; tick < ticksMax; tick++)
        {
            if (done())
            {
                return;
            }

            cluster.Run(1, load);
        }
        Assert.Fail($"seed {seed}: not reached in {ticksMax} ticks");
    }
}
