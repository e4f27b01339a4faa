using System.Diagnostics;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage;

/// <summary>The file names of one FasterLog in its folder: segments, commit slots, recorded tail cuts, layout (<see cref="LogLayoutFile"/>).</summary>
internal sealed record FasterLogNames(string Log, string Commit, string TailCuts, string Layout)
{
    /// <summary>The single-group Raft log (<see cref="FasterRaftLogStore"/>).</summary>
    public static FasterLogNames Raft { get; } = new("raft.log", "raft.commit", "tail-cuts", "raft.layout");

    /// <summary>The log shared by many groups (<see cref="SharedRaftLog"/>): other names, so neither store reads the other's records.</summary>
    public static FasterLogNames Shared { get; } = new("shared.log", "shared.commit", "shared.tail-cuts", "shared.layout");
}

/// <summary>
/// The phases of opening a log: the torn-commit repair (a walk of the commit records in the segment files), FasterLog's
/// own recovery (the commit slots, then its scan for fast-commit records past the newest slot), and our checked replay.
/// </summary>
internal readonly record struct LogOpenTimes(TimeSpan TornCommitRepair, TimeSpan FasterRecovery, TimeSpan Replay);

/// <summary>
/// One FasterLog with what every Raft log on it needs: the device stack (segment names synced, fill-ahead, writes in
/// order), the two-slot commit file, the repair of a torn commit record, the recovery scan, a group commit (one
/// FasterLog commit covers every caller waiting) and the fault latch (a failed write faults the file for good).
/// The records' meaning belongs to the store above (<see cref="FasterRaftLogStore"/>, <see cref="SharedRaftLog"/>).
/// </summary>
internal sealed class FasterLogFile : IDisposable
{
    private readonly ILogger _logger;
    private readonly IDevice _device;
    private readonly LogCommitSlots _commits;
    private readonly Action<long> _onDurable;
    private readonly Lock _commitGate = new();
    private Task? _commitInFlight;
    private long _durableAddress;
    private Exception? _fault;
    private long _commitCount;
    private bool _disposing;

