// Goal: PeerMessageValidator refuses every message no correct peer sends, naming why, and takes every message a
// correct peer may send (late answers and newer terms among them); method: the validator is called directly with a
// node's view (node 2 of voters {1, 2, 3} in term 5, following node 1, log ending at 20; or node 1 leading term 5).
// Membership: a node may hear from members it does not know yet (a learner just added, the leader of a configuration
// it has not applied), so any positive id but its own is a possible sender; Config entries that decode are taken.
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Node;

public sealed class PeerMessageValidatorTests
{
    private static readonly int[] Voters = [1, 2, 3];
    private static readonly PeerView Follower = new(2, new ConfigState(Voters), Term: 5, Leader: 1, Role.Follower, LastIndex: 20);
    private static readonly PeerView Leader = new(1, new ConfigState(Voters), Term: 5, Leader: 1, Role.Leader, LastIndex: 20);
    private static readonly SnapshotMeta JointWithLearner = new(30, 5, new[] { 1, 2, 4 }) { VotersOutgoing = new[] { 1, 2, 3 }, Learners = new[] { 5 }, AutoLeave = true };

    private static EntryList ConfigEntry(byte[] data) => EntryList.From(new[] { new WireEntry(21, 5, Protocol.EntryType.Config, data) });

    // ConfigChangeCodec's form (docs/design.md, "Membership"): kind 1 (a change), transition 0 (auto), count 1, then type 2 (add learner) and node id 4.
    private static readonly byte[] AddLearner4 = [1, 0, 1, 2, 4, 0, 0, 0];

    private static PeerMessage To2(PeerMessageType type, int from = 1, long term = 5) => new() { Type = type, From = from, To = 2, Term = term };

    private static PeerMessage To1(PeerMessageType type, int from = 2, long term = 5) => new() { Type = type, From = from, To = 1, Term = term };

    private static EntryList Entries(params (long Index, long Term)[] entries) =>
        EntryList.From(entries.Select(e => new WireEntry(e.Index, e.Term, Protocol.EntryType.NoOp, default)).ToArray());

    private static EntryList Batch(long index, long term, byte[] data) => EntryList.From(new[] { new WireEntry(index, term, Protocol.EntryType.Normal, data) });

