namespace KvRaft.Storage;

/// <summary>The scan a shard export indexes its keys with: the log read in slices, its iterator closed in between.</summary>
internal sealed partial class FasterStore
{
    /// <summary>
    /// Adds to <paramref name="into"/> the key of every valid record from <paramref name="fromAddress"/> on whose key
    /// starts with <paramref name="space"/> (superseded versions and tombstones included: the caller's point read
    /// decides), until <paramref name="count"/> records were read or <paramref name="untilAddress"/>; returns the
    /// address to go on from (a record boundary; <paramref name="untilAddress"/> when the scan ended) and the records
    /// read in <paramref name="visited"/>. The caller keeps the store's writers out meanwhile (the apply gate).
    /// </summary>
    public long ScanKeys(long fromAddress, long untilAddress, int count, byte space, List<byte[]> into, out int visited)
    {
        ArgumentNullException.ThrowIfNull(into);
        using var scan = _store.Log.Scan(Math.Max(fromAddress, _store.Log.BeginAddress), untilAddress);
        visited = 0;
        while (visited < count && scan.GetNext(out var info))
        {
            visited++;
            var key = scan.GetKey().AsReadOnlySpan();
            if (!info.Invalid && key.Length > 0 && key[0] == space)
            {
                into.Add(key.ToArray());
            }
        }
        return visited < count ? untilAddress : scan.NextAddress;
    }
}
