// Goal: both log stores (FasterLog and the in-memory twin) keep the same contract; method: one test body, run on each.
namespace KvRaft.Storage.Tests;

public abstract class RaftLogStoreContractTests : IDisposable
{
    private protected readonly TempDir _dir = new();

    private protected abstract IRaftLogStore Open();

    /// <summary>Reopens a durable store; the memory twin returns itself.</summary>
    private protected abstract IRaftLogStore Reopen(IRaftLogStore store);

    public void Dispose() => _dir.Dispose();

    private static List<LogEntry> ReadAll(IRaftLogStore store)
    {
        var list = new List<LogEntry>();
        if (store.LastIndex >= store.FirstIndex)
        {
            store.Read(store.FirstIndex, store.LastIndex + 1, long.MaxValue, list);
        }
        return list;
    }

    [Fact]
    public async Task Appended_entries_read_back_with_their_terms_after_reopen()
    {
        var store = Open();
        var entries = Small.Entries(1, 300, 2, 100);
        store.Append(entries, new HardState(2, 1, 0));
        await store.CommitAsync();
        store = Reopen(store);
        Assert.Equal(1, store.FirstIndex);
        Assert.Equal(300, store.LastIndex);
        Assert.True(store.TryGetTerm(150, out var term));
        Assert.Equal(2, term);
        Assert.False(store.TryGetTerm(301, out _));
        var all = ReadAll(store);
        Assert.Equal(300, all.Count);
        for (var i = 0; i < 300; i++)
        {
            Small.AssertEntry(entries[i], all[i]);
        }
        store.Dispose();
    }

    [Fact]
    public void Read_stops_at_max_bytes_but_returns_at_least_one_entry()
    {
        using var store = Open();
        store.Append(Small.Entries(1, 10, 1, 100), null);
        var list = new List<LogEntry>();
        store.Read(1, 11, 250, list);
        Assert.Equal(2, list.Count);
        list.Clear();
        store.Read(3, 11, 10, list);
        Assert.Single(list);
        Assert.Equal(3, list[0].Index);
    }

    [Fact]
    public async Task Append_over_a_suffix_replaces_it_and_the_replacement_survives_reopen()
    {
        var store = Open();
        store.Append(Small.Entries(1, 10, 1), null);
        await store.CommitAsync();
        var replacement = Small.Entries(6, 8, 2, 40);
        store.Append(replacement, new HardState(2, 3, 5));
        await store.CommitAsync();
        Assert.Equal(8, store.LastIndex);
        store = Reopen(store);
        Assert.Equal(8, store.LastIndex);
        Assert.True(store.TryGetTerm(5, out var t5));
        Assert.Equal(1, t5);
        var all = ReadAll(store);
        Small.AssertEntry(replacement[2], all[7]);
        Assert.Equal(new HardState(2, 3, 5), store.HardState);
        store.Dispose();
    }

    [Fact]
    public async Task Compaction_drops_the_prefix_and_keeps_the_boundary_term_after_reopen()
    {
        var store = Open();
        store.Append(Small.Entries(1, 100, 3), new HardState(3, 2, 90));
        await store.CommitAsync();
        store.CompactUntil(60, 3);
        await store.CommitAsync();
        store = Reopen(store);
        Assert.Equal(61, store.FirstIndex);
        Assert.Equal(100, store.LastIndex);
        Assert.True(store.TryGetTerm(60, out var boundary));
        Assert.Equal(3, boundary);
        Assert.False(store.TryGetTerm(59, out _));
        Assert.Equal(new HardState(3, 2, 90), store.HardState);
        Assert.Equal(40, ReadAll(store).Count);
        store.Dispose();
    }

    [Fact]
    public async Task Compaction_past_the_last_entry_leaves_an_empty_log_that_continues_after_the_snapshot()
    {
        var store = Open();
        store.Append(Small.Entries(1, 10, 1), null);
        await store.CommitAsync();
        store.CompactUntil(500, 7);
        store.Append(Small.Entries(501, 505, 7), new HardState(7, 0, 500));
        await store.CommitAsync();
        store = Reopen(store);
        Assert.Equal(501, store.FirstIndex);
        Assert.Equal(505, store.LastIndex);
        Assert.True(store.TryGetTerm(500, out var term));
        Assert.Equal(7, term);
        store.Dispose();
    }

