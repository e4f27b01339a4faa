using System.Buffers.Binary;

namespace KvRaft.Storage;

/// <summary>
/// One record of the log shared by many groups (<see cref="SharedRaftLog"/>): a <see cref="LogRecord"/> tagged with its
/// group. The group id follows the CRC-32C, which covers it, so a damaged tag fails the checksum instead of handing a
/// record to another group. Little-endian layout:
/// <code>
/// offset  size  field
///  0      4     crc32c over bytes [4, 32 + payloadBytes)
///  4      4     group id (u32)
///  8      1     kind: 1 entry, 2 hard state, 3 compaction boundary, 4 reset
///  9      1     entry type (kind 1), else 0
/// 10      2     reserved, 0
/// 12      8     index
/// 20      8     term
/// 28      4     payloadBytes
/// 32      n     payload
/// </code>
/// (The fields from the kind on are those of <see cref="LogRecord"/>, four bytes further on.)
/// </summary>
internal static class SharedLogRecord
{
    public const int HeaderBytes = LogRecord.HeaderBytes + 4;
    private const int FieldsAt = 8;

    public static int Encode(Span<byte> into, int group, LogRecordKind kind, byte entryType, long index, long term, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into[4..], group);
        return LogRecord.EncodeAt(into, FieldsAt, kind, entryType, index, term, payload);
    }

    public static int EncodeHardState(Span<byte> into, int group, HardState state)
    {
        Span<byte> vote = stackalloc byte[4];
        return Encode(into, group, LogRecordKind.HardState, 0, state.Commit, state.Term, LogRecord.VotePayload(state, vote));
    }

    /// <summary>Decodes and checks one record; false if the checksum, kind or length is wrong.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> memory, out GroupRecordView view)
    {
        view = default;
        if (!LogRecord.TryDecodeAt(memory, FieldsAt, out var record))
        {
            return false;
        }
        view = new GroupRecordView(BinaryPrimitives.ReadInt32LittleEndian(memory.Span[4..]), record);
        return true;
    }

    /// <summary>Checks one record in place and returns its group and fields without its payload (for recovery).</summary>
    public static bool TryDecodeHeader(ReadOnlySpan<byte> span, out GroupRecordHeader header)
    {
        header = default;
        if (!LogRecord.TryDecodeHeaderAt(span, FieldsAt, out var record))
        {
            return false;
        }
        header = new GroupRecordHeader(BinaryPrimitives.ReadInt32LittleEndian(span[4..]), record);
        return true;
    }
}

/// <summary>A decoded shared-log record: its group and the record itself.</summary>
internal readonly record struct GroupRecordView(int Group, LogRecordView Record);

/// <summary>A checked shared-log record's group and fields, without its payload.</summary>
internal readonly record struct GroupRecordHeader(int Group, LogRecordHeader Record);
