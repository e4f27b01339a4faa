using System;

namespace KvRaft.Protocol;

/// <summary>
/// Codec for <see cref="PeerMessage"/>: a 58-byte fixed part, then an entries section (when there
/// are entries) and a snapshot section (when there is snapshot metadata). Layout in docs/wire-format.md.
/// </summary>
public static class PeerMessageCodec
{
    /// <summary>Bytes of the fixed part.</summary>
    public const int FixedBytes = 1 + 1 + 4 + 4 + (8 * 6);

    /// <summary>Bytes of the entries section before its block.</summary>
    public const int EntriesHeaderBytes = 1 + 4 + 4 + 4;

    /// <summary>Bytes of the snapshot section before its voters.</summary>
    public const int SnapshotHeaderBytes = 8 + 8 + 2;

    private const byte RejectFlag = 1;
    private const byte EntriesFlag = 2;
    private const byte SnapshotFlag = 4;
    private const byte ExtendedConfigFlag = 8; // the snapshot section carries outgoing voters, learners and auto-leave
    private const byte CompressedFlag = 1;

    /// <summary>Body size of <paramref name="message"/>.</summary>
    public static int Size(in PeerMessage message)
    {
        long bytes = FixedBytes;
        if (message.Entries.Count > 0)
        {
            bytes += EntriesHeaderBytes + StoredBytes(message.Entries);
        }
        if (message.Snapshot is { } snapshot)
        {
            bytes += SnapshotHeaderBytes + (4L * snapshot.Voters.Length);
            if (snapshot.IsExtended)
            {
                bytes += 2 + (4L * snapshot.VotersOutgoing.Length) + 2 + (4L * snapshot.Learners.Length) + 1;
            }
        }
        Invariant.True(bytes <= FrameHeader.BodyBytesMax, bytes);
        return (int)bytes;
    }

    private static int StoredBytes(in EntryList entries) =>
        entries.IsSource ? entries.UncompressedBytes : entries.Block.Length;

