// Goal: a reopened Raft log serves its newest entries from memory: at open it caches as many of the newest entries as
// its cache holds (a restarted node applies and replicates them without a device read per entry, which on the event
// loop held a restarted node's turns for seconds under load), in the replay's own scan unless the entries are too small
// for its window (then a second scan tops the cache up), older ones still come from the device, and what is served is
// what was written, also when a suffix was replaced after the replay had cached and evicted entries. Method: a
// FasterRaftLogStore with small pages written and closed, reopened with a cache of a known number of entries; reads
// counted by the store's device read counter, second scans by its top-up counter; a row's packed fields read back.
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

        Assert.Equal(0, log.CacheTopUpScans); // filled by the replay's scan: no second pass over the log

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

    [Fact]
    public async Task A_reopened_log_of_entries_too_small_for_the_replay_window_tops_its_cache_up_in_a_second_scan()
    {
        const int tinyBytes = 8; // a record of 8 payload bytes takes 40: twice the cache of records holds less than a cache of payloads
        var limits = Small.Limits with { EntryCacheBytes = 100 * tinyBytes };
        using (var log = FasterRaftLogStore.Open(_dir.Path, limits))
        {
            log.Append(Small.Entries(1, 1000, 1, tinyBytes), new HardState(1, 1, 0));
            await log.CommitAsync();
        }

        using var reopened = FasterRaftLogStore.Open(_dir.Path, limits);
        Assert.Equal(1, reopened.CacheTopUpScans);
        var newest = new List<LogEntry>();
        reopened.Read(901, 1001, long.MaxValue, newest);
        Assert.Equal(100, newest.Count);
        Assert.Equal(0, reopened.EntriesReadFromDevice);
        Small.AssertEntry(Small.Entry(901, 1, tinyBytes), newest[0]);
        Small.AssertEntry(Small.Entry(1000, 1, tinyBytes), newest[^1]);
    }

    [Fact]
    public async Task A_reopened_log_whose_suffix_was_replaced_caches_the_replacing_entries_and_no_replaced_one()
    {
        var limits = Small.Limits with { EntryCacheBytes = 50 * EntryBytes };
        using (var log = FasterRaftLogStore.Open(_dir.Path, limits))
        {
            log.Append(Small.Entries(1, Entries, 1, EntryBytes), new HardState(1, 1, 0));
            // Replaces the newest 21 entries: the replay caches 151..200 of term 1 first (evicting older ones), then the
            // replacing records drop 180..200 with their cached payloads.
            log.Append(Small.Entries(180, Entries, 2, EntryBytes), new HardState(2, 1, 0));
            await log.CommitAsync();
        }

        using var reopened = FasterRaftLogStore.Open(_dir.Path, limits);
        Assert.Equal(0, reopened.CacheTopUpScans);
        var newest = new List<LogEntry>();
        reopened.Read(Entries - 49, Entries + 1, long.MaxValue, newest);
        Assert.Equal(0, reopened.EntriesReadFromDevice);
        for (var i = 0; i < newest.Count; i++)
        {
            var index = Entries - 49 + i;
            Small.AssertEntry(Small.Entry(index, index >= 180 ? 2 : 1, EntryBytes), newest[i]);
        }
    }

    [Fact]
    public void A_log_table_row_takes_32_bytes_and_holds_any_offset_in_a_slab_chunk()
    {
        Assert.Equal(32, System.Runtime.CompilerServices.Unsafe.SizeOf<LogTable.Row>()); // a 1 GiB log of small entries keeps 8 million
        Assert.True(PayloadSlab.ChunkBytes <= LogTable.Row.DataOffsetMax);
        var row = new LogTable.Row { Type = 255, DataOffset = PayloadSlab.ChunkBytes - 1 };
        Assert.Equal((255, PayloadSlab.ChunkBytes - 1), (row.Type, row.DataOffset));
        row.Type = 7;
        Assert.Equal((7, PayloadSlab.ChunkBytes - 1), (row.Type, row.DataOffset));
    }

    private async Task WriteAndCloseAsync(StorageLimits limits)
    {
        using var log = FasterRaftLogStore.Open(_dir.Path, limits);
        log.Append(Small.Entries(1, Entries, 1, EntryBytes), new HardState(1, 1, 0));
        await log.CommitAsync();
    }
}
