using System.Buffers;
using System.Diagnostics;
using FASTER.core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvRaft.Storage;

/// <summary>
/// The Raft log on FasterLog: every entry, hard state, compaction boundary and reset is one checksummed
/// <see cref="LogRecord"/>; an in-memory <see cref="LogTable"/> maps indexes to addresses. One writer
/// appends; <see cref="CommitAsync"/> is a group commit (one FasterLog commit covers every caller waiting).
/// </summary>
public sealed class FasterRaftLogStore : IRaftLogStore
{
    private readonly StorageLimits _limits;
    private readonly FasterLogFile _file;
    private readonly FasterLog _log;
    private readonly LogTable _table;
    private readonly Lock _tableGate = new();
    private long _appendedAddress;
    private HardState _hardState;

    private FasterRaftLogStore(string directory, StorageLimits limits, ILogger logger, IFileSystem files, Func<string, IDevice> createDevice)
    {
        _limits = limits;
        RefuseLegacyCommitDirectory(files, directory);
        _table = new LogTable(limits.EntryCacheBytes);
        var replay = new SingleLogReplay(_table);
        _file = FasterLogFile.Open(directory, FasterLogNames.Raft, limits, logger, files, createDevice, replay, OnDurable);
        _log = _file.Log;
        _hardState = replay.HardState;
        _appendedAddress = _log.TailAddress;
        var warming = Stopwatch.GetTimestamp();
        WarmCache();
        CacheWarmUp = Stopwatch.GetElapsedTime(warming);
        LogOpened(logger);
    }

    /// <summary>How long the open's phases took: <see cref="FasterLogFile.OpenTimes"/>, then the cache warm-up.</summary>
    internal LogOpenTimes OpenTimes => _file.OpenTimes;

    /// <summary>How long the open spent filling the entry cache after the replay.</summary>
    internal TimeSpan CacheWarmUp { get; }

    private void LogOpened(ILogger logger)
    {
        var times = _file.OpenTimes;
        logger.LogInformation(
            "Raft log opened: entries [{First}, {Last}], {Bytes} bytes; torn-commit walk {RepairMs:F0} ms, FasterLog recovery {RecoveryMs:F0} ms, replay {ReplayMs:F0} ms, cache warm-up {WarmUpMs:F0} ms",
            _table.FirstIndex, _table.LastIndex, BytesSinceCompaction, times.TornCommitRepair.TotalMilliseconds,
            times.FasterRecovery.TotalMilliseconds, times.Replay.TotalMilliseconds, CacheWarmUp.TotalMilliseconds);
    }

    /// <summary>Entries read from the log device one by one (not from the cache), since the log was opened.</summary>
    internal long EntriesReadFromDevice => Interlocked.Read(ref _entriesReadFromDevice);

    private long _entriesReadFromDevice;

    /// <summary>Scans of the log after the replay to fill the entry cache (0 unless its entries are tiny).</summary>
    internal long CacheTopUpScans => Interlocked.Read(ref _cacheTopUpScans);

    private long _cacheTopUpScans;

    /// <summary>
    /// A reopened log serves its newest entries (as many as the cache holds) from memory: a restarted node applies and
    /// replicates them without a device read each. Read one by one from the device, on the event loop, the committed
    /// entries a restarted node applies took 1-2 s per MiB under load, and it answered no heartbeat meanwhile. The
    /// replay caches them as it scans (<see cref="SingleLogReplay"/>); entries too small for its window to hold a full
    /// cache of them (under about 32 bytes) are topped up here by a second scan from the oldest entry that fits.
    /// </summary>
    private void WarmCache()
    {
        long from;
        lock (_tableGate)
        {
            var first = _table.FirstIndexFittingCache();
            if (first > _table.LastIndex || _table.At(first).IsCached)
            {
                return; // the replay cached every entry that fits
            }
            from = _table.At(first).Address;
        }
        Interlocked.Increment(ref _cacheTopUpScans);
        using var iterator = _log.Scan(from, _log.TailAddress);
        while (true)
        {
            if (!iterator.GetNext(out var record, out var length, out var address))
            {
                if (iterator.Ended || !iterator.WaitAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }
                continue;
            }
            if (LogRecord.TryDecode(record.AsMemory(0, length), out var view) && view.Kind == LogRecordKind.Entry)
            {
                var data = view.Payload.ToArray();
                lock (_tableGate)
                {
                    _table.CacheRead(view.Index, address, data);
                }
            }
        }
    }

