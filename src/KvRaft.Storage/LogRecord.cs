using System.Buffers.Binary;

namespace KvRaft.Storage;

/// <summary>Kinds of record in the Raft log file.</summary>
internal enum LogRecordKind : byte
{
    Entry = 1,
    HardState = 2,
    Boundary = 3,
    Reset = 4,
}

/// <summary>A decoded log record; <see cref="Payload"/> points into the buffer it was decoded from.</summary>
internal readonly record struct LogRecordView(LogRecordKind Kind, byte EntryType, long Index, long Term, ReadOnlyMemory<byte> Payload);

/// <summary>
/// One record of the Raft log, stored as one FasterLog entry (FasterLog adds its own 4-byte length before it).
/// Little-endian layout:
/// <code>
/// offset  size  field
///  0      4     crc32c over bytes [4, 28 + payloadBytes)
///  4      1     kind: 1 entry, 2 hard state, 3 compaction boundary, 4 reset (snapshot installed: the log empties)
///  5      1     entry type (kind 1), else 0
///  6      2     reserved, 0
///  8      8     index  (entry: its index; hard state: commit; boundary, reset: snapshot index)
/// 16      8     term   (entry: its term; hard state: current term; boundary, reset: snapshot term)
/// 24      4     payloadBytes
/// 28      n     payload (entry: data; hard state: int32 vote; boundary, reset: empty)
/// </code>
/// </summary>
internal static class LogRecord
{
    public const int HeaderBytes = 28;

    public static int Encode(Span<byte> into, LogRecordKind kind, byte entryType, long index, long term, ReadOnlySpan<byte> payload)
    {
        var total = HeaderBytes + payload.Length;
        into[4] = (byte)kind;
        into[5] = entryType;
        BinaryPrimitives.WriteUInt16LittleEndian(into[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(into[8..], index);
        BinaryPrimitives.WriteInt64LittleEndian(into[16..], term);
        BinaryPrimitives.WriteInt32LittleEndian(into[24..], payload.Length);
        payload.CopyTo(into[HeaderBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(into, Crc32C.Compute(into[4..total]));
        return total;
    }

    public static int EncodeHardState(Span<byte> into, HardState state)
    {
        Span<byte> vote = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(vote, state.Vote);
        return Encode(into, LogRecordKind.HardState, 0, state.Commit, state.Term, vote);
    }

    /// <summary>Decodes and checks one record; false if the checksum, kind or length is wrong.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> memory, out LogRecordView view)
    {
        view = default;
        var span = memory.Span;
        if (span.Length < HeaderBytes)
        {
            return false;
        }
        var payloadBytes = BinaryPrimitives.ReadInt32LittleEndian(span[24..]);
        if (payloadBytes < 0 || payloadBytes != span.Length - HeaderBytes)
        {
            return false;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Crc32C.Compute(span[4..]))
        {
            return false;
        }
        var kind = (LogRecordKind)span[4];
        if (kind is not (LogRecordKind.Entry or LogRecordKind.HardState or LogRecordKind.Boundary or LogRecordKind.Reset))
        {
            return false;
        }
        view = new LogRecordView(kind, span[5], BinaryPrimitives.ReadInt64LittleEndian(span[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[16..]), memory[HeaderBytes..]);
        return true;
    }

    public static HardState ToHardState(in LogRecordView view) =>
        new(view.Term, BinaryPrimitives.ReadInt32LittleEndian(view.Payload.Span), view.Index);
}
