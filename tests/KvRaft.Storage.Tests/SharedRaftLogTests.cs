// Goal: the shared log's own claims: one commit covers the writes of many groups, each group is rebuilt from one scan
// with its own entries, hard state and boundary and nothing of another group's, the file's begin address moves only to
// what every group still needs, and groups are bounded; method: a real SharedRaftLog in a temp folder, reopened.
namespace KvRaft.Storage.Tests;

public sealed class SharedRaftLogTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private SharedRaftLog Open(StorageLimits? limits = null, RecordingLogger? logger = null) =>
        SharedRaftLog.Open(_dir.Sub("shared"), limits ?? Small.Limits, logger);

    /// <summary>Group g's entry at an index: its own term (g * 100 + term) and payload, so a record handed to another group shows.</summary>
    private static LogEntry[] EntriesOf(int group, long from, long to, long term = 1) =>
        Small.Entries(from, to, group * 100 + term, 20 + group).Select(e => e with { Data = e.Data.ToArray().Select(b => (byte)(b ^ group)).ToArray() }).ToArray();

    private static void AssertHolds(IRaftLogStore store, IEnumerable<LogEntry> expected)
    {
        var list = expected.ToList();
        Assert.Equal((list[0].Index, list[^1].Index), (store.FirstIndex, store.LastIndex));
        var read = new List<LogEntry>();
        store.Read(store.FirstIndex, store.LastIndex + 1, long.MaxValue, read);
        Assert.Equal(list.Count, read.Count);
        for (var i = 0; i < list.Count; i++)
        {
            Small.AssertEntry(list[i], read[i]);
        }
    }

    [Fact]
    public async Task One_commit_makes_the_writes_of_eight_groups_durable()
    {
        using (var log = Open())
        {
            var groups = Enumerable.Range(1, 8).Select(log.Open).ToArray();
            var before = log.CommitCount;
            foreach (var group in groups)
            {
                group.Append(EntriesOf(group.Id, 1, 5), new HardState(group.Id, group.Id, 3));
            }
            await log.CommitAsync();
            Assert.Equal(1, log.CommitCount - before);
        }
        using var reopened = Open();
        Assert.Equal(Enumerable.Range(1, 8), reopened.Groups.Order());
        for (var id = 1; id <= 8; id++)
        {
            using var group = reopened.Open(id);
            AssertHolds(group, EntriesOf(id, 1, 5));
            Assert.Equal(new HardState(id, id, 3), group.HardState);
        }
    }

    [Fact]
    public async Task Groups_committing_at_once_share_one_commit()
    {
        using var log = Open();
        var groups = Enumerable.Range(1, 6).Select(log.Open).ToArray();
        foreach (var group in groups)
        {
            group.Append(EntriesOf(group.Id, 1, 3), null);
        }
        var before = log.CommitCount;
        await Task.WhenAll(groups.Select(group => group.CommitAsync().AsTask()));
        Assert.Equal(1, log.CommitCount - before);
        groups[0].Append(EntriesOf(1, 4, 4), null);
        await groups[0].CommitAsync();
        await groups[1].CommitAsync(); // nothing of its own pending: no commit
        Assert.Equal(2, log.CommitCount - before);
    }

    [Fact]
    public async Task Each_group_is_rebuilt_from_one_scan_with_its_own_entries_hard_state_and_boundary()
    {
        using (var log = Open())
        {
            var (a, b, c) = (log.Open(1), log.Open(2), log.Open(3));
            for (var round = 0; round < 10; round++)
            {
                a.Append(EntriesOf(1, round * 10 + 1, round * 10 + 10), new HardState(1, 1, round * 10));
                b.Append(EntriesOf(2, round * 5 + 1, round * 5 + 5), null);
                c.Append(EntriesOf(3, round + 1, round + 1), new HardState(3, 2, round));
                await log.CommitAsync();
            }
            a.CompactUntil(60, 101); // entries up to 60 go; term of group 1's entries is 101
            b.Append(EntriesOf(2, 41, 43, term: 2), new HardState(2, 0, 40)); // replaces b's suffix from 41
            c.ResetAfter(500, 307);
            c.Append(EntriesOf(3, 501, 502, term: 7), null);
            await log.CommitAsync();
        }
        using var reopened = Open();
        using (var a = reopened.Open(1))
        {
            AssertHolds(a, EntriesOf(1, 61, 100));
            Assert.True(a.TryGetTerm(60, out var boundary));
            Assert.Equal(101, boundary);
            Assert.Equal(new HardState(1, 1, 90), a.HardState);
        }
        using (var b = reopened.Open(2))
        {
            AssertHolds(b, EntriesOf(2, 1, 40).Concat(EntriesOf(2, 41, 43, term: 2)));
            Assert.Equal(new HardState(2, 0, 40), b.HardState);
        }
        using var c2 = reopened.Open(3);
        AssertHolds(c2, EntriesOf(3, 501, 502, term: 7));
        Assert.True(c2.TryGetTerm(500, out var reset));
        Assert.Equal(307, reset);
        Assert.Equal(new HardState(3, 2, 9), c2.HardState);
    }

    [Fact]
    public async Task A_group_that_was_never_opened_again_keeps_its_records_and_stays_unseen_by_the_others()
    {
        using (var log = Open())
        {
            log.Open(1).Append(EntriesOf(1, 1, 50), new HardState(1, 1, 1));
            log.Open(2).Append(EntriesOf(2, 1, 50), new HardState(2, 2, 2));
            await log.CommitAsync();
        }
        using (var log = Open())
        {
            using var one = log.Open(1);
            one.Append(EntriesOf(1, 51, 60), null);
            one.CompactUntil(55, 101);
            await one.CommitAsync();
        }
        using var reopened = Open();
        using var two = reopened.Open(2);
        AssertHolds(two, EntriesOf(2, 1, 50));
        Assert.Equal(new HardState(2, 2, 2), two.HardState);
    }

    [Fact]
    public async Task The_begin_address_moves_only_to_the_lowest_address_any_group_still_needs()
    {
        using var log = Open();
        var (a, b) = (log.Open(1), log.Open(2));
        b.Append(EntriesOf(2, 1, 5), null);
        a.Append(EntriesOf(1, 1, 400), null);
        await log.CommitAsync();
        a.CompactUntil(390, 101);
        await log.CommitAsync();
        Assert.Equal(b.LowWaterAddress, log.BeginAddress); // b's first entry pins the log; a's compaction freed nothing
        var retained = log.RetainedBytes;
        b.CompactUntil(5, 201); // b's last entry: its low-water mark is now its record at the tail
        await log.CommitAsync();
        Assert.Equal(a.LowWaterAddress, log.BeginAddress);
        Assert.True(log.RetainedBytes < retained / 10, $"{log.RetainedBytes} bytes retained, {retained} before");
    }

    /// <summary>
    /// Group 1's records from before its entries were replaced lie above group 2's low-water mark, where the scan of the
    /// reopened log begins: the replay starts inside superseded records of group 1 and must still rebuild its live log.
    /// </summary>
    [Fact]
    public async Task A_replay_starting_inside_a_groups_superseded_records_rebuilds_its_live_log()
    {
        long begin;
        using (var log = Open())
        {
            var (a, b) = (log.Open(1), log.Open(2));
            a.Append(EntriesOf(1, 1, 5), null);
            b.Append(EntriesOf(2, 1, 2), null);
            a.Append(EntriesOf(1, 6, 10), null);
            a.Append(EntriesOf(1, 1, 3, term: 2), new HardState(2, 1, 0)); // replaces every entry of group 1
            b.CompactUntil(1, 201); // b needs its entry 2 on: the begin address moves there, among group 1's stale 6..10
            await log.CommitAsync();
            begin = log.BeginAddress;
            Assert.Equal(b.LowWaterAddress, begin);
            Assert.True(a.LowWaterAddress > begin);
        }
        using var reopened = Open();
        Assert.Equal(begin, reopened.BeginAddress);
        using var one = reopened.Open(1);
        AssertHolds(one, EntriesOf(1, 1, 3, term: 2));
        Assert.Equal(new HardState(2, 1, 0), one.HardState);
        using var two = reopened.Open(2);
        AssertHolds(two, EntriesOf(2, 2, 2));
        Assert.True(two.TryGetTerm(1, out var boundary));
        Assert.Equal(201, boundary);
    }

    [Fact]
    public async Task Bytes_since_compaction_count_only_the_groups_own_records()
    {
        using var log = Open();
        var (a, b) = (log.Open(1), log.Open(2));
        a.Append(EntriesOf(1, 1, 100), null);
        b.Append(EntriesOf(2, 1, 2), null);
        await log.CommitAsync();
        Assert.True(a.BytesSinceCompaction >= 100 * (SharedLogRecord.HeaderBytes + 21));
        Assert.Equal(2 * (SharedLogRecord.HeaderBytes + 22), b.BytesSinceCompaction);
        a.CompactUntil(100, 101);
        Assert.True(a.BytesSinceCompaction < 100);
    }

    [Fact]
    public void Groups_beyond_the_limit_and_a_second_view_of_a_group_are_refused()
    {
        using var log = Open(Small.Limits with { LogGroupsMax = 2 });
        log.Open(1);
        log.Open(2).Dispose();
        Assert.Throws<InvalidOperationException>(() => log.Open(1));
        Assert.Throws<InvalidOperationException>(() => log.Open(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Open(-1));
        using var again = log.Open(2); // a closed view opens again
    }

    [Fact]
    public async Task A_log_with_more_groups_than_the_limit_is_refused_when_it_opens()
    {
        using (var log = Open())
        {
            for (var id = 0; id < 3; id++)
            {
                log.Open(id).Append([], new HardState(1, 0, 0));
            }
            await log.CommitAsync();
        }
        var error = Assert.Throws<StorageCorruptException>(() => Open(Small.Limits with { LogGroupsMax = 2 }));
        Assert.Contains("LogGroupsMax", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_last_record_is_cut_off_with_a_warning_and_every_group_keeps_what_came_before()
    {
        (string File, long Offset) damaged;
        using (var log = Open())
        {
            var (a, b) = (log.Open(1), log.Open(2));
            a.Append(EntriesOf(1, 1, 10), null);
            b.Append(EntriesOf(2, 1, 10), null);
            await log.CommitAsync();
            damaged = b.LocateEntry(10);
        }
        using (var stream = new FileStream(damaged.File, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = damaged.Offset + 4 + SharedLogRecord.HeaderBytes + 3;
            var value = stream.ReadByte();
            stream.Position -= 1;
            stream.WriteByte((byte)(value ^ 0x40));
        }
        var logger = new RecordingLogger();
        using var reopened = Open(logger: logger);
        Assert.Contains(logger.Lines, line => line.Message.Contains("torn tail", StringComparison.Ordinal));
        AssertHolds(reopened.Open(1), EntriesOf(1, 1, 10));
        AssertHolds(reopened.Open(2), EntriesOf(2, 1, 9));
    }

    [Fact]
    public async Task A_write_after_the_view_is_closed_is_refused()
    {
        using var log = Open();
        var group = log.Open(1);
        group.Append(EntriesOf(1, 1, 1), null);
        await group.CommitAsync();
        group.Dispose();
        Assert.Throws<ObjectDisposedException>(() => group.Append(EntriesOf(1, 2, 2), null));
    }

    [Fact]
    public async Task A_failed_write_faults_every_group_and_no_unacknowledged_write_of_any_group_is_recovered()
    {
        FaultyDevice? device = null;
        using (var log = SharedRaftLog.Open(_dir.Sub("shared"), Small.Limits, null,
            path => device = new FaultyDevice(FASTER.core.Devices.CreateLogDevice(path, preallocateFile: false))))
        {
            var (a, b) = (log.Open(1), log.Open(2));
            a.Append(EntriesOf(1, 1, 10), new HardState(1, 1, 0));
            b.Append(EntriesOf(2, 1, 10), new HardState(2, 2, 0));
            await log.CommitAsync();
            device!.Fault = DeviceFault.FailWrites;
            a.Append(EntriesOf(1, 11, 20), new HardState(3, 1, 5));
            b.Append(EntriesOf(2, 11, 12), null);
            await Assert.ThrowsAsync<StorageFailedException>(() => a.CommitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(log.IsFaulted);
            Assert.Throws<StorageFailedException>(() => b.Append(EntriesOf(2, 13, 13), null));
            await Assert.ThrowsAsync<StorageFailedException>(() => b.CommitAsync().AsTask());
            device.Fault = DeviceFault.None;
        }
        using var reopened = Open();
        var one = reopened.Open(1);
        AssertHolds(one, EntriesOf(1, 1, 10));
        Assert.Equal(new HardState(1, 1, 0), one.HardState);
        AssertHolds(reopened.Open(2), EntriesOf(2, 1, 10));
    }
}
