namespace KvRaft.Storage;

/// <summary>Argument checks shared by both log stores, so the twins reject the same calls.</summary>
internal static class LogStoreChecks
{
    public static void CheckReadRange(long lo, long hiExclusive, long firstIndex, long lastIndex)
    {
        if (lo < firstIndex || hiExclusive > lastIndex + 1 || lo >= hiExclusive)
        {
            throw new ArgumentOutOfRangeException(nameof(lo),
                $"Read [{lo}, {hiExclusive}) outside the log [{firstIndex}, {lastIndex}]");
        }
    }

    public static void CheckAppend(ReadOnlySpan<LogEntry> entries, long firstIndex, long lastIndex)
    {
        if (entries.Length == 0)
        {
            return;
        }
        if (entries[0].Index < firstIndex || entries[0].Index > lastIndex + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(entries),
                $"Append at {entries[0].Index} does not join the log [{firstIndex}, {lastIndex}]");
        }
        for (var i = 1; i < entries.Length; i++)
        {
            Invariant.True(entries[i].Index == entries[i - 1].Index + 1, entries[i].Index);
        }
    }
}
