// Goal: shared inputs for the storage benchmarks: temp folders on real files, keys, values and log entries.
namespace KvRaft.Storage.Benchmarks;

internal static class BenchData
{
    public const int EntryBytes = 100;
    public const int KeyBytes = 16;
    public const int ValueBytes = 100;

    public static string NewDirectory(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kvraft-bench-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string? path)
    {
        if (path is not null && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>Pseudo-random bytes (LZ4 gains little on them).</summary>
    public static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A 16-byte key: the number big-endian, then 8 fixed bytes.</summary>
    public static byte[] Key(long number)
    {
        var key = new byte[KeyBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key, number);
        key.AsSpan(8).Fill(0x5A);
        return key;
    }

    public static LogEntry[] Entries(long first, int count, ReadOnlyMemory<byte> data)
    {
        var entries = new LogEntry[count];
        for (var i = 0; i < count; i++)
        {
            entries[i] = new LogEntry(first + i, 1, 0, data);
        }
        return entries;
    }

    /// <summary>Writes a Raft log of at least <paramref name="logBytes"/> of EntryBytes-byte entries in batches of 4096, committed; returns (entries, bytes).</summary>
    public static (long Entries, long Bytes) WriteRaftLog(string directory, long logBytes)
    {
        const int batchSize = 4096;
        ReadOnlyMemory<byte> data = Bytes(EntryBytes, 4);
        using var store = FasterRaftLogStore.Open(directory, StorageLimits.Default with { EntryCacheBytes = 0 });
        while (store.BytesSinceCompaction < logBytes)
        {
            store.Append(Entries(store.LastIndex + 1, batchSize, data), null);
            if (store.LastIndex % (batchSize * 64) == 0)
            {
                store.CommitAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        store.CommitAsync().AsTask().GetAwaiter().GetResult();
        return (store.LastIndex, store.BytesSinceCompaction);
    }
}
