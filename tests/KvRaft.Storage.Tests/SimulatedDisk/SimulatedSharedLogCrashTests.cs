// Goal: every acknowledged entry and hard state of every group survives a power cut at any disk operation of the shared
// log (appends of several groups, their one commit, compactions of one group moving the file's begin address, recovery),
// and no group ever reads another's records; method: three groups write seeded batches into one SharedRaftLog on the
// simulated disk, all committed by one commit; at a seeded draw of crash points each group's acknowledged log is frozen;
// each crash image is reopened and every group checked against its own expectation (each group's entries carry terms of
// its own range, so a record handed to the wrong group fails the check); a fifth of the images are reopened with a crash
// at every operation of the recovery and of the commit after it, each of those checked too.
using Xunit.Abstractions;

namespace KvRaft.Storage.Tests;

public sealed class SimulatedSharedLogCrashTests(ITestOutputHelper output)
{
    private const string LogDirectory = "/sim/node/shared-log";
    private static readonly int[] GroupIds = [1, 2, 3];

    /// <summary>Group g's terms start at g * 1000: its entries' bytes (CrashData.Entry(index, term)) are its own.</summary>
    private static long TermBase(int group) => group * 1000L;

    [Fact]
    public Task Every_acknowledged_entry_of_every_group_survives_a_power_cut_at_any_disk_operation() => CrashEverywhere(tearBytes: 4096);

    [Fact]
    public Task Every_acknowledged_entry_of_every_group_survives_writes_torn_at_any_512_byte_sector() => CrashEverywhere(tearBytes: 512);

    private async Task CrashEverywhere(int tearBytes)
    {
        var seed = SimulatedCrash.Seed();
        output.WriteLine($"simulated-disk shared log crash seed {seed}, writes torn at {tearBytes} bytes (set KVRAFT_SIMDISK_SEED to replay)");
        int points = 0, inFlight = 0, inRecovery = 0, moved = 0;
        for (var run = 0; run < 3; run++)
        {
            var (images, beginMoves) = await Run(seed + run, new SimDisk { TearBytes = tearBytes }, rounds: 150, every: 2);
            moved += beginMoves;
            inFlight += images.Count(image => image.Expected.Any(e => e.Pending is not null));
            foreach (var image in images)
            {
                if (image.Operation % 5 == 0)
                {
                    inRecovery += await CrashDuringRecovery(image, seed + run);
                }
                else
                {
                    var description = image.Disk.Describe();
                    var logger = new RecordingLogger();
                    using var log = SharedRaftLog.Open(LogDirectory, SimulatedCrash.Limits, logger, image.Disk);
                    Check(log, image.Expected, () => $"seed {seed + run}, crash at operation {image.Operation} ({image.What}); disk: {description}; "
                        + $"log: {string.Join(" | ", logger.Lines.Select(l => l.Message))}");
                }
                points++;
            }
        }
        output.WriteLine($"{points} crash points, {inFlight} with a batch in flight, {inRecovery} more during the recovery of a fifth of them "
            + $"and the first commit after it; the begin address moved {moved} times");
        Assert.True(points >= 300, $"only {points} crash points (seed {seed})");
        Assert.True(inRecovery > 0, $"no crash point fell during a recovery (seed {seed})");
        Assert.True(inFlight > 0, $"no crash point fell while a batch was in flight (seed {seed})");
        Assert.True(moved > 0, $"no compaction moved the begin address (seed {seed})");
    }

    /// <summary>Checks every group of a reopened log against its expectation; the log knows no other group.</summary>
    private static void Check(SharedRaftLog log, LogExpectation[] expected, Func<string> where)
    {
        Assert.True(log.Groups.All(GroupIds.Contains), $"unknown groups {string.Join(",", log.Groups)}: {where()}");
        for (var i = 0; i < GroupIds.Length; i++)
        {
            using var group = log.Open(GroupIds[i]);
            expected[i].Check(group, () => $"group {GroupIds[i]}: {where()}");
        }
    }

