// Goal: the paper's log rules (§5.3, §5.4.2 / Figure 8) and the leader's backtracking; method: one node stepped with crafted Appends and acks.
using KvRaft.Raft.Tests.Harness;
using static KvRaft.Raft.Tests.Harness.Data;

namespace KvRaft.Raft.Tests;

public sealed class LogRuleTests
{
    private static readonly NodeOptions Plain = new() { PreVote = false, CheckQuorum = false };
    private static readonly int[] Three = { 1, 2, 3 };

    private static Message Reply(List<Message> sent) => Assert.Single(sent, m => m.Type == MessageType.AppendResponse);

    private static long[] Terms(Solo solo)
    {
        var terms = new List<long>();
        for (var i = solo.Storage.FirstIndex; i <= solo.Storage.LastIndex; i++)
        {
            Assert.True(solo.Storage.TryGetTerm(i, out var term));
            terms.Add(term);
        }
        return terms.ToArray();
    }

    [Fact]
    public void Append_RejectedWhenPrevEntryIsMissing_WithHintAtLogEnd()
    {
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 1) }, new HardState(1, 0, 0), Plain);
        var reply = Reply(solo.Step(Solo.Append(2, 1, 5, 1, 0, E(6, 1))));
        Assert.True(reply.Reject);
        Assert.Equal(5, reply.Index);
        Assert.Equal(3, reply.RejectHint);
        Assert.Equal(0, reply.LogTerm);
    }

    [Fact]
    public void Append_RejectedOnPrevTermMismatch_NamesConflictTermAndItsFirstIndex()
    {
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 2), E(3, 2), E(4, 2) }, new HardState(3, 0, 0), Plain);
        var reply = Reply(solo.Step(Solo.Append(2, 3, 4, 3, 0)));
        Assert.True(reply.Reject);
        Assert.Equal(2, reply.LogTerm);
        Assert.Equal(2, reply.RejectHint);
    }

    [Fact]
    public void Append_TruncatesConflictingSuffix_AndKeepsMatchingPrefix()
    {
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 1), E(3, 2), E(4, 2) }, new HardState(2, 0, 0), Plain);
        var reply = Reply(solo.Step(Solo.Append(2, 3, 2, 1, 0, E(3, 3))));
        Assert.False(reply.Reject);
        Assert.Equal(3, reply.Index);
        Assert.Equal(new long[] { 1, 1, 3 }, Terms(solo));
    }

    [Fact]
    public void Append_OfEntriesAlreadyPresent_DoesNotTruncateLaterEntries()
    {
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 1), E(3, 1) }, new HardState(1, 0, 0), Plain);
        var reply = Reply(solo.Step(Solo.Append(2, 1, 0, 0, 0, E(1, 1))));
        Assert.Equal(1, reply.Index);
        Assert.Equal(3, solo.Storage.LastIndex);
    }

    [Fact]
    public void FollowerCommit_IsMinOfLeaderCommitAndLastNewEntry()
    {
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 1), E(3, 1), E(4, 9) }, new HardState(1, 0, 0), Plain);
        solo.Step(Solo.Append(2, 1, 1, 1, 10, E(2, 1)));
        Assert.Equal(2, solo.Node.Committed); // entry 4 is not known to match the leader's log
        Assert.Equal(new[] { 1L, 2L }, solo.Applied.Select(e => e.Index));
    }

    [Fact]
    public void AppendBelowCommit_IsAnsweredWithTheCommitIndex()
    {
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 1), E(3, 1) }, new HardState(1, 0, 3), Plain);
        var reply = Reply(solo.Step(Solo.Append(2, 1, 1, 1, 3, E(2, 1))));
        Assert.False(reply.Reject);
        Assert.Equal(3, reply.Index);
    }

    [Fact]
    public void Leader_DoesNotCommitPreviousTermEntryByCounting_Figure8()
    {
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 2) }, new HardState(3, 0, 1), Plain);
        solo.BecomeLeader(2); // term 4, no-op at 3
        Assert.Equal(4, solo.Node.Term);
        solo.Ack(2, 2); // a majority holds the term-2 entry
        Assert.Equal(1, solo.Node.Committed);
        solo.Ack(2, 3); // the no-op of term 4 commits, and with it everything before
        Assert.Equal(3, solo.Node.Committed);
    }

    [Fact]
    public void PlantedFault_CommitPreviousTermByCounting_IsCaughtByTheFigure8Check()
    {
        using var plant = PlantedBugs.Plant(PlantedBug.CommitPreviousTermByCounting);
        var solo = new Solo(1, Three, new[] { E(1, 1), E(2, 2) }, new HardState(3, 0, 1), Plain);
        solo.BecomeLeader(2);
        solo.Ack(2, 2);
        Assert.Equal(2, solo.Node.Committed); // the check above would fail on this build
    }

    [Fact]
    public void HeartbeatCommit_NeverExceedsTheFollowersMatch()
    {
        var solo = new Solo(1, Three, options: Plain);
        solo.BecomeLeader(2, 3);
        ReadOnlyMemory<byte>[] batch = { Payload(1), Payload(2), Payload(3) };
        solo.Node.Propose(batch, out _);
        solo.Drain();
        solo.Ack(2, 4);
        Assert.Equal(4, solo.Node.Committed);
        solo.Ack(3, 1);
        List<Message> beats = new();
        for (var i = 0; i < 2 && beats.Count == 0; i++)
        {
            solo.Node.Tick();
            beats = solo.Drain().Where(m => m.Type == MessageType.Heartbeat).ToList();
        }
        Assert.Equal(4, Assert.Single(beats, m => m.To == 2).Commit);
        Assert.Equal(1, Assert.Single(beats, m => m.To == 3).Commit);
    }

    [Fact]
    public void RejectedAppend_LeaderJumpsPastAWholeConflictingTerm_InOneRoundTrip()
    {
        // Leader log: 1..3 term 1, 4..60 term 5 (new leader at term 6 appends its no-op at 61).
        var log = new List<Entry> { E(1, 1), E(2, 1), E(3, 1) };
        for (long i = 4; i <= 60; i++)
        {
            log.Add(E(i, 5));
        }

        var solo = new Solo(1, Three, log, new HardState(5, 0, 3), Plain);
        solo.BecomeLeader(2);
        // Follower 3 has 1..3 term 1 and 4..70 term 4: it rejects prev 60 naming term 4 from index 4.
        var sent = solo.Step(new Message
        {
            Type = MessageType.AppendResponse,
            From = 3,
            Term = 6,
            Reject = true,
            Index = 60,
            LogTerm = 4,
            RejectHint = 4,
        });
        var probe = Assert.Single(sent, m => m.Type == MessageType.Append && m.To == 3);
        Assert.Equal(3, probe.Index); // the leader has no term 4: it goes straight to the follower's first index of term 4
        Assert.Equal(58, probe.Entries.Length);
    }

    [Fact]
    public void RejectedAppend_WhenLeaderHasTheConflictTerm_ProbesAfterItsLastEntryOfThatTerm()
    {
        var log = new List<Entry> { E(1, 1) };
        for (long i = 2; i <= 10; i++)
        {
            log.Add(E(i, 2));
        }

        for (long i = 11; i <= 20; i++)
        {
            log.Add(E(i, 4));
        }

        var solo = new Solo(1, Three, log, new HardState(4, 0, 1), Plain);
        solo.BecomeLeader(2);
        // Follower 3 has term 2 up to index 30: the leader's last term-2 entry is 10.
        var sent = solo.Step(new Message
        {
            Type = MessageType.AppendResponse,
            From = 3,
            Term = 5,
            Reject = true,
            Index = 20,
            LogTerm = 2,
            RejectHint = 2,
        });
        var probe = Assert.Single(sent, m => m.Type == MessageType.Append && m.To == 3);
        Assert.Equal(10, probe.Index);
        Assert.Equal(2, probe.LogTerm);
    }

    [Fact]
    public void StaleRejection_IsIgnored()
    {
        var solo = new Solo(1, Three, options: Plain);
        solo.BecomeLeader(2, 3);
        solo.Ack(3, 1);
        var sent = solo.Step(new Message
        {
            Type = MessageType.AppendResponse,
            From = 3,
            Term = solo.Node.Term,
            Reject = true,
            Index = 0,
            RejectHint = 1,
        });
        Assert.DoesNotContain(sent, m => m.Type == MessageType.Append);
        Assert.Equal(ProgressState.Replicate, solo.Node.Status.Followers![3].State);
    }
}
