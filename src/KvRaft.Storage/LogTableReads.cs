namespace KvRaft.Storage;

/// <summary>
/// The reads of a log kept in a <see cref="LogTable"/> under a gate, shared by the single log
/// (<see cref="FasterRaftLogStore"/>) and a shared log's group (<see cref="SharedLogGroup"/>): from the cache alone
/// (the event loop), or from the device as well (a background thread, while the loop changes the table).
/// </summary>
internal static class LogTableReads
{
    /// <summary>Reads the payload of entry <c>index</c> at an address from the device; null when it does not read back as that entry.</summary>
    public delegate ValueTask<byte[]?> DeviceRead(long index, long address, CancellationToken cancellationToken);

    /// <summary><see cref="IRaftLogStore.Read"/> over <paramref name="table"/>: an entry evicted from the cache is read from the device by <paramref name="readFromLog"/>.</summary>
    public static void Read(LogTable table, Lock gate, long lo, long hiExclusive, long maxBytes, List<LogEntry> into, Func<long, long, byte[]> readFromLog)
    {
        long bytes = 0;
        for (var index = lo; index < hiExclusive; index++)
        {
            LogTable.Row row;
            lock (gate)
            {
                if (index == lo)
                {
                    LogStoreChecks.CheckReadRange(lo, hiExclusive, table.FirstIndex, table.LastIndex);
                }
                row = table.At(index);
            }
            bytes += row.DataBytes;
            if (index > lo && bytes > maxBytes)
            {
                break;
            }
            into.Add(new LogEntry(index, row.Term, row.Type, row.IsCached ? row.CachedData : readFromLog(index, row.Address)));
        }
    }

    /// <summary><see cref="IRaftLogStore.TryReadCached"/> over <paramref name="table"/>.</summary>
    public static bool TryReadCached(LogTable table, Lock gate, long lo, long hiExclusive, long maxBytes, List<LogEntry> into)
    {
        lock (gate)
        {
            LogStoreChecks.CheckReadRange(lo, hiExclusive, table.FirstIndex, table.LastIndex);
            var start = into.Count;
            long bytes = 0;
            for (var index = lo; index < hiExclusive; index++)
            {
                ref var row = ref table.At(index);
                bytes += row.DataBytes;
                if (!row.IsCached || (index > lo && bytes > maxBytes))
                {
                    break;
                }
                into.Add(new LogEntry(index, row.Term, row.Type, row.CachedData));
            }
            return into.Count > start;
        }
    }

    /// <summary>
    /// <see cref="IRaftLogStore.ReadStoredAsync"/> over <paramref name="table"/>: an entry that does not read back is
    /// corruption (<paramref name="unreadable"/>) unless the table dropped or replaced it meanwhile.
    /// </summary>
    public static async ValueTask ReadStoredAsync(LogTable table, Lock gate, long lo, long hiExclusive, long maxBytes, List<LogEntry> into,
        DeviceRead read, Func<long, long, Exception> unreadable, CancellationToken cancellationToken)
    {
        long bytes = 0;
        for (var index = lo; index < hiExclusive; index++)
        {
            LogTable.Row row;
            lock (gate)
            {
                if (index < table.FirstIndex || index > table.LastIndex)
                {
                    return; // compacted or cut meanwhile
                }
                row = table.At(index);
            }
            bytes += row.DataBytes;
            if (index > lo && bytes > maxBytes)
            {
                return;
            }
            var fromDevice = row.IsCached ? null : await read(index, row.Address, cancellationToken).ConfigureAwait(false);
            if (!row.IsCached && fromDevice is null)
            {
                lock (gate)
                {
                    if (index < table.FirstIndex || index > table.LastIndex || table.At(index).Address != row.Address)
                    {
                        return; // compacted or replaced while it was read: FasterLog no longer serves that address
                    }
                }
                throw unreadable(index, row.Address);
            }
            into.Add(new LogEntry(index, row.Term, row.Type, fromDevice is { } stored ? stored : row.CachedData));
        }
    }
}
