// Goal: the stage profile of a read served by a follower tells the wait for the read index (the ReadIndex round trip
// to the leader) from the wait for the follower's own apply to reach it, and its stages add up to the read's time from
// received to replied; method: one follower driven by hand (PeerNode) on a fake clock the test moves between inputs,
// the leader's ReadIndex answer naming an index the follower has not received yet, then the Append that commits it.
using KvRaft.Protocol;
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Node;

public sealed class ReadStageTests
{
    [Fact]
    public void A_lagging_follower_s_read_waits_for_apply_after_its_index_is_confirmed_and_its_stages_add_up()
    {
        var clock = new FakeProfile();
        using var follower = new PeerNode(2, ownEntries: 3, profile: clock);
        follower.FollowLeader1InTerm2();
        var applied = follower.Status.Applied;

        clock.Now = 1_000;
        follower.Node.OnClientRequest(7, new ClientRequest { RequestId = 1, Op = ClientOp.Get, Key = "k"u8.ToArray() }, 0, received: 1_000);
        clock.Now = 1_010;
        follower.EndTurn(); // the read index is asked of the leader
        var request = follower.Sent.Last(m => m.Type == PeerMessageType.ReadIndex);
        Assert.Equal(1, request.To);

        clock.Now = 1_030; // the leader's commit index is one entry ahead of what the follower holds
        follower.Deliver(follower.From(1, PeerMessageType.ReadIndexResponse, 2) with { Index = applied + 1, Context = request.Context });
        Assert.Empty(clock.Reads); // confirmed, not released: the follower has not applied the read index

        clock.Now = 1_070; // the Append bringing and committing that entry
        var entry = new WireEntry(applied + 1, 2, Protocol.EntryType.NoOp, ReadOnlyMemory<byte>.Empty);
        follower.Deliver(follower.From(1, PeerMessageType.Append, 2) with { Index = applied, LogTerm = 2, Commit = applied + 1, Entries = EntryList.From(new[] { entry }) });

        Assert.Equal(
            [(ReadStage.Queue, 10L, 1), (ReadStage.ReadIndex, 20L, 1), (ReadStage.ApplyWait, 40L, 1), (ReadStage.Reply, 0L, 1)],
            clock.Reads);
        Assert.Equal(1_070 - 1_000, clock.Reads.Sum(r => r.Elapsed)); // replied at 1 070 (the clock did not move in that Ready)
    }

    /// <summary>A clock the test sets, and the read stages recorded on it, in order.</summary>
    private sealed class FakeProfile : INodeProfile
    {
        public long Now { get; set; }

        public List<(ReadStage Stage, long Elapsed, int Requests)> Reads { get; } = [];

        public long Timestamp() => Now;

        public void WriteStage(WriteStage stage, long elapsed, int requests) { }

        public void ReadStage(ReadStage stage, long elapsed, int requests) => Reads.Add((stage, elapsed, requests));

        public void Applied(long elapsed, int commands) { }

        public void SnapshotInstalled(long elapsed, long bytes) { }
    }
}
