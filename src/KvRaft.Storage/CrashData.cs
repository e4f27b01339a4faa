namespace KvRaft.Storage;

/// <summary>Deterministic entry contents for crash tests: the checker recomputes what an acknowledged entry must hold.</summary>
internal static class CrashData
{
    /// <summary>Small pages and segments, shared by the crash helper and the test that reopens its log.</summary>
    public static StorageLimits Limits { get; } = StorageLimits.Default with
    {
        LogPageBits = 16,
        LogMemoryBits = 20,
        LogSegmentBits = 22,
        EntryMaxBytes = 4096,
    };

    public static LogEntry Entry(long index, long term)
    {
        var seed = (uint)(index * 2654435761 ^ term * 40503);
        var data = new byte[1 + (int)(seed % 300)];
        for (var i = 0; i < data.Length; i++)
        {
            seed = seed * 1103515245 + 12345;
            data[i] = (byte)(seed >> 16);
        }
        return new LogEntry(index, term, (byte)(index & 3), data);
    }
}