    public static TheoryData<string, PeerMessage, int> RefusedByAFollower => new()
    {
        { "From is not the peer", To2(PeerMessageType.Heartbeat), 3 },
        { "To is not this node", To2(PeerMessageType.Heartbeat) with { To = 3 }, 1 },
        { "not another node", To2(PeerMessageType.Heartbeat, from: 2), 2 },
        { "not another node", To2(PeerMessageType.Heartbeat, from: 0), 0 },
        { "not another node", To2(PeerMessageType.Heartbeat, from: -4), -4 },
        { "a negative term", To2(PeerMessageType.Heartbeat, term: -1), 1 },
        { "a term above TermMax", To2(PeerMessageType.Vote, from: 3, term: long.MaxValue), 3 },
        { "a term above TermMax", To2(PeerMessageType.Vote, from: 3, term: RaftNode.TermMax + 1), 3 },
        { "more than TermAheadMax above", To2(PeerMessageType.Heartbeat, term: 5 + PeerMessageValidator.TermAheadMax + 1), 1 },
        { "a previous log term above", To2(PeerMessageType.Append) with { LogTerm = 6, Index = 20 }, 1 },
        { "a negative index", To2(PeerMessageType.Append) with { Index = -1 }, 1 },
        { "a negative index", To2(PeerMessageType.Heartbeat) with { Commit = -5 }, 1 },
        { "entries on a message other than Append", To2(PeerMessageType.Heartbeat) with { Entries = Entries((21, 5)) }, 1 },
        { "snapshot metadata missing", To2(PeerMessageType.Snapshot), 1 },
        { "snapshot metadata missing", To2(PeerMessageType.Heartbeat) with { Snapshot = new SnapshotMeta(10, 5, Voters) }, 1 },
        { "entries do not follow", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Entries = Entries((22, 5)) }, 1 },
        { "entries do not follow", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Entries = Entries((21, 5), (21, 5)) }, 1 },
        { "an entry term below", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 4, Entries = Entries((21, 3)) }, 1 },
        { "an entry term below", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 4, Entries = Entries((21, 6)) }, 1 },
        { "an entry term below", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 4, Entries = Entries((21, 5), (22, 4)) }, 1 },
        { "entry indices overflow", To2(PeerMessageType.Append) with { Index = long.MaxValue, LogTerm = 4, Entries = Entries((long.MinValue, 5)) }, 1 },
        { "not a well-formed command batch", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Entries = Batch(21, 5, [0xBA, 0xD0]) }, 1 },
        { "a configuration entry that does not decode", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Entries = ConfigEntry([]) }, 1 },
        { "a configuration entry that does not decode", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Entries = ConfigEntry([1, 0, 1, 9, 4, 0, 0, 0]) }, 1 },
        { "not the leader of the term", To2(PeerMessageType.Append, from: 3) with { Index = 20, LogTerm = 5 }, 3 },
        { "not the leader of the term", To2(PeerMessageType.Heartbeat, from: 3), 3 },
        { "not the leader of the term", To2(PeerMessageType.TimeoutNow, from: 3), 3 },
        { "not the leader of the term", To2(PeerMessageType.Snapshot, from: 3) with { Snapshot = new SnapshotMeta(30, 5, Voters) }, 3 },
        { "a snapshot index or term out of range", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(30, 6, Voters) }, 1 },
        { "a snapshot index or term out of range", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(0, 5, Voters) }, 1 },
        { "configuration is not well-formed", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(30, 5, new[] { 1, 2, 2 }) }, 1 },
        { "configuration is not well-formed", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(30, 5, new[] { 1, 0, 2 }) }, 1 },
        { "configuration is not well-formed", To2(PeerMessageType.Snapshot) with { Snapshot = JointWithLearner with { Learners = new[] { 3 } } }, 1 },
        { "configuration is not well-formed", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(30, 5, Voters) { AutoLeave = true } }, 1 },
        { "configuration above MembersMax", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(30, 5, Enumerable.Range(1, 40).ToArray()) { Learners = Enumerable.Range(41, 30).ToArray() } }, 1 },
        { "a pre-vote with a context", To2(PeerMessageType.PreVote, from: 3, term: 6) with { Context = 1 }, 3 },
        { "a vote with an unknown context", To2(PeerMessageType.Vote, from: 3, term: 6) with { Context = 2 }, 3 },
        { "naming no other node", To2(PeerMessageType.TimeoutNow) with { Context = 1 }, 1 },
        { "naming no other node", To2(PeerMessageType.TimeoutNow) with { Context = -7 }, 1 },
        { "naming no other node", To2(PeerMessageType.TimeoutNow) with { Context = 1L << 40 }, 1 },
        { "naming no other node", To2(PeerMessageType.TimeoutNow) with { Context = 2 }, 1 },
        { "naming no possible snapshot", To2(PeerMessageType.SnapshotAck, from: 3) with { Index = 0, LogTerm = 5 }, 3 },
        { "naming no possible snapshot", To2(PeerMessageType.SnapshotAck, from: 3) with { Index = 30, LogTerm = 6 }, 3 },
        { "chunks and bytes disagree", To2(PeerMessageType.SnapshotAck, from: 3) with { Index = 30, LogTerm = 5, Context = 2, RejectHint = 0 }, 3 },
        { "chunks and bytes disagree", To2(PeerMessageType.SnapshotAck, from: 3) with { Index = 30, LogTerm = 5, Context = 0, RejectHint = 9 }, 3 },
        { "chunks and bytes disagree", To2(PeerMessageType.SnapshotAck, from: 3) with { Index = 30, LogTerm = 5, Context = -1, RejectHint = 9 }, 3 },
        { "with a commit index", To2(PeerMessageType.SnapshotAck, from: 3) with { Index = 30, LogTerm = 5, Context = 1, RejectHint = 9, Commit = 4 }, 3 },
    };

    [Theory]
    [MemberData(nameof(RefusedByAFollower))]
    public void A_follower_refuses_what_no_correct_peer_sends(string reason, PeerMessage message, int sender)
    {
        var check = PeerMessageValidator.Check(sender, message, Follower);

        Assert.Equal(PeerVerdict.Refused, check.Verdict);
        Assert.Contains(reason, check.Reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, PeerMessage> TakenByAFollower => new()
    {
        { "an Append from the leader", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Commit = 99, Entries = Entries((21, 5), (22, 5)) } },
        { "an Append of older entries", To2(PeerMessageType.Append) with { Index = 3, LogTerm = 2, Entries = Entries((4, 2), (5, 4)) } },
        { "a command batch", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Entries = Batch(21, 5, EmptyBatch()) } },
        { "a heartbeat committing beyond the log (clamped by the core)", To2(PeerMessageType.Heartbeat) with { Commit = 1_000 } },
        { "a newer leader", To2(PeerMessageType.Heartbeat, from: 3, term: 6) },
        { "a stale leader", To2(PeerMessageType.Append, from: 3, term: 4) with { Index = 20, LogTerm = 4 } },
        { "a vote whose last log term is above its term (a torn write lost the term)", To2(PeerMessageType.PreVote, from: 3, term: 6) with { Index = 20, LogTerm = 9 } },
        { "a forced vote", To2(PeerMessageType.Vote, from: 3, term: 6) with { Index = 20, LogTerm = 5, Context = 1 } },
        { "a transfer notice", To2(PeerMessageType.TimeoutNow) with { Context = 3 } },
        { "a snapshot", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(30, 5, new[] { 3, 1, 2 }) } },
        { "a snapshot of a joint configuration with learners", To2(PeerMessageType.Snapshot) with { Snapshot = JointWithLearner } },
        { "a snapshot taken before this node was added", To2(PeerMessageType.Snapshot) with { Snapshot = new SnapshotMeta(30, 5, new[] { 1, 3 }) } },
        { "a configuration entry", To2(PeerMessageType.Append) with { Index = 20, LogTerm = 5, Entries = ConfigEntry(AddLearner4) } },
        { "a heartbeat from a learner-added leader this node does not know yet", To2(PeerMessageType.Heartbeat, from: 4, term: 6) },
        { "a vote request from a voter added after this node's configuration", To2(PeerMessageType.PreVote, from: 7, term: 6) with { Index = 20, LogTerm = 5 } },
        { "a transfer notice naming a node this node does not know yet", To2(PeerMessageType.TimeoutNow) with { Context = 4 } },
        { "a late vote answer", To2(PeerMessageType.VoteResponse, from: 3, term: 4) },
        { "a read index answer", To2(PeerMessageType.ReadIndexResponse) with { Index = 500, Context = -7 } },
        { "a snapshot acknowledgement (the leader checks its position)", To2(PeerMessageType.SnapshotAck, from: 3) with { Index = 30, LogTerm = 5, Context = 3, RejectHint = 3000, Reject = true } },
    };

    [Theory]
    [MemberData(nameof(TakenByAFollower))]
    public void A_follower_takes_what_a_correct_peer_may_send(string what, PeerMessage message)
    {
        var check = PeerMessageValidator.Check(message.From, message, Follower);

        Assert.True(check.Verdict == PeerVerdict.Accepted, $"{what}: {check.Reason}");
    }

    [Fact]
    public void A_leader_refuses_an_acknowledgement_beyond_its_log_and_takes_one_within_it()
    {
        Assert.Equal(PeerVerdict.Refused, PeerMessageValidator.Check(2, To1(PeerMessageType.AppendResponse) with { Index = 21 }, Leader).Verdict);
        Assert.Equal(PeerVerdict.Refused, PeerMessageValidator.Check(2, To1(PeerMessageType.Append) with { Index = 20, LogTerm = 5 }, Leader).Verdict);
        Assert.Equal(PeerVerdict.Accepted, PeerMessageValidator.Check(2, To1(PeerMessageType.AppendResponse) with { Index = 20 }, Leader).Verdict);
        Assert.Equal(PeerVerdict.Accepted, PeerMessageValidator.Check(2, To1(PeerMessageType.AppendResponse, term: 4) with { Index = 90 }, Leader).Verdict);
        Assert.Equal(PeerVerdict.Accepted, PeerMessageValidator.Check(3, To1(PeerMessageType.AppendResponse, from: 3) with { Index = 12, Reject = true, LogTerm = 3, RejectHint = 9 }, Leader).Verdict);
    }

    [Fact]
    public void A_leader_takes_answers_from_a_learner_it_added()
    {
        var withLearner = Leader with { Config = new ConfigState(Voters) { Learners = [4] } };
        Assert.Equal(PeerVerdict.Accepted, PeerMessageValidator.Check(4, To1(PeerMessageType.AppendResponse, from: 4) with { Index = 20 }, withLearner).Verdict);
        Assert.Equal(PeerVerdict.Accepted, PeerMessageValidator.Check(4, To1(PeerMessageType.HeartbeatResponse, from: 4), withLearner).Verdict);
    }

    private static byte[] EmptyBatch()
    {
        var bytes = new byte[KvCommandBatchCodec.Size([])];
        KvCommandBatchCodec.Format([], bytes);
        return bytes;
    }
}
