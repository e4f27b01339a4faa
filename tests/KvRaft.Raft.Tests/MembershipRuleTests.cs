// Goal: the membership rules one node follows (docs/design.md, "Membership"): joint elections and reads, the pending-change
// rule of a new leader, when a configuration takes effect and how the Ready reports it, restart and snapshot; method: one
// node (Solo) stepped with crafted messages, its replies and Readies inspected.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Data;
using static KvRaft.Raft.Tests.Harness.Members;
using static KvRaft.Raft.Tests.JointQuorumTests;

namespace KvRaft.Raft.Tests;

public sealed class MembershipRuleTests
{
    private static readonly NodeOptions Plain = new() { PreVote = false, CheckQuorum = false };

    private static Message Granted(MessageType type, int from, long term) => new() { Type = type, From = from, Term = term };

    private static Entry ConfigEntry(long index, long term, params ConfigChange[] changes) =>
        new(index, term, EntryType.Config, ConfigChangeCodec.Encode(new ConfigChangeRequest(false, ConfigTransition.Auto, changes)));

    [Fact]
    public void CandidateInTheJointState_AsksEveryVoter_AndWinsOnlyWithAMajorityOfEachHalf()
    {
        var solo = new Solo(1, Parse("v=1,2,3 o=1,4,5"), options: Plain);
        solo.Node.Campaign();
        var sent = solo.Drain();
        Assert.Equal(new[] { 2, 3, 4, 5 }, sent.Where(m => m.Type == MessageType.Vote).Select(m => m.To).Order());
        var term = solo.Node.Term;
        solo.Step(Granted(MessageType.VoteResponse, 2, term));
        solo.Step(Granted(MessageType.VoteResponse, 3, term));
        Assert.Equal(Role.Candidate, solo.Node.Role); // all of the incoming half, one of three outgoing
        solo.Step(Granted(MessageType.VoteResponse, 4, term));
        Assert.Equal(Role.Leader, solo.Node.Role);
    }

    [Fact]
    public void CandidateInTheJointState_LosesWhenEitherHalfRefuses()
    {
        var solo = new Solo(1, Parse("v=1,2,3 o=1,4,5"), options: Plain);
        solo.Node.Campaign();
        solo.Drain();
        var term = solo.Node.Term;
        solo.Step(Granted(MessageType.VoteResponse, 2, term));
        solo.Step(Granted(MessageType.VoteResponse, 4, term) with { Reject = true });
        Assert.Equal(Role.Candidate, solo.Node.Role);
        solo.Step(Granted(MessageType.VoteResponse, 5, term) with { Reject = true });
        Assert.Equal(Role.Follower, solo.Node.Role);
    }

    [Fact]
    public void PreCandidateInTheJointState_NeedsAPreVoteMajorityOfEachHalf()
    {
        var solo = new Solo(1, Parse("v=1,2,3 o=1,4,5"), options: new NodeOptions { PreVote = true, CheckQuorum = false });
        solo.Node.Campaign();
        solo.Drain();
        var next = solo.Node.Term + 1;
        solo.Step(Granted(MessageType.PreVoteResponse, 2, next));
        solo.Step(Granted(MessageType.PreVoteResponse, 3, next));
        Assert.Equal(Role.PreCandidate, solo.Node.Role);
        solo.Step(Granted(MessageType.PreVoteResponse, 5, next));
        Assert.Equal(Role.Candidate, solo.Node.Role);
    }

    [Fact]
    public void LearnerNeverCampaigns_EvenWhenToldTo()
    {
        var solo = new Solo(4, Parse("v=1,2,3 l=4"), options: Plain);
        solo.Node.Campaign();
        for (var i = 0; i < 100; i++)
        {
            solo.Node.Tick();
        }

        solo.Step(new Message { Type = MessageType.TimeoutNow, From = 1, Term = 0 });
        Assert.DoesNotContain(solo.Drain(), m => m.Type is MessageType.Vote or MessageType.PreVote);
        Assert.Equal(Role.Follower, solo.Node.Role);
        Assert.Equal(0, solo.Node.Term);
    }

    [Fact]
    public void ReadInTheJointState_IsConfirmedOnlyByAMajorityOfEachHalf()
    {
        var solo = new Solo(1, Parse("v=1,2,3 o=1,4,5"), options: Plain);
        solo.BecomeLeader(2, 4);
        solo.Ack(2, 1);
        solo.Ack(4, 1); // the leader's no-op commits with {1,2} and {1,4}
        Assert.Equal(1, solo.Node.Committed);
        Assert.Equal(ReadIndexStatus.Accepted, solo.Node.ReadIndex(7));
        var heartbeats = solo.Drain().Where(m => m.Type == MessageType.Heartbeat).ToList();
        Message Answer(int from)
        {
            var heartbeat = heartbeats.First(m => m.To == from);
            return new Message { Type = MessageType.HeartbeatResponse, From = from, Term = solo.Node.Term, Context = heartbeat.Context, Index = heartbeat.Index };
        }
        solo.Step(Answer(2));
        solo.Step(Answer(3));
        Assert.Empty(solo.Reads); // the incoming half alone confirms nothing
        solo.Step(Answer(5));
        Assert.Equal(7, Assert.Single(solo.Reads).Context);
    }

