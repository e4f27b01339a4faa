// Goal: a snapshot stream is flow-controlled (never more than its window unacknowledged), resumable (a stream cut
// part-way starts again at the last acknowledged chunk, the follower keeping its staged prefix), safe against forged
// acknowledgements, and its install runs off the event loop without stopping heartbeats; method: a follower KvNode
// over the memory twins fed by a test sender that drives a SnapshotTransfer exactly as the production sender does
// (window, acknowledgements fed back, a cut that drops everything in flight), a leader KvNode that streams to a
// follower needing a snapshot, and an install runner that holds the swap until the test releases it (no sleeps).
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Node;

public sealed class SnapshotStreamingTests
{
    private const int ChunkBytes = 256; // LeaderSnapshot's chunks

    [Fact]
    public void A_stream_cut_midway_resumes_at_the_last_acknowledged_chunk_and_installs()
    {
        using var follower = new SnapshotFollower(ownEntries: 3);
        var snapshot = LeaderSnapshot.Make(40, 2);
        var transfer = new SnapshotTransfer(2, snapshot.Index, snapshot.Term, windowChunks: 3, windowBytes: 1 << 20);
        var sender = new TestSender(follower, snapshot, transfer);

        var firstSent = sender.Attempt(cutAfterDelivered: snapshot.Chunks.Count / 2);
        var ackedAtCut = transfer.Acknowledged.Chunks;
        Assert.True(ackedAtCut > 0 && ackedAtCut < snapshot.Chunks.Count, $"acknowledged {ackedAtCut} of {snapshot.Chunks.Count}");
        var secondSent = sender.Attempt(cutAfterDelivered: null);

        Assert.Equal(ackedAtCut, secondSent[0]); // not chunk 0: the follower kept its prefix, the leader knew where it ends
        Assert.Equal(snapshot.Chunks.Count - ackedAtCut, secondSent.Count);
        Assert.Equal(firstSent.Count + secondSent.Count, transfer.ChunksSent);
        Assert.True(transfer.IsFullyAcknowledged);
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));
        follower.HandleReadies();
        Assert.Equal(40, follower.Machine.AppliedIndex);
    }

    [Theory]
    [InlineData(1, 1 << 20)]
    [InlineData(4, 1 << 20)]
    [InlineData(8, 3 * ChunkBytes)] // the byte bound binds before the chunk bound
    public void The_window_never_holds_more_than_its_chunks_or_bytes_unacknowledged(int windowChunks, int windowBytes)
    {
        using var follower = new SnapshotFollower(ownEntries: 3);
        var snapshot = LeaderSnapshot.Make(40, 2);
        var transfer = new SnapshotTransfer(2, snapshot.Index, snapshot.Term, windowChunks, windowBytes);
        var sender = new TestSender(follower, snapshot, transfer);

        sender.Attempt(cutAfterDelivered: null);

        var bound = Math.Min(windowChunks, Math.Max(1, windowBytes / ChunkBytes));
        Assert.True(sender.InFlightMost <= bound, $"{sender.InFlightMost} chunks unacknowledged, window {bound}");
        Assert.True(transfer.UnacknowledgedChunksMost <= bound);
        Assert.True(sender.InFlightMost == bound, "the window was never full: the test proves nothing");
        Assert.True(transfer.IsFullyAcknowledged);
    }

    [Fact]
    public void A_resent_stream_keeps_the_staged_prefix_and_another_snapshot_replaces_it()
    {
        using var follower = new SnapshotFollower(ownEntries: 3);
        var snapshot = LeaderSnapshot.Make(40, 2);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(PeerVerdict.Accepted, follower.Node.OnSnapshotChunk(1, snapshot.Chunks[i]).Verdict);
        }

        follower.Sent.Clear();
        follower.Node.OnSnapshotChunk(1, snapshot.Chunks[0]); // the same snapshot from the start: resume after the prefix
        var resume = Assert.Single(follower.Sent);
        Assert.True(resume is { Type: PeerMessageType.SnapshotAck, Reject: true, Context: 5 }, resume.ToString());
        Assert.Equal((long)snapshot.Chunks[5].Offset, resume.RejectHint);

        follower.Sent.Clear();
        follower.Node.OnSnapshotChunk(1, snapshot.Chunks[7]); // after a gap: resume at the gap
        Assert.True(follower.Sent.Single() is { Reject: true, Context: 5 });

        var other = LeaderSnapshot.Make(44, 2);
        follower.Sent.Clear();
        Assert.Equal(PeerVerdict.Accepted, follower.Node.OnSnapshotChunk(1, other.Chunks[0]).Verdict);
        Assert.True(follower.Sent.Single() is { Index: 44, Reject: false, Context: 1 }); // the prefix of snapshot 40 is gone
        follower.Sent.Clear();
        follower.Node.OnSnapshotChunk(1, snapshot.Chunks[5]);
        Assert.True(follower.Sent.Single() is { Index: 40, Reject: true, Context: 0, RejectHint: 0 }); // snapshot 40 starts over
    }

    [Fact]
    public void A_forged_or_out_of_order_acknowledgement_is_refused_and_the_leader_keeps_streaming()
    {
        using var leader = SnapshotLeader(out var transfer);
        var total = 3 * ChunkBytes + 100; // a snapshot of four chunks, as the sender opened it
        transfer.BeginAttempt(ChunkBytes, total);
        transfer.OnSent(new SnapshotPosition(1, ChunkBytes));
        transfer.OnSent(new SnapshotPosition(2, 2 * ChunkBytes));

        Assert.True(Ack(leader, transfer, chunks: 3, bytes: 3 * ChunkBytes).IsRefused); // a chunk never sent
        Assert.True(Ack(leader, transfer, chunks: 1, bytes: 100).IsRefused); // bytes at no chunk boundary
        Assert.True(Ack(leader, transfer, chunks: 2, bytes: 1).IsRefused); // chunks and bytes disagree (the validator)
        Assert.True(Ack(leader, transfer, chunks: 1, bytes: ChunkBytes, snapshotIndex: transfer.Index + 1) is { Verdict: PeerVerdict.Ignored });
        Assert.Equal(SnapshotPosition.Start, transfer.Acknowledged); // none of them moved the window

        Assert.Equal(PeerVerdict.Accepted, Ack(leader, transfer, chunks: 2, bytes: 2 * ChunkBytes).Verdict);
        Assert.Equal(PeerVerdict.Ignored, Ack(leader, transfer, chunks: 1, bytes: ChunkBytes).Verdict); // out of order: older
        Assert.Equal(new SnapshotPosition(2, 2 * ChunkBytes), transfer.Acknowledged);
        Assert.Equal(Role.Leader, leader.Status.Role); // the node kept running: it still leads and streams
        Assert.True(transfer.HasRoomFor(ChunkBytes));
        Assert.False(transfer.IsAbandoned);
    }

    [Fact]
    public void Heartbeats_keep_flowing_and_no_election_starts_during_a_slow_install_whose_ready_waits_for_it()
    {
        var runner = new HeldInstalls();
        using var follower = new SnapshotFollower(ownEntries: 3) { InstallRunner = runner };
        follower.Start(); // with the runner
        var snapshot = LeaderSnapshot.Make(10, 2);
        follower.DeliverChunks(snapshot);
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));
        follower.Sent.Clear();
        Assert.False(follower.TakeOneReady()); // the install started; its Ready waits for it
        Assert.NotNull(runner.Held);

        for (var round = 0; round < 20; round++) // ten election timeouts of the default 30 ticks, with heartbeats
        {
            follower.Node.OnTicks(15);
            Assert.Equal(PeerCheck.Accept, follower.Node.OnPeerMessage(1, new PeerMessage { Type = PeerMessageType.Heartbeat, From = 1, To = 2, Term = 2, Commit = 10 }));
            Assert.False(follower.TakeOneReady());
        }

        Assert.Equal(Role.Follower, follower.Node.RaftStatus.Role);
        Assert.Equal(2, follower.Node.RaftStatus.Term);
        Assert.DoesNotContain(follower.Sent, m => m.Type is PeerMessageType.PreVote or PeerMessageType.Vote);
        Assert.DoesNotContain(follower.Sent, m => m.Type == PeerMessageType.AppendResponse); // nothing answers for the snapshot yet
        Assert.Equal(0, follower.Machine.AppliedIndex);

        runner.Held!(); // the swap ends (on the thread pool in production)
        follower.Node.OnSnapshotInstalled(null);
        follower.HandleReadies();
        Assert.Equal(10, follower.Machine.AppliedIndex);
        Assert.Equal(11, follower.Log.FirstIndex);
        Assert.Contains(follower.Sent, m => m is { Type: PeerMessageType.AppendResponse, Reject: false, Index: 10 });
    }

    private static PeerCheck Ack(PeerNode leader, SnapshotTransfer transfer, long chunks, long bytes, long? snapshotIndex = null) =>
        leader.DeliverFrom(3, new PeerMessage
        {
            Type = PeerMessageType.SnapshotAck,
            From = 3,
            To = 1,
            Term = leader.Status.Term,
            Index = snapshotIndex ?? transfer.Index,
            LogTerm = transfer.Term,
            Context = chunks,
            RejectHint = bytes,
        });

    /// <summary>Node 1 leads term 2 with a compacted log; node 3 answered from far behind: the leader streams a snapshot to it.</summary>
    private static PeerNode SnapshotLeader(out SnapshotTransfer transfer)
    {
        var leader = new PeerNode(1, ownEntries: 30, new ServerLimits { SnapshotAfterLogBytes = 1, CompactionLagEntries = 0, CompactionLagBytes = 0 });
        leader.BecomeLeaderInTerm2();
        leader.Deliver(leader.From(2, PeerMessageType.AppendResponse, 2) with { Index = leader.Status.LastIndex });
        Assert.True(leader.Node.TryStartSnapshot(out var configuration));
        var info = leader.Machine.TakeSnapshotAsync(configuration).AsTask().GetAwaiter().GetResult();
        leader.Node.OnSnapshotTaken(info);
        leader.Deliver(leader.From(3, PeerMessageType.AppendResponse, 2) with { Index = leader.Status.LastIndex, Reject = true, RejectHint = 0 });
        leader.Deliver(leader.From(3, PeerMessageType.HeartbeatResponse, 2));
        transfer = Assert.Single(leader.Transfers);
        Assert.Equal(3, transfer.To);
        return leader;
    }

    /// <summary>An install runner that holds the swap until the test runs it.</summary>
    private sealed class HeldInstalls : ISnapshotInstallRunner
    {
        public Action? Held { get; private set; }

        public void Run(Action install) => Held = install;
    }

    /// <summary>
    /// The production sender's steps, one chunk delivered at a time: send while the window has room, deliver the oldest
    /// chunk in flight, feed the follower's acknowledgements back, move where it asks to resume. A cut drops every
    /// chunk still in flight and every acknowledgement not yet read, and ends the attempt.
    /// </summary>
    private sealed class TestSender(SnapshotFollower follower, LeaderSnapshot snapshot, SnapshotTransfer transfer)
    {
        private readonly long _totalBytes = snapshot.Chunks.Sum(c => (long)c.Payload.Length);

        public long InFlightMost { get; private set; }

        /// <summary>Runs one attempt; returns the chunk indices it sent, in order.</summary>
        public List<long> Attempt(int? cutAfterDelivered)
        {
            var sent = new List<long>();
            var inFlight = new Queue<WireSnapshotChunk>();
            var next = transfer.BeginAttempt(ChunkBytes, _totalBytes).Chunks;
            var delivered = 0;
            for (var step = 0; step < 10_000 && !transfer.IsFullyAcknowledged; step++)
            {
                if (transfer.TryTakeRewind(out var resumeAt))
                {
                    next = resumeAt.Chunks;
                }

                while (next < snapshot.Chunks.Count && transfer.HasRoomFor(ChunkBytes))
                {
                    var chunk = snapshot.Chunks[(int)next++];
                    inFlight.Enqueue(chunk);
                    sent.Add(chunk.ChunkIndex);
                    transfer.OnSent(new SnapshotPosition(next, (long)chunk.Offset + chunk.Payload.Length));
                }
                InFlightMost = Math.Max(InFlightMost, next - transfer.Acknowledged.Chunks);
                if (cutAfterDelivered == delivered)
                {
                    return sent; // the connection broke: what was in flight is lost
                }

                Assert.True(inFlight.Count > 0, "nothing in flight and the stream is not acknowledged");
                follower.Sent.Clear();
                Assert.False(follower.Node.OnSnapshotChunk(1, inFlight.Dequeue()).IsRefused);
                delivered++;
                foreach (var ack in follower.Sent.Where(m => m.Type == PeerMessageType.SnapshotAck))
                {
                    Assert.False(transfer.OnAck(new SnapshotPosition(ack.Context, ack.RejectHint), ack.Reject).IsRefused);
                }
            }
            return sent;
        }
    }
}