    /// <summary>Opens (recovering) or creates the log in <paramref name="directory"/>.</summary>
    public static FasterRaftLogStore Open(string directory, StorageLimits? limits = null, ILogger? logger = null) =>
        Open(directory, limits, logger, LocalFileSystem.Instance);

    internal static FasterRaftLogStore Open(string directory, StorageLimits? limits, ILogger? logger, Func<string, IDevice> createDevice) =>
        new(directory, limits ?? StorageLimits.Default, logger ?? NullLogger.Instance, LocalFileSystem.Instance, createDevice);

    /// <summary>Opens the log with every file on <paramref name="files"/> (a simulated disk in crash tests).</summary>
    internal static FasterRaftLogStore Open(string directory, StorageLimits? limits, ILogger? logger, IFileSystem files) =>
        new(directory, limits ?? StorageLimits.Default, logger ?? NullLogger.Instance, files, files.CreateDevice);

    /// <summary>Base path of the segment files (segment n is this path + "." + n).</summary>
    public string LogPath => _file.LogPath;

    /// <inheritdoc/>
    public long FirstIndex { get { lock (_tableGate) { return _table.FirstIndex; } } }

    /// <inheritdoc/>
    public long LastIndex { get { lock (_tableGate) { return _table.LastIndex; } } }

    /// <inheritdoc/>
    public HardState HardState { get { lock (_tableGate) { return _hardState; } } }

    /// <inheritdoc/>
    public long BytesSinceCompaction => _log.TailAddress - _log.BeginAddress;

    /// <summary>True once a write failed; every later append or commit throws <see cref="StorageFailedException"/>.</summary>
    public bool IsFaulted => _file.IsFaulted;

    /// <inheritdoc/>
    public bool TryGetTerm(long index, out long term)
    {
        lock (_tableGate)
        {
            return _table.TryGetTerm(index, out term);
        }
    }

