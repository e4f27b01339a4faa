// Goal: a power cut at any disk operation of append, commit, apply, checkpoint (snapshot) and snapshot install loses
// nothing acknowledged: the log keeps every acknowledged entry, the state machine never falls below the last snapshot
// or install acknowledged, holds exactly the state of its applied index, and the log still holds every entry after it;
// method: the real FasterRaftLogStore and FasterKvStateMachine on one simulated disk, seeded crash points, each image
// reopened, checked, and replayed to the log's end; a twentieth of them reopened with crashes drawn among the operations of the
// recovery, the replay, and a snapshot with compaction after it, each of those checked too. The state machine compacts its
// own log after each snapshot, in the background while the node goes on (one-page segments, so that the next checkpoint
// deletes segments): crash points fall while it runs, after it before a checkpoint recorded its begin address, and
// during the deletion of the segments below it.
using Xunit.Abstractions;

namespace KvRaft.Storage.Tests;

public sealed class SimulatedNodeCrashTests(ITestOutputHelper output) : IDisposable
{
    private const string LogDirectory = "/sim/node/log";
    private const string StateDirectory = "/sim/node/state";
    private readonly TempDir _staging = new();

    public void Dispose() => _staging.Dispose();

    [Fact]
    public async Task Nothing_acknowledged_is_lost_at_a_power_cut_during_append_apply_checkpoint_or_install()
    {
        var seed = SimulatedCrash.Seed();
        output.WriteLine($"simulated-disk node crash seed {seed} (set KVRAFT_SIMDISK_SEED to replay)");
        int points = 0, inFlight = 0, inRecovery = 0, deleting = 0;
        var steps = new Dictionary<string, int>();
        var compaction = new Dictionary<string, int>();
        for (var run = 0; run < 2; run++)
        {
            var images = await Run(seed + run, new SimDisk { TearBytes = run == 0 ? 4096 : 512 }, batches: 150, every: 3);
            foreach (var image in images)
            {
                steps[image.Expected.Step] = steps.GetValueOrDefault(image.Expected.Step) + 1;
                compaction[image.Expected.KvCompaction] = compaction.GetValueOrDefault(image.Expected.KvCompaction) + 1;
                deleting += IsSegmentDeletion(image.What) ? 1 : 0;
            }
            inFlight += images.Count(image => image.Expected.Log.Pending is not null);
            foreach (var image in images)
            {
                if (image.Operation % 20 == 0)
                {
                    var (recoveryPoints, recoveryDeleting) = await CrashDuringRecovery(image, seed + run);
                    inRecovery += recoveryPoints;
                    deleting += recoveryDeleting;
                }
                else
                {
                    Check(image, () => $"seed {seed + run}, crash at operation {image.Operation} ({image.What})");
                }
                points++;
            }
        }
        output.WriteLine($"{points} crash points, {inFlight} with a batch in flight; by step: {string.Join(", ", steps.Select(s => $"{s.Key} {s.Value}"))}; "
            + $"{inRecovery} more during the recovery of a twentieth of them, its replay, snapshot and compaction; state machine compaction: "
            + $"{compaction.GetValueOrDefault(NodeExpectation.CompactionRunning)} while it ran, {compaction.GetValueOrDefault(NodeExpectation.CompactionNotDurable)} after it "
            + $"before a checkpoint made it durable (checkpoint included), {deleting} deleting a segment below the begin address (recoveries included)");
        Assert.True(inRecovery > 0, $"no crash point fell during a recovery (seed {seed})");
        Assert.True(points >= 300, $"only {points} crash points (seed {seed})");
        Assert.All(new[] { "append", "snapshot", "compact", "install" }, step => Assert.True(steps.GetValueOrDefault(step) > 0, $"no crash point during {step} (seed {seed})"));
        Assert.True(inFlight > 0, $"no crash point fell while a batch was in flight (seed {seed})");
        Assert.True(compaction.GetValueOrDefault(NodeExpectation.CompactionNotDurable) > 0, $"no crash point after a state machine compaction (seed {seed})");
        Assert.True(deleting > 0, $"no crash point while a segment below the begin address was deleted (seed {seed})");
    }

