// Goal: every acknowledged Raft log entry and hard state survives a power cut at any disk operation of append, commit,
// compaction and recovery, on the real FasterRaftLogStore; method: runs on a simulated disk that keeps unsynced writes and
// folder entries only in memory, a seeded draw of crash points (about one operation in two), each crash image reopened
// and checked against the acknowledged log frozen at that point; a fifth of them reopened with a crash at every
// operation of the recovery and of the next commit, each of those checked too.
using Xunit.Abstractions;

namespace KvRaft.Storage.Tests;

public sealed class SimulatedLogCrashTests(ITestOutputHelper output)
{
    private const string LogDirectory = "/sim/node/log";

    [Fact]
    public Task Every_acknowledged_entry_survives_a_power_cut_at_any_disk_operation() => CrashEverywhere(tearBytes: 4096);

    /// <summary>A torn commit record (header kept, body lost) must not make FasterLog recover an empty log (TornCommitRecords).</summary>
    [Fact]
    public Task Every_acknowledged_entry_survives_writes_torn_at_any_512_byte_sector() => CrashEverywhere(tearBytes: 512);

    private async Task CrashEverywhere(int tearBytes)
    {
        var seed = SimulatedCrash.Seed();
        output.WriteLine($"simulated-disk log crash seed {seed}, writes torn at {tearBytes} bytes (set KVRAFT_SIMDISK_SEED to replay)");
        int points = 0, inFlight = 0, pendingDurable = 0, inRecovery = 0;
        for (var run = 0; run < 4; run++)
        {
            var (images, pendingSeen) = await Run(seed + run, new SimDisk { TearBytes = tearBytes }, batches: 250, every: 2);
            inFlight += pendingSeen;
            foreach (var image in images)
            {
                if (image.Operation % 5 == 0)
                {
                    inRecovery += await CrashDuringRecovery(image, seed + run);
                    points++;
                    continue;
                }
                var description = image.Disk.Describe();
                var logger = new RecordingLogger();
                using var store = FasterRaftLogStore.Open(LogDirectory, SimulatedCrash.Limits, logger, image.Disk);
                pendingDurable += image.Expected.Check(store, () => $"seed {seed + run}, crash at operation {image.Operation}; disk: {description}; "
                    + $"log: {string.Join(" | ", logger.Lines.Select(l => l.Message))}") ? 1 : 0;
                points++;
            }
        }
        output.WriteLine($"{points} crash points, {inFlight} with a batch in flight, {pendingDurable} found it durable; "
            + $"{inRecovery} more during the recovery of a fifth of them and the first commit after it");
        Assert.True(points >= 500, $"only {points} crash points (seed {seed})");
        Assert.True(inRecovery > 0, $"no crash point fell during a recovery (seed {seed})");
        Assert.True(inFlight > 0, $"no crash point fell while a batch was in flight (seed {seed})");
    }

    /// <summary>
    /// Reopens a crash image with every disk operation a crash point (the recovery's own writes, then one more batch
    /// committed), checks it, then checks each of those images: the state found at reopening, or the outcome allowed
    /// before it while the recovery was cut short, plus the new batch once acknowledged. Returns the crash points.
    /// </summary>
    private static async Task<int> CrashDuringRecovery(CrashImage<LogExpectation> image, int seed)
    {
        LogModel? recovered = null;
        var points = new CrashPoints<LogExpectation>(image.Disk, HashCode.Combine(seed, image.Operation), 1,
            () => Volatile.Read(ref recovered)?.Freeze() ?? image.Expected);
        string Where() => $"seed {seed}, crash at operation {image.Operation}, reopened";
        using (var store = FasterRaftLogStore.Open(LogDirectory, SimulatedCrash.Limits, null, image.Disk))
        {
            image.Expected.Check(store, Where);
            var model = LogModel.Recovered(store);
            Volatile.Write(ref recovered, model);
            var first = store.LastIndex + 1;
            var term = Math.Max(1, store.HardState.Term);
            var hard = new HardState(term, 1, store.LastIndex);
            model.Announce(new CrashBatch(first, first + 1, term, hard));
            store.Append([CrashData.Entry(first, term), CrashData.Entry(first + 1, term)], hard);
            await store.CommitAsync();
            model.Acknowledge();
        }
        image.Disk.Detach();
        foreach (var inner in points.Images)
        {
            using var store = FasterRaftLogStore.Open(LogDirectory, SimulatedCrash.Limits, null, inner.Disk);
            inner.Expected.Check(store, () => $"{Where()}, crashed again at its operation {inner.Operation}");
        }
        return points.Images.Count;
    }

    /// <summary>Appends and commits seeded batches (replacing suffixes now and then, compacting now and then).</summary>
    internal static async Task<(List<CrashImage<LogExpectation>> Images, int PendingSeen)> Run(int seed, SimDisk disk, int batches, int every)
    {
        var model = new LogModel();
        var points = new CrashPoints<LogExpectation>(disk, seed, every, model.Freeze);
        var random = new Random(seed);
        using (var store = FasterRaftLogStore.Open(LogDirectory, SimulatedCrash.Limits, null, disk))
        {
            long term = 1;
            for (var i = 0; i < batches; i++)
            {
                var last = model.LastIndex;
                term += random.Next(8) == 0 ? 1 : 0;
                var first = random.Next(6) == 0 ? Math.Max(store.FirstIndex, last - random.Next(3)) : last + 1;
                var count = random.Next(1, 6);
                var entries = Enumerable.Range(0, count).Select(k => CrashData.Entry(first + k, term)).ToArray();
                var hard = new HardState(term, random.Next(3), Math.Max(0, first - 1));
                model.Announce(new CrashBatch(first, first + count - 1, term, hard));
                store.Append(entries, hard);
                await store.CommitAsync();
                model.Acknowledge();
                if (random.Next(25) == 0 && store.LastIndex - 5 >= store.FirstIndex)
                {
                    var until = store.LastIndex - 5;
                    Assert.True(store.TryGetTerm(until, out var untilTerm));
                    model.Compacting(until);
                    store.CompactUntil(until, untilTerm);
                    await store.CommitAsync();
                }
            }
        }
        disk.Detach();
        return (points.Images, points.Images.Count(image => image.Expected.Pending is not null));
    }
}
