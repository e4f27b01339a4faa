// Goal: a pre-vote that a follower dropped because it still counted on its leader (the check-quorum lease) is answered
// as soon as that lease ends (the leader's connection closed, or an election timeout passed without a heartbeat),
// so the survivor that noticed the leader's loss first is elected without waiting for the other's own campaign; a
// heartbeat from the leader meanwhile forgets the request. Method: a Solo node fed exact messages and ticks, and a
// TestNetwork where only one survivor campaigns.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Data;

namespace KvRaft.Raft.Tests;

public sealed class DeferredPreVoteTests
{
    private static readonly NodeOptions Options = new() { ElectionTicks = 30, HeartbeatTicks = 3, PreVote = true, CheckQuorum = true };

    /// <summary>Node 2, following leader 1 in term 2, with entries 1..2; it has just heard a heartbeat.</summary>
    private static Solo FollowerOfNodeOne()
    {
        var solo = new Solo(2, [1, 2, 3], [E(1, 1), E(2, 2)], new HardState(2, 1, 2), Options);
        solo.Step(Solo.Append(1, 2, 2, 2, 2));
        solo.Drain();
        Assert.Equal(1, solo.Node.Leader);
        return solo;
    }

    [Fact]
    public void A_pre_vote_dropped_under_the_lease_is_granted_when_the_leader_s_connection_closes()
    {
        var solo = FollowerOfNodeOne();
        Assert.DoesNotContain(solo.Step(Solo.VoteRequest(3, 3, 2, 2, preVote: true)), m => m.Type == MessageType.PreVoteResponse);
        solo.Node.ReportUnreachable(1);
        var reply = Assert.Single(solo.Drain(), m => m.Type == MessageType.PreVoteResponse);
        Assert.Equal((3, 3L, false), (reply.To, reply.Term, reply.Reject));
        Assert.Equal(2, solo.Node.Term); // a pre-vote changes nothing durable
        Assert.Equal(Role.Follower, solo.Node.Role);
    }

    [Fact]
    public void A_pre_vote_dropped_under_the_lease_is_answered_when_an_election_timeout_passes_without_the_leader()
    {
        var solo = FollowerOfNodeOne();
        for (var tick = 0; tick < Options.ElectionTicks - 1; tick++)
        {
            solo.Node.Tick();
        }

        solo.Drain();
        Assert.DoesNotContain(solo.Step(Solo.VoteRequest(3, 3, 2, 2, preVote: true)), m => m.Type == MessageType.PreVoteResponse);
        solo.Node.Tick(); // the lease ends: an election timeout since the last heartbeat
        var reply = Assert.Single(solo.Drain(), m => m.Type == MessageType.PreVoteResponse && m.To == 3);
        Assert.False(reply.Reject);
    }

    [Fact]
    public void A_pre_vote_dropped_under_the_lease_from_a_candidate_behind_is_refused_when_the_lease_ends()
    {
        var solo = FollowerOfNodeOne();
        solo.Step(Solo.VoteRequest(3, 3, 1, 1, preVote: true)); // its log ends at 1@1: not up to date
        solo.Node.ReportUnreachable(1);
        var reply = Assert.Single(solo.Drain(), m => m.Type == MessageType.PreVoteResponse);
        Assert.True(reply.Reject);
    }

    [Fact]
    public void A_heartbeat_from_the_leader_forgets_the_pre_votes_dropped_before_it()
    {
        var solo = FollowerOfNodeOne();
        solo.Step(Solo.VoteRequest(3, 3, 2, 2, preVote: true));
        solo.Step(Solo.Append(1, 2, 2, 2, 2)); // the leader is alive: the requester's campaign failed
        solo.Drain();
        solo.Node.ReportUnreachable(1);
        Assert.DoesNotContain(solo.Drain(), m => m.Type == MessageType.PreVoteResponse);
    }

    [Theory]
    [InlineData(11UL)]
    [InlineData(12UL)]
    public void The_survivor_that_noticed_the_leader_s_death_first_is_elected_when_the_other_notices_without_its_own_campaign(ulong seed)
    {
        var net = new TestNetwork(3, seed, Options);
        var old = net.CheckOneLeader();
        net.Tick(Options.HeartbeatTicks);
        net.Crash(old);
        int[] rest = [.. net.Ids.Where(id => id != old)];
        int first = rest[0], second = rest[1];
        net.Node(first).ReportUnreachable(old);
        net.Node(first).Campaign();
        net.Process(first);
        net.Deliver();
        Assert.Equal(Role.PreCandidate, net.Node(first).Role); // dropped: the second still counts on the leader
        net.Node(second).ReportUnreachable(old); // no tick, no campaign of its own
        net.Process(second);
        net.Deliver();
        Assert.Equal(Role.Leader, net.Node(first).Role);
    }
}
