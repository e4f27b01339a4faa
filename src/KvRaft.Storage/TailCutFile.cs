using System.Buffers.Binary;

namespace KvRaft.Storage;

/// <summary>
/// A small side file listing FasterLog address ranges [from, to) cut off as a torn tail. FasterLog cannot
/// truncate its tail, so later recoveries skip these ranges. Each 20-byte record: from (8), to (8), crc32c (4).
/// A torn last record of this file is ignored (the cut is simply found again).
/// </summary>
internal sealed class TailCutFile
{
    private const int RecordBytes = 20;
    private readonly string _path;
    private readonly IFileSystem _files;

    public TailCutFile(string path, IFileSystem? files = null)
    {
        _path = path;
        _files = files ?? LocalFileSystem.Instance;
        Cuts = Load(path, _files);
    }

    public IReadOnlyList<(long From, long To)> Cuts { get; }

    private static List<(long, long)> Load(string path, IFileSystem files)
    {
        var cuts = new List<(long, long)>();
        if (!files.FileExists(path))
        {
            return cuts;
        }
        byte[] content;
        using (var stream = files.Open(path, FileMode.Open, FileAccess.Read))
        {
            content = new byte[stream.Length];
            stream.ReadExactly(content);
        }
        var bytes = content.AsSpan();
        for (; bytes.Length >= RecordBytes; bytes = bytes[RecordBytes..])
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]) != Crc32C.Compute(bytes[..16]))
            {
                break;
            }
            cuts.Add((BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes[8..])));
        }
        return cuts;
    }

    /// <summary>Appends a cut and flushes it to disk before returning (the file's name too, when this creates it).</summary>
    public void Add(long from, long to)
    {
        Span<byte> record = stackalloc byte[RecordBytes];
        BinaryPrimitives.WriteInt64LittleEndian(record, from);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], to);
        BinaryPrimitives.WriteUInt32LittleEndian(record[16..], Crc32C.Compute(record[..16]));
        var created = !_files.FileExists(_path);
        using (var stream = _files.Open(_path, FileMode.Append, FileAccess.Write))
        {
            stream.Write(record);
            _files.SyncFile(stream);
        }
        if (created)
        {
            DirectorySync.SyncParent(_files, _path);
        }
    }
}
