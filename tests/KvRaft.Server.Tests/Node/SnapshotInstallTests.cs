// Goal: a follower's snapshot install is crash-safe, leaves no entry of its own above the snapshot, and no sequence of
// peer messages around it (stray or damaged chunks) stops the node; method: a follower over the memory twins is fed a
// leader's snapshot by hand and crashed (the twins' Recover) at the worst moment, between the state machine's swap
// and the log sync of the same Ready; each check names what a wrong implementation did.
using KvRaft.Protocol;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Tests.Node;

public sealed class SnapshotInstallTests
{
    [Theory]
    [InlineData(3, false)] // the log ends below the snapshot: the node could not even start (applied index beyond the log)
    [InlineData(20, false)] // the log runs past the snapshot with entries of another term: every Append after it was refused
    [InlineData(3, true)]
    [InlineData(20, true)]
    public void A_follower_killed_between_an_install_and_its_log_sync_restarts_with_its_log_after_the_snapshot(int ownEntries, bool onFaster)
    {
        using var follower = new SnapshotFollower(ownEntries, onFaster);
        var snapshot = LeaderSnapshot.Make(10, 2);
        follower.DeliverChunks(snapshot);
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));
        Assert.True(follower.TakeOneReady()); // installs: the state machine swaps; the log's new boundary is not yet synced
        Assert.Equal(10, follower.Machine.AppliedIndex);

        follower.CrashAndRestart();

        Assert.Equal(10, follower.Machine.AppliedIndex);
        Assert.Equal(11, follower.Log.FirstIndex);
        Assert.Equal(10, follower.Log.LastIndex);
        Assert.True(follower.Log.TryGetTerm(10, out var boundaryTerm));
        Assert.Equal(2, boundaryTerm);
        var answer = follower.Append(prevIndex: 10, prevTerm: 2);
        Assert.False(answer.Reject);
        Assert.Equal(11, answer.Index);
    }

    [Fact]
    public void An_install_discards_the_followers_own_entries_above_the_snapshot()
    {
        using var follower = new SnapshotFollower(ownEntries: 20);
        var snapshot = LeaderSnapshot.Make(10, 2);
        follower.DeliverChunks(snapshot);
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));
        follower.HandleReadies();

        Assert.Equal(10, follower.Machine.AppliedIndex);
        Assert.Equal(10, follower.Log.LastIndex); // entries 11..20 of term 1 were kept behind a boundary of term 2
        Assert.Equal(10, follower.Node.RaftStatus.LastIndex);
        follower.CrashAndRestart();
        Assert.Equal(10, follower.Log.LastIndex);
        Assert.False(follower.Append(prevIndex: 10, prevTerm: 2).Reject);
    }

    [Theory]
    [InlineData(10)] // the same snapshot sent again
    [InlineData(12)] // a newer snapshot
    public void A_first_chunk_between_the_restore_and_its_ready_is_ignored_and_the_install_completes(long strayIndex)
    {
        using var follower = new SnapshotFollower(ownEntries: 3);
        var snapshot = LeaderSnapshot.Make(10, 2);
        var stray = strayIndex == 10 ? snapshot : LeaderSnapshot.Make(strayIndex, 2);
        follower.DeliverChunks(snapshot);
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));
        follower.Node.OnSnapshotChunk(1, stray.Chunks[0]); // replaced the restored snapshot's data: the node stopped on a check
        follower.Node.OnSnapshotChunk(3, stray.Chunks[0] with { Payload = new byte[] { 1, 2, 3 } });

        follower.HandleReadies();

        Assert.Equal(10, follower.Machine.AppliedIndex);
        Assert.Equal(11, follower.Log.FirstIndex);
    }

    [Fact]
    public void A_snapshot_that_fails_its_whole_file_check_never_reaches_the_core_and_a_good_one_installs_after()
    {
        using var follower = new SnapshotFollower(ownEntries: 3);
        var snapshot = LeaderSnapshot.Make(10, 2);
        var first = snapshot.Chunks[0];
        var damaged = first.Payload.ToArray();
        damaged[^1] ^= 1; // each chunk carries no checksum of its own on this path: only the whole-file CRC-64 sees it
        follower.Node.OnSnapshotChunk(1, first with { Payload = damaged });
        foreach (var chunk in snapshot.Chunks.Skip(1))
        {
            follower.Node.OnSnapshotChunk(1, chunk);
        }

        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));

        follower.HandleReadies(); // the core restored it and the install threw: the node stopped

        Assert.Equal(0, follower.Machine.AppliedIndex);
        Assert.Equal(3, follower.Log.LastIndex);
        follower.DeliverChunks(snapshot);
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));
        follower.HandleReadies();
        Assert.Equal(10, follower.Machine.AppliedIndex);
    }

    [Fact]
    public void A_snapshot_with_a_malformed_configuration_never_reaches_the_core()
    {
        using var follower = new SnapshotFollower(ownEntries: 3);
        var snapshot = LeaderSnapshot.Make(10, 2, configuration: [3, 0, 1, 0, 0, 0]); // three voters announced, one given
        follower.DeliverChunks(snapshot);
        follower.Node.OnPeerMessage(1, snapshot.Message(leaderTerm: 2));

        follower.HandleReadies(); // installed, then the configuration failed to decode: the node stopped

        Assert.Equal(0, follower.Machine.AppliedIndex);
        Assert.Equal(3, follower.Log.LastIndex);
    }
}
