// Goal: a Get of a FasterKV value that lives only on the device does not wait for the disk on the caller's thread:
// it goes pending, the store goes on applying, and the answer (the right value, under the Get's token) comes out of a
// later TakeCompletedGets, also when a snapshot (its checkpoint, then compaction's begin-address shift) comes between;
// a Get of a value in memory answers at once and allocates nothing, as does a read of cached log entries. Method: a
// store with a 64 KiB in-memory log and 1 KiB values, so the first keys written are on disk; allocations counted with
// GC.GetAllocatedBytesForCurrentThread over many calls.
using System.Buffers;

namespace KvRaft.Storage.Tests;

public sealed class ColdGetTests : IDisposable
{
    private const int Keys = 600;
    private const int ValueBytes = 1024;

    private static readonly StorageLimits Limits = Small.Limits with { KvMemoryBits = 16, KvPageBits = 13, KvSegmentBits = 20 };

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void GetOfAValueOnTheDevice_GoesPending_WhileApplyingGoesOn_ThenAnswersWithItsValue()
    {
        using var machine = Filled(out var index);
        var value = new ArrayBufferWriter<byte>();
        var pending = new Dictionary<long, int>();
        for (var k = 0; k < 50; k++)
        {
            var status = machine.TryGetOrStart(Key(k), value, token: 100 + k);
            Assert.Equal(GetStatus.Pending, status);
            pending[100 + k] = k;
        }
        Assert.Equal(0, value.WrittenCount); // nothing written for a pending Get

        Apply(machine, ref index, Keys + 1); // applying goes on while the reads are in flight
        Assert.Equal(GetStatus.Found, machine.TryGetOrStart(Key(Keys - 1), value, token: 1)); // the newest keys are in memory
        Assert.Equal(Value(Keys - 1), value.WrittenSpan.ToArray());

        machine.WaitForPendingGets();
        var answers = new List<CompletedGet>();
        machine.TakeCompletedGets(answers);
        Assert.Equal(pending.Keys.Order(), answers.Select(a => a.Token).Order());
        Assert.All(answers, answer => Assert.Equal(Value(pending[answer.Token]), answer.Value));
    }

    [Fact]
    public async Task GetsPendingWhenASnapshotAndItsCompactionRun_AreAnsweredWithTheirValues()
    {
        using var machine = Filled(out var index);
        for (var round = 0; round < 3; round++)
        {
            var pending = new Dictionary<long, int>();
            StartGets(machine, pending, firstToken: 1);
            for (var k = 20; k < Keys; k++)
            {
                Apply(machine, ref index, k); // the rest overwritten (same values): compaction has dead records to drop
            }
            await machine.TakeSnapshotAsync([1]); // completes the Gets pending before its checkpoint
            StartGets(machine, pending, firstToken: 1000); // pending, perhaps, while compaction shifts the begin address
            await (machine.Compaction ?? Task.CompletedTask);
            machine.WaitForPendingGets();
            var answers = new List<CompletedGet>();
            machine.TakeCompletedGets(answers);
            Assert.Equal(pending.Keys.Order(), answers.Select(a => a.Token).Order());
            Assert.All(answers, answer => Assert.Equal(Value(pending[answer.Token]), answer.Value));
        }
    }

    /// <summary>Gets of keys 0..19 under tokens from <paramref name="firstToken"/>: those found in memory are checked now, the pending ones recorded.</summary>
    private static void StartGets(FasterKvStateMachine machine, Dictionary<long, int> pending, long firstToken)
    {
        var value = new ArrayBufferWriter<byte>();
        for (var k = 0; k < 20; k++)
        {
            value.ResetWrittenCount();
            var status = machine.TryGetOrStart(Key(k), value, token: firstToken + k);
            Assert.NotEqual(GetStatus.NotFound, status);
            if (status == GetStatus.Pending)
            {
                pending[firstToken + k] = k;
            }
            else
            {
                Assert.Equal(Value(k), value.WrittenSpan.ToArray());
            }
        }
    }

    [Fact]
    public void GetOfAValueInMemory_AnswersAtOnce_AndAllocatesNothing()
    {
        using var machine = Filled(out _);
        var value = new ArrayBufferWriter<byte>(ValueBytes);
        var key = Key(Keys - 1);
        for (var i = 0; i < 100; i++)
        {
            value.ResetWrittenCount();
            Assert.Equal(GetStatus.Found, machine.TryGetOrStart(key, value, token: 1));
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = 0;
        for (var i = 0; i < 10_000; i++)
        {
            value.ResetWrittenCount();
            found += machine.TryGetOrStart(key, value, token: 1) == GetStatus.Found ? 1 : 0;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(10_000, found);
        Assert.True(allocated < 10_000, $"{allocated} bytes allocated for 10,000 Gets of a value in memory");
    }

    [Fact]
    public async Task ReadOfCachedLogEntries_AllocatesNothing()
    {
        using var log = FasterRaftLogStore.Open(_dir.Sub("log"), Small.Limits with { EntryCacheBytes = 1 << 20 });
        log.Append(Small.Entries(1, 64, term: 1), new HardState(1, 0, 0));
        await log.CommitAsync();
        var into = new List<LogEntry>(64);
        for (var i = 0; i < 100; i++)
        {
            into.Clear();
            Assert.True(log.TryReadCached(1, 65, 1 << 20, into));
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            into.Clear();
            log.TryReadCached(33, 65, 1 << 20, into);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(32, into.Count);
        Assert.True(allocated < 10_000, $"{allocated} bytes allocated for 10,000 reads of cached entries");
    }

    [Fact]
    public async Task EvictedLogEntries_AreNotServedFromTheCache_AndAreReadInTheBackground()
    {
        // A cache of 1 KiB: once committed, all but the newest entries of 256 bytes are evicted.
        using var log = FasterRaftLogStore.Open(_dir.Sub("log"), Small.Limits with { EntryCacheBytes = 1 << 10 });
        var entries = Small.Entries(1, 64, term: 3, bytes: 256);
        log.Append(entries, new HardState(3, 0, 0));
        await log.CommitAsync();
        Assert.False(log.TryReadCached(1, 65, 1 << 20, []));
        var read = new List<LogEntry>();
        await Task.Run(async () => await log.ReadStoredAsync(1, 65, 4096, read));
        Assert.Equal(16, read.Count); // bounded by bytes: 4096 / 256
        for (var i = 0; i < read.Count; i++)
        {
            Small.AssertEntry(entries[i], read[i]);
        }
        log.CompactUntil(40, 3);
        var afterCompaction = new List<LogEntry>();
        await log.ReadStoredAsync(10, 65, 4096, afterCompaction);
        Assert.Empty(afterCompaction); // compacted meanwhile: nothing, and no error
    }

    private FasterKvStateMachine Filled(out long index)
    {
        var machine = FasterKvStateMachine.Open(_dir.Sub("sm"), Limits);
        index = 0;
        for (var k = 0; k < Keys; k++)
        {
            Apply(machine, ref index, k);
        }
        return machine;
    }

    private static void Apply(FasterKvStateMachine machine, ref long index, int k) =>
        machine.ApplyBatch([new KvApply(++index, 1, new KvCommand(KvOp.Put, Key(k), Value(k)))], []);

    private static byte[] Key(int k) => System.Text.Encoding.UTF8.GetBytes($"key-{k:D4}");

    private static byte[] Value(int k)
    {
        var value = new byte[ValueBytes];
        new Random(k).NextBytes(value);
        return value;
    }
}
