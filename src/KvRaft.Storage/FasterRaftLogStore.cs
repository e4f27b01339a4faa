using System.Buffers;
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
    private readonly ILogger _logger;
    private readonly IDevice _device;
    private readonly LogCommitSlots _commits;
    private readonly FasterLog _log;
    private readonly LogTable _table;
    private readonly Lock _tableGate = new();
    private readonly Lock _commitGate = new();
    private Task? _commitInFlight;
    private long _appendedAddress;
    private long _durableAddress;
    private Exception? _fault;
    private long _commitCount;
    private HardState _hardState;
    private bool _disposing;

    private FasterRaftLogStore(string directory, StorageLimits limits, ILogger logger, IFileSystem files, Func<string, IDevice> createDevice)
    {
        limits.Validate(); // a record FasterLog would refuse must be refused here first, with the limits named
        _limits = limits;
        _logger = logger;
        DirectorySync.CreateDurably(files, directory);
        LogPath = Path.Combine(directory, "raft.log");
        RefuseLegacyCommitDirectory(files, directory);
        var segments = new SegmentNameSyncDevice(createDevice(LogPath), files, LogPath);
        _device = new OrderedWriteDevice(new FillAheadDevice(segments, LogPath, limits.LogFillAheadBytes, logger));
        _commits = new LogCommitSlots(Path.Combine(directory, "raft.commit"), files);
        TornCommitRecords.Repair(files, LogPath, limits, _commits, logger);
        _log = new FasterLog(new FasterLogSettings
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
        _table = new LogTable(limits.EntryCacheBytes);
        try
        {
            var recovery = new LogRecovery(_log, LogPath, limits.LogSegmentBits, limits.LogPageBits,
                new TailCutFile(Path.Combine(directory, "tail-cuts"), files), logger, files);
            _hardState = recovery.Replay(_table);
        }
        catch
        {
            _log.Dispose();
            _device.Dispose();
            _commits.Dispose();
            throw;
        }
        _appendedAddress = _durableAddress = _log.TailAddress;
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
    public string LogPath { get; }

    /// <inheritdoc/>
    public long FirstIndex { get { lock (_tableGate) { return _table.FirstIndex; } } }

    /// <inheritdoc/>
    public long LastIndex { get { lock (_tableGate) { return _table.LastIndex; } } }

    /// <inheritdoc/>
    public HardState HardState { get { lock (_tableGate) { return _hardState; } } }

    /// <inheritdoc/>
    public long BytesSinceCompaction => _log.TailAddress - _log.BeginAddress;

    /// <summary>True once a write failed; every later append or commit throws <see cref="StorageFailedException"/>.</summary>
    public bool IsFaulted => Volatile.Read(ref _fault) is not null;

    /// <inheritdoc/>
    public bool TryGetTerm(long index, out long term)
    {
        lock (_tableGate)
        {
            term = 0;
            if (index == _table.BoundaryIndex)
            {
                term = _table.BoundaryTerm;
                return true;
            }
            if (index < _table.FirstIndex || index > _table.LastIndex)
            {
                return false;
            }
            term = _table.At(index).Term;
            return true;
        }
    }

    /// <inheritdoc/>
    public void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into)
    {
        long bytes = 0;
        for (var index = lo; index < hiExclusive; index++)
        {
            LogTable.Row row;
            lock (_tableGate)
            {
                if (index == lo)
                {
                    LogStoreChecks.CheckReadRange(lo, hiExclusive, _table.FirstIndex, _table.LastIndex);
                }
                row = _table.At(index);
            }
            bytes += row.DataBytes;
            if (index > lo && bytes > maxBytes)
            {
                break;
            }
            into.Add(new LogEntry(index, row.Term, row.Type, row.Data ?? ReadFromLog(index, row.Address)));
        }
    }

    private byte[] ReadFromLog(long index, long address) =>
        Decode(index, address, _log.ReadAsync(address).AsTask().GetAwaiter().GetResult())
        ?? throw Unreadable(index, address);

    private static byte[]? Decode(long index, long address, (byte[]? Bytes, int Length) record) =>
        record.Bytes is not null && LogRecord.TryDecode(record.Bytes.AsMemory(0, record.Length), out var view)
            && view.Kind == LogRecordKind.Entry && view.Index == index ? view.Payload.ToArray() : null;

    private StorageCorruptException Unreadable(long index, long address)
    {
        var (file, offset) = LogRecovery.Locate(LogPath, _limits.LogSegmentBits, address);
        return new StorageCorruptException(file, offset, $"entry {index} unreadable or fails its checksum");
    }

    /// <inheritdoc/>
    public bool TryReadCached(long lo, long hiExclusive, long maxBytes, List<LogEntry> into)
    {
        lock (_tableGate)
        {
            LogStoreChecks.CheckReadRange(lo, hiExclusive, _table.FirstIndex, _table.LastIndex);
            var start = into.Count;
            long bytes = 0;
            for (var index = lo; index < hiExclusive; index++)
            {
                ref var row = ref _table.At(index);
                bytes += row.DataBytes;
                if (row.Data is null || (index > lo && bytes > maxBytes))
                {
                    break;
                }
                into.Add(new LogEntry(index, row.Term, row.Type, row.Data));
            }
            return into.Count > start;
        }
    }

    /// <inheritdoc/>
    public async ValueTask ReadStoredAsync(long lo, long hiExclusive, long maxBytes, List<LogEntry> into, CancellationToken cancellationToken = default)
    {
        long bytes = 0;
        for (var index = lo; index < hiExclusive; index++)
        {
            LogTable.Row row;
            lock (_tableGate)
            {
                if (index < _table.FirstIndex || index > _table.LastIndex)
                {
                    return; // compacted or cut meanwhile
                }
                row = _table.At(index);
            }
            bytes += row.DataBytes;
            if (index > lo && bytes > maxBytes)
            {
                return;
            }
            var data = row.Data ?? Decode(index, row.Address, await _log.ReadAsync(row.Address, token: cancellationToken).ConfigureAwait(false));
            if (data is null)
            {
                lock (_tableGate)
                {
                    if (index < _table.FirstIndex || index > _table.LastIndex || _table.At(index).Address != row.Address)
                    {
                        return; // compacted or replaced while it was read: FasterLog no longer serves that address
                    }
                }
                throw Unreadable(index, row.Address);
            }
            into.Add(new LogEntry(index, row.Term, row.Type, data));
        }
    }

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
    private static byte[] CopyOf(ReadOnlySpan<byte> bytes)
    {
        var copy = GC.AllocateUninitializedArray<byte>(bytes.Length);
        bytes.CopyTo(copy);
        return copy;
    }

    private long Enqueue(ReadOnlySpan<byte> record)
    {
        try
        {
            return _log.Enqueue(record);
        }
        catch (Exception e) when (e is not StorageFailedException)
        {
            throw Fault(e);
        }
    }

    /// <inheritdoc/>
    public async ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        var target = Volatile.Read(ref _appendedAddress);
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
        var tail = _log.TailAddress;
        try
        {
            await _log.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fault(e);
        }
        Interlocked.Increment(ref _commitCount);
        InterlockedMax(ref _durableAddress, tail);
        lock (_tableGate)
        {
            _table.EvictDurable(tail);
        }
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (current < value && Interlocked.CompareExchange(ref location, value, current) != current)
        {
            current = Volatile.Read(ref location);
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

    private void ThrowIfFaulted()
    {
        if (Volatile.Read(ref _fault) is { } failure)
        {
            throw new StorageFailedException(failure.Message, failure);
        }
    }

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
    internal long CommitCount => Interlocked.Read(ref _commitCount);

    /// <summary>Where the record of a live entry lies on disk (for tests that damage it).</summary>
    internal (string File, long Offset) LocateEntry(long index)
    {
        lock (_tableGate)
        {
            return LogRecovery.Locate(LogPath, _limits.LogSegmentBits, _table.At(index).Address);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Volatile.Write(ref _disposing, true);
        _log.Dispose();
        _device.Dispose();
        _commits.Dispose();
    }
}
