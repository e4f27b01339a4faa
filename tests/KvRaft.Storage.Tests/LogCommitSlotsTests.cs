// Goal: FasterLog's commit record in two alternating slots survives reopen and a torn newest slot; method: write, damage, reopen.
namespace KvRaft.Storage.Tests;

public sealed class LogCommitSlotsTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private FasterRaftLogStore Open() => FasterRaftLogStore.Open(dir.Sub("log"), Small.Limits);

    [Fact]
    public void Commits_alternate_slots_and_the_newest_valid_one_is_listed_first()
    {
        using var slots = new LogCommitSlots(dir.Sub("raft.commit"));
        Assert.Empty(slots.ListCommits());
        slots.Commit(0, 64, [1, 2, 3], 1, false);
        slots.Commit(0, 128, [4, 5], 2, false);
        slots.Commit(0, 192, [6], 3, false);
        Assert.Equal([3L, 2L], slots.ListCommits());
        Assert.Equal([6], slots.GetCommitMetadata(3));
        Assert.Equal([4, 5], slots.GetCommitMetadata(2));
        Assert.Null(slots.GetCommitMetadata(1)); // overwritten by 3
    }

    [Fact]
    public void A_torn_newest_slot_falls_back_to_the_previous_commit()
    {
        using (var slots = new LogCommitSlots(dir.Sub("raft.commit")))
        {
            slots.Commit(0, 64, [1, 2, 3], 6, false);
            slots.Commit(0, 128, [4, 5, 6], 7, false);
        }
        using (var file = new FileStream(dir.Sub("raft.commit"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = LogCommitSlots.SlotBytes + 21; // slot of commit 7, inside its metadata
            file.WriteByte(0xFF);
        }
        using var reopened = new LogCommitSlots(dir.Sub("raft.commit"));
        Assert.Equal([6L], reopened.ListCommits());
        Assert.Equal([1, 2, 3], reopened.GetCommitMetadata(6));
    }

    [Fact]
    public async Task A_reopened_log_recovers_every_committed_entry_through_the_slot_file()
    {
        using (var store = Open())
        {
            for (var batch = 0; batch < 5; batch++)
            {
                store.Append(Small.Entries(1 + batch * 10, 10 + batch * 10, 1, 64), new HardState(1, 1, batch * 10));
                await store.CommitAsync();
            }
        }
        Assert.True(File.Exists(dir.Sub("log/raft.commit")));
        Assert.False(Directory.Exists(dir.Sub("log/raft-commits")));
        using var reopened = Open();
        Assert.Equal(50, reopened.LastIndex);
        Assert.Equal(new HardState(1, 1, 40), reopened.HardState);
    }

    [Fact]
    public void A_log_whose_commits_are_in_the_old_per_commit_files_is_refused_with_a_clear_error()
    {
        Directory.CreateDirectory(dir.Sub("log/raft-commits"));
        var error = Assert.Throws<StorageCorruptException>(Open);
        Assert.Contains("raft-commits", error.Message);
        Assert.Contains("older KvRaft", error.Message);
    }
}
