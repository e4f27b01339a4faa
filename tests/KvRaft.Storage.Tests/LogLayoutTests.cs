// Goal: a Raft log reopens with the segment size it was written with, whatever the build's LogSegmentBits is now: a
// log of the old layout (256 MiB segments, no layout file) and one recorded with another size keep their entries, for
// the single log and the shared log; a damaged or unknown layout file is refused with an error naming it (file input
// never reaches an assertion). Method: real logs in a temp folder, written across several segment boundaries of the
// size they are reopened with (a wrong mapping would miss or misplace records), the layout file removed or rewritten.
using System.Buffers.Binary;

namespace KvRaft.Storage.Tests;

public sealed class LogLayoutTests : IDisposable
{
    private const int EntryBytes = 3000;
    private const long LastIndex = 1200; // ~3.5 MiB of records: past several 1 MiB segments
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RaftDir => _dir.Sub("raft");

    private string RaftLayout => Path.Combine(RaftDir, "raft.layout");

    private static StorageLimits WithSegmentBits(int bits) => Small.Limits with { LogSegmentBits = bits };

    private static async Task WriteAsync(IRaftLogStore store)
    {
        for (var from = 1L; from <= LastIndex; from += 100)
        {
            store.Append(Small.Entries(from, from + 99, 1, EntryBytes), new HardState(1, 2, from + 99));
            await store.CommitAsync();
        }
    }

    private static void AssertIntact(IRaftLogStore store)
    {
        Assert.Equal((1L, LastIndex), (store.FirstIndex, store.LastIndex));
        Assert.Equal(new HardState(1, 2, LastIndex), store.HardState);
        var read = new List<LogEntry>();
        store.Read(1, LastIndex + 1, long.MaxValue, read);
        Assert.Equal((int)LastIndex, read.Count);
        foreach (var entry in read)
        {
            Small.AssertEntry(Small.Entry(entry.Index, 1, EntryBytes), entry);
        }
    }

    private static void WriteLayout(string path, uint magic, uint version, uint segmentBits, uint pageBits, bool goodChecksum = true)
    {
        var bytes = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), segmentBits);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), pageBits);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), Crc32C.Compute(bytes.AsSpan(0, 16)) ^ (goodChecksum ? 0u : 1u));
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public async Task A_new_log_records_the_segment_bits_of_its_limits()
    {
        using (var store = FasterRaftLogStore.Open(RaftDir, WithSegmentBits(20)))
        {
            await WriteAsync(store);
        }
        Assert.Equal((20, Small.Limits.LogPageBits), LogLayoutFile.Read(LocalFileSystem.Instance, RaftLayout));
        Assert.True(File.Exists(Path.Combine(RaftDir, "raft.log.3")), "the entries should span segments 0 to 3 of 1 MiB");
    }

    [Fact]
    public async Task A_log_of_the_old_layout_without_a_layout_file_reopens_with_256_MiB_segments_and_its_entries_intact()
    {
        using (var store = FasterRaftLogStore.Open(RaftDir, WithSegmentBits(LogLayoutFile.LegacySegmentBits)))
        {
            await WriteAsync(store);
        }
        File.Delete(RaftLayout); // as written before the layout was recorded
        Assert.False(File.Exists(Path.Combine(RaftDir, "raft.log.1")));

        using (var reopened = FasterRaftLogStore.Open(RaftDir, WithSegmentBits(20)))
        {
            AssertIntact(reopened);
            reopened.Append(Small.Entries(LastIndex + 1, LastIndex + 1, 1, EntryBytes), null);
            await reopened.CommitAsync();
        }
        Assert.Equal(LogLayoutFile.LegacySegmentBits, LogLayoutFile.Read(LocalFileSystem.Instance, RaftLayout).SegmentBits);
        using var again = FasterRaftLogStore.Open(RaftDir, WithSegmentBits(20));
        Assert.Equal(LastIndex + 1, again.LastIndex);
    }

    [Fact]
    public async Task A_log_recorded_with_small_segments_reopens_intact_under_larger_default_segments()
    {
        using (var store = FasterRaftLogStore.Open(RaftDir, WithSegmentBits(20)))
        {
            await WriteAsync(store);
        }
        using var reopened = FasterRaftLogStore.Open(RaftDir, WithSegmentBits(24));
        AssertIntact(reopened);
    }

    [Fact]
    public async Task A_shared_log_of_the_old_layout_reopens_with_its_entries_intact()
    {
        var directory = _dir.Sub("shared");
        using (var log = SharedRaftLog.Open(directory, WithSegmentBits(LogLayoutFile.LegacySegmentBits)))
        {
            using var group = log.Open(7);
            await WriteAsync(group);
        }
        File.Delete(Path.Combine(directory, "shared.layout"));
        using (var reopened = SharedRaftLog.Open(directory, WithSegmentBits(20)))
        {
            using var group = reopened.Open(7);
            AssertIntact(group);
        }
        Assert.Equal(LogLayoutFile.LegacySegmentBits, LogLayoutFile.Read(LocalFileSystem.Instance, Path.Combine(directory, "shared.layout")).SegmentBits);
    }

    public static TheoryData<string, uint, uint, uint, uint, bool, string> BadLayouts => new()
    {
        { "checksum", 0x4C4C524B, 1, 20, 14, false, "checksum mismatch" },
        { "magic", 0x4C4C524C, 1, 20, 14, true, "bad magic" },
        { "version", 0x4C4C524B, 2, 20, 14, true, "unknown version 2" },
        { "segment bits above the range", 0x4C4C524B, 1, 40, 14, true, "segment bits 40 out of range" },
        { "segment bits below a page", 0x4C4C524B, 1, 13, 14, true, "segment bits 13 out of range" },
        { "segment bits near uint.MaxValue", 0x4C4C524B, 1, uint.MaxValue, 14, true, "out of range" },
        { "page bits of another build", 0x4C4C524B, 1, 20, 16, true, "pages of 2^16 bytes" },
    };

    [Theory]
    [MemberData(nameof(BadLayouts))]
    public async Task A_damaged_or_unknown_layout_file_is_refused_with_an_error_naming_it(string what, uint magic, uint version, uint segmentBits, uint pageBits, bool goodChecksum, string expected)
    {
        using (var store = FasterRaftLogStore.Open(RaftDir, Small.Limits))
        {
            await WriteAsync(store);
        }
        WriteLayout(RaftLayout, magic, version, segmentBits, pageBits, goodChecksum);

        var refusal = Assert.Throws<StorageCorruptException>(() => FasterRaftLogStore.Open(RaftDir, Small.Limits).Dispose());
        Assert.Contains(RaftLayout, refusal.Message, StringComparison.Ordinal);
        Assert.True(refusal.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {refusal.Message}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    [InlineData(21)]
    public async Task A_layout_file_of_the_wrong_length_is_refused(int length)
    {
        using (var store = FasterRaftLogStore.Open(RaftDir, Small.Limits))
        {
            await WriteAsync(store);
        }
        File.WriteAllBytes(RaftLayout, new byte[length]);

        var refusal = Assert.Throws<StorageCorruptException>(() => FasterRaftLogStore.Open(RaftDir, Small.Limits).Dispose());
        Assert.Contains($"it holds {length} bytes", refusal.Message, StringComparison.Ordinal);
    }
}