    [Fact]
    public void NewLeader_RefusesAChangeUntilItAppliedItsFirstEntry()
    {
        var solo = new Solo(1, [1, 2, 3], options: Plain);
        solo.BecomeLeader(2);
        Assert.Equal(ConfigChangeStatus.ChangePending, solo.Node.ProposeConfigChange(AddLearner(4), out _));
        solo.Ack(2, solo.Node.LastIndex);
        Assert.Equal(ConfigChangeStatus.Accepted, solo.Node.ProposeConfigChange(AddLearner(4), out var index));
        Assert.Equal(ConfigChangeStatus.ChangePending, solo.Node.ProposeConfigChange(AddLearner(5), out _));
        Assert.Equal(Voters(1, 2, 3), solo.Node.Config); // appended is not applied
        solo.Drain();
        solo.Ack(2, index);
        Assert.Equal(Voters(1, 2, 3).With(learners: [4]), solo.Node.Config);
        Assert.Equal(ConfigChangeStatus.Invalid, solo.Node.ProposeConfigChange(AddLearner(4), out _));
        Assert.Equal(ConfigChangeStatus.Invalid, solo.Node.ProposeConfigChange([AddLearner(5)], (ConfigTransition)7, out _));
        Assert.Equal(ConfigChangeStatus.Invalid, solo.Node.ProposeConfigChange(new ConfigChange((ConfigChangeType)9, 5), out _));
        Assert.True(solo.Node.TransferLeadership(2));
        Assert.Equal(ConfigChangeStatus.TransferInProgress, solo.Node.ProposeConfigChange(AddLearner(5), out _));
    }

    [Fact]
    public void AppliedChange_IsReportedByTheNextReady_AndTakesEffectOnlyThen()
    {
        var solo = new Solo(1, [1], options: Plain);
        solo.Node.Campaign();
        solo.Drain();
        Assert.Equal(Role.Leader, solo.Node.Role);
        Assert.Empty(solo.Configs);
        Assert.Equal(ConfigChangeStatus.Accepted, solo.Node.ProposeConfigChange(AddLearner(2), out _));
        solo.Drain();
        var expected = Voters(1).With(learners: [2]);
        Assert.Equal(expected, Assert.Single(solo.Configs));
        Assert.Equal(expected, solo.Node.Config);
        Assert.Equal(expected, solo.Node.Status.Config);
    }

    [Fact]
    public void Restart_AppliesTheConfigEntriesTheHostHadApplied_AndHandsOutTheRest()
    {
        MemoryStorage Storage()
        {
            var storage = new MemoryStorage([1, 2, 3]);
            storage.Append([E(1, 1), ConfigEntry(2, 1, AddLearner(4)), E(3, 1), ConfigEntry(4, 1, AddVoter(4))]);
            storage.SetHardState(new HardState(1, 0, 4));
            return storage;
        }
        var resumed = new RaftNode(new RaftConfig { Id = 1, Storage = Storage(), Random = new Prng(1), Applied = 3 });
        Assert.Equal(Voters(1, 2, 3).With(learners: [4]), resumed.Config);
        var ready = resumed.GetReady();
        Assert.Equal(4, Assert.Single(ready.CommittedEntries).Index);
        Assert.Null(ready.Config);
        resumed.Advance();
        Assert.Equal(Voters(1, 2, 3, 4), resumed.Config);
        Assert.Equal(Voters(1, 2, 3, 4), resumed.GetReady().Config);

        var fresh = new RaftNode(new RaftConfig { Id = 1, Storage = Storage(), Random = new Prng(1) });
        Assert.Equal(Voters(1, 2, 3), fresh.Config);
    }

    [Fact]
    public void MalformedConfigEntry_IsAppliedAsNothing()
    {
        var solo = new Solo(2, [1, 2, 3], options: Plain);
        var garbage = new Entry(1, 1, EntryType.Config, new byte[] { 1, 9, 9 });
        var unfit = ConfigEntry(2, 1, AddVoter(2)); // 2 is a voter already
        solo.Step(Solo.Append(1, 1, 0, 0, 2, garbage, unfit));
        Assert.Equal(2, solo.Applied.Count);
        Assert.Equal(Voters(1, 2, 3), solo.Node.Config);
        Assert.Empty(solo.Configs);
    }

    [Fact]
    public void RestoredSnapshot_PutsItsJointConfigurationInEffect_AndTheReadyReportsIt()
    {
        var solo = new Solo(2, [1, 2, 3], options: Plain);
        var joint = Parse("v=1,2,4 o=1,2,3 l=5 auto");
        solo.Step(new Message { Type = MessageType.Snapshot, From = 1, Term = 3, Snapshot = new SnapshotMetadata(10, 3, joint) });
        Assert.Equal(joint, solo.Node.Config);
        Assert.Equal(joint, Assert.Single(solo.Configs));
        Assert.Equal(joint, solo.Storage.Snapshot.Config);
    }

