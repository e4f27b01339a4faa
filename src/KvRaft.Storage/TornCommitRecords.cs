using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage;

/// <summary>
/// Clears a torn FasterLog commit record at the log's tail before FasterLog opens. In fast-commit mode FasterLog's
/// recovery scans forward from the newest commit slot and parses every commit record it meets into its recovery
/// info, by reference, before checking the record's checksum: a record whose header reached the disk but whose body
/// did not (a write torn at a sector inside it, at a power cut) leaves that info with an until-address of 0, and
/// FasterLog then recovers an empty log, silently. The torn record belongs to the one write in flight (writes are
/// issued one at a time), so it is the last record and nothing was acknowledged by it: zeroing it (durably) makes
/// FasterLog stop at the commit record before it, as it would had the write not happened.
/// Framing (FasterLog's, checksums off): a 4-byte length header (negative for a commit record), the body, padded
/// to 4 bytes; a record never crosses a page; zeros fill a page's end.
/// </summary>
internal static class TornCommitRecords
{
    private const int HeaderBytes = 4;

    /// <summary>Scans from the newest slot's until-address; clears the first commit record that fails FASTER's checksum.</summary>
    public static void Repair(IFileSystem files, string logPath, StorageLimits limits, LogCommitSlots slots, ILogger logger)
    {
        var newest = slots.ListCommits().Select(slots.GetCommitMetadata).FirstOrDefault(m => m is { Length: >= 28 });
        if (newest is null)
        {
            return;
        }
        using var segments = new SegmentReader(files, logPath, limits.LogSegmentBits);
        var pageBytes = 1L << limits.LogPageBits;
        var position = BinaryPrimitives.ReadInt64LittleEndian(newest.AsSpan(20)); // version, checksum, begin, until
        Span<byte> header = stackalloc byte[HeaderBytes];
        while (true)
        {
            var pageEnd = (position / pageBytes + 1) * pageBytes;
            if (pageEnd - position < HeaderBytes)
            {
                position = pageEnd;
                continue;
            }
            if (!segments.Read(position, header))
            {
                return;
            }
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length == 0)
            {
                if (position % pageBytes == 0)
                {
                    return; // the end of the log
                }
                position = pageEnd; // padding to the page's end
                continue;
            }
            var bodyBytes = (Math.Abs((long)length) + 3) & ~3L;
            if (length == int.MinValue || position + HeaderBytes + bodyBytes > pageEnd)
            {
                return; // not FasterLog framing: LogRecovery judges it (torn tail or corruption)
            }
            if (length < 0 && !IsValidCommit(segments, position + HeaderBytes, -length))
            {
                segments.Clear(position, HeaderBytes + bodyBytes);
                var (file, offset) = LogRecovery.Locate(logPath, limits.LogSegmentBits, position);
                logger.LogWarning("Raft log: torn FasterLog commit record at {File} offset {Offset} cleared", file, offset);
                return;
            }
            position += HeaderBytes + bodyBytes;
        }
    }

    private static bool IsValidCommit(SegmentReader segments, long address, int bytes)
    {
        var body = new byte[bytes];
        return segments.Read(address, body) && FasterCommitInfo.HasValidChecksum(body);
    }
}

/// <summary>Reads and clears byte ranges of FasterLog's segment files by log address.</summary>
internal sealed class SegmentReader(IFileSystem files, string logPath, int segmentBits) : IDisposable
{
    private readonly Dictionary<long, Stream> _open = []; // by segment number: no file name made per read

    /// <summary>False when the range is not all inside an existing segment file.</summary>
    public bool Read(long address, Span<byte> into)
    {
        if (Reader(address >> segmentBits) is not { } stream)
        {
            return false;
        }
        stream.Position = address & ((1L << segmentBits) - 1);
        return stream.ReadAtLeast(into, into.Length, throwOnEndOfStream: false) == into.Length;
    }

    /// <summary>Writes zeros over [address, address + bytes), durably.</summary>
    public void Clear(long address, long bytes)
    {
        var (file, offset) = LogRecovery.Locate(logPath, segmentBits, address);
        using var stream = files.Open(file, FileMode.Open, FileAccess.Write, writeThrough: true);
        stream.Position = offset;
        stream.Write(new byte[bytes]);
        stream.Flush();
    }

    private Stream? Reader(long segment)
    {
        if (!_open.TryGetValue(segment, out var stream))
        {
            var (file, _) = LogRecovery.Locate(logPath, segmentBits, segment << segmentBits);
            if (!files.FileExists(file))
            {
                return null;
            }
            stream = files.Open(file, FileMode.Open, FileAccess.Read);
            _open[segment] = stream;
        }
        return stream;
    }

    public void Dispose()
    {
        foreach (var stream in _open.Values)
        {
            stream.Dispose();
        }
    }
}

/// <summary>FASTER's <c>FasterLogRecoveryInfo</c> layout (versions 0 and 1), parsed only to check its XOR checksum.</summary>
internal static class FasterCommitInfo
{
    public static bool HasValidChecksum(ReadOnlySpan<byte> body)
    {
        try
        {
            return Check(body);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // shorter than its own fields say
        }
    }

    private static bool Check(ReadOnlySpan<byte> body)
    {
        var version = BinaryPrimitives.ReadInt32LittleEndian(body);
        var checksum = BinaryPrimitives.ReadInt64LittleEndian(body[4..]);
        var begin = BinaryPrimitives.ReadInt64LittleEndian(body[12..]);
        var until = BinaryPrimitives.ReadInt64LittleEndian(body[20..]);
        if (version is not (0 or 1))
        {
            return false;
        }
        var at = 28;
        var commitNum = version > 0 ? BinaryPrimitives.ReadInt64LittleEndian(body[at..]) : -1;
        at += version > 0 ? 8 : 0;
        var iterators = body.Length >= at + 4 ? BinaryPrimitives.ReadInt32LittleEndian(body[at..]) : 0;
        at += body.Length >= at + 4 ? 4 : 0;
        for (var i = 0; i < iterators; i++)
        {
            at += 4 + BinaryPrimitives.ReadInt32LittleEndian(body[at..]) + 8;
        }
        var computed = begin ^ until;
        if (version >= 1)
        {
            var cookieBytes = body.Length >= at + 4 ? BinaryPrimitives.ReadInt32LittleEndian(body[at..]) : -1;
            at += body.Length >= at + 4 ? 4 : 0;
            var cookieXor = cookieBytes >= 0 ? XorBytes(body.Slice(at, cookieBytes)) : 0;
            computed ^= commitNum ^ iterators ^ cookieBytes ^ cookieXor;
        }
        if (version == 0 && begin == 0 && until == 0 && iterators == 0)
        {
            return false;
        }
        return checksum == computed;
    }

    /// <summary>FASTER's Utility.XorBytes: 8-byte words XORed, then the remaining bytes one by one.</summary>
    private static long XorBytes(ReadOnlySpan<byte> bytes)
    {
        long result = 0;
        var at = 0;
        for (; at + 8 <= bytes.Length; at += 8)
        {
            result ^= BinaryPrimitives.ReadInt64LittleEndian(bytes[at..]);
        }
        for (; at < bytes.Length; at++)
        {
            result ^= bytes[at];
        }
        return result;
    }
}
