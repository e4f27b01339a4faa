// Goal: the paper's vote and term rules (§5.1, §5.2, §5.4.1, §9.6); method: one node stepped with crafted messages, its replies inspected.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Data;

namespace KvRaft.Raft.Tests;

public sealed class ElectionRuleTests
{
    private static readonly NodeOptions Plain = new() { PreVote = false, CheckQuorum = false };

    // Node 1 holds [1@1, 2@2, 3@2] in term 2.
    private static Solo Voter(NodeOptions? options = null) =>
        new(1, new[] { 1, 2, 3 }, new[] { E(1, 1), E(2, 2), E(3, 2) }, new HardState(2, 0, 0), options ?? Plain);

    private static Message Reply(List<Message> sent, MessageType type) => Assert.Single(sent, m => m.Type == type);

    [Theory]
    [InlineData(2, 3, false)] // same last term, same length
    [InlineData(2, 5, false)] // same last term, longer
    [InlineData(3, 1, false)] // higher last term, shorter
    [InlineData(2, 2, true)]  // same last term, shorter
    [InlineData(1, 9, true)]  // lower last term, longer
    public void VoteGranted_OnlyToCandidateWithAtLeastAsUpToDateLog(long lastTerm, long lastIndex, bool rejected)
    {
        var solo = Voter();
        var reply = Reply(solo.Step(Solo.VoteRequest(2, 3, lastIndex, lastTerm)), MessageType.VoteResponse);
        Assert.Equal(rejected, reply.Reject);
        Assert.Equal(3, solo.Node.Term);
        Assert.Equal(rejected ? 0 : 2, solo.Node.Vote);
    }

    [Theory]
    [InlineData(0)] // never voted in its term (it learned the term from a leader's Append): the case that was missed
    [InlineData(3)] // voted for itself earlier in the term
    public void PreCandidate_RefusesTheFellowPreCandidateItWinsTheTieAgainst_WhateverItsVoteInTheTerm(int vote)
    {
        // Node 3 and node 2 hold the same log; node 3, the higher id, wins the tie: it must refuse node 2's pre-vote
        // so that exactly one of the two becomes a candidate (no split vote after a leader's death).
        var solo = new Solo(3, new[] { 1, 2, 3 }, new[] { E(1, 1), E(2, 2), E(3, 2) }, new HardState(2, vote, 0),
            new NodeOptions { PreVote = true, CheckQuorum = true });
        solo.Node.Campaign();
        solo.Drain();
        Assert.Equal(Role.PreCandidate, solo.Node.Role);
        var reply = Reply(solo.Step(Solo.VoteRequest(2, 3, 3, 2, preVote: true)), MessageType.PreVoteResponse);
        Assert.True(reply.Reject);
        var granted = Reply(solo.Step(Solo.VoteRequest(2, 3, 4, 2, preVote: true)), MessageType.PreVoteResponse);
        Assert.False(granted.Reject); // a longer log wins the tie instead
    }

    [Fact]
    public void OneVotePerTerm_SecondCandidateOfSameTermIsRefused_FirstIsGrantedAgain()
    {
        var solo = Voter();
        Assert.False(Reply(solo.Step(Solo.VoteRequest(2, 3, 3, 2)), MessageType.VoteResponse).Reject);
        Assert.True(Reply(solo.Step(Solo.VoteRequest(3, 3, 9, 2)), MessageType.VoteResponse).Reject);
        Assert.False(Reply(solo.Step(Solo.VoteRequest(2, 3, 3, 2)), MessageType.VoteResponse).Reject); // a retried request
        Assert.Equal(new HardState(3, 2, 0), solo.Storage.HardState);
    }

    [Fact]
    public void GrantedVote_IsPersistedBeforeTheReplyLeaves()
    {
        var solo = Voter();
        solo.Node.Step(Solo.VoteRequest(2, 3, 3, 2) with { To = 1 });
        var ready = solo.Node.GetReady();
        Assert.DoesNotContain(ready.Messages, m => m.Type == MessageType.VoteResponse);
        Assert.Contains(ready.MessagesAfterPersist, m => m.Type == MessageType.VoteResponse && !m.Reject);
        Assert.True(ready.MustSync);
        Assert.Equal(new HardState(3, 2, 0), ready.HardState);
        solo.Node.Advance();
    }

    [Fact]
    public void HigherTermMessage_MakesLeaderStepDownAndAdoptTheTerm()
    {
        Solo solo = new(1, new[] { 1, 2, 3 }, options: Plain);
        solo.BecomeLeader(2);
        var term = solo.Node.Term;
        solo.Step(new Message { Type = MessageType.AppendResponse, From = 3, Term = term + 5 });
        Assert.Equal(Role.Follower, solo.Node.Role);
        Assert.Equal(term + 5, solo.Node.Term);
        Assert.Equal(0, solo.Node.Vote);
        Assert.Equal(term + 5, solo.Storage.HardState.Term);
    }

