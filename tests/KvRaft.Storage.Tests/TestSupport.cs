// Goal: shared helpers for the storage tests (temp folders that clean up, a logger that records, small limits).
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage.Tests;

internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvraft-storage-" + Guid.NewGuid().ToString("N"));

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

internal sealed class RecordingLogger : ILogger
{
    public List<(LogLevel Level, string Message)> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines)
        {
            Lines.Add((logLevel, formatter(state, exception)));
        }
    }
}

internal static class Small
{
    /// <summary>Small pages and segments so tests cross page and segment boundaries quickly.</summary>
    public static StorageLimits Limits { get; } = new()
    {
        LogPageBits = 14,
        LogMemoryBits = 17,
        LogSegmentBits = 20,
        LogFillAheadBytes = 64 << 10,
        EntryMaxBytes = 4096,
        EntryCacheBytes = 8 << 10,
        KvIndexBuckets = 1 << 12,
        KvMemoryBits = 20,
        KvPageBits = 14,
        SnapshotChunkBytes = 4096,
    };

    public static LogEntry Entry(long index, long term, int bytes = 16)
    {
        var data = new byte[bytes];
        for (var i = 0; i < bytes; i++)
        {
            data[i] = (byte)(index * 31 + i);
        }
        return new LogEntry(index, term, (byte)(index % 3), data);
    }

    public static LogEntry[] Entries(long from, long to, long term, int bytes = 16)
    {
        var list = new List<LogEntry>();
        for (var i = from; i <= to; i++)
        {
            list.Add(Entry(i, term, bytes));
        }
        return [.. list];
    }

    public static void AssertEntry(LogEntry expected, LogEntry actual)
    {
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Term, actual.Term);
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
    }
}
