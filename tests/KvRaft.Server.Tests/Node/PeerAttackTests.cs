// Goal: each attack found on the peer port (after a forged hello) is refused and leaves the node running with its
// state intact: a commit beyond the log, a term of long.MaxValue, an Append from a node that is not the leader, an
// AppendResponse acknowledging what was never sent, a Vote whose transfer context would skip the lease, snapshot
// chunks from a node that is not the leader, beyond the size bound, or inflated by compression; method: one KvNode of
// voters {1, 2, 3} over the memory twins (PeerNode) is fed the forged message the way the transport hands it over;
// each check names what the node did before the fix.
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Node;

public sealed class PeerAttackTests
{
    [Fact]
    public void A_heartbeat_committing_beyond_the_log_commits_only_what_the_log_holds()
    {
        using var node = new PeerNode(id: 2, ownEntries: 5);
        node.FollowLeader1InTerm2();

        node.Deliver(node.From(1, PeerMessageType.Heartbeat, 2) with { Commit = 1_000 }); // tripped an Invariant: the node stopped

        Assert.Equal(6, node.Status.Commit);
        Assert.Equal(6, node.Status.LastIndex);
    }

    [Theory]
    [InlineData(PeerMessageType.Heartbeat)]
    [InlineData(PeerMessageType.Append)]
    [InlineData(PeerMessageType.Vote)]
    [InlineData(PeerMessageType.PreVote)]
    [InlineData(PeerMessageType.AppendResponse)]
    [InlineData(PeerMessageType.VoteResponse)]
    public void A_term_of_long_MaxValue_is_never_adopted_and_elections_go_on(PeerMessageType type)
    {
        using var node = new PeerNode(id: 2, ownEntries: 5);

        node.Deliver(node.From(3, type, long.MaxValue) with { Index = 5, LogTerm = 1 }); // adopted and persisted; Term + 1 overflowed

        Assert.Equal(1, node.Status.Term);
        Assert.Equal(1, node.Log.HardState.Term);
        node.Ticks(120);
        Assert.Contains(node.Sent, m => m.Type == PeerMessageType.PreVote && m.Term == 2);
    }

    [Fact]
    public void A_term_far_above_ours_is_refused()
    {
        using var node = new PeerNode(id: 2, ownEntries: 5);

        node.Deliver(node.From(3, PeerMessageType.Heartbeat, 1L << 40));

        Assert.Equal(1, node.Status.Term);
    }

    [Fact]
    public void An_append_from_a_node_that_is_not_the_leader_of_the_term_is_refused()
    {
        using var node = new PeerNode(id: 2, ownEntries: 5);
        node.FollowLeader1InTerm2();
        var garbage = new WireEntry(7, 2, Protocol.EntryType.Normal, new byte[] { 0xBA, 0xD0 });

        node.Sent.Clear();
        node.Deliver(node.From(3, PeerMessageType.Append, 2) with { Index = 6, LogTerm = 2, Commit = 7, Entries = EntryList.From(new[] { garbage }) });

        Assert.Equal(6, node.Status.LastIndex); // appended and committed the garbage entry
        Assert.Equal(6, node.Status.Commit);
        Assert.Equal(1, node.Status.Leader);
        Assert.DoesNotContain(node.Sent, m => m.Type == PeerMessageType.AppendResponse && !m.Reject && m.Index == 7);
    }

    [Fact]
    public void An_append_whose_entries_do_not_follow_its_index_is_refused()
    {
        using var node = new PeerNode(id: 2, ownEntries: 5);
        node.FollowLeader1InTerm2();
        var entries = new[] { new WireEntry(3, 2, Protocol.EntryType.NoOp, default) }; // conflicts with committed entry 3

        node.Deliver(node.From(1, PeerMessageType.Append, 2) with { Index = 6, LogTerm = 2, Commit = 6, Entries = EntryList.From(entries) });

        Assert.Equal(6, node.Status.LastIndex);
        Assert.Equal(6, node.Status.Commit);
    }