    [Fact]
    public void LowerTermAppend_IsAnsweredWithTheCurrentTerm_AndChangesNothing()
    {
        // With pre-vote or check-quorum on (the defaults) a stale leader must learn the newer term.
        var solo = Voter(new NodeOptions());
        var sent = solo.Step(Solo.Append(2, 1, 3, 1, 3, E(4, 1)));
        var reply = Reply(sent, MessageType.AppendResponse);
        Assert.Equal(2, reply.Term);
        Assert.Equal(3, solo.Node.LastIndex);
        Assert.Equal(0, solo.Node.Committed);
    }

    [Fact]
    public void LowerTermVote_IsIgnored()
    {
        var solo = Voter();
        Assert.Empty(solo.Step(Solo.VoteRequest(2, 1, 9, 9)));
        Assert.Equal(0, solo.Node.Vote);
    }

    [Fact]
    public void Candidate_IncrementsTermVotesForItself_AndSendsVoteOnlyAfterPersisting()
    {
        var solo = Voter();
        solo.Node.Campaign();
        var ready = solo.Node.GetReady();
        Assert.Equal(new HardState(3, 1, 0), ready.HardState);
        Assert.Empty(ready.Messages);
        Assert.Equal(2, ready.MessagesAfterPersist.Count(m => m.Type == MessageType.Vote && m.Term == 3 && m.Index == 3 && m.LogTerm == 2));
        solo.Node.Advance();
    }

    [Fact]
    public void Candidate_WinsWithMajority_LosesToMajorityOfRejections()
    {
        var winner = Voter();
        winner.Node.Campaign();
        winner.Drain();
        winner.Step(new Message { Type = MessageType.VoteResponse, From = 2, Term = 3 });
        Assert.Equal(Role.Leader, winner.Node.Role);

        var loser = Voter();
        loser.Node.Campaign();
        loser.Drain();
        loser.Step(new Message { Type = MessageType.VoteResponse, From = 2, Term = 3, Reject = true });
        Assert.Equal(Role.Candidate, loser.Node.Role);
        loser.Step(new Message { Type = MessageType.VoteResponse, From = 3, Term = 3, Reject = true });
        Assert.Equal(Role.Follower, loser.Node.Role);
        Assert.Equal(3, loser.Node.Term);
    }

    [Fact]
    public void CandidateReceivingAppendOfItsTerm_BecomesFollower()
    {
        var solo = Voter();
        solo.Node.Campaign();
        solo.Drain();
        solo.Step(Solo.Append(2, 3, 3, 2, 0));
        Assert.Equal(Role.Follower, solo.Node.Role);
        Assert.Equal(2, solo.Node.Leader);
    }

    [Fact]
    public void PreCandidate_KeepsItsTermAndVote_UntilAQuorumOfPreVotes()
    {
        var solo = Voter(new NodeOptions { PreVote = true, CheckQuorum = true });
        solo.Node.Campaign();
        var sent = solo.Drain();
        Assert.Equal(Role.PreCandidate, solo.Node.Role);
        Assert.Equal(2, solo.Node.Term);
        Assert.Equal(2, sent.Count(m => m.Type == MessageType.PreVote && m.Term == 3));
        Assert.Equal(2, solo.Storage.HardState.Term);
        solo.Step(new Message { Type = MessageType.PreVoteResponse, From = 2, Term = 3 });
        Assert.Equal(Role.Candidate, solo.Node.Role);
        Assert.Equal(3, solo.Node.Term);
    }

    [Fact]
    public void PreVote_IsGrantedWithoutChangingTermOrVote()
    {
        var solo = Voter(new NodeOptions { PreVote = true, CheckQuorum = true });
        var reply = Reply(solo.Step(Solo.VoteRequest(2, 3, 3, 2, preVote: true)), MessageType.PreVoteResponse);
        Assert.False(reply.Reject);
        Assert.Equal(3, reply.Term);
        Assert.Equal(2, solo.Node.Term);
        Assert.Equal(0, solo.Node.Vote);
    }

    [Fact]
    public void FollowerHearingFromLeader_IgnoresVotesOfHigherTerm_WithinItsLease()
    {
        var solo = Voter(new NodeOptions { PreVote = true, CheckQuorum = true });
        solo.Step(Solo.Append(2, 2, 3, 2, 3));
        Assert.Empty(solo.Step(Solo.VoteRequest(3, 4, 9, 2)));
        Assert.Empty(solo.Step(Solo.VoteRequest(3, 3, 9, 2, preVote: true)));
        Assert.Equal(2, solo.Node.Term);
    }

    [Fact]
    public void CampaignOnLeader_IsIgnored()
    {
        Solo solo = new(1, new[] { 1, 2, 3 }, options: Plain);
        solo.BecomeLeader(2);
        var term = solo.Node.Term;
        solo.Node.Campaign();
        solo.Drain();
        Assert.Equal(Role.Leader, solo.Node.Role);
        Assert.Equal(term, solo.Node.Term);
    }
}
