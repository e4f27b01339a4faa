// Goal: the simulated-disk crash tests can see each missing sync, so their passing means something; method: the same
// runs and oracles with one durability rule broken on purpose (through the simulated disk's test-only switches, or
// FASTER's own removal of outdated checkpoints), each expected to lose something acknowledged at some crash point.
using FASTER.core;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace KvRaft.Storage.Tests;

public sealed class SimulatedDiskDemonstrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _staging = new();

    public void Dispose() => _staging.Dispose();

    [Fact]
    public Task Without_directory_syncs_a_crash_loses_acknowledged_names() =>
        ExpectLoss(new SimDisk { IgnoreDirectorySyncs = true });

    [Fact]
    public Task Without_file_syncs_a_crash_loses_acknowledged_bytes() =>
        ExpectLoss(new SimDisk { IgnoreFileSyncs = true });

    [Fact]
    public Task With_device_writes_completed_before_they_are_durable_a_crash_loses_acknowledged_entries() =>
        ExpectLoss(new SimDisk { DeviceWritesVolatile = true });

    private async Task ExpectLoss(SimDisk disk)
    {
        var seed = SimulatedCrash.Seed();
        using var node = new SimulatedNodeCrashTests(output);
        var images = await node.Run(seed, disk, batches: 40, every: 2);
        var lost = 0;
        var checkedPoints = 0;
        foreach (var image in images.TakeWhile(_ => lost < 3)) // a few losses prove the point; broken disks reopen slowly
        {
            checkedPoints++;
            lost += Fails(() => SimulatedNodeCrashTests.Check(image, () => $"seed {seed}")) ? 1 : 0;
        }
        output.WriteLine($"seed {seed}: {lost} of the first {checkedPoints} crash points lost something acknowledged");
        Assert.True(lost > 0, $"the broken rule went unseen at all {images.Count} crash points (seed {seed})");
    }

    [Fact]
    public async Task Without_clearing_torn_commit_records_FasterLog_recovers_an_empty_log_after_512_byte_tears()
    {
        var seed = SimulatedCrash.Seed();
        int emptied = 0, total = 0;
        for (var run = 0; run < 6 && emptied == 0; run++)
        {
            var (images, _) = await SimulatedLogCrashTests.Run(seed + run, new SimDisk { TearBytes = 512 }, batches: 250, every: 2);
            total += images.Count;
            emptied += EmptiedWithoutRepair(images);
        }
        output.WriteLine($"seed {seed}: {emptied} of {total} crash images reopen as an empty FasterLog without the repair");
        Assert.True(emptied > 0, $"no torn commit record emptied the log (seed {seed})");
    }

    /// <summary>Crash images that FasterLog alone (without TornCommitRecords) reopens as empty although entries were acknowledged.</summary>
    private static int EmptiedWithoutRepair(List<CrashImage<LogExpectation>> images)
    {
        var emptied = 0;
        foreach (var image in images.Where(image => image.Expected.Terms.Length > 0 && image.Disk.FileExists("/sim/node/log/raft.commit")))
        {
            using var slots = new LogCommitSlots("/sim/node/log/raft.commit", image.Disk);
            using var device = image.Disk.CreateDevice("/sim/node/log/raft.log");
            var limits = SimulatedCrash.Limits;
            using var log = new FasterLog(new FasterLogSettings
            {
                LogDevice = device,
                PageSizeBits = limits.LogPageBits,
                MemorySizeBits = limits.LogMemoryBits,
                SegmentSizeBits = limits.LogSegmentBits,
                LogCommitManager = slots,
                LogChecksum = LogChecksumType.None,
                FastCommitMode = true,
                TryRecoverLatest = true,
            });
            emptied += log.CommittedUntilAddress <= 64 ? 1 : 0; // FasterLog's "unable to recover": an empty log
        }
        return emptied;
    }

    [Fact]
    public async Task With_FASTER_removing_outdated_checkpoints_a_crash_can_leave_no_checkpoint()
    {
        var (lost, total, seed) = await CheckpointRounds(removeOutdated: true);
        output.WriteLine($"seed {seed}: {lost} of {total} crash points recovered less than the last completed checkpoint");
        Assert.True(lost > 0, $"FASTER's early removal went unseen at all {total} crash points (seed {seed})");
    }

    [Fact]
    public async Task Without_FASTER_removing_outdated_checkpoints_every_completed_checkpoint_survives()
    {
        var (lost, total, seed) = await CheckpointRounds(removeOutdated: false);
        Assert.True(lost == 0, $"{lost} of {total} crash points recovered less than the last completed checkpoint (seed {seed})");
    }

    /// <summary>Checkpoint rounds of a FasterKV on the simulated disk, each crash image recovered: (losses, crash points, seed).</summary>
    private static async Task<(int Lost, int Total, int Seed)> CheckpointRounds(bool removeOutdated)
    {
        var seed = SimulatedCrash.Seed();
        var lost = 0;
        var total = 0;
        for (var run = 0; run < 8 && (lost == 0 || !removeOutdated); run++)
        {
            var disk = new SimDisk();
            DirectorySync.CreateDurably(disk, "/sim/kv");
            long acknowledged = 0;
            var points = new CrashPoints<long>(disk, seed + run, 2, () => Volatile.Read(ref acknowledged));
            using (var store = OpenFaster(disk, removeOutdated))
            using (var session = store.NewSession(new SimpleFunctions<long, long>()))
            {
                for (long round = 1; round <= 6; round++)
                {
                    long key = 1, value = round;
                    session.Upsert(ref key, ref value);
                    Assert.True(store.TryInitiateFullCheckpoint(out _, CheckpointType.FoldOver));
                    await store.CompleteCheckpointAsync();
                    CheckpointFolders.SyncTree(disk, "/sim/kv"); // every name synced after the checkpoint, as our store does
                    Volatile.Write(ref acknowledged, round);
                }
            }
            disk.Detach();
            foreach (var image in points.Images)
            {
                total++;
                using var recovered = OpenFaster(image.Disk, removeOutdated: false);
                using var session = recovered.NewSession(new SimpleFunctions<long, long>());
                long key = 1, value = 0;
                var status = session.Read(ref key, ref value);
                if (status.IsPending)
                {
                    session.CompletePendingWithOutputs(out var outputs, wait: true);
                    using (outputs)
                    {
                        Assert.True(outputs.Next());
                        status = outputs.Current.Status;
                        value = outputs.Current.Output;
                    }
                }
                lost += image.Expected > 0 && (!status.Found || value < image.Expected) ? 1 : 0;
            }
        }
        return (lost, total, seed);
    }

    private static FasterKV<long, long> OpenFaster(SimDisk disk, bool removeOutdated)
    {
        var checkpoints = new DeviceLogCommitCheckpointManager(new FileSystemDeviceFactory(disk),
            new DefaultCheckpointNamingScheme("/sim/kv/checkpoints"), removeOutdated);
        return new FasterKV<long, long>(1 << 10,
            new LogSettings { LogDevice = disk.CreateDevice("/sim/kv/hlog.log"), PageSizeBits = 12, MemorySizeBits = 16 },
            new CheckpointSettings { CheckpointManager = checkpoints }, tryRecoverLatest: true);
    }

    private static bool Fails(Action check)
    {
        try
        {
            check();
            return false;
        }
        catch (Exception error) when (error is XunitException or StorageCorruptException or IOException or FasterException or InvalidOperationException)
        {
            return true;
        }
    }
}
