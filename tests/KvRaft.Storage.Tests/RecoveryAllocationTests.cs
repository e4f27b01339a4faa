// Goal: reopening a log checks its records where FasterLog holds them instead of copying each one to the heap, for the
// single-group log and the shared log, and still recovers every entry's term and payload; method: write 10,000 entries
// of 400 bytes, reopen, write 10,000 more, reopen, and divide the growth of the bytes the reopening thread allocated by
// the entries added (fixed costs, FasterLog's pages and buffers, cancel out): a copy of every record, as the scan made
// before, alone is more than the payload per entry.
namespace KvRaft.Storage.Tests;

public sealed class RecoveryAllocationTests : IDisposable
{
    private const int EntriesPerStep = 10_000;
    private const int PayloadBytes = 400;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task AppendAsync(IRaftLogStore store, Func<ValueTask> commit)
    {
        store.Append([], new HardState(3, 2, 0));
        for (var count = 0; count < EntriesPerStep; count += 1_000)
        {
            var from = store.LastIndex + 1;
            store.Append(Small.Entries(from, from + 999, 3, PayloadBytes), null);
            await commit();
        }
    }

    private static void AssertRecovered(IRaftLogStore store, long lastIndex)
    {
        Assert.Equal((1L, lastIndex), (store.FirstIndex, store.LastIndex));
        Assert.Equal(new HardState(3, 2, 0), store.HardState);
        var read = new List<LogEntry>();
        foreach (var index in new[] { 1, lastIndex / 2, lastIndex })
        {
            read.Clear();
            store.Read(index, index + 1, long.MaxValue, read);
            Small.AssertEntry(Small.Entry(index, 3, PayloadBytes), Assert.Single(read));
        }
    }

    /// <summary>Bytes the calling thread allocated to open the store (the replay runs on it).</summary>
    private static long AllocatedToOpen<T>(Func<T> open, Action<T> check) where T : IDisposable
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var opened = open();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        check(opened);
        return allocated;
    }

    private static void AssertLessThanPayloadPerEntry(long first, long second)
    {
        var perEntry = (second - first) / EntriesPerStep;
        Assert.True(perEntry < PayloadBytes, $"reopening allocated {first:N0} bytes at {EntriesPerStep:N0} entries, {second:N0} at twice as many: {perEntry} bytes per entry");
    }

    [Fact]
    public async Task Reopening_a_log_allocates_less_per_entry_than_its_payload()
    {
        var directory = _dir.Sub("log");
        var allocated = new long[2];
        for (var step = 0; step < 2; step++)
        {
            using (var store = FasterRaftLogStore.Open(directory, Small.Limits))
            {
                await AppendAsync(store, () => store.CommitAsync());
            }
            var lastIndex = (step + 1L) * EntriesPerStep;
            allocated[step] = AllocatedToOpen(() => FasterRaftLogStore.Open(directory, Small.Limits), store => AssertRecovered(store, lastIndex));
        }
        AssertLessThanPayloadPerEntry(allocated[0], allocated[1]);
    }

    [Fact]
    public async Task Reopening_a_shared_log_allocates_less_per_entry_than_its_payload()
    {
        var directory = _dir.Sub("shared");
        var allocated = new long[2];
        for (var step = 0; step < 2; step++)
        {
            using (var log = SharedRaftLog.Open(directory, Small.Limits))
            {
                await AppendAsync(log.Open(7), () => log.CommitAsync());
            }
            var lastIndex = (step + 1L) * EntriesPerStep;
            allocated[step] = AllocatedToOpen(() => SharedRaftLog.Open(directory, Small.Limits), log => AssertRecovered(log.Open(7), lastIndex));
        }
        AssertLessThanPayloadPerEntry(allocated[0], allocated[1]);
    }
}
