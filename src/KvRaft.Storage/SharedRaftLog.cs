using FASTER.core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Storage;

/// <summary>
/// The Raft logs of many groups in one FasterLog (<see cref="ISharedRaftLog"/>). Every record is a
/// <see cref="SharedLogRecord"/> tagged with its group; each group keeps its own <see cref="LogTable"/> of addresses,
/// hard state and compaction boundary (<see cref="SharedLogGroup"/>), and one FasterLog commit makes the writes of
/// every group durable together (a group commit: concurrent callers of any group share it).
/// Truncation is logical per group (compaction and resets write records; the group's table drops the entries) and
/// physical for the file: FasterLog's begin address moves to the lowest address any group still needs (its low-water
/// mark, <see cref="SharedLogGroup.LowWaterAddress"/>), so a group that never compacts holds the log's disk space.
/// One lock (<see cref="Gate"/>) serializes the groups' writes and guards every table, so each group's records lie in
/// the log in the order its table saw them.
/// </summary>
public sealed partial class SharedRaftLog : ISharedRaftLog
{
    private readonly FasterLogFile _file;
    private readonly Dictionary<int, SharedLogGroup> _groups; // every group found on recovery or opened; at most LogGroupsMax
    private long _appendedAddress; // the log's tail after the last write of any group

    private SharedRaftLog(string directory, StorageLimits limits, ILogger logger, IFileSystem files, Func<string, IDevice> createDevice)
    {
        limits.ValidateForSharedLog();
        Limits = limits;
        var replay = new SharedLogReplay(this, Path.Combine(directory, FasterLogNames.Shared.Log));
        _file = FasterLogFile.Open(directory, FasterLogNames.Shared, limits, logger, files, createDevice, replay, OnDurable);
        _groups = replay.Groups;
        DivideCache();
        _appendedAddress = _file.Log.TailAddress;
    }

    /// <summary>Opens (recovering every group) or creates the shared log in <paramref name="directory"/>.</summary>
    public static SharedRaftLog Open(string directory, StorageLimits? limits = null, ILogger? logger = null) =>
        Open(directory, limits, logger, LocalFileSystem.Instance);

    internal static SharedRaftLog Open(string directory, StorageLimits? limits, ILogger? logger, Func<string, IDevice> createDevice) =>
        new(directory, limits ?? StorageLimits.Default, logger ?? NullLogger.Instance, LocalFileSystem.Instance, createDevice);

    /// <summary>Opens the log with every file on <paramref name="files"/> (a simulated disk in crash tests).</summary>
    internal static SharedRaftLog Open(string directory, StorageLimits? limits, ILogger? logger, IFileSystem files) =>
        new(directory, limits ?? StorageLimits.Default, logger ?? NullLogger.Instance, files, files.CreateDevice);

    internal StorageLimits Limits { get; }

    /// <summary>Serializes every group's writes and guards every group's table and state.</summary>
    internal Lock Gate { get; } = new();

    internal FasterLogFile File => _file;

    /// <summary>Base path of the segment files (segment n is this path + "." + n).</summary>
    public string LogPath => _file.LogPath;

    /// <inheritdoc/>
    public long CommitCount => _file.CommitCount;

    /// <summary>True once a write failed; every later write or commit of every group throws <see cref="StorageFailedException"/>.</summary>
    public bool IsFaulted => _file.IsFaulted;

    /// <summary>FasterLog's begin address: every record below it is gone (for tests).</summary>
    internal long BeginAddress => _file.Log.BeginAddress;

    /// <summary>Bytes between the log's begin address and its tail: the disk the oldest record still needed holds.</summary>
    public long RetainedBytes => _file.Log.TailAddress - _file.Log.BeginAddress;

    /// <inheritdoc/>
    public IReadOnlyCollection<int> Groups
    {
        get
        {
            lock (Gate)
            {
                return [.. _groups.Keys];
            }
        }
    }

    /// <inheritdoc/>
    public IRaftLogStore OpenGroup(int groupId) => Open(groupId);

    /// <summary>As <see cref="OpenGroup"/>, typed.</summary>
    public SharedLogGroup Open(int groupId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(groupId);
        lock (Gate)
        {
            if (!_groups.TryGetValue(groupId, out var group))
            {
                if (_groups.Count >= Limits.LogGroupsMax)
                {
                    throw new InvalidOperationException(
                        $"the shared log {LogPath} holds {_groups.Count} groups, its limit (StorageLimits.LogGroupsMax); group {groupId} cannot be added");
                }
                group = new SharedLogGroup(this, groupId);
                _groups.Add(groupId, group);
                DivideCache();
            }
            if (group.IsOpen)
            {
                throw new InvalidOperationException($"group {groupId} of the shared log {LogPath} is already open");
            }
            group.IsOpen = true;
            return group;
        }
    }

    /// <inheritdoc/>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default) =>
        _file.CommitAsync(Volatile.Read(ref _appendedAddress), cancellationToken);

    /// <summary>Called by a group under <see cref="Gate"/> after its writes: returns the tail they reach.</summary>
    internal long Appended()
    {
        var tail = _file.Log.TailAddress;
        Volatile.Write(ref _appendedAddress, tail);
        return tail;
    }

    /// <summary>
    /// Moves FasterLog's begin address to the lowest low-water mark of any group (called under <see cref="Gate"/> after a
    /// group compacted or reset). Like a single log's truncation it is durable with the next commit, which also covers
    /// the records that made it possible; a crash before keeps the old begin address and every record above it.
    /// </summary>
    internal void TruncateToLowWater()
    {
        var until = _file.Log.TailAddress;
        foreach (var group in _groups.Values)
        {
            until = Math.Min(until, group.LowWaterAddress);
        }
        if (until > _file.Log.BeginAddress)
        {
            _file.Log.TruncateUntil(until);
        }
    }

    /// <summary>Each group's table keeps durable payloads cached up to its share of <see cref="StorageLimits.EntryCacheBytes"/>.</summary>
    private void DivideCache()
    {
        var share = Limits.EntryCacheBytes / Math.Max(1, _groups.Count);
        foreach (var group in _groups.Values)
        {
            group.Table.CacheBytesLimit = share;
        }
    }

    private void OnDurable(long durableAddress)
    {
        lock (Gate)
        {
            foreach (var group in _groups.Values)
            {
                group.Table.EvictDurable(durableAddress);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
