using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4;

namespace KvRaft.Storage;

/// <summary>A key-value record of a snapshot; a null value is a delete (replayed in order).</summary>
internal readonly record struct SnapshotRecord(byte[] Key, byte[]? Value);

/// <summary>
/// The portable snapshot file (see docs/storage-format.md). Little-endian:
/// <code>
/// header   "KVSNAP01" (8) | index (8) | term (8) | configBytes (4) | config
/// frame*   rawBytes (4) | lz4Bytes (4) | crc32c of lz4 bytes (4) | lz4 bytes      (rawBytes &gt; 0)
/// end      0 (4) | 0 (4) | 0 (4)
/// trailer  crc64 of every byte before the trailer (8)
/// record (inside a frame's raw bytes): kind (1: put, 2: delete) | keyBytes (4) | key | [valueBytes (4) | value]
/// </code>
/// </summary>
internal sealed class SnapshotFile
{
    private static readonly byte[] Magic = "KVSNAP01"u8.ToArray();
    private readonly string _path;

    private SnapshotFile(string path, SnapshotInfo info)
    {
        _path = path;
        Info = info;
    }

    public SnapshotInfo Info { get; }

    public string Path => _path;

    public static void Write(Stream output, SnapshotInfo info, IEnumerable<SnapshotRecord> records, int frameBytes)
    {
        var hash = new Crc64();
        var header = new byte[28 + info.Configuration.Length];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), info.Index);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), info.Term);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), info.Configuration.Length);
        info.Configuration.CopyTo(header, 28);
        Emit(output, hash, header);
        using var raw = new MemoryStream();
        foreach (var record in records)
        {
            WriteRecord(raw, record);
            if (raw.Length >= frameBytes)
            {
                EmitFrame(output, hash, raw);
            }
        }
        EmitFrame(output, hash, raw);
        Emit(output, hash, new byte[12]);
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, hash.GetCurrentHashAsUInt64());
        output.Write(trailer);
    }

    private static void Emit(Stream output, Crc64 hash, ReadOnlySpan<byte> bytes)
    {
        hash.Append(bytes);
        output.Write(bytes);
    }

    private static void WriteRecord(MemoryStream raw, in SnapshotRecord record)
    {
        Span<byte> head = stackalloc byte[5];
        head[0] = record.Value is null ? (byte)2 : (byte)1;
        BinaryPrimitives.WriteInt32LittleEndian(head[1..], record.Key.Length);
        raw.Write(head);
        raw.Write(record.Key);
        if (record.Value is { } value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(head, value.Length);
            raw.Write(head[..4]);
            raw.Write(value);
        }
    }

    private static void EmitFrame(Stream output, Crc64 hash, MemoryStream raw)
    {
        if (raw.Length == 0)
        {
            return;
        }
        var source = raw.GetBuffer().AsSpan(0, (int)raw.Length);
        var frame = new byte[12 + LZ4Codec.MaximumOutputSize(source.Length)];
        var compressed = LZ4Codec.Encode(source, frame.AsSpan(12));
        BinaryPrimitives.WriteInt32LittleEndian(frame, source.Length);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), compressed);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), Crc32C.Compute(frame.AsSpan(12, compressed)));
        Emit(output, hash, frame.AsSpan(0, 12 + compressed));
        raw.SetLength(0);
    }

    /// <summary>
    /// Checks the whole file (header, every frame's CRC, the trailer) and returns it; throws if anything is wrong. With
    /// <paramref name="checkRecords"/> (a file from a peer) every frame is also decoded and its records walked, so
    /// reading them back cannot fail on a file whose checksums hold but whose content is malformed: every session record
    /// decodes, and the records the layers above read back are collected into <paramref name="staged"/> for their checks.
    /// </summary>
    public static SnapshotFile Verify(string path, bool checkRecords = false, StagedSnapshotState? staged = null)
    {
        using var stream = File.OpenRead(path);
        return Verify(path, stream, checkRecords, staged);
    }

    /// <summary>Like <see cref="Verify(string, bool, StagedSnapshotState?)"/>, reading <paramref name="path"/> from <paramref name="stream"/>.</summary>
    public static SnapshotFile Verify(string path, Stream stream, bool checkRecords = false, StagedSnapshotState? staged = null)
    {
        var bytesBeforeTrailer = stream.Length - 8;
        var hash = new Crc64();
        var header = ReadChecked(stream, hash, 28, path);
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new StorageCorruptException(path, 0, "not a snapshot file");
        }
        var configBytes = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24));
        var config = ReadChecked(stream, hash, configBytes, path);
        var info = new SnapshotInfo(BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16)), config);
        while (true)
        {
            var frameOffset = stream.Position;
            var head = ReadChecked(stream, hash, 12, path);
            var lz4Bytes = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4));
            if (BinaryPrimitives.ReadInt32LittleEndian(head) == 0)
            {
                break;
            }
            var body = ReadChecked(stream, hash, lz4Bytes, path);
            if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(8)))
            {
                throw new StorageCorruptException(path, frameOffset, "snapshot frame fails its checksum");
            }
            if (checkRecords && FrameProblem(BinaryPrimitives.ReadInt32LittleEndian(head), body, staged) is { } problem)
            {
                throw new StorageCorruptException(path, frameOffset, "snapshot frame " + problem);
            }
        }
        var trailer = new byte[8];
        if (stream.Position != bytesBeforeTrailer || stream.Read(trailer) != 8
            || BinaryPrimitives.ReadUInt64LittleEndian(trailer) != hash.GetCurrentHashAsUInt64())
        {
            throw new StorageCorruptException(path, stream.Position, "snapshot file fails its whole-file checksum");
        }
        return new SnapshotFile(path, info);
    }

    /// <summary>
    /// Why the frame is not exactly rawBytes of whole records (kinds and lengths in range, session records that
    /// decode), or null; the records <paramref name="staged"/> collects are taken into it.
    /// </summary>
    private static string? FrameProblem(int rawBytes, byte[] body, StagedSnapshotState? staged)
    {
        // LZ4 expands a block at most about 255 times: a larger claim is not a frame we wrote (and bounds the buffer).
        if (rawBytes <= 0 || rawBytes > (255L * body.Length) + 64)
        {
            return "claims a raw length out of range";
        }
        var raw = new byte[rawBytes];
        if (LZ4Codec.Decode(body, raw) != rawBytes)
        {
            return "does not decompress to its raw length";
        }
        var at = 0;
        while (at < raw.Length)
        {
            if (raw.Length - at < 5 || raw[at] is not (1 or 2))
            {
                return "does not decode to whole records";
            }
            var put = raw[at] == 1;
            var keyBytes = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(at + 1));
            if (keyBytes < 0 || keyBytes > raw.Length - at - 5)
            {
                return "does not decode to whole records";
            }
            var key = raw.AsSpan(at + 5, keyBytes);
            at += 5 + keyBytes;
            var value = ReadOnlySpan<byte>.Empty;
            if (put)
            {
                var valueBytes = raw.Length - at >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(at)) : -1;
                if (valueBytes < 0 || valueBytes > raw.Length - at - 4)
                {
                    return "does not decode to whole records";
                }
                value = raw.AsSpan(at + 4, valueBytes);
                at += 4 + valueBytes;
            }
            if (put && key.Length > 0 && key[0] == KvKeys.SessionSpace && (key.Length != KvKeys.SessionKeyBytes || !SessionState.TryDecode(value, out _)))
            {
                return "holds a malformed session record";
            }
            staged?.Take(key, value, put);
        }
        return null;
    }

    private static byte[] ReadChecked(Stream stream, Crc64 hash, int count, string path)
    {
        if (count < 0 || count > stream.Length - stream.Position - 8)
        {
            throw new StorageCorruptException(path, stream.Position, "snapshot frame length out of range");
        }
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        hash.Append(bytes);
        return bytes;
    }

    /// <summary>Streams the records of a verified file.</summary>
    public IEnumerable<SnapshotRecord> ReadRecords()
    {
        using var stream = File.OpenRead(_path);
        stream.Position = 28 + Info.Configuration.Length;
        var head = new byte[12];
        while (true)
        {
            stream.ReadExactly(head);
            var rawBytes = BinaryPrimitives.ReadInt32LittleEndian(head);
            if (rawBytes == 0)
            {
                yield break;
            }
            var body = new byte[BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4))];
            stream.ReadExactly(body);
            var raw = new byte[rawBytes];
            Invariant.True(LZ4Codec.Decode(body, raw) == rawBytes, _path);
            foreach (var record in ParseRecords(raw))
            {
                yield return record;
            }
        }
    }

    private static List<SnapshotRecord> ParseRecords(byte[] raw)
    {
        var records = new List<SnapshotRecord>();
        var at = 0;
        while (at < raw.Length)
        {
            var kind = raw[at];
            var keyBytes = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(at + 1));
            var key = raw.AsSpan(at + 5, keyBytes).ToArray();
            at += 5 + keyBytes;
            byte[]? value = null;
            if (kind == 1)
            {
                var valueBytes = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(at));
                value = raw.AsSpan(at + 4, valueBytes).ToArray();
                at += 4 + valueBytes;
            }
            records.Add(new SnapshotRecord(key, value));
        }
        return records;
    }
}