    /// <summary>A crash cut the deletion of a state machine log segment (below the begin address of a durable checkpoint).</summary>
    private static bool IsSegmentDeletion(string what) => what.StartsWith("folder: remove hlog.log.", StringComparison.Ordinal);

    internal static void Check(CrashImage<NodeExpectation> image, Func<string> where)
    {
        var description = image.Disk.Describe();
        string Where() => $"{where()}; disk: {description}";
        using var log = FasterRaftLogStore.Open(LogDirectory, SimulatedCrash.Limits, null, image.Disk);
        using var machine = FasterKvStateMachine.Open(StateDirectory, SimulatedCrash.Limits, image.Disk);
        CheckOpened(image.Expected, log, machine, Where);
    }

    /// <summary>
    /// Reopens a crash image with every other disk operation (drawn) a crash point (the recovery's own writes, the replay, a snapshot
    /// and compaction after it), checks it, then checks each of those images against what was acknowledged at the time.
    /// </summary>
    private static async Task<(int Points, int Deleting)> CrashDuringRecovery(CrashImage<NodeExpectation> image, int seed)
    {
        Func<NodeExpectation>? now = null; // after the reopened state was checked: what is acknowledged from then on
        var points = new CrashPoints<NodeExpectation>(image.Disk, HashCode.Combine(seed, image.Operation), 2,
            () => Volatile.Read(ref now)?.Invoke() ?? image.Expected);
        string Where() => $"seed {seed}, crash at operation {image.Operation}, reopened";
        using (var log = FasterRaftLogStore.Open(LogDirectory, SimulatedCrash.Limits, null, image.Disk))
        using (var machine = FasterKvStateMachine.Open(StateDirectory, SimulatedCrash.Limits, image.Disk))
        {
            var model = LogModel.Recovered(log);
            var expected = image.Expected;
            var last = log.LastIndex;
            CheckOpened(expected, log, machine, Where, () =>
                Volatile.Write(ref now, () => new NodeExpectation(model.Freeze(), expected.AppliedFloor, last, expected.SnapshotFloor, "recovery")));
            var info = await machine.TakeSnapshotAsync([3]);
            Volatile.Write(ref now, () => new NodeExpectation(model.Freeze(), info.Index, last, info.Index, "recovery"));
            await Compact(log, model, info.Index);
            info = await machine.TakeSnapshotAsync([4]); // makes the compaction after the first durable, deletes the segments below it
            Volatile.Write(ref now, () => new NodeExpectation(model.Freeze(), info.Index, last, info.Index, "recovery"));
        }
        image.Disk.Detach();
        foreach (var inner in points.Images)
        {
            Check(inner, () => $"{Where()}, crashed again at its operation {inner.Operation} ({inner.What})");
        }
        return (points.Images.Count, points.Images.Count(inner => IsSegmentDeletion(inner.What)));
    }

    private static void CheckOpened(NodeExpectation expected, FasterRaftLogStore log, FasterKvStateMachine machine, Func<string> Where, Action? beforeReplay = null)
    {
        expected.Log.Check(log, Where);
        var applied = machine.AppliedIndex;
        Assert.True(applied >= expected.AppliedFloor && applied <= expected.AppliedCeiling,
            $"state machine reopened at {applied}, outside [{expected.AppliedFloor}, {expected.AppliedCeiling}]: {Where()}");
        NodeExpectation.AssertState(machine, applied, Where);
        Assert.True(log.FirstIndex <= applied + 1, $"log starts at {log.FirstIndex}, after the state machine's {applied} + 1: {Where()}");
        if (expected.SnapshotFloor > 0)
        {
            Assert.True(machine.LatestSnapshot?.Info.Index >= expected.SnapshotFloor,
                $"latest snapshot {machine.LatestSnapshot?.Info.Index.ToString() ?? "none"} below the acknowledged {expected.SnapshotFloor}: {Where()}");
        }
        beforeReplay?.Invoke();
        machine.ApplyBatch(NodeExpectation.Applies(applied + 1, log.LastIndex), []);
        NodeExpectation.AssertState(machine, log.LastIndex, Where);
    }