    /// <inheritdoc/>
    public void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) =>
        LogTableReads.Read(_table, _tableGate, lo, hiExclusive, maxBytes, into, ReadFromLog);

    private byte[] ReadFromLog(long index, long address)
    {
        Interlocked.Increment(ref _entriesReadFromDevice);
        return Decode(index, _file.Read(address)) ?? throw Unreadable(index, address);
    }

    private async ValueTask<byte[]?> ReadFromLogAsync(long index, long address, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _entriesReadFromDevice);
        return Decode(index, await _file.ReadAsync(address, cancellationToken).ConfigureAwait(false));
    }

    private static byte[]? Decode(long index, ReadOnlyMemory<byte>? record) =>
        record is { } bytes && LogRecord.TryDecode(bytes, out var view) && view.Kind == LogRecordKind.Entry && view.Index == index
            ? view.Payload.ToArray() : null;

    private StorageCorruptException Unreadable(long index, long address)
    {
        var (file, offset) = _file.Locate(address);
        return new StorageCorruptException(file, offset, $"entry {index} unreadable or fails its checksum");
    }

    /// <inheritdoc/>
    public bool TryReadCached(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) =>
        LogTableReads.TryReadCached(_table, _tableGate, lo, hiExclusive, maxBytes, into);

    /// <inheritdoc/>
    public ValueTask ReadStoredAsync(long lo, long hiExclusive, long maxBytes, List<LogEntry> into, CancellationToken cancellationToken = default) =>
        LogTableReads.ReadStoredAsync(_table, _tableGate, lo, hiExclusive, maxBytes, into, ReadFromLogAsync, Unreadable, cancellationToken);

    /// <inheritdoc/>
    public void Append(ReadOnlySpan<LogEntry> entries, HardState? newHardState)
    {
        ThrowIfFaulted();
        lock (_tableGate)
        {
            LogStoreChecks.CheckAppend(entries, _table.FirstIndex, _table.LastIndex);
            var buffer = ArrayPool<byte>.Shared.Rent(LogRecord.HeaderBytes + _limits.EntryMaxBytes);
            try
            {
                foreach (var entry in entries)
                {
                    AppendEntry(entry, buffer);
                }
                if (newHardState is { } state)
                {
                    Enqueue(buffer.AsSpan(0, LogRecord.EncodeHardState(buffer, state)));
                    _hardState = state;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            Volatile.Write(ref _appendedAddress, _log.TailAddress);
        }
    }

    private void AppendEntry(in LogEntry entry, byte[] buffer)
    {
        if (entry.Data.Length > _limits.EntryMaxBytes)
        {
            // The last defence: the server never proposes or accepts an entry above ProtocolLimits.EntryDataBytesMax,
            // and it opens the log with EntryMaxBytes at least that (SizeLimits), so reaching this is a bug there.
            throw new ArgumentException($"Entry {entry.Index} has {entry.Data.Length} bytes, above {_limits.EntryMaxBytes}");
        }
        var length = LogRecord.Encode(buffer, LogRecordKind.Entry, entry.Type, entry.Index, entry.Term, entry.Data.Span);
        var address = Enqueue(buffer.AsSpan(0, length));
        _table.Put(entry.Index, new LogTable.Row
        {
            Address = address,
            Term = entry.Term,
            Type = entry.Type,
            DataBytes = entry.Data.Length,
            Data = CopyOf(entry.Data.Span),
        });
    }

    /// <summary>A copy without zeroing the array first (it is overwritten at once): an entry is a batch of writes, often tens of KiB.</summary>
    internal static byte[] CopyOf(ReadOnlySpan<byte> bytes)
    {
        var copy = GC.AllocateUninitializedArray<byte>(bytes.Length);
        bytes.CopyTo(copy);
        return copy;
    }

    private long Enqueue(ReadOnlySpan<byte> record) => _file.Enqueue(record);

    /// <inheritdoc/>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default) =>
        _file.CommitAsync(Volatile.Read(ref _appendedAddress), cancellationToken);

    private void OnDurable(long durableAddress)
    {
        lock (_tableGate)
        {
            _table.EvictDurable(durableAddress);
        }
    }

    /// <inheritdoc/>
    public void CompactUntil(long index, long term)
    {
        ThrowIfFaulted();
        lock (_tableGate)
        {
            if (index < _table.BoundaryIndex)
            {
                return;
            }
            Span<byte> buffer = stackalloc byte[LogRecord.HeaderBytes + 4];
            // The boundary and a fresh hard state go at the tail first, so the truncation cannot lose them.
            var boundaryAddress = Enqueue(buffer[..LogRecord.Encode(buffer, LogRecordKind.Boundary, 0, index, term, [])]);
            Enqueue(buffer[..LogRecord.EncodeHardState(buffer, _hardState)]);
            _table.CompactUntil(index, term);
            var until = _table.Count > 0 ? _table.FirstAddress : boundaryAddress;
            _log.TruncateUntil(until);
            Volatile.Write(ref _appendedAddress, _log.TailAddress);
        }
    }

    /// <inheritdoc/>
    public void ResetAfter(long index, long term)
    {
        ThrowIfFaulted();
        lock (_tableGate)
        {
            Span<byte> buffer = stackalloc byte[LogRecord.HeaderBytes + 4];
            // As a compaction: the reset and a fresh hard state go at the tail first, so the truncation cannot lose them.
            var resetAddress = Enqueue(buffer[..LogRecord.Encode(buffer, LogRecordKind.Reset, 0, index, term, [])]);
            Enqueue(buffer[..LogRecord.EncodeHardState(buffer, _hardState)]);
            _table.Reset(index, term);
            _log.TruncateUntil(resetAddress);
            Volatile.Write(ref _appendedAddress, _log.TailAddress);
        }
    }

    private void ThrowIfFaulted() => _file.ThrowIfFaulted();

    /// <summary>
    /// Logs written before <see cref="LogCommitSlots"/> kept FasterLog's commit records as one file per commit
    /// under raft-commits/; opening such a log with the slot file would recover it as empty.
    /// </summary>
    private static void RefuseLegacyCommitDirectory(IFileSystem files, string directory)
    {
        var legacy = Path.Combine(directory, "raft-commits");
        if (files.DirectoryExists(legacy) && !files.FileExists(Path.Combine(directory, "raft.commit")))
        {
            throw new StorageCorruptException(
                $"{legacy} holds the Raft log's commit records in the format of an older KvRaft; this version keeps them in raft.commit and cannot read that folder: start from an empty data directory or a snapshot");
        }
    }

    /// <summary>FasterLog commits issued so far (group commit shares them).</summary>
    internal long CommitCount => _file.CommitCount;

    /// <summary>Where the record of a live entry lies on disk (for tests that damage it).</summary>
    internal (string File, long Offset) LocateEntry(long index)
    {
        lock (_tableGate)
        {
            return _file.Locate(_table.At(index).Address);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
