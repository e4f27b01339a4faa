using FASTER.core;
using Microsoft.Extensions.Logging;

namespace KvRaft.Storage;

/// <summary>
/// Scans FasterLog's committed range in order and hands every good record to a sink that rebuilds the log from it
/// (<see cref="SingleLogReplay"/>, <see cref="SharedLogReplay"/>). A bad record (checksum, framing, a gap in
/// the address sequence) followed by no good record is a torn tail: it is cut off with a warning and the cut
/// is recorded in <see cref="TailCutFile"/>. A bad record followed by a good one is corruption: we throw.
/// FasterLog runs in fast-commit mode: its commit records lie between ours, and its iterator skips them, so a
/// gap between two of our records is accepted only when the segment file shows it holds nothing but commit
/// records and page padding.
/// </summary>
internal sealed class LogRecovery
{
    private const int FasterHeaderBytes = 4;
    private readonly FasterLog _log;
    private readonly string _logPath;
    private readonly int _segmentBits;
    private readonly int _pageBits;
    private readonly TailCutFile _cuts;
    private readonly ILogger _logger;
    private readonly SegmentReader _segments; // reads gaps' headers; its files are closed after the replay

    public LogRecovery(FasterLog log, string logPath, int segmentBits, int pageBits, TailCutFile cuts, ILogger logger, IFileSystem? files = null)
    {
        _segments = new SegmentReader(files ?? LocalFileSystem.Instance, logPath, segmentBits);
        _log = log;
        _logPath = logPath;
        _segmentBits = segmentBits;
        _pageBits = pageBits;
        _cuts = cuts;
        _logger = logger;
    }

    /// <summary>The segment file and offset in it of a FasterLog address.</summary>
    public static (string File, long Offset) Locate(string logPath, int segmentBits, long address) =>
        ($"{logPath}.{address >> segmentBits}", address & ((1L << segmentBits) - 1));

    /// <summary>Hands every good record of the committed range, in address order, to <paramref name="sink"/>.</summary>
    public void Replay<TView>(ILogReplaySink<TView> sink)
    {
        try
        {
            ReplayRanges(sink);
        }
        finally
        {
            _segments.Dispose();
        }
    }

    private void ReplayRanges<TView>(ILogReplaySink<TView> sink)
    {
        var end = _log.CommittedUntilAddress;
        sink.Begin(_log.BeginAddress, end);
        foreach (var (from, to) in Ranges(_log.BeginAddress, end))
        {
            var badAddress = ScanRange(from, to, sink);
            if (badAddress >= 0)
            {
                var (file, offset) = Locate(_logPath, _segmentBits, badAddress);
                _logger.LogWarning("Raft log: torn tail at {File} offset {Offset} cut off ({Bytes} bytes)", file, offset, to - badAddress);
                _cuts.Add(badAddress, to);
            }
        }
    }

    private IEnumerable<(long From, long To)> Ranges(long begin, long end)
    {
        var from = begin;
        foreach (var (cutFrom, cutTo) in _cuts.Cuts.OrderBy(c => c.From))
        {
            if (cutTo <= from)
            {
                continue;
            }
            if (cutFrom > from)
            {
                yield return (from, Math.Min(cutFrom, end));
            }
            from = Math.Max(from, cutTo);
        }
        if (from < end)
        {
            yield return (from, end);
        }
    }

    /// <summary>Hands the good records of [from, to) to the sink; returns the address of a torn tail, or -1.</summary>
    private long ScanRange<TView>(long from, long to, ILogReplaySink<TView> sink)
    {
        using var iterator = _log.Scan(from, to, recover: false);
        var expected = from;
        var badAddress = -1L;
        while (expected < to)
        {
            bool good;
            TView view;
            int length;
            long address, next;
            try
            {
                if (!TryCheckNext(iterator, sink, out good, out view, out length, out address, out next))
                {
                    if (iterator.Ended || !iterator.WaitAsync().AsTask().GetAwaiter().GetResult())
                    {
                        break;
                    }
                    continue;
                }
            }
            catch (FasterException)
            {
                badAddress = badAddress < 0 ? expected : badAddress;
                expected = Math.Max(expected + FasterHeaderBytes, iterator.NextAddress);
                continue;
            }
            if (good && badAddress < 0 && (address == expected || IsPagePadding(expected, address, length) || HoldsOnlyCommitRecords(expected, address)))
            {
                if (sink.Apply(view, address) is { } corruption)
                {
                    throw Corrupt(address, corruption);
                }
            }
            else if (good && badAddress >= 0)
            {
                throw Corrupt(badAddress, $"a good record follows at address {address}");
            }
            else if (badAddress < 0)
            {
                badAddress = good ? expected : address;
            }
            expected = next;
        }
        if (badAddress < 0 && expected < to)
        {
            badAddress = expected;
        }
        return badAddress;
    }

