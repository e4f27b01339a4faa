// Goal: reopening the FasterLog store recovers exactly the committed log, cuts a torn tail and refuses corruption; method: damage files between runs.
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage.Tests;

public sealed class LogRecoveryTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private FasterRaftLogStore Open(RecordingLogger? logger = null) => FasterRaftLogStore.Open(_dir.Sub("log"), Small.Limits, logger);

    private static void FlipByte(string file, long offset)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x40));
    }

    /// <summary>Writes 1..count, commits, closes; returns where entry <paramref name="damaged"/> lies (payload byte).</summary>
    private async Task<(string File, long Offset)> WriteAndLocate(int count, long damaged)
    {
        using var store = Open();
        store.Append([], new HardState(1, 1, 0));
        store.Append(Small.Entries(1, count, 1, 64), null);
        await store.CommitAsync();
        var (file, offset) = store.LocateEntry(damaged);
        return (file, offset + 4 + LogRecord.HeaderBytes + 10);
    }

    [Fact]
    public async Task A_damaged_last_record_is_cut_off_with_a_warning_and_the_cut_holds_after_more_appends()
    {
        var (file, offset) = await WriteAndLocate(20, 20);
        FlipByte(file, offset);
        var logger = new RecordingLogger();
        using (var store = Open(logger))
        {
            Assert.Equal(19, store.LastIndex);
            Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("torn tail"));
            store.Append(Small.Entries(20, 25, 2, 64), null);
            await store.CommitAsync();
        }
        using var reopened = Open();
        Assert.Equal(25, reopened.LastIndex);
        Assert.True(reopened.TryGetTerm(20, out var term));
        Assert.Equal(2, term);
    }

    [Fact]
    public async Task A_damaged_record_before_the_tail_refuses_to_open_naming_file_and_offset()
    {
        var (file, offset) = await WriteAndLocate(50, 5);
        FlipByte(file, offset);
        var error = Assert.Throws<StorageCorruptException>(() => Open());
        Assert.Equal(file, error.File);
        Assert.Contains(file, error.Message);
        Assert.Contains("offset " + error.Offset, error.Message);
        Assert.InRange(offset - error.Offset, 0, 200);
    }

    [Fact]
    public async Task Uncommitted_appends_are_not_recovered()
    {
        using (var store = Open())
        {
            store.Append(Small.Entries(1, 10, 1), null);
            await store.CommitAsync();
            store.Append(Small.Entries(11, 20, 1), null);
        }
        using var reopened = Open();
        Assert.Equal(10, reopened.LastIndex);
    }

    [Fact]
    public async Task One_thousand_entries_and_concurrent_committers_share_one_commit()
    {
        using var store = Open();
        store.Append(Small.Entries(1, 1000, 1, 8), new HardState(1, 1, 0));
        var before = store.CommitCount;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.CommitAsync().AsTask()));
        Assert.Equal(1, store.CommitCount - before);
    }

    [Fact]
    public async Task Entries_evicted_from_the_cache_are_read_back_from_the_log()
    {
        using var store = Open();
        var entries = Small.Entries(1, 400, 1, 200);
        store.Append(entries, null);
        await store.CommitAsync();
        var list = new List<LogEntry>();
        store.Read(1, 401, long.MaxValue, list);
        for (var i = 0; i < 400; i++)
        {
            Small.AssertEntry(entries[i], list[i]);
        }
    }
}