    [Theory]
    [InlineData(5)] // inside the log: the entries above it go too
    [InlineData(30)] // beyond its end
    public async Task A_reset_after_a_snapshot_empties_the_log_keeps_the_hard_state_and_survives_reopen(long index)
    {
        var store = Open();
        store.Append(Small.Entries(1, 20, 1), new HardState(1, 2, 3));
        await store.CommitAsync();
        store.CompactUntil(2, 1);
        store.ResetAfter(index, 4);
        Assert.Equal((index + 1, index), (store.FirstIndex, store.LastIndex));
        store.Append(Small.Entries(index + 1, index + 2, 4), null);
        await store.CommitAsync();
        store = Reopen(store);
        Assert.Equal((index + 1, index + 2), (store.FirstIndex, store.LastIndex));
        Assert.True(store.TryGetTerm(index, out var boundary));
        Assert.Equal(4, boundary);
        Assert.True(store.TryGetTerm(index + 2, out var last));
        Assert.Equal(4, last);
        Assert.False(store.TryGetTerm(index - 1, out _));
        Assert.Equal(new HardState(1, 2, 3), store.HardState);
        Assert.Equal(2, ReadAll(store).Count);
        store.Dispose();
    }

    [Fact]
    public async Task Hard_state_alone_is_durable_and_the_latest_wins()
    {
        var store = Open();
        store.Append([], new HardState(1, 1, 0));
        store.Append([], new HardState(4, 2, 0));
        await store.CommitAsync();
        store = Reopen(store);
        Assert.Equal(new HardState(4, 2, 0), store.HardState);
        store.Dispose();
    }

    [Fact]
    public void Append_that_leaves_a_gap_is_refused()
    {
        using var store = Open();
        store.Append(Small.Entries(1, 3, 1), null);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Append(Small.Entries(5, 6, 1), null));
    }
}

public sealed class MemoryRaftLogStoreTests : RaftLogStoreContractTests
{
    private protected override IRaftLogStore Open() => new MemoryRaftLogStore();

    private protected override IRaftLogStore Reopen(IRaftLogStore store) => store;

    [Theory]
    [InlineData(0, 20)] // the reset was lost: the old log is back
    [InlineData(1, 10)] // the reset survived, the append after it did not
    [InlineData(2, 12)] // both survived
    public async Task A_crash_keeps_a_prefix_of_the_writes_and_a_reset_is_one_of_them(int writesKept, long lastIndex)
    {
        var store = new MemoryRaftLogStore();
        store.Append(Small.Entries(1, 20, 1), new HardState(1, 0, 0));
        await store.CommitAsync();
        store.ResetAfter(10, 2);
        store.Append(Small.Entries(11, 12, 2), null);
        Assert.Equal(2, store.UnsyncedWrites);
        var reopened = store.Recover(writesKept);
        Assert.Equal(lastIndex, reopened.LastIndex);
        Assert.True(reopened.TryGetTerm(10, out var term));
        Assert.Equal(writesKept == 0 ? 1 : 2, term);
        Assert.Equal(writesKept == 0 ? 1 : 11, reopened.FirstIndex);
    }
}

public sealed class FasterRaftLogStoreTests : RaftLogStoreContractTests
{
    private protected override IRaftLogStore Open() => FasterRaftLogStore.Open(_dir.Sub("log"), Small.Limits);

    private protected override IRaftLogStore Reopen(IRaftLogStore store)
    {
        store.Dispose();
        return Open();
    }

    [Fact]
    public async Task A_reset_closed_before_its_commit_leaves_the_whole_old_log_across_segments_and_one_committed_sticks()
    {
        var store = Open();
        var entries = Small.Entries(1, 1500, 3, 2000); // about 3 MiB: several 1 MiB segments the truncation could delete
        store.Append(entries, new HardState(3, 1, 1000));
        await store.CommitAsync();
        store.ResetAfter(2000, 5);
        store.Append(Small.Entries(2001, 2002, 5), null);
        store = Reopen(store); // closed without a commit, as a kill would: the reset and the truncation behind it are lost
        Assert.Equal((1L, 1500L), (store.FirstIndex, store.LastIndex));
        var all = new List<LogEntry>();
        store.Read(1, 1501, long.MaxValue, all);
        Small.AssertEntry(entries[0], all[0]);
        Small.AssertEntry(entries[1499], all[1499]);
        store.ResetAfter(2000, 5);
        await store.CommitAsync();
        store = Reopen(store);
        Assert.Equal((2001L, 2000L), (store.FirstIndex, store.LastIndex));
        Assert.Equal(new HardState(3, 1, 1000), store.HardState);
        store.Dispose();
    }
}