    /// <summary>
    /// Rounds of seeded batches: a random non-empty set of groups appends (replacing a suffix now and then), then one
    /// commit covers them all; now and then one group compacts (up to its last entry at times: the log empties).
    /// Returns the crash images and how many compactions moved the file's begin address.
    /// </summary>
    private static async Task<(List<CrashImage<LogExpectation[]>> Images, int BeginMoves)> Run(int seed, SimDisk disk, int rounds, int every)
    {
        var models = GroupIds.Select(_ => new LogModel()).ToArray();
        var points = new CrashPoints<LogExpectation[]>(disk, seed, every, () => [.. models.Select(m => m.Freeze())]);
        var random = new Random(seed);
        var beginMoves = 0;
        using (var log = SharedRaftLog.Open(LogDirectory, SimulatedCrash.Limits, null, disk))
        {
            var groups = GroupIds.Select(log.Open).ToArray();
            var terms = GroupIds.Select(TermBase).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                var writers = Enumerable.Range(0, groups.Length).Where(_ => random.Next(3) > 0).DefaultIfEmpty(random.Next(groups.Length)).ToArray();
                foreach (var g in writers)
                {
                    terms[g] += random.Next(8) == 0 ? 1 : 0;
                    AppendBatch(groups[g], models[g], terms[g], random);
                }
                await log.CommitAsync();
                foreach (var g in writers)
                {
                    models[g].Acknowledge();
                }
                if (random.Next(8) == 0)
                {
                    var g = random.Next(groups.Length);
                    var begin = log.BeginAddress;
                    await Compact(groups[g], models[g], random);
                    beginMoves += log.BeginAddress > begin ? 1 : 0;
                }
            }
        }
        disk.Detach();
        return (points.Images, beginMoves);
    }

    private static void AppendBatch(SharedLogGroup group, LogModel model, long term, Random random)
    {
        var last = model.LastIndex;
        var first = random.Next(6) == 0 ? Math.Max(group.FirstIndex, last - random.Next(3)) : last + 1;
        var count = random.Next(1, 6);
        var entries = Enumerable.Range(0, count).Select(k => CrashData.Entry(first + k, term)).ToArray();
        var hard = new HardState(term, random.Next(3), Math.Max(0, first - 1));
        model.Announce(new CrashBatch(first, first + count - 1, term, hard));
        group.Append(entries, hard);
    }

    private static async Task Compact(SharedLogGroup group, LogModel model, Random random)
    {
        var until = group.LastIndex - random.Next(4);
        if (until < group.FirstIndex || !group.TryGetTerm(until, out var untilTerm))
        {
            return;
        }
        model.Compacting(until);
        group.CompactUntil(until, untilTerm);
        await group.CommitAsync();
    }

    /// <summary>
    /// Reopens a crash image with every disk operation a crash point (the recovery's own writes, then one more batch of
    /// every group, committed), checks it, then checks each of those images.
    /// </summary>
    private static async Task<int> CrashDuringRecovery(CrashImage<LogExpectation[]> image, int seed)
    {
        LogModel[]? recovered = null;
        var points = new CrashPoints<LogExpectation[]>(image.Disk, HashCode.Combine(seed, image.Operation), 1,
            () => Volatile.Read(ref recovered) is { } models ? [.. models.Select(m => m.Freeze())] : image.Expected);
        string Where() => $"seed {seed}, crash at operation {image.Operation}, reopened";
        using (var log = SharedRaftLog.Open(LogDirectory, SimulatedCrash.Limits, null, image.Disk))
        {
            Check(log, image.Expected, Where);
            var groups = GroupIds.Select(log.Open).ToArray();
            var models = groups.Select(LogModel.Recovered).ToArray();
            Volatile.Write(ref recovered, models);
            for (var g = 0; g < groups.Length; g++)
            {
                var first = groups[g].LastIndex + 1;
                var term = Math.Max(TermBase(GroupIds[g]), groups[g].HardState.Term);
                var hard = new HardState(term, 1, groups[g].LastIndex);
                models[g].Announce(new CrashBatch(first, first + 1, term, hard));
                groups[g].Append([CrashData.Entry(first, term), CrashData.Entry(first + 1, term)], hard);
            }
            await log.CommitAsync();
            foreach (var model in models)
            {
                model.Acknowledge();
            }
        }
        image.Disk.Detach();
        foreach (var inner in points.Images)
        {
            using var log = SharedRaftLog.Open(LogDirectory, SimulatedCrash.Limits, null, inner.Disk);
            Check(log, inner.Expected, () => $"{Where()}, crashed again at its operation {inner.Operation}");
        }
        return points.Images.Count;
    }
}
