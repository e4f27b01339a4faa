// Goal: a follower that sees its leader's connection close (ReportUnreachable) campaigns within a fifth of an election
// timeout when the leader is really gone, deposes nobody when it alone lost the link, and does nothing with lease reads;
// a pre-candidate that wins the tie asks the loser again. Method: TestNetwork clusters and a Solo node, fixed seeds.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Data;

namespace KvRaft.Raft.Tests;

public sealed class LeaderLossTests
{
    private static readonly NodeOptions Options = new() { ElectionTicks = 30, HeartbeatTicks = 3, PreVote = true, CheckQuorum = true };

    // Fifth of the election timeout, plus the tick of the campaign itself.
    private static int LossDelayTicksMax => 2 + (Options.ElectionTicks / 5);

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void Survivors_that_lose_a_killed_leader_s_connection_elect_another_within_a_fifth_of_an_election_timeout(ulong seed)
    {
        var net = new TestNetwork(3, seed, Options);
        var old = net.CheckOneLeader();
        net.Tick(Options.HeartbeatTicks); // a heartbeat has just reset both followers' timers
        var term = net.Node(old).Term;
        net.Crash(old);
        int[] rest = [.. net.Ids.Where(id => id != old)];
        foreach (var id in rest)
        {
            net.Node(id).ReportUnreachable(old); // the dead process's sockets closed
            Assert.Equal(0, net.Node(id).Leader);
        }

        var leader = 0;
        for (var tick = 0; tick < LossDelayTicksMax && leader == 0; tick++)
        {
            net.Tick();
            leader = rest.FirstOrDefault(id => net.Node(id).Role == Role.Leader);
        }

        Assert.True(leader != 0, $"no leader within {LossDelayTicksMax} ticks ({net.Tag})");
        Assert.Equal(term + 1, net.Node(leader).Term);
    }

    [Theory]
    [InlineData(5UL)]
    [InlineData(6UL)]
    public void A_follower_whose_link_to_a_live_leader_alone_closed_deposes_nobody(ulong seed)
    {
        var net = new TestNetwork(3, seed, Options);
        var leader = net.CheckOneLeader();
        var term = net.Node(leader).Term;
        var follower = net.Ids.First(id => id != leader);
        net.Node(follower).ReportUnreachable(leader);
        net.Cut.Add((leader, follower)); // the link stays down for a while; the other follower still hears the leader
        net.Cut.Add((follower, leader));
        net.Tick(LossDelayTicksMax + Options.HeartbeatTicks);
        Assert.Equal(Role.Leader, net.Node(leader).Role);
        Assert.Equal(term, net.Node(leader).Term);
        Assert.NotEqual(Role.Leader, net.Node(follower).Role);
        net.Cut.Clear();
        net.Tick(Options.HeartbeatTicks);
        Assert.Equal(leader, net.Node(follower).Leader); // the next heartbeat brings it back
        Assert.Equal(term, net.Node(follower).Term);
    }

    [Theory]
    [InlineData(7UL)]
    [InlineData(8UL)]
    public void A_follower_whose_connection_reset_while_the_leader_kept_sending_stays_with_that_leader(ulong seed)
    {
        var net = new TestNetwork(3, seed, Options);
        var leader = net.CheckOneLeader();
        var term = net.Node(leader).Term;
        var follower = net.Ids.First(id => id != leader);
        net.Node(follower).ReportUnreachable(leader); // the link came back at once: heartbeats keep arriving
        net.Tick(Options.ElectionTicks);
        Assert.Equal(Role.Leader, net.Node(leader).Role);
        Assert.All(net.Ids, id => Assert.Equal(term, net.Node(id).Term));
        Assert.Equal(leader, net.Node(follower).Leader);
    }

    [Fact]
    public void With_lease_reads_a_closed_connection_changes_nothing_before_an_election_timeout()
    {
        var net = new TestNetwork(3, 8, Options with { LeaseReads = true });
        var old = net.CheckOneLeader();
        net.Tick(Options.HeartbeatTicks);
        net.Crash(old);
        int[] rest = [.. net.Ids.Where(id => id != old)];
        foreach (var id in rest)
        {
            net.Node(id).ReportUnreachable(old);
            Assert.Equal(old, net.Node(id).Leader); // the leader's lease counts on these followers' silence
        }

        net.Tick(Options.ElectionTicks - Options.HeartbeatTicks - 1);
        Assert.All(rest, id => Assert.Equal(Role.Follower, net.Node(id).Role));
        Assert.NotEqual(0, net.CheckOneLeader()); // a timeout elects one later
    }

    [Fact]
    public void A_pre_candidate_that_wins_the_tie_refuses_and_asks_the_loser_for_its_pre_vote_again()
    {
        var solo = new Solo(3, new[] { 1, 2, 3 }, new[] { E(1, 1), E(2, 2), E(3, 2) }, new HardState(2, 0, 0), Options);
        solo.Node.Campaign();
        solo.Drain();
        var sent = solo.Step(Solo.VoteRequest(2, 3, 3, 2, preVote: true));
        var reply = Assert.Single(sent, m => m.Type == MessageType.PreVoteResponse);
        Assert.True(reply.Reject);
        var again = Assert.Single(sent, m => m.Type == MessageType.PreVote);
        Assert.Equal((2, 3L, 3L, 2L), (again.To, again.Term, again.Index, again.LogTerm));
        Assert.True(sent.IndexOf(reply) < sent.IndexOf(again)); // the refusal first: the loser has settled when it is asked
    }

    [Theory]
    [InlineData(9UL)]
    [InlineData(10UL)]
    public void A_pre_vote_dropped_by_a_survivor_that_still_heard_the_leader_is_asked_again_when_that_survivor_campaigns(ulong seed)
    {
        var net = new TestNetwork(3, seed, Options);
        var old = net.CheckOneLeader();
        net.Tick(Options.HeartbeatTicks);
        net.Crash(old);
        int[] rest = [.. net.Ids.Where(id => id != old)];
        // The tie winner (same logs: the higher id) campaigns first, while the other still counts the leader as live.
        int winner = rest.Max(), loser = rest.Min();
        net.Node(winner).ReportUnreachable(old);
        net.Node(winner).Campaign();
        net.Process(winner);
        net.Deliver();
        Assert.Equal(Role.PreCandidate, net.Node(winner).Role); // its pre-vote was dropped: the loser heard the leader
        net.Node(loser).ReportUnreachable(old);
        net.Node(loser).Campaign();
        net.Process(loser);
        net.Deliver(); // no tick: without the second request both would wait for another election timeout
        Assert.Equal(Role.Leader, net.Node(winner).Role);
    }
}
