using System.Buffers.Binary;
using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// FasterLog's commit record (the address its log is durable until) in one preallocated file of two slots,
/// written in place and alternately, each write synchronous and durable (<see cref="FileOptions.WriteThrough"/>)
/// before it returns. FASTER's own commit manager creates, writes, closes and deletes a file per commit and
/// waits for the write with a spinning semaphore: profiled at about a third of a node's CPU under load.
/// A torn write spoils only the slot being written; the other still holds the previous commit, which is what
/// FasterLog then recovers to (nothing past it was acknowledged: a commit completes only after this write).
/// Slot layout (little-endian): magic u32, metadata bytes u32, commit number i64, crc32c u32 over the commit
/// number and the metadata, then the metadata.
/// FasterLog runs in fast-commit mode: each commit also writes a commit record into the log itself, and
/// recovery scans forward from the newest slot for later commit records. So a slot is written only for every
/// <see cref="WriteEveryCommits"/>-th commit, when the log grew by <see cref="WriteEveryBytes"/> since the last slot
/// (that forward scan, FasterLog's and <see cref="TornCommitRecords"/>', reads every record: a few large commits must
/// not leave a reopen to read the whole log three times), when FASTER forces it (its begin address moved), and for
/// the first commit after opening (a recovery that cut a torn tail must not scan across that tail again).
/// </summary>
internal sealed class LogCommitSlots : ILogCommitManager
{
    public const int SlotBytes = 4096;
    public const int WriteEveryCommits = 64;
    public const long WriteEveryBytes = 16L << 20;
    private const uint Magic = 0x4C43524B; // "KRCL"
    private const int HeaderBytes = 20;
    private readonly string _path;
    private readonly Stream _file;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(SlotBytes, pinned: true);
    private int _commitsSinceWrite = WriteEveryCommits; // the first commit after opening is written
    private long _writtenUntilAddress; // the until-address of the last slot written since opening

    public LogCommitSlots(string path, IFileSystem? files = null)
    {
        _path = path;
        files ??= LocalFileSystem.Instance;
        var created = !files.FileExists(path);
        _file = files.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, writeThrough: true);
        if (created || _file.Length < 2 * SlotBytes)
        {
            WriteAt(new byte[2 * SlotBytes], 0);
        }
        if (created)
        {
            DirectorySync.SyncParent(files, path); // the name too must survive a power cut
        }
    }

    private void WriteAt(ReadOnlySpan<byte> bytes, long offset)
    {
        _file.Position = offset;
        _file.Write(bytes);
        _file.Flush();
    }

    /// <summary>Slot writes so far (for tests).</summary>
    internal int Writes { get; private set; }

    /// <summary>
    /// Writes the commit into slot <c>commitNumber % 2</c> and returns once it is on disk, when it is due (see
    /// the class remarks); otherwise the commit record FasterLog wrote into the log is what recovery finds.
    /// </summary>
    public void Commit(long beginAddress, long untilAddress, byte[] commitMetadata, long commitNum, bool forceWriteMetadata)
    {
        if (!forceWriteMetadata && ++_commitsSinceWrite < WriteEveryCommits && untilAddress - _writtenUntilAddress < WriteEveryBytes)
        {
            return;
        }
        _commitsSinceWrite = 0;
        _writtenUntilAddress = untilAddress;
        Writes++;
        if (commitMetadata.Length > SlotBytes - HeaderBytes)
        {
            throw new StorageFailedException($"FasterLog commit metadata of {commitMetadata.Length} bytes does not fit a {SlotBytes}-byte slot of {_path}");
        }
        var span = _buffer.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], commitMetadata.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], commitNum);
        commitMetadata.CopyTo(span[HeaderBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], Checksum(span[8..16], commitMetadata));
        var length = HeaderBytes + commitMetadata.Length;
        Invariant.True(TryParse(span[..length], out var encoded, out var body) && encoded == commitNum && body.Length == commitMetadata.Length);
        WriteAt(span[..length], SlotOffset(commitNum));
    }

    /// <summary>The commit numbers of both valid slots, newest first (FasterLog tries them in this order).</summary>
    public IEnumerable<long> ListCommits()
    {
        var commits = new List<long>(2);
        for (var slot = 0; slot < 2; slot++)
        {
            if (TryReadSlot(slot * SlotBytes, out var commitNum, out _))
            {
                commits.Add(commitNum);
            }
        }
        commits.Sort((a, b) => b.CompareTo(a));
        return commits;
    }

    public byte[] GetCommitMetadata(long commitNum) =>
        TryReadSlot(SlotOffset(commitNum), out var found, out var metadata) && found == commitNum ? metadata : null!;

    public void RemoveCommit(long commitNum)
    {
        // The other slot is overwritten by the next commit; nothing to delete.
    }

    public void RemoveAllCommits() => WriteAt(new byte[2 * SlotBytes], 0);

    public void OnRecovery(long commitNum)
    {
    }

    public void Dispose() => _file.Dispose();

    private static long SlotOffset(long commitNum) => (commitNum & 1) * SlotBytes;

    private bool TryReadSlot(long offset, out long commitNum, out byte[] metadata)
    {
        var slot = new byte[SlotBytes];
        _file.Position = offset;
        var read = _file.ReadAtLeast(slot, slot.Length, throwOnEndOfStream: false);
        var parsed = TryParse(slot.AsSpan(0, read), out commitNum, out var body);
        metadata = parsed ? body.ToArray() : [];
        return parsed;
    }

    /// <summary>Decodes one slot: false when it is empty, torn or damaged.</summary>
    private static bool TryParse(ReadOnlySpan<byte> slot, out long commitNum, out ReadOnlySpan<byte> metadata)
    {
        commitNum = -1;
        metadata = default;
        if (slot.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadInt32LittleEndian(slot[4..]);
        if (length < 0 || length > slot.Length - HeaderBytes
            || BinaryPrimitives.ReadUInt32LittleEndian(slot[16..]) != Checksum(slot[8..16], slot.Slice(HeaderBytes, length)))
        {
            return false;
        }
        commitNum = BinaryPrimitives.ReadInt64LittleEndian(slot[8..]);
        metadata = slot.Slice(HeaderBytes, length);
        return true;
    }

    private static uint Checksum(ReadOnlySpan<byte> commitNumber, ReadOnlySpan<byte> metadata) =>
        Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Start, commitNumber), metadata));
}