    /// <summary>
    /// Opens (recovering) or creates the log; <paramref name="replay"/> receives every good record of the committed
    /// range in order; <paramref name="onDurable"/> hears each commit's durable address (on the committing thread).
    /// </summary>
    public static FasterLogFile Open<TView>(string directory, FasterLogNames names, StorageLimits limits, ILogger logger,
        IFileSystem files, Func<string, IDevice> createDevice, ILogReplaySink<TView> replay, Action<long> onDurable)
    {
        limits.Validate(); // a record FasterLog would refuse must be refused here first, with the limits named
        DirectorySync.CreateDurably(files, directory);
        limits = LogLayoutFile.Resolve(files, directory, names, limits); // the segment size the log was written with
        var file = new FasterLogFile(directory, names, limits, logger, files, createDevice, onDurable);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var cuts = new TailCutFile(Path.Combine(directory, names.TailCuts), files);
            new LogRecovery(file.Log, file.LogPath, limits.LogSegmentBits, limits.LogPageBits, cuts, logger, files).Replay(replay);
            file.OpenTimes = file.OpenTimes with { Replay = Stopwatch.GetElapsedTime(started) };
        }
        catch
        {
            file.Dispose();
            throw;
        }
        file._durableAddress = file.Log.TailAddress;
        return file;
    }

    private FasterLogFile(string directory, FasterLogNames names, StorageLimits limits, ILogger logger, IFileSystem files,
        Func<string, IDevice> createDevice, Action<long> onDurable)
    {
        _logger = logger;
        _onDurable = onDurable;
        SegmentBits = limits.LogSegmentBits;
        LogPath = Path.Combine(directory, names.Log);
        var segments = new SegmentNameSyncDevice(createDevice(LogPath), files, LogPath);
        _device = new OrderedWriteDevice(new FillAheadDevice(segments, LogPath, limits.LogFillAheadBytes, logger));
        _commits = new LogCommitSlots(Path.Combine(directory, names.Commit), files);
        try
        {
            var started = Stopwatch.GetTimestamp();
            TornCommitRecords.Repair(files, LogPath, limits, _commits, logger);
            var repaired = Stopwatch.GetTimestamp();
            Log = new FasterLog(new FasterLogSettings
            {
                LogDevice = _device,
                PageSizeBits = limits.LogPageBits,
                MemorySizeBits = limits.LogMemoryBits,
                SegmentSizeBits = limits.LogSegmentBits,
                LogCommitManager = _commits,
                LogChecksum = LogChecksumType.None,
                FastCommitMode = true, // the commit record goes into the log: one write per commit (see LogCommitSlots)
                TryRecoverLatest = true,
            });
            OpenTimes = new LogOpenTimes(Stopwatch.GetElapsedTime(started, repaired), Stopwatch.GetElapsedTime(repaired), TimeSpan.Zero);
        }
        catch
        {
            _device.Dispose();
            _commits.Dispose();
            throw;
        }
    }

    /// <summary>How long each phase of the open took (the store above logs them once).</summary>
    public LogOpenTimes OpenTimes { get; private set; }

    /// <summary>The FasterLog itself (enqueue through <see cref="Enqueue"/>, which latches a failure).</summary>
    public FasterLog Log { get; }

    /// <summary>Base path of the segment files (segment n is this path + "." + n).</summary>
    public string LogPath { get; }

    private int SegmentBits { get; }

    /// <summary>True once a write failed; every later enqueue or commit throws <see cref="StorageFailedException"/>.</summary>
    public bool IsFaulted => Volatile.Read(ref _fault) is not null;

    /// <summary>FasterLog commits issued so far (group commit shares them).</summary>
    public long CommitCount => Interlocked.Read(ref _commitCount);

    /// <summary>The segment file and offset of a FasterLog address (for errors and for tests that damage a record).</summary>
    public (string File, long Offset) Locate(long address) => LogRecovery.Locate(LogPath, SegmentBits, address);

    /// <summary>Appends one record; returns its address.</summary>
    public long Enqueue(ReadOnlySpan<byte> record)
    {
        try
        {
            return Log.Enqueue(record);
        }
        catch (Exception e) when (e is not StorageFailedException)
        {
            throw Fault(e);
        }
    }

    /// <summary>Reads the record at <paramref name="address"/>; null when FasterLog has nothing there.</summary>
    public ReadOnlyMemory<byte>? Read(long address)
    {
        var (bytes, length) = Log.ReadAsync(address).AsTask().GetAwaiter().GetResult();
        return bytes is null ? null : bytes.AsMemory(0, length);
    }

    /// <summary>As <see cref="Read"/>, without blocking the caller while the device reads (for threads other than the loop).</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(long address, CancellationToken cancellationToken)
    {
        var (bytes, length) = await Log.ReadAsync(address, token: cancellationToken).ConfigureAwait(false);
        return bytes is null ? null : bytes.AsMemory(0, length);
    }

    /// <summary>Returns once everything below <paramref name="target"/> is durable (one commit serves every waiter).</summary>
    public async ValueTask CommitAsync(long target, CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _durableAddress) < target)
        {
            ThrowIfFaulted();
            Task commit;
            lock (_commitGate)
            {
                if (_commitInFlight is null || _commitInFlight.IsCompleted)
                {
                    _commitInFlight = RunCommitAsync();
                }
                commit = _commitInFlight;
            }
            await commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        ThrowIfFaulted();
    }

    private async Task RunCommitAsync()
    {
        var tail = Log.TailAddress;
        try
        {
            await Log.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fault(e);
        }
        Interlocked.Increment(ref _commitCount);
        InterlockedMax(ref _durableAddress, tail);
        _onDurable(tail);
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (current < value && Interlocked.CompareExchange(ref location, value, current) != current)
        {
            current = Volatile.Read(ref location);
        }
    }

    private StorageFailedException Fault(Exception cause)
    {
        var failure = cause as StorageFailedException
            ?? new StorageFailedException($"Raft log write failed ({LogPath}); the store is faulted", cause);
        Interlocked.CompareExchange(ref _fault, failure, null);
        if (Volatile.Read(ref _disposing))
        {
            // A commit still in flight when the store closes ends here: expected, not a disk failure.
            _logger.LogDebug(cause, "Raft log commit abandoned: the store is closing ({Path})", LogPath);
        }
        else
        {
            _logger.LogError(cause, "Raft log store faulted: {Path}", LogPath);
        }
        return failure;
    }

    /// <summary>Throws <see cref="StorageFailedException"/> once a write failed.</summary>
    public void ThrowIfFaulted()
    {
        if (Volatile.Read(ref _fault) is { } failure)
        {
            throw new StorageFailedException(failure.Message, failure);
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposing, true);
        Log.Dispose();
        _device.Dispose();
        _commits.Dispose();
    }
}