    /// <summary>
    /// Reads the iterator's next record where FasterLog holds it (no copy: a copy per record was 1.2 GB of a 1 GiB
    /// log's reopen) and has the sink check and decode it before the bytes are released; false when no record is
    /// there yet. FasterLog's framing errors are thrown as <see cref="FasterException"/>, as by its copying read.
    /// </summary>
    private static unsafe bool TryCheckNext<TView>(FasterLogScanIterator iterator, ILogReplaySink<TView> sink,
        out bool good, out TView view, out int length, out long address, out long next)
    {
        if (!iterator.UnsafeGetNext(out var entry, out length, out address, out next))
        {
            (good, view) = (false, default!);
            return false;
        }
        try
        {
            good = sink.TryDecode(new ReadOnlySpan<byte>(entry, length), address, out view);
        }
        finally
        {
            iterator.UnsafeRelease();
        }
        return true;
    }

    /// <summary>
    /// True when [from, to) holds only FasterLog commit records (a negative length header, then that many bytes,
    /// aligned to 4) and zero padding to page ends, read from the segment files.
    /// </summary>
    private bool HoldsOnlyCommitRecords(long from, long to)
    {
        var pageBytes = 1L << _pageBits;
        Span<byte> header = stackalloc byte[FasterHeaderBytes];
        var position = from;
        while (position < to)
        {
            var pageEnd = ((position >> _pageBits) + 1) << _pageBits;
            if (pageEnd - position < FasterHeaderBytes)
            {
                position = pageEnd;
                continue;
            }
            if (!_segments.Read(position, header))
            {
                return false;
            }
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length == 0 && position % pageBytes != 0)
            {
                position = pageEnd; // padding to the page's end
                continue;
            }
            var recordBytes = FasterHeaderBytes + ((-(long)length + 3) & ~3L);
            if (length >= 0 || position + recordBytes > pageEnd)
            {
                return false; // a record of ours (or garbage) would have been skipped
            }
            position += recordBytes;
        }
        return position == to;
    }

    /// <summary>FasterLog pads a page's end with zeros when the next record does not fit; anything else is a gap.</summary>
    private bool IsPagePadding(long expected, long address, int length)
    {
        var pageBytes = 1L << _pageBits;
        var nextPage = ((expected >> _pageBits) + 1) << _pageBits;
        var recordBytes = FasterHeaderBytes + ((length + 3) & ~3);
        return address == nextPage && expected + recordBytes > nextPage && address % pageBytes == 0;
    }

    private StorageCorruptException Corrupt(long address, string detail)
    {
        var (file, offset) = Locate(_logPath, _segmentBits, address);
        return new StorageCorruptException(file, offset, "record fails its checksum or framing before the tail; " + detail);
    }
}

/// <summary>
/// What a recovery scan hands its records to: it checks and decodes them (false: checksum or framing bad) and applies
/// them. The record's bytes are FasterLog's own, valid only during <see cref="TryDecode"/>: a view keeps no reference to them (it may carry a copy).
/// </summary>
internal interface ILogReplaySink<TView>
{
    /// <summary>Called once before the scan with the committed range it covers, [<paramref name="beginAddress"/>, <paramref name="endAddress"/>).</summary>
    void Begin(long beginAddress, long endAddress);

    bool TryDecode(ReadOnlySpan<byte> record, long address, out TView view);

    /// <summary>Applies one good record, in address order; returns null, or why the record cannot be in this log (corruption).</summary>
    string? Apply(in TView view, long address);
}
