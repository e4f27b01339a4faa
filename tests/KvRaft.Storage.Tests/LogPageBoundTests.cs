// Goal: StorageLimits.Validate draws the line exactly where FasterLog does: an entry whose record fills a log page to the byte is stored and read back (also after a reopen), and limits that would allow one byte more are refused when the log opens, so the log store never throws on an entry within EntryMaxBytes. Method: a real FasterRaftLogStore with 64 KiB pages; an entry of the largest size the page allows.
namespace KvRaft.Storage.Tests;

public sealed class LogPageBoundTests
{
    private const int PageBits = 16;
    private const int LargestEntryBytes = (1 << PageBits) - StorageLimits.FasterLogEntryHeaderBytes - 28; // 28: the log record header

    private static StorageLimits Limits(int entryMaxBytes) => Small.Limits with { LogPageBits = PageBits, LogMemoryBits = PageBits + 2, EntryMaxBytes = entryMaxBytes };

    [Fact]
    public async Task An_entry_whose_record_fills_a_log_page_to_the_byte_is_stored_and_read_back()
    {
        using var dir = new TempDir();
        Assert.Equal(1L << PageBits, Limits(LargestEntryBytes).EntryRecordBytesMax);
        var data = new byte[LargestEntryBytes];
        new Random(7).NextBytes(data);
        using (var log = FasterRaftLogStore.Open(dir.Path, Limits(LargestEntryBytes)))
        {
            log.Append([new LogEntry(1, 1, 0, data), new LogEntry(2, 1, 0, data)], new HardState(1, 0, 2));
            await log.CommitAsync();
        }
        using var reopened = FasterRaftLogStore.Open(dir.Path, Limits(LargestEntryBytes));
        var entries = new List<LogEntry>();
        reopened.Read(1, 3, long.MaxValue, entries);
        Assert.Equal(2, entries.Count);
        Assert.True(entries.All(entry => entry.Data.Span.SequenceEqual(data)));
    }

    [Fact]
    public void Limits_allowing_an_entry_one_byte_larger_than_a_page_holds_are_refused_when_the_log_opens()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<ArgumentException>(() => FasterRaftLogStore.Open(dir.Path, Limits(LargestEntryBytes + 1)));
        Assert.Contains("EntryMaxBytes", error.Message, StringComparison.Ordinal);
    }
}
