// Goal: the crash oracle accepts exactly what a SIGKILL may leave and catches lost or invented writes; method: direct store scenarios.
namespace KvRaft.Storage.Tests;

public sealed class CrashOracleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private FasterRaftLogStore Open() => FasterRaftLogStore.Open(_dir.Sub("log"), CrashData.Limits);

    /// <summary>Announces the batch to the oracle, appends and commits it; acknowledges it only when <paramref name="acknowledged"/>.</summary>
    private static async Task Write(FasterRaftLogStore store, CrashOracle oracle, string line, bool acknowledged)
    {
        oracle.Follow(line);
        await WriteUnannounced(store, line);
        if (acknowledged)
        {
            oracle.Follow("ACK");
        }
    }

    private static async Task WriteUnannounced(FasterRaftLogStore store, string line)
    {
        var batch = CrashBatch.Parse(line);
        var entries = new List<LogEntry>();
        for (var index = batch.First; index <= batch.Last; index++)
        {
            entries.Add(CrashData.Entry(index, batch.Term));
        }
        store.Append(entries.ToArray(), batch.Hard);
        await store.CommitAsync();
    }

    [Fact]
    public async Task A_committed_unacknowledged_batch_that_truncates_the_acknowledged_tail_is_an_allowed_outcome()
    {
        // The shape of the seed-9903 report: entries up to 10 acknowledged, then a new-term batch [9, 9] committed
        // whose ACK the test never read before the kill; the log reopens ending at 9 and entry 10 is gone, as asked.
        var oracle = new CrashOracle();
        using (var store = Open())
        {
            await Write(store, oracle, "BATCH 1 10 1 1 1 0", acknowledged: true);
            await Write(store, oracle, "BATCH 9 9 2 2 1 8", acknowledged: false);
        }
        using var reopened = Open();
        Assert.Equal(9, reopened.LastIndex);
        Assert.False(reopened.TryGetTerm(10, out _));
        oracle.Check(reopened, () => "");
        Assert.Equal(1, oracle.TruncatedAcknowledged);
    }

    [Fact]
    public async Task A_lost_acknowledged_entry_is_reported()
    {
        var oracle = new CrashOracle();
        oracle.Follow("BATCH 1 10 1 1 1 0");
        oracle.Follow("ACK");
        using (var store = Open())
        {
            await WriteUnannounced(store, "BATCH 1 9 1 1 1 0");
        }
        using var reopened = Open();
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => oracle.Check(reopened, () => ""));
    }

    [Fact]
    public async Task A_write_never_announced_is_reported()
    {
        var oracle = new CrashOracle();
        using (var store = Open())
        {
            await Write(store, oracle, "BATCH 1 10 1 1 1 0", acknowledged: true);
            await WriteUnannounced(store, "BATCH 11 12 1 1 1 10");
        }
        using var reopened = Open();
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => oracle.Check(reopened, () => ""));
    }

    [Fact]
    public async Task An_unacknowledged_batch_that_was_not_committed_leaves_the_acknowledged_log()
    {
        var oracle = new CrashOracle();
        using (var store = Open())
        {
            await Write(store, oracle, "BATCH 1 10 1 1 1 0", acknowledged: true);
            oracle.Follow("BATCH 9 9 2 2 1 8");
        }
        using var reopened = Open();
        oracle.Check(reopened, () => "");
        Assert.Equal(0, oracle.UnacknowledgedDurable);
        Assert.Equal(10, oracle.LastIndex);
    }
}
