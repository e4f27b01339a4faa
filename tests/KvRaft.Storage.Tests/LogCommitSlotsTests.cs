// Goal: FasterLog's commit record in two alternating slots survives reopen and a torn newest slot; method: write, damage, reopen.
namespace KvRaft.Storage.Tests;

public sealed class LogCommitSlotsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private FasterRaftLogStore Open() => FasterRaftLogStore.Open(_dir.Sub("log"), Small.Limits);

    [Fact]
    public void Commits_alternate_slots_and_the_newest_valid_one_is_listed_first()
    {
        using var slots = new LogCommitSlots(_dir.Sub("raft.commit"));
        Assert.Empty(slots.ListCommits());
        slots.Commit(0, 64, [1, 2, 3], 1, forceWriteMetadata: true);
        slots.Commit(0, 128, [4, 5], 2, forceWriteMetadata: true);
        slots.Commit(0, 192, [6], 3, forceWriteMetadata: true);
        Assert.Equal([3L, 2L], slots.ListCommits());
        Assert.Equal([6], slots.GetCommitMetadata(3));
        Assert.Equal([4, 5], slots.GetCommitMetadata(2));
        Assert.Null(slots.GetCommitMetadata(1)); // overwritten by 3
    }

    [Fact]
    public void Only_the_first_commit_after_opening_every_64th_and_forced_ones_are_written()
    {
        using var slots = new LogCommitSlots(_dir.Sub("raft.commit"));
        for (long commit = 1; commit <= 130; commit++)
        {
            slots.Commit(0, commit * 64, [(byte)commit], commit, forceWriteMetadata: commit == 100);
        }
        Assert.Equal(3, slots.Writes); // 1 (first after opening), 65 (64 later), 100 (forced); the next would be 164
        Assert.Equal([100L, 65L], slots.ListCommits());
    }

    [Fact]
    public void A_torn_newest_slot_falls_back_to_the_previous_commit()
    {
        using (var slots = new LogCommitSlots(_dir.Sub("raft.commit")))
        {
            slots.Commit(0, 64, [1, 2, 3], 6, forceWriteMetadata: true);
            slots.Commit(0, 128, [4, 5, 6], 7, forceWriteMetadata: true);
        }
        using (var file = new FileStream(_dir.Sub("raft.commit"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = LogCommitSlots.SlotBytes + 21; // slot of commit 7, inside its metadata
            file.WriteByte(0xFF);
        }
        using var reopened = new LogCommitSlots(_dir.Sub("raft.commit"));
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
        Assert.True(File.Exists(_dir.Sub("log/raft.commit")));
        Assert.False(Directory.Exists(_dir.Sub("log/raft-commits")));
        using var reopened = Open();
        Assert.Equal(50, reopened.LastIndex);
        Assert.Equal(new HardState(1, 1, 40), reopened.HardState);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1000)]
    public async Task A_log_of_many_commits_reopens_whole_across_commit_records_and_page_ends(int entryBytes)
    {
        // Commit records lie between our records (fast-commit mode) and most commits write no slot: recovery scans
        // forward from the newest slot and accepts gaps that hold only commit records and page padding.
        const int Commits = 300;
        using (var store = Open())
        {
            for (var commit = 0; commit < Commits; commit++)
            {
                store.Append(Small.Entries(1 + commit * 3, 3 + commit * 3, 1 + commit / 100, entryBytes), new HardState(1 + commit / 100, 1, commit * 3));
                await store.CommitAsync();
            }
        }
        using (var reopened = Open())
        {
            Assert.Equal(Commits * 3, reopened.LastIndex);
            Assert.Equal(new HardState(3, 1, (Commits - 1) * 3), reopened.HardState);
            var entries = new List<LogEntry>();
            reopened.Read(1, Commits * 3 + 1, long.MaxValue, entries);
            Assert.Equal(Enumerable.Range(1, Commits * 3).Select(i => (long)i), entries.Select(e => e.Index));
            Assert.All(entries, e => Assert.Equal(entryBytes, e.Data.Length));
            reopened.Append(Small.Entries(Commits * 3 + 1, Commits * 3 + 2, 4, entryBytes), null);
            await reopened.CommitAsync();
        }
        using var again = Open();
        Assert.Equal(Commits * 3 + 2, again.LastIndex);
    }

    [Fact]
    public void A_log_whose_commits_are_in_the_old_per_commit_files_is_refused_with_a_clear_error()
    {
        Directory.CreateDirectory(_dir.Sub("log/raft-commits"));
        var error = Assert.Throws<StorageCorruptException>(Open);
        Assert.Contains("raft-commits", error.Message);
        Assert.Contains("older KvRaft", error.Message);
    }
}
