// Goal: a reopened Raft log serves its newest entries from memory: at open it reads, in one sequential scan, as many of
// the newest entries as its cache holds (a restarted node applies and replicates them without a device read per entry,
// which on the event loop held a restarted node's turns for seconds under load), older ones still come from the device,
// and what is served is what was written. Method: a FasterRaftLogStore with small pages written and closed, reopened
// with a cache of a known number of entries; reads counted by the store's device read counter.
namespace KvRaft.Storage.Tests;

public sealed class LogWarmCacheTests : IDisposable
{
    private const int EntryBytes = 1000;
    private const int Entries = 200;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_reopened_log_serves_as_many_newest_entries_as_its_cache_holds_without_a_device_read()
    {
        var limits = Small.Limits with { EntryCacheBytes = 50 * EntryBytes };
        await WriteAndCloseAsync(limits);

        using var log = FasterRaftLogStore.Open(_dir.Path, limits);
        var newest = new List<LogEntry>();
        log.Read(Entries - 49, Entries + 1, long.MaxValue, newest);
        Assert.Equal(50, newest.Count);
        Assert.Equal(0, log.EntriesReadFromDevice);
        for (var i = 0; i < newest.Count; i++)
        {
            Small.AssertEntry(Small.Entry(Entries - 49 + i, 1, EntryBytes), newest[i]);
        }

        var older = new List<LogEntry>();
        log.Read(1, 11, long.MaxValue, older);
        Assert.Equal(10, log.EntriesReadFromDevice); // beyond the cache: from the device, one by one, as before
        Small.AssertEntry(Small.Entry(1, 1, EntryBytes), older[0]);
    }

    [Fact]
    public async Task A_reopened_log_after_a_compaction_and_a_truncated_suffix_caches_only_live_entries()
    {
        var limits = Small.Limits with { EntryCacheBytes = 1 << 20 };
        using (var log = FasterRaftLogStore.Open(_dir.Path, limits))
        {
            log.Append(Small.Entries(1, 100, 1, EntryBytes), new HardState(1, 1, 0));
            log.CompactUntil(40, 1);
            log.Append(Small.Entries(90, 120, 2, EntryBytes), new HardState(2, 1, 0)); // replaces 90..100
            await log.CommitAsync();
        }

        using var reopened = FasterRaftLogStore.Open(_dir.Path, limits);
        var entries = new List<LogEntry>();
        reopened.Read(41, 121, long.MaxValue, entries);
        Assert.Equal(80, entries.Count);
        Assert.Equal(0, reopened.EntriesReadFromDevice);
        Small.AssertEntry(Small.Entry(89, 1, EntryBytes), entries[48]);
        Small.AssertEntry(Small.Entry(90, 2, EntryBytes), entries[49]); // the replacing entry, not the replaced one
    }

    private async Task WriteAndCloseAsync(StorageLimits limits)
    {
        using var log = FasterRaftLogStore.Open(_dir.Path, limits);
        log.Append(Small.Entries(1, Entries, 1, EntryBytes), new HardState(1, 1, 0));
        await log.CommitAsync();
    }
}
