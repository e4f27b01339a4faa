// Goal: shared machinery of the simulated-disk crash tests: draw crash points while a store runs, keep each point's disk
// image with the expectation frozen at that moment; method: a seeded draw per disk operation, under the disk's lock.
namespace KvRaft.Storage.Tests;

/// <summary>One crash point: the disk as a power cut at operation <paramref name="Operation"/> leaves it, and what must survive.</summary>
internal sealed record CrashImage<T>(long Operation, SimDisk Disk, T Expected)
{
    /// <summary>What the operation cut by the crash was doing.</summary>
    public string What { get; init; } = "";
}

/// <summary>Draws crash points on a disk: each operation is one with probability 1 / <paramref name="every"/>.</summary>
internal sealed class CrashPoints<T>
{
    private readonly Random _draw;
    private readonly int _seed;
    private readonly int _every;
    private readonly Func<T> _freeze;

    public CrashPoints(SimDisk disk, int seed, int every, Func<T> freeze)
    {
        _seed = seed;
        _every = every;
        _freeze = freeze;
        _draw = new Random(seed);
        disk.OnOperation = operation =>
        {
            if (_draw.Next(every) == 0)
            {
                Images.Add(new CrashImage<T>(operation, disk.Crash(new Random(HashCode.Combine(seed, operation))), freeze()) { What = disk.LastOperation });
            }
        };
    }

    public List<CrashImage<T>> Images { get; } = [];
}

internal static class SimulatedCrash
{
    /// <summary>The seed of a crash test: KVRAFT_SIMDISK_SEED when set (to replay a failure), else a fresh one.</summary>
    public static int Seed() =>
        Environment.GetEnvironmentVariable("KVRAFT_SIMDISK_SEED") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : Environment.TickCount & 0xFFFFF;

    /// <summary>Small FASTER sizes and no fill-ahead (the simulated disk has no preallocation to speed up).</summary>
    public static StorageLimits Limits { get; } = CrashData.Limits with
    {
        LogPageBits = 12,
        LogMemoryBits = 16,
        LogSegmentBits = 16,
        LogFillAheadBytes = 0,
        EntryMaxBytes = 1024,
        EntryCacheBytes = 4 << 10,
        KvIndexBuckets = 1 << 8,
        KvMemoryBits = 16,
        KvPageBits = 10,
        KvSegmentBits = 10, // one page: compaction frees segments within a short run
        SnapshotChunkBytes = 4096,
    };
}
