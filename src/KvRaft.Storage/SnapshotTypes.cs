namespace KvRaft.Storage;

/// <summary>What a snapshot covers: the applied position and the cluster configuration (opaque bytes).</summary>
public sealed record SnapshotInfo(long Index, long Term, byte[] Configuration);

/// <summary>
/// Where a snapshot's time went (for the log line and the metrics): waiting for the last compaction, the apply gate held
/// for the fold-over (applies and reads wait that long), the checkpoint's writes until durable, the export of the
/// portable file; and the size of the store's log region the export read.
/// </summary>
public readonly record struct SnapshotPhases(TimeSpan CompactionWait, TimeSpan GateHeld, TimeSpan Durable, TimeSpan Export, long RegionBytes)
{
    /// <inheritdoc/>
    public override string ToString() =>
        FormattableString.Invariant($"compaction wait {CompactionWait.TotalMilliseconds:F0} ms, gate {GateHeld.TotalMilliseconds:F0} ms, durable {Durable.TotalMilliseconds:F0} ms, export {Export.TotalMilliseconds:F0} ms, region {RegionBytes / 1024} KiB");
}

/// <summary>One bounded piece of a snapshot file, at <paramref name="Offset"/>, with the CRC-32C of its data.</summary>
public readonly record struct SnapshotChunk(long Offset, ReadOnlyMemory<byte> Data, uint Crc, bool Last);

/// <summary>A snapshot that can be read out in chunks (to send to a follower).</summary>
public interface ISnapshotSource
{
    /// <summary>The position and configuration it covers.</summary>
    SnapshotInfo Info { get; }

    /// <summary>Size of the snapshot file.</summary>
    long TotalBytes { get; }

    /// <summary>Opens a reader that yields the file in chunks of at most the configured size.</summary>
    SnapshotReader OpenSnapshotReader();
}

/// <summary>Reads a snapshot file as a sequence of chunks.</summary>
public sealed class SnapshotReader : IDisposable
{
    private readonly Stream _stream;
    private readonly int _chunkBytes;

    internal SnapshotReader(Stream stream, int chunkBytes)
    {
        _stream = stream;
        _chunkBytes = chunkBytes;
    }

    /// <summary>Bytes of every chunk but the last (which may be shorter).</summary>
    public int ChunkBytes => _chunkBytes;

    /// <summary>Size of the snapshot file.</summary>
    public long TotalBytes => _stream.Length;

    /// <summary>
    /// Moves to the chunk that starts at <paramref name="offset"/> (a multiple of <see cref="ChunkBytes"/>, at most the
    /// file's size): a stream resumed after a break continues from the last chunk its receiver acknowledged.
    /// </summary>
    public void SkipTo(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, _stream.Length);
        if (offset % _chunkBytes != 0 && offset != _stream.Length)
        {
            throw new ArgumentException($"offset {offset} is not at a chunk boundary ({_chunkBytes} bytes a chunk)", nameof(offset));
        }

        _stream.Position = offset;
    }

    /// <summary>The next chunk, or false after the last.</summary>
    public bool TryReadNext(out SnapshotChunk chunk)
    {
        var offset = _stream.Position;
        var buffer = new byte[(int)Math.Min(_chunkBytes, _stream.Length - offset)];
        if (buffer.Length == 0)
        {
            chunk = default;
            return false;
        }
        _stream.ReadExactly(buffer);
        chunk = new SnapshotChunk(offset, buffer, Crc32C.Compute(buffer), _stream.Position == _stream.Length);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}

internal sealed class MemorySnapshot(SnapshotInfo info, byte[] bytes, int chunkBytes) : ISnapshotSource
{
    public SnapshotInfo Info => info;

    public long TotalBytes => bytes.Length;

    public SnapshotReader OpenSnapshotReader() => new(new MemoryStream(bytes, writable: false), chunkBytes);
}

internal sealed class FileSnapshot(SnapshotInfo info, string path, int chunkBytes) : ISnapshotSource
{
    public SnapshotInfo Info => info;

    public string Path => path;

    public long TotalBytes => new FileInfo(path).Length;

    public SnapshotReader OpenSnapshotReader() =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete), chunkBytes);
}
