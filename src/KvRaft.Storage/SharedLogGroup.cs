using System.Buffers;

namespace KvRaft.Storage;

/// <summary>
/// One group's Raft log inside a <see cref="SharedRaftLog"/>: the whole <see cref="IRaftLogStore"/> contract over the
/// group's own records. Its commit is the shared one (it returns once the group's own writes are durable, and makes
/// every other group's earlier writes durable with them). Compaction and resets write a record at the tail (an
/// anchor), then ask the shared log to move its begin address to what every group still needs.
/// </summary>
public sealed partial class SharedLogGroup : IRaftLogStore
{
    private readonly SharedRaftLog _owner;

    internal SharedLogGroup(SharedRaftLog owner, int id)
    {
        _owner = owner;
        Id = id;
        Table = new LogTable(owner.Limits.EntryCacheBytes);
    }

    /// <summary>The group's id, the tag of its records.</summary>
    public int Id { get; }

    // State below: guarded by the owner's Gate.

    /// <summary>The group's live entries (index → address, term, cached payload) and compaction boundary.</summary>
    internal LogTable Table { get; }

    /// <summary>True while a caller holds the view (one writer per group).</summary>
    internal bool IsOpen { get; set; }

    private HardState _hardState;
    private long _appendedAddress; // the log's tail after this group's last write: what its commit waits for
    private long _anchorAddress = -1; // the group's latest boundary or reset record; -1: none
    private long _hardStateAddress = -1; // its latest hard state record; -1: none
    private long _bytesSinceCompaction; // record bytes the group wrote since its latest anchor

    /// <summary>
    /// The lowest address this group still needs to rebuild its log: the lowest of its first live entry, its latest
    /// anchor and its latest hard state (every record of the group below is superseded); long.MaxValue when it has none.
    /// A replay that starts anywhere below it rebuilds the same log (see <see cref="SharedLogReplay"/>).
    /// </summary>
    internal long LowWaterAddress
    {
        get
        {
            var low = long.MaxValue;
            if (Table.Count > 0)
            {
                low = Table.FirstAddress;
            }
            if (_anchorAddress >= 0)
            {
                low = Math.Min(low, _anchorAddress);
            }
            if (_hardStateAddress >= 0)
            {
                low = Math.Min(low, _hardStateAddress);
            }
            return low;
        }
    }

    /// <inheritdoc/>
    public long FirstIndex { get { lock (_owner.Gate) { return Table.FirstIndex; } } }

    /// <inheritdoc/>
    public long LastIndex { get { lock (_owner.Gate) { return Table.LastIndex; } } }

    /// <inheritdoc/>
    public HardState HardState { get { lock (_owner.Gate) { return _hardState; } } }

    /// <inheritdoc/>
    public long BytesSinceCompaction { get { lock (_owner.Gate) { return _bytesSinceCompaction; } } }

    /// <inheritdoc/>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default) =>
        _owner.File.CommitAsync(Volatile.Read(ref _appendedAddress), cancellationToken);

    /// <inheritdoc/>
    public void Append(ReadOnlySpan<LogEntry> entries, HardState? hardState)
    {
        lock (_owner.Gate)
        {
            ThrowIfUnusable();
            LogStoreChecks.CheckAppend(entries, Table.FirstIndex, Table.LastIndex);
            var buffer = ArrayPool<byte>.Shared.Rent(SharedLogRecord.HeaderBytes + _owner.Limits.EntryMaxBytes);
            try
            {
                foreach (var entry in entries)
                {
                    AppendEntry(entry, buffer);
                }
                if (hardState is { } state)
                {
                    _hardStateAddress = Enqueue(buffer.AsSpan(0, SharedLogRecord.EncodeHardState(buffer, Id, state)));
                    _hardState = state;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            Volatile.Write(ref _appendedAddress, _owner.Appended());
        }
    }

    private void AppendEntry(in LogEntry entry, byte[] buffer)
    {
        if (entry.Data.Length > _owner.Limits.EntryMaxBytes)
        {
            // As in FasterRaftLogStore: the server never proposes or accepts a larger entry; a last defence.
            throw new ArgumentException($"Entry {entry.Index} of group {Id} has {entry.Data.Length} bytes, above {_owner.Limits.EntryMaxBytes}");
        }
        var length = SharedLogRecord.Encode(buffer, Id, LogRecordKind.Entry, entry.Type, entry.Index, entry.Term, entry.Data.Span);
        var address = Enqueue(buffer.AsSpan(0, length));
        var data = GC.AllocateUninitializedArray<byte>(entry.Data.Length); // overwritten at once: no zeroing
        entry.Data.Span.CopyTo(data);
        Table.Put(entry.Index, new LogTable.Row { Address = address, Term = entry.Term, Type = entry.Type, DataBytes = data.Length, Data = data });
    }

    /// <summary>Appends one record of this group (under the gate); counts it toward <see cref="BytesSinceCompaction"/>.</summary>
    private long Enqueue(ReadOnlySpan<byte> record)
    {
        _bytesSinceCompaction += record.Length;
        return _owner.File.Enqueue(record);
    }

    /// <inheritdoc/>
    public void CompactUntil(long index, long term)
    {
        lock (_owner.Gate)
        {
            ThrowIfUnusable();
            if (index < Table.BoundaryIndex)
            {
                return;
            }
            // A compaction that leaves no entry is written as a reset (the same log: empty, continuing at index + 1), so
            // that a boundary record always has live entries below it in the log (SharedLogReplay relies on it).
            WriteAnchor(index >= Table.LastIndex ? LogRecordKind.Reset : LogRecordKind.Boundary, index, term);
            Table.CompactUntil(index, term);
            _owner.TruncateToLowWater();
        }
    }

    /// <inheritdoc/>
    public void ResetAfter(long index, long term)
    {
        lock (_owner.Gate)
        {
            ThrowIfUnusable();
            WriteAnchor(LogRecordKind.Reset, index, term);
            Table.Reset(index, term);
            _owner.TruncateToLowWater();
        }
    }

    /// <summary>The anchor and a fresh hard state go at the tail first, so the truncation behind them cannot lose either.</summary>
    private void WriteAnchor(LogRecordKind kind, long index, long term)
    {
        Span<byte> buffer = stackalloc byte[SharedLogRecord.HeaderBytes + 4];
        _anchorAddress = Enqueue(buffer[..SharedLogRecord.Encode(buffer, Id, kind, 0, index, term, [])]);
        _hardStateAddress = Enqueue(buffer[..SharedLogRecord.EncodeHardState(buffer, Id, _hardState)]);
        _bytesSinceCompaction = 0;
        Volatile.Write(ref _appendedAddress, _owner.Appended());
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(!IsOpen, this);
        _owner.File.ThrowIfFaulted();
    }

    /// <summary>Closes the view (the group's records stay; <see cref="SharedRaftLog.Open(int)"/> opens it again).</summary>
    public void Dispose()
    {
        lock (_owner.Gate)
        {
            IsOpen = false;
        }
    }
}
