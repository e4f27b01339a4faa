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

/// <summary>A checked log record's fields without its payload: what recovery keeps (<see cref="Vote"/>: a hard state's, else 0).</summary>
internal readonly record struct LogRecordHeader(LogRecordKind Kind, byte EntryType, long Index, long Term, int PayloadBytes, int Vote);

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
    internal const int FieldsAt = 4; // after the CRC
    private const int FieldBytes = 24; // kind, entry type, reserved, index, term, payloadBytes
    private const int VoteBytes = 4; // a hard state's payload

    /// <summary>The vote of a hard state record, as its payload.</summary>
    internal static ReadOnlySpan<byte> VotePayload(HardState state, Span<byte> into)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into, state.Vote);
        return into[..VoteBytes];
    }

    public static int Encode(Span<byte> into, LogRecordKind kind, byte entryType, long index, long term, ReadOnlySpan<byte> payload) =>
        EncodeAt(into, FieldsAt, kind, entryType, index, term, payload);

    /// <summary>The fields from the kind on start at <paramref name="fieldsAt"/>; the CRC-32C at 0 covers everything after it.</summary>
    internal static int EncodeAt(Span<byte> into, int fieldsAt, LogRecordKind kind, byte entryType, long index, long term, ReadOnlySpan<byte> payload)
    {
        var fields = into[fieldsAt..];
        var total = fieldsAt + FieldBytes + payload.Length;
        fields[0] = (byte)kind;
        fields[1] = entryType;
        BinaryPrimitives.WriteUInt16LittleEndian(fields[2..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(fields[4..], index);
        BinaryPrimitives.WriteInt64LittleEndian(fields[12..], term);
        BinaryPrimitives.WriteInt32LittleEndian(fields[20..], payload.Length);
        payload.CopyTo(fields[FieldBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(into, Crc32C.Compute(into[4..total]));
        return total;
    }

    public static int EncodeHardState(Span<byte> into, HardState state)
    {
        Span<byte> vote = stackalloc byte[4];
        return Encode(into, LogRecordKind.HardState, 0, state.Commit, state.Term, VotePayload(state, vote));
    }

    /// <summary>Decodes and checks one record; false if the checksum, kind or length is wrong.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> memory, out LogRecordView view) => TryDecodeAt(memory, FieldsAt, out view);

    /// <summary>Decodes a record whose fields start at <paramref name="fieldsAt"/> (see <see cref="EncodeAt"/>).</summary>
    internal static bool TryDecodeAt(ReadOnlyMemory<byte> memory, int fieldsAt, out LogRecordView view)
    {
        view = default;
        if (!TryDecodeHeaderAt(memory.Span, fieldsAt, out var header))
        {
            return false;
        }
        view = new LogRecordView(header.Kind, header.EntryType, header.Index, header.Term, memory[(fieldsAt + FieldBytes)..]);
        return true;
    }

    /// <summary>
    /// Checks one record in place (checksum, kind, length, a hard state's vote) and returns its fields without its
    /// payload, for the recovery scan, which reads records where FasterLog holds them and keeps no bytes.
    /// </summary>
    internal static bool TryDecodeHeaderAt(ReadOnlySpan<byte> span, int fieldsAt, out LogRecordHeader header)
    {
        header = default;
        var headerBytes = fieldsAt + FieldBytes;
        if (span.Length < headerBytes)
        {
            return false;
        }
        var fields = span[fieldsAt..];
        var payloadBytes = BinaryPrimitives.ReadInt32LittleEndian(fields[20..]);
        if (payloadBytes < 0 || payloadBytes != span.Length - headerBytes)
        {
            return false;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Crc32C.Compute(span[4..]))
        {
            return false;
        }
        var kind = (LogRecordKind)fields[0];
        if (kind is not (LogRecordKind.Entry or LogRecordKind.HardState or LogRecordKind.Boundary or LogRecordKind.Reset)
            || kind == LogRecordKind.HardState && payloadBytes < VoteBytes)
        {
            return false;
        }
        var vote = kind == LogRecordKind.HardState ? BinaryPrimitives.ReadInt32LittleEndian(span[headerBytes..]) : 0;
        header = new LogRecordHeader(kind, fields[1], BinaryPrimitives.ReadInt64LittleEndian(fields[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(fields[12..]), payloadBytes, vote);
        return true;
    }

    public static HardState ToHardState(in LogRecordHeader header) => new(header.Term, header.Vote, header.Index);
}