    [Fact]
    public void SnapshotWithAMalformedConfiguration_IsRefused()
    {
        var solo = new Solo(2, [1, 2, 3], options: Plain);
        var bad = Parse("v=1,2,3 l=3");
        Assert.False(solo.Node.Step(new Message { Type = MessageType.Snapshot, From = 1, To = 2, Term = 3, Snapshot = new SnapshotMetadata(10, 3, bad) }));
        Assert.Equal(Voters(1, 2, 3), solo.Node.Config);
    }

    [Fact]
    public void VoteRequestFromANodeNotYetInThisNodesConfiguration_IsAnswered()
    {
        // Node 4 was added by an entry node 1 has not applied yet: its request is a correct peer's.
        var solo = new Solo(1, [1, 2, 3], options: Plain);
        var reply = Assert.Single(solo.Step(Solo.VoteRequest(4, 1, 0, 0)), m => m.Type == MessageType.VoteResponse);
        Assert.False(reply.Reject);
    }

    [Fact]
    public void NodeHoldingACommittedButUnappliedChange_DoesNotCampaign_UntilItApplies()
    {
        var storage = new MemoryStorage([1, 2, 3]);
        storage.Append([E(1, 1), ConfigEntry(2, 1, AddLearner(4)), E(3, 1)]);
        storage.SetHardState(new HardState(1, 0, 3));
        var node = new RaftNode(new RaftConfig { Id = 1, Storage = storage, Random = new Prng(1), Applied = 1, PreVote = false });
        node.Campaign();
        Assert.Equal(Role.Follower, node.Role);
        var ready = node.GetReady();
        Assert.DoesNotContain(ready.MessagesAfterPersist, m => m.Type == MessageType.Vote);
        node.Advance(); // entries 2 and 3 applied: the change is in effect
        Assert.Equal(Voters(1, 2, 3).With(learners: [4]), node.Config);
        node.Campaign();
        Assert.Equal(Role.Candidate, node.Role);
    }

    [Fact]
    public void EveryConfigEntryButTheLastInTheLog_IsTakenAsCommitted_BeforeCampaigning()
    {
        // The commit index was lost (it is not made durable on its own); a later change in the log proves the earlier
        // one committed, and campaigning in the configuration before it could elect a second leader in a term.
        var storage = new MemoryStorage([1, 2, 3]);
        storage.Append([E(1, 1), ConfigEntry(2, 1, AddLearner(4)), ConfigEntry(3, 1, AddVoter(4))]);
        storage.SetHardState(new HardState(1, 0, 1));
        var node = new RaftNode(new RaftConfig { Id = 1, Storage = storage, Random = new Prng(1), PreVote = false });
        node.GetReady();
        node.Advance();
        node.Campaign();
        Assert.Equal(Role.Follower, node.Role);
        Assert.Equal(2, node.Committed);
        var ready = node.GetReady();
        Assert.Equal(2, Assert.Single(ready.CommittedEntries).Index);
        node.Advance();
        Assert.Equal(Voters(1, 2, 3).With(learners: [4]), node.Config);
        node.Campaign(); // the last change may be uncommitted: it does not hold the election back
        Assert.Equal(Role.Candidate, node.Role);
    }

    [Fact]
    public void NewLeaderInAJointStateWithAutoLeave_ProposesLeavingItOnceItsFirstEntryIsApplied()
    {
        var solo = new Solo(1, Parse("v=1,2,3 o=1,4,5 auto"), options: Plain);
        solo.BecomeLeader(2, 4);
        var noOp = solo.Node.LastIndex;
        solo.Ack(2, noOp);
        solo.Ack(4, noOp);
        Assert.Equal(noOp + 1, solo.Node.LastIndex);
        Assert.True(solo.Node.TryGetLogTerm(noOp + 1, out _));
        solo.Ack(2, noOp + 1);
        solo.Ack(4, noOp + 1);
        Assert.Equal(Parse("v=1,2,3"), solo.Node.Config); // left: C_new alone
        Assert.Equal(Parse("v=1,2,3"), solo.Configs[^1]);
    }

    [Fact]
    public void ConfigEntriesTruncatedByANewLeader_NoLongerHoldTheElectionBack_NorMoveTheCommitIndex()
    {
        var solo = new Solo(3, [1, 2, 3], options: Plain);
        solo.Step(Solo.Append(1, 1, 0, 0, 1, E(1, 1), ConfigEntry(2, 1, AddLearner(4)), ConfigEntry(3, 1, AddVoter(4))));
        solo.Step(Solo.Append(2, 2, 1, 1, 1, E(2, 2), E(3, 2))); // leader 2 of term 2 replaces both
        solo.Node.Campaign();
        Assert.Equal(Role.Candidate, solo.Node.Role);
        Assert.Equal(1, solo.Node.Committed); // index 2 is no longer a change that a later one proves committed
    }
}