    [Fact]
    public void An_append_response_acknowledging_beyond_the_leaders_log_does_not_count_as_a_replica()
    {
        using var node = new PeerNode(id: 1, ownEntries: 5);
        node.BecomeLeaderInTerm2();
        var last = node.Status.LastIndex;

        node.Deliver(node.From(3, PeerMessageType.AppendResponse, 2) with { Index = last + 100 }); // tripped an Invariant: the node stopped

        Assert.Equal(Role.Leader, node.Status.Role);
        Assert.True(node.Status.Followers![3].Match <= last, node.Status.Followers[3].ToString());
    }

    [Fact]
    public void A_vote_with_the_transfer_context_from_a_node_the_leader_did_not_name_does_not_skip_the_lease()
    {
        using var node = new PeerNode(id: 2, ownEntries: 5);
        node.FollowLeader1InTerm2();

        node.Deliver(node.From(3, PeerMessageType.Vote, 3) with { Index = 6, LogTerm = 2, Context = 1 }); // granted within the lease

        Assert.Equal(2, node.Status.Term);
        Assert.Equal(1, node.Status.Leader);
        Assert.DoesNotContain(node.Sent, m => m.Type == PeerMessageType.VoteResponse && !m.Reject);
    }

    [Fact]
    public void A_timeout_now_from_a_node_that_is_not_the_leader_is_ignored()
    {
        using var node = new PeerNode(id: 2, ownEntries: 5);
        node.FollowLeader1InTerm2();

        node.Deliver(node.From(3, PeerMessageType.TimeoutNow, 2)); // campaigned at once, with the forced context

        Assert.Equal(Role.Follower, node.Status.Role);
        Assert.Equal(2, node.Status.Term);
    }

    [Fact]
    public void Snapshot_chunks_and_the_snapshot_from_a_node_that_is_not_the_leader_are_ignored()
    {
        using var node = new PeerNode(id: 2, ownEntries: 3);
        node.FollowLeader1InTerm2();
        var snapshot = LeaderSnapshot.Make(10, 2);

        foreach (var chunk in snapshot.Chunks.Take(2))
        {
            node.DeliverChunk(3, chunk);
        }

        Assert.Equal(0, node.StagingFiles); // staged the forger's bytes
        foreach (var chunk in snapshot.Chunks.Skip(2))
        {
            node.DeliverChunk(3, chunk);
        }

        node.Deliver(snapshot.Message(leaderTerm: 2) with { From = 3 }); // installed the forger's snapshot

        Assert.Equal(4, node.Machine.AppliedIndex); // 10: the forger's snapshot
        Assert.Equal(4, node.Status.LastIndex);
        Assert.Equal(1, node.Status.Leader);
    }

    [Fact]
    public void A_snapshot_beyond_the_byte_bound_is_refused_and_its_staging_file_removed()
    {
        using var node = new PeerNode(id: 2, ownEntries: 3, new ServerLimits { SnapshotBytesMax = 8 << 20 });
        node.FollowLeader1InTerm2();
        var zeros = new byte[ProtocolLimits.SnapshotChunkBytesMax]; // what a 16 KiB LZ4 chunk inflates to

        for (var i = 0; i < 4; i++)
        {
            node.DeliverChunk(1, new WireSnapshotChunk
            {
                SnapshotIndex = 50,
                SnapshotTerm = 2,
                Offset = (ulong)i * (ulong)zeros.Length,
                ChunkIndex = (uint)i,
                UncompressedBytes = zeros.Length,
                Payload = zeros,
            });
        }

        Assert.Equal(0, node.StagingFiles); // 16 MiB staged and kept
    }

    [Fact]
    public void A_chunk_above_the_chunk_bound_is_refused()
    {
        using var node = new PeerNode(id: 2, ownEntries: 3);
        node.FollowLeader1InTerm2();
        var bomb = new byte[ProtocolLimits.SnapshotChunkBytesMax + 1];

        node.DeliverChunk(1, new WireSnapshotChunk { SnapshotIndex = 50, SnapshotTerm = 2, UncompressedBytes = bomb.Length, Payload = bomb });

        Assert.Equal(0, node.StagingFiles);
    }
}
