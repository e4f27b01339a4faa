using System.Buffers;
using FASTER.core;

namespace KvRaft.Storage;

/// <summary>
/// Compaction of the store's log, in the manner of FASTER's Lookup compaction but in our hands (FASTER's own
/// <c>Compact</c> interleaves its scan iterator with session operations on one thread, and crashed with an access
/// violation when applies ran beside it). Below a durable checkpoint's fold-over address the log is immutable: a first
/// scan finds each key's last record in [begin, until); a second scan, a chunk at a time with its iterator closed in
/// between, collects those that are not tombstones; each is copied to the tail on a session of its own, beside the
/// applies, by a conditional read-modify-write (see <see cref="CompactionSession"/>); then the begin address moves to
/// until. The next checkpoint records it; once that one is durable the segments below it are deleted
/// (<see cref="HeldTruncationDevice"/>). Lookup rather than Scan compaction: Scan keeps a temporary store of every key
/// and scans the rest of the log too; here the check is one index lookup per live record.
/// </summary>
internal sealed partial class FasterStore
{
    public long BeginAddress => _store.Log.BeginAddress;

    /// <summary>Each key's last record (its address) in [begin, <paramref name="untilAddress"/>).</summary>
    public Dictionary<byte[], long> LastAddresses(long untilAddress)
    {
        var lastAddress = new Dictionary<byte[], long>(ByteKeyComparer.Instance);
        var lookup = lastAddress.GetAlternateLookup<ReadOnlySpan<byte>>();
        using var scan = _store.Log.Scan(_store.Log.BeginAddress, untilAddress);
        while (scan.GetNext(out var info))
        {
            if (!info.Invalid)
            {
                lookup[scan.GetKey().AsReadOnlySpan()] = scan.CurrentAddress;
            }
        }
        return lastAddress;
    }

    /// <summary>
    /// Adds to <paramref name="into"/> the records from <paramref name="fromAddress"/> on that are their key's last in the
    /// region and not tombstones, until <paramref name="count"/> were read or <paramref name="untilAddress"/>; returns the
    /// address to go on from (a record boundary). The scan is closed when it returns.
    /// </summary>
    public long LiveRecords(Dictionary<byte[], long> lastAddress, long fromAddress, long untilAddress, int count, List<(byte[] Key, long Address)> into)
    {
        ArgumentNullException.ThrowIfNull(lastAddress);
        ArgumentNullException.ThrowIfNull(into);
        var lookup = lastAddress.GetAlternateLookup<ReadOnlySpan<byte>>();
        using var scan = _store.Log.Scan(fromAddress, untilAddress);
        var read = 0;
        while (read < count && scan.GetNext(out var info))
        {
            read++;
            if (!info.Invalid && !info.Tombstone && lookup.TryGetValue(scan.GetKey().AsReadOnlySpan(), out var last) && last == scan.CurrentAddress)
            {
                into.Add((scan.GetKey().ToByteArray(), scan.CurrentAddress));
            }
        }
        return read < count ? untilAddress : scan.NextAddress;
    }

    /// <summary>A session for copying records to the tail (one thread at a time; dispose it when done).</summary>
    public CompactionSession NewCompactionSession() => new(_store.For(new ConditionalCopyFunctions()).NewSession<ConditionalCopyFunctions>(
        sessionVariableLengthStructSettings: new SessionVariableLengthStructSettings<SpanByte, SpanByte> { valueLength = new CopiedValueLength() }));

    /// <summary>Moves the begin address to <paramref name="address"/> (a record boundary); nothing is deleted here.</summary>
    public void ShiftBeginAddress(long address)
    {
        // A Get pending on a record below the new begin address would find nothing: the record's copy is above it.
        CompletePendingGets(wait: true);
        _store.Log.ShiftBeginAddress(address, snapToPageStart: false, truncateLog: false);
    }
}

