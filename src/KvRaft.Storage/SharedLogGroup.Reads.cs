namespace KvRaft.Storage;

public sealed partial class SharedLogGroup
{
    /// <inheritdoc/>
    public bool TryGetTerm(long index, out long term)
    {
        lock (_owner.Gate)
        {
            return Table.TryGetTerm(index, out term);
        }
    }

    /// <inheritdoc/>
    public void Read(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) =>
        LogTableReads.Read(Table, _owner.Gate, lo, hiExclusive, maxBytes, into, ReadFromLog);

    /// <inheritdoc/>
    public bool TryReadCached(long lo, long hiExclusive, long maxBytes, List<LogEntry> into) =>
        LogTableReads.TryReadCached(Table, _owner.Gate, lo, hiExclusive, maxBytes, into);

    /// <inheritdoc/>
    public ValueTask ReadStoredAsync(long lo, long hiExclusive, long maxBytes, List<LogEntry> into, CancellationToken cancellationToken = default) =>
        LogTableReads.ReadStoredAsync(Table, _owner.Gate, lo, hiExclusive, maxBytes, into, ReadFromLogAsync, Unreadable, cancellationToken);

    private byte[] ReadFromLog(long index, long address) => Decode(index, _owner.File.Read(address)) ?? throw Unreadable(index, address);

    private async ValueTask<byte[]?> ReadFromLogAsync(long index, long address, CancellationToken cancellationToken) =>
        Decode(index, await _owner.File.ReadAsync(address, cancellationToken).ConfigureAwait(false));

    private byte[]? Decode(long index, ReadOnlyMemory<byte>? record) =>
        record is { } bytes && SharedLogRecord.TryDecode(bytes, out var view)
            && view.Group == Id && view.Record.Kind == LogRecordKind.Entry && view.Record.Index == index
            ? view.Record.Payload.ToArray() : null;

    private StorageCorruptException Unreadable(long index, long address)
    {
        var (path, offset) = _owner.File.Locate(address);
        return new StorageCorruptException(path, offset, $"entry {index} of group {Id} unreadable or fails its checksum");
    }

    /// <summary>Where the record of a live entry lies on disk (for tests that damage it).</summary>
    internal (string File, long Offset) LocateEntry(long index)
    {
        lock (_owner.Gate)
        {
            return _owner.File.Locate(Table.At(index).Address);
        }
    }
}