    /// <summary>A node's storage at work: appends and commits, applies behind, snapshots and compacts, installs snapshots.</summary>
    internal async Task<List<CrashImage<NodeExpectation>>> Run(int seed, SimDisk disk, int batches, int every)
    {
        var model = new LogModel();
        var gate = new Lock();
        long floor = 0, ceiling = 0, snapshotFloor = 0;
        var step = "open";
        Task? compaction = null; // the state machine's, begun after the last snapshot
        var points = new CrashPoints<NodeExpectation>(disk, seed, every, () =>
        {
            lock (gate)
            {
                return new NodeExpectation(model.Freeze(), floor, ceiling, snapshotFloor, step, NodeExpectation.CompactionPhase(compaction));
            }
        });
        void Step(string name)
        {
            lock (gate)
            {
                step = name;
            }
        }
        var random = new Random(seed);
        var leader = new MemoryKvStateMachine(SimulatedCrash.Limits);
        using (var log = FasterRaftLogStore.Open(LogDirectory, SimulatedCrash.Limits, null, disk))
        using (var machine = FasterKvStateMachine.Open(StateDirectory, SimulatedCrash.Limits, disk))
        {
            for (var i = 0; i < batches; i++)
            {
                Step("append");
                var first = log.LastIndex + 1;
                var count = random.Next(1, 5);
                var hard = new HardState(1, 0, first - 1);
                model.Announce(new CrashBatch(first, first + count - 1, 1, hard));
                log.Append([.. Enumerable.Range(0, count).Select(k => CrashData.Entry(first + k, 1))], hard);
                await log.CommitAsync();
                model.Acknowledge();
                leader.ApplyBatch(NodeExpectation.Applies(first, first + count - 1), []);
                Step("apply");
                var target = log.LastIndex - random.Next(4);
                if (target > machine.AppliedIndex)
                {
                    lock (gate)
                    {
                        ceiling = Math.Max(ceiling, target);
                    }
                    machine.ApplyBatch(NodeExpectation.Applies(machine.AppliedIndex + 1, target), []);
                }
                if (random.Next(10) == 0)
                {
                    Step("snapshot");
                    var info = await machine.TakeSnapshotAsync([1]);
                    lock (gate)
                    {
                        floor = Math.Max(floor, info.Index);
                        snapshotFloor = Math.Max(snapshotFloor, info.Index);
                        compaction = machine.Compaction; // runs on while the node goes on
                    }
                    Step("compact");
                    await Compact(log, model, info.Index);
                }
                else if (random.Next(15) == 0 && leader.AppliedIndex > machine.AppliedIndex)
                {
                    Step("install");
                    await Install(leader, machine, log, model, gate, index =>
                    {
                        ceiling = Math.Max(ceiling, index);
                    }, index =>
                    {
                        floor = Math.Max(floor, index);
                        snapshotFloor = Math.Max(snapshotFloor, index);
                        compaction = null; // the install stopped it; the store it compacted is gone
                    });
                }
            }
        }
        disk.Detach();
        return points.Images;
    }

    private async Task Install(MemoryKvStateMachine leader, FasterKvStateMachine machine, FasterRaftLogStore log, LogModel model, Lock gate,
        Action<long> starting, Action<long> acknowledged)
    {
        var info = await leader.TakeSnapshotAsync([2]);
        var path = _staging.Sub($"incoming-{info.Index}.kvs");
        using (var file = File.Create(path))
        using (var reader = leader.LatestSnapshot!.OpenSnapshotReader())
        {
            while (reader.TryReadNext(out var chunk))
            {
                file.Write(chunk.Data.Span);
            }
        }
        lock (gate)
        {
            starting(info.Index);
        }
        machine.ReplaceFrom(SnapshotFile.Verify(path));
        lock (gate)
        {
            acknowledged(info.Index);
        }
        await Compact(log, model, info.Index);
    }

    private static async Task Compact(FasterRaftLogStore log, LogModel model, long index)
    {
        model.Compacting(index);
        log.CompactUntil(index, 1);
        await log.CommitAsync();
    }
}