/// <summary>
/// A FASTER session of its own that copies a compacted region's live records to the tail, each by one conditional
/// read-modify-write: FASTER runs it atomically against the applies' writes of the same key (its hash entry is swapped
/// by compare-and-swap; the loser retries), and it copies only when the key's latest record is the one compacted.
/// </summary>
internal sealed unsafe class CompactionSession(ClientSession<SpanByte, SpanByte, SpanByte, Empty, Empty, ConditionalCopyFunctions> session) : IDisposable
{
    private int _pending;

    /// <summary>Copies the record at <paramref name="address"/> of <paramref name="key"/> to the tail if it is still the key's latest.</summary>
    public void CopyIfLatest(ReadOnlySpan<byte> key, long address)
    {
        Span<byte> expected = stackalloc byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(expected, address);
        fixed (byte* k = key, e = expected)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var input = SpanByte.FromPointer(e, expected.Length);
            var output = default(Empty);
            if (session.RMW(ref keySpan, ref input, ref output).IsPending && ++_pending >= 256)
            {
                Complete();
            }
        }
    }

    /// <summary>Waits for every copy that went to disk for its record.</summary>
    public void Complete()
    {
        session.CompletePending(wait: true);
        _pending = 0;
    }

    public void Dispose() => session.Dispose();
}

/// <summary>
/// The callbacks of <see cref="CompactionSession"/>: the input is the address of the record compacted (8 bytes); a
/// copy is made only from that record (<see cref="RMWInfo.Address"/>), with its value; a key with a newer record in
/// the mutable region (newer than any compacted one), or none, is left as it is.
/// </summary>
internal sealed class ConditionalCopyFunctions : SpanByteFunctions<SpanByte, Empty, Empty>
{
    /// <inheritdoc/>
    public override bool NeedInitialUpdate(ref SpanByte key, ref SpanByte input, ref Empty output, ref RMWInfo rmwInfo) => false;

    /// <inheritdoc/>
    public override bool NeedCopyUpdate(ref SpanByte key, ref SpanByte input, ref SpanByte oldValue, ref Empty output, ref RMWInfo rmwInfo) =>
        rmwInfo.Address == System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(input.AsReadOnlySpan());

    /// <inheritdoc/>
    public override bool CopyUpdater(ref SpanByte key, ref SpanByte input, ref SpanByte oldValue, ref SpanByte newValue, ref Empty output, ref RMWInfo rmwInfo)
    {
        oldValue.CopyTo(ref newValue);
        return true;
    }

    /// <inheritdoc/>
    public override bool InPlaceUpdater(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref Empty output, ref RMWInfo rmwInfo) => true;

    /// <inheritdoc/>
    public override bool SingleReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref Empty dst, ref ReadInfo readInfo) => true;

    /// <inheritdoc/>
    public override bool ConcurrentReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref Empty dst, ref ReadInfo readInfo) => true;
}

/// <summary>The length of a record copied by <see cref="ConditionalCopyFunctions"/>: its old value's (the input is an address).</summary>
internal sealed class CopiedValueLength : IVariableLengthStruct<SpanByte, SpanByte>
{
    public int GetLength(ref SpanByte t, ref SpanByte input) => t.TotalSize;

    public int GetInitialLength(ref SpanByte input) => sizeof(int); // never used: no record is created
}

/// <summary>What an export read: the region [begin, until) it scanned and the bytes of the live records in it.</summary>
internal sealed class ExportTally
{
    public bool Completed { get; private set; }

    public long BeginAddress { get; private set; }

    public long UntilAddress { get; private set; }

    public long LiveBytes { get; private set; }

    public void Complete(long beginAddress, long untilAddress, long liveBytes)
    {
        (BeginAddress, UntilAddress, LiveBytes) = (beginAddress, untilAddress, liveBytes);
        Completed = true;
    }

    /// <summary>
    /// True when more than half of the region is dead: compacting it then copies fewer bytes than it frees, so the
    /// work per byte applied stays bounded (a store that only grows is never compacted: it would copy it all).
    /// </summary>
    public bool WorthCompacting => Completed && UntilAddress - BeginAddress > 2 * LiveBytes;
}