    /// <summary>Writes the body; returns the bytes written. Allocates nothing.</summary>
    public static int Format(in PeerMessage message, Span<byte> destination)
    {
        var size = Size(message);
        Invariant.True(destination.Length >= size, destination.Length);
        Invariant.True(message.Type <= PeerMessageType.ShardDropReply, message.Type);
        var entries = message.Entries;
        var writer = new WireWriter(destination);
        writer.U8((byte)message.Type);
        writer.U8((byte)((message.Reject ? RejectFlag : 0) | (entries.Count > 0 ? EntriesFlag : 0) | (message.Snapshot.HasValue ? SnapshotFlag : 0)
            | (message.Snapshot is { IsExtended: true } ? ExtendedConfigFlag : 0)));
        writer.I32(message.From);
        writer.I32(message.To);
        writer.I64(message.Term);
        writer.I64(message.LogTerm);
        writer.I64(message.Index);
        writer.I64(message.Commit);
        writer.I64(message.RejectHint);
        writer.I64(message.Context);
        if (entries.Count > 0)
        {
            var stored = StoredBytes(entries);
            writer.U8(entries.IsCompressed ? CompressedFlag : (byte)0);
            writer.U32((uint)entries.Count);
            writer.U32((uint)entries.UncompressedBytes);
            writer.U32((uint)stored);
            if (entries.IsSource)
            {
                // Source form: encode straight into the destination.
                var written = EntryList.FormatBlock(entries.SourceSpan, writer.Reserve(stored));
                Invariant.True(written == stored, written);
            }
            else
            {
                writer.Bytes(entries.Block.Span);
            }
        }
        if (message.Snapshot is { } snapshot)
        {
            writer.I64(snapshot.Index);
            writer.I64(snapshot.Term);
            WriteIds(ref writer, snapshot.Voters.Span);
            if (snapshot.IsExtended)
            {
                WriteIds(ref writer, snapshot.VotersOutgoing.Span);
                WriteIds(ref writer, snapshot.Learners.Span);
                writer.U8(snapshot.AutoLeave ? (byte)1 : (byte)0);
            }
        }
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    /// <summary>
    /// Reads a body; never throws. Entries come back as a view of <paramref name="body"/> (compressed
    /// or encoded, see <see cref="EntryList"/>), valid while the caller keeps that memory unchanged;
    /// snapshot voters come back as a fresh array.
    /// </summary>
    public static ParseResult Parse(ReadOnlyMemory<byte> body, out PeerMessage message)
    {
        message = default;
        var reader = new WireReader(body);
        if (!reader.U8(out var type) || !reader.U8(out var flags))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "peer message type or flags missing");
        }
        if (type > (byte)PeerMessageType.ShardDropReply)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown peer message type");
        }
        if ((flags & ~(RejectFlag | EntriesFlag | SnapshotFlag | ExtendedConfigFlag)) != 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "peer message flags have reserved bits set");
        }
        if ((flags & ExtendedConfigFlag) != 0 && (flags & SnapshotFlag) == 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "extended configuration flag without a snapshot section");
        }
        if (!reader.I32(out var from) || !reader.I32(out var to) || !reader.I64(out var term) || !reader.I64(out var logTerm)
            || !reader.I64(out var index) || !reader.I64(out var commit) || !reader.I64(out var rejectHint) || !reader.I64(out var context))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "peer message fixed part shorter than 58 bytes");
        }
        var entries = default(EntryList);
        if ((flags & EntriesFlag) != 0)
        {
            var result = ReadEntries(ref reader, out entries);
            if (!result.IsOk)
            {
                return result;
            }
        }
        SnapshotMeta? snapshot = null;
        if ((flags & SnapshotFlag) != 0)
        {
            var result = ReadSnapshot(ref reader, (flags & ExtendedConfigFlag) != 0, out var meta);
            if (!result.IsOk)
            {
                return result;
            }
            snapshot = meta;
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        message = new PeerMessage
        {
            Type = (PeerMessageType)type,
            From = from,
            To = to,
            Term = term,
            LogTerm = logTerm,
            Index = index,
            Commit = commit,
            Reject = (flags & RejectFlag) != 0,
            RejectHint = rejectHint,
            Context = context,
            Entries = entries,
            Snapshot = snapshot,
        };
        return ParseResult.Ok;
    }

    private static ParseResult ReadEntries(ref WireReader reader, out EntryList entries)
    {
        entries = default;
        if (!reader.U8(out var flags) || !reader.U32(out var count) || !reader.U32(out var uncompressed) || !reader.U32(out var stored))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "entries section header missing");
        }
        if ((flags & ~CompressedFlag) != 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "entries flags have reserved bits set");
        }
        if (count == 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "entries section present with no entries");
        }
        if (count > ProtocolLimits.EntriesPerAppendMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "entry count exceeds EntriesPerAppendMax");
        }
        if (uncompressed > ProtocolLimits.EntriesBlockBytesMax || stored > ProtocolLimits.EntriesBlockBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "entries block exceeds EntriesBlockBytesMax");
        }
        var compressed = (flags & CompressedFlag) != 0;
        if (!compressed && stored != uncompressed)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "uncompressed entries block with stored length != uncompressed length");
        }
        if (compressed && uncompressed == 0)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "compressed entries block with no uncompressed length");
        }
        if (!reader.Memory((int)stored, out var block))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "entries block missing");
        }
        if (compressed)
        {
            entries = EntryList.FromCompressed(block, (int)count, (int)uncompressed);
            return ParseResult.Ok;
        }
        return EntryList.ParseBlock(block, (int)count, out entries);
    }

    private static ParseResult ReadSnapshot(ref WireReader reader, bool extended, out SnapshotMeta snapshot)
    {
        snapshot = default;
        if (!reader.I64(out var index) || !reader.I64(out var term))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "snapshot section header missing");
        }
        var result = ReadIds(ref reader, out var voters);
        if (!result.IsOk)
        {
            return result;
        }
        snapshot = new SnapshotMeta(index, term, voters);
        if (!extended)
        {
            return ParseResult.Ok;
        }
        result = ReadIds(ref reader, out var outgoing);
        if (result.IsOk)
        {
            result = ReadIds(ref reader, out var learners);
            if (!result.IsOk)
            {
                return result;
            }
            if (!reader.U8(out var autoLeave))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "snapshot auto-leave missing");
            }
            if (autoLeave > 1)
            {
                return ParseResult.Fail(ProtocolError.Malformed, "snapshot auto-leave not 0 or 1");
            }
            snapshot = snapshot with { VotersOutgoing = outgoing, Learners = learners, AutoLeave = autoLeave == 1 };
        }
        return result;
    }

    private static void WriteIds(ref WireWriter writer, ReadOnlySpan<int> ids)
    {
        Invariant.True(ids.Length <= ProtocolLimits.VotersMax, ids.Length);
        writer.U16((ushort)ids.Length);
        foreach (var id in ids)
        {
            writer.I32(id);
        }
    }

    /// <summary>A u16 count (at most <see cref="ProtocolLimits.VotersMax"/>) and as many i32 node ids.</summary>
    private static ParseResult ReadIds(ref WireReader reader, out int[] ids)
    {
        ids = [];
        if (!reader.U16(out var count))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "snapshot member count missing");
        }
        if (count > ProtocolLimits.VotersMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "member count exceeds VotersMax");
        }
        if (reader.Remaining < 4 * count)
        {
            return ParseResult.Fail(ProtocolError.Truncated, "snapshot members missing");
        }
        ids = count == 0 ? [] : new int[count];
        for (var i = 0; i < ids.Length; i++)
        {
            reader.I32(out ids[i]);
        }
        return ParseResult.Ok;
    }

    /// <summary>Size of the whole frame (header + body).</summary>
    public static int FrameSize(in PeerMessage message) => FrameHeader.Bytes + Size(message);

    /// <summary>Writes the whole frame (header + body); returns the bytes written.</summary>
    public static int FormatFrame(in PeerMessage message, Span<byte> destination)
    {
        var header = FrameHeader.Format(FrameType.PeerMessage, Size(message), destination);
        return header + Format(message, destination[header..]);
    }
}
