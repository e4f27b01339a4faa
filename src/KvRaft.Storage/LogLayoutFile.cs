using System.Buffers.Binary;

namespace KvRaft.Storage;

/// <summary>
/// The layout a FasterLog was created with, recorded next to it (<c>raft.layout</c>, <c>shared.layout</c>): FASTER maps
/// an address to segment file address &gt;&gt; segment bits, so a log must be reopened with the segment size it was
/// written with, whatever the build's <see cref="StorageLimits.LogSegmentBits"/> is now. A new log records the
/// build's sizes before its first segment exists; a log without the file (written before it existed) has the old
/// layout, <see cref="LegacySegmentBits"/>, and gets the file recorded when it opens. The file is input from disk:
/// a damaged file or a value out of range is refused with a <see cref="StorageCorruptException"/> naming it.
/// 20 bytes, little-endian: magic <c>KRLL</c> (u32 0x4C4C524B), version (u32, 1), segment bits (u32), page bits (u32),
/// CRC-32C of the first 16 bytes (u32).
/// </summary>
internal static class LogLayoutFile
{
    /// <summary>The segment size of every log written before the layout was recorded: 2^28 = 256 MiB.</summary>
    public const int LegacySegmentBits = 28;

    /// <summary>Largest segment bits accepted from the file (FasterLog's own default is 30).</summary>
    public const int SegmentBitsMax = 30;

    private const uint Magic = 0x4C4C524B; // "KRLL"
    private const uint Version = 1;
    private const int FileBytes = 20;

    /// <summary>
    /// The limits to open the log at <paramref name="logPath"/> with: <paramref name="limits"/> with the recorded
    /// segment bits (recording the layout first when the file is missing). Throws <see cref="StorageCorruptException"/>
    /// when the file is damaged, names an unknown version or a segment size out of range, or records pages of another
    /// size than <see cref="StorageLimits.LogPageBits"/> (FasterLog lays records out by page: it cannot read them).
    /// </summary>
    public static StorageLimits Resolve(IFileSystem files, string directory, FasterLogNames names, StorageLimits limits)
    {
        var layoutPath = Path.Combine(directory, names.Layout);
        if (!files.FileExists(layoutPath))
        {
            var segmentBits = HasLogFiles(files, directory, names) ? LegacySegmentBits : limits.LogSegmentBits;
            Write(files, layoutPath, segmentBits, limits.LogPageBits);
            return Checked(layoutPath, segmentBits, limits.LogPageBits, limits);
        }

        var (recordedSegmentBits, recordedPageBits) = Read(files, layoutPath);
        return Checked(layoutPath, recordedSegmentBits, recordedPageBits, limits);
    }

    /// <summary>Reads and checks the file: (segment bits, page bits).</summary>
    public static (int SegmentBits, int PageBits) Read(IFileSystem files, string path)
    {
        Span<byte> bytes = stackalloc byte[FileBytes];
        using (var stream = files.Open(path, FileMode.Open, FileAccess.Read))
        {
            if (stream.Length != FileBytes)
            {
                throw Corrupt(path, $"it holds {stream.Length} bytes, not {FileBytes}");
            }
            stream.ReadExactly(bytes);
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw Corrupt(path, "bad magic");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]) != Crc32C.Compute(bytes[..16]))
        {
            throw Corrupt(path, "checksum mismatch");
        }
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (version != Version)
        {
            throw Corrupt(path, $"unknown version {version} (this build reads version {Version})");
        }
        return ((int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]), int.MaxValue),
            (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]), int.MaxValue));
    }

    /// <summary>Writes the file durably (a temporary file synced, renamed over, the folder synced).</summary>
    public static void Write(IFileSystem files, string path, int segmentBits, int pageBits)
    {
        Span<byte> bytes = stackalloc byte[FileBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[4..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], (uint)segmentBits);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[12..], (uint)pageBits);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[16..], Crc32C.Compute(bytes[..16]));
        var temporary = path + ".tmp";
        using (var stream = files.Open(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(bytes);
            files.SyncFile(stream);
        }
        files.Move(temporary, path);
        DirectorySync.SyncParent(files, path);
    }

    private static StorageLimits Checked(string path, int segmentBits, int pageBits, StorageLimits limits)
    {
        if (pageBits != limits.LogPageBits)
        {
            throw Corrupt(path, $"the log was written with pages of 2^{pageBits} bytes, this build uses 2^{limits.LogPageBits} (LogPageBits)");
        }
        if (segmentBits < pageBits || segmentBits > SegmentBitsMax)
        {
            throw Corrupt(path, $"segment bits {segmentBits} out of range [{pageBits} (the page bits), {SegmentBitsMax}]");
        }
        return limits with { LogSegmentBits = segmentBits };
    }

    // A segment file or FasterLog's commit slots: the log exists (it was written before its layout was recorded).
    private static bool HasLogFiles(IFileSystem files, string directory, FasterLogNames names)
    {
        if (files.FileExists(Path.Combine(directory, names.Commit)))
        {
            return true;
        }
        var prefix = names.Log + ".";
        return files.ListFiles(directory).Select(Path.GetFileName).Any(name =>
            name is not null && name.StartsWith(prefix, StringComparison.Ordinal) && long.TryParse(name.AsSpan(prefix.Length), out _));
    }

    private static StorageCorruptException Corrupt(string path, string detail) =>
        new($"Raft log layout file {path} refused: {detail}; the log cannot be opened with it");
}
