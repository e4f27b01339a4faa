using System;
using System.Collections.Generic;

namespace KvRaft.Protocol;

/// <summary>
/// The entries of a peer message, in one of three forms, none of which allocates per entry:
/// <list type="bullet">
/// <item><b>source</b>: caller-owned <see cref="WireEntry"/> memory, for formatting (<see cref="From"/>);</item>
/// <item><b>encoded</b>: a validated view of an encoded entries block, after a parse; enumerate it;</item>
/// <item><b>compressed</b>: a view of a compressed block (<see cref="FromCompressed"/>, or a parse of a
/// compressed message): the transport decompresses <see cref="Block"/> into a buffer of
/// <see cref="UncompressedBytes"/> and calls <see cref="ParseBlock"/> on it.</item>
/// </list>
/// The block layout (compact: an entry may omit an index one past the previous one, or a term equal
/// to the previous one) is documented in docs/wire-format.md.
/// </summary>
public readonly struct EntryList : IEquatable<EntryList>
{
    private const byte IndexFollowsFlag = 1;
    private const byte TermRepeatsFlag = 2;

    private readonly ReadOnlyMemory<WireEntry> _source;
    private readonly ReadOnlyMemory<byte> _block;
    private readonly bool _encoded;

    private EntryList(ReadOnlyMemory<WireEntry> source, ReadOnlyMemory<byte> block, bool encoded, bool compressed, int count, int uncompressedBytes)
    {
        _source = source;
        _block = block;
        _encoded = encoded;
        IsCompressed = compressed;
        Count = count;
        UncompressedBytes = uncompressedBytes;
    }

    /// <summary>Number of entries.</summary>
    public int Count { get; }

    /// <summary>True when the entries are held as a compressed block that must be decompressed first.</summary>
    public bool IsCompressed { get; }

    /// <summary>Size of the encoded (uncompressed) block.</summary>
    public int UncompressedBytes { get; }

    /// <summary>The encoded block (compressed or not); empty in source form.</summary>
    public ReadOnlyMemory<byte> Block => _block;

    internal bool IsSource => !_encoded;

    internal ReadOnlySpan<WireEntry> SourceSpan => _source.Span;

    /// <summary>Entries to format, from caller-owned memory (which must outlive the format call).</summary>
    public static EntryList From(ReadOnlyMemory<WireEntry> entries)
    {
        Invariant.True(entries.Length <= ProtocolLimits.EntriesPerAppendMax, entries.Length);
        return new EntryList(entries, default, encoded: false, compressed: false, entries.Length, BlockSize(entries.Span));
    }

    /// <summary>A compressed block of <paramref name="count"/> entries, made by the transport from <see cref="FormatBlock"/>'s output.</summary>
    public static EntryList FromCompressed(ReadOnlyMemory<byte> compressedBlock, int count, int uncompressedBytes)
    {
        Invariant.True(count > 0 && count <= ProtocolLimits.EntriesPerAppendMax, count);
        Invariant.True(uncompressedBytes > 0 && uncompressedBytes <= ProtocolLimits.EntriesBlockBytesMax, uncompressedBytes);
        return new EntryList(default, compressedBlock, encoded: true, compressed: true, count, uncompressedBytes);
    }

    /// <summary>Size of the encoded block for <paramref name="entries"/>.</summary>
    public static int BlockSize(ReadOnlySpan<WireEntry> entries)
    {
        long bytes = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            bytes += 2 + 4 + entries[i].Data.Length;
            bytes += i > 0 && Follows(entries[i - 1], entries[i]) ? 0 : 8;
            bytes += i > 0 && entries[i - 1].Term == entries[i].Term ? 0 : 8;
        }
        Invariant.True(bytes <= ProtocolLimits.EntriesBlockBytesMax, bytes);
        return (int)bytes;
    }

    /// <summary>Writes the encoded block for <paramref name="entries"/>; returns the bytes written.</summary>
    public static int FormatBlock(ReadOnlySpan<WireEntry> entries, Span<byte> destination)
    {
        var size = BlockSize(entries);
        Invariant.True(destination.Length >= size, destination.Length);
        var writer = new WireWriter(destination);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            Invariant.True(entry.Type <= EntryType.Config, entry.Type);
            Invariant.True(entry.Data.Length <= ProtocolLimits.EntryDataBytesMax, entry.Data.Length);
            var follows = i > 0 && Follows(entries[i - 1], entry);
            var repeats = i > 0 && entries[i - 1].Term == entry.Term;
            writer.U8((byte)entry.Type);
            writer.U8((byte)((follows ? IndexFollowsFlag : 0) | (repeats ? TermRepeatsFlag : 0)));
            if (!follows)
            {
                writer.I64(entry.Index);
            }
            if (!repeats)
            {
                writer.I64(entry.Term);
            }
            writer.U32((uint)entry.Data.Length);
            writer.Bytes(entry.Data.Span);
        }
        Invariant.True(writer.Written == size, writer.Written);
        return size;
    }

    /// <summary>
    /// Validates an uncompressed block of <paramref name="count"/> entries and returns a view of it
    /// (no copy: the view and every entry's data live as long as <paramref name="block"/>). Never throws.
    /// </summary>
    public static ParseResult ParseBlock(ReadOnlyMemory<byte> block, int count, out EntryList entries)
    {
        entries = default;
        if (count < 0 || count > ProtocolLimits.EntriesPerAppendMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "entry count exceeds EntriesPerAppendMax");
        }
        if (block.Length > ProtocolLimits.EntriesBlockBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "entries block exceeds EntriesBlockBytesMax");
        }
        var reader = new WireReader(block);
        var previous = default(WireEntry);
        for (var i = 0; i < count; i++)
        {
            var result = ReadEntry(ref reader, i == 0, previous, out previous);
            if (!result.IsOk)
            {
                return result;
            }
        }
        var end = reader.End();
        if (!end.IsOk)
        {
            return end;
        }
        entries = new EntryList(default, block, encoded: true, compressed: false, count, block.Length);
        return ParseResult.Ok;
    }

    // previous is taken by value in ReadEntry: callers pass the same variable as previous and as the out entry.
    private static bool Follows(in WireEntry previous, in WireEntry entry) =>
        previous.Index != long.MaxValue && entry.Index == previous.Index + 1;

    private static ParseResult ReadEntry(ref WireReader reader, bool first, WireEntry previous, out WireEntry entry)
    {
        entry = default;
        if (!reader.U8(out var type) || !reader.U8(out var flags))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "entry header missing");
        }
        if (type > (byte)EntryType.Config)
        {
            return ParseResult.Fail(ProtocolError.UnknownType, "unknown entry type");
        }
        if ((flags & ~(IndexFollowsFlag | TermRepeatsFlag)) != 0 || (first && flags != 0))
        {
            return ParseResult.Fail(ProtocolError.Malformed, "entry flags invalid (reserved bits, or compact flags on the first entry)");
        }
        var index = previous.Index + 1;
        if ((flags & IndexFollowsFlag) == 0 && !reader.I64(out index))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "entry index missing");
        }
        if ((flags & IndexFollowsFlag) != 0 && previous.Index == long.MaxValue)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "entry index overflows");
        }
        var term = previous.Term;
        if ((flags & TermRepeatsFlag) == 0 && !reader.I64(out term))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "entry term missing");
        }
        if (!reader.U32(out var length))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "entry data length missing");
        }
        if (length > ProtocolLimits.EntryDataBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "entry data exceeds EntryDataBytesMax");
        }
        if (!reader.Memory((int)length, out var data))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "entry data missing");
        }
        entry = new WireEntry(index, term, (EntryType)type, data);
        if (!first && (flags & IndexFollowsFlag) == 0 && Follows(previous, entry))
        {
            return ParseResult.Fail(ProtocolError.Malformed, "entry index written in full where the compact form applies");
        }
        if (!first && (flags & TermRepeatsFlag) == 0 && term == previous.Term)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "entry term written in full where the compact form applies");
        }
        return ParseResult.Ok;
    }

    /// <summary>Writes the entries into <paramref name="destination"/> (which it does not clear).</summary>
    public void CopyTo(List<WireEntry> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        foreach (var entry in this)
        {
            destination.Add(entry);
        }
    }

    /// <summary>Enumerates the entries without allocating. Not valid on a compressed list.</summary>
    public Enumerator GetEnumerator()
    {
        Invariant.True(!IsCompressed, "decompress and ParseBlock before enumerating");
        return new Enumerator(this);
    }

    /// <summary>True when both lists hold the same entries (by value, data compared bytewise).</summary>
    public bool Equals(EntryList other)
    {
        if (Count != other.Count || IsCompressed != other.IsCompressed)
        {
            return false;
        }
        if (IsCompressed)
        {
            return UncompressedBytes == other.UncompressedBytes && _block.Span.SequenceEqual(other._block.Span);
        }
        var left = GetEnumerator();
        var right = other.GetEnumerator();
        while (left.MoveNext() && right.MoveNext())
        {
            var a = left.Current;
            var b = right.Current;
            if (a.Index != b.Index || a.Term != b.Term || a.Type != b.Type || !a.Data.Span.SequenceEqual(b.Data.Span))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is EntryList other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Count, IsCompressed, UncompressedBytes);

    /// <summary>Value equality.</summary>
    public static bool operator ==(EntryList left, EntryList right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(EntryList left, EntryList right) => !left.Equals(right);

    /// <summary>Allocation-free enumerator over either form.</summary>
    public struct Enumerator
    {
        private readonly EntryList _list;
        private int _next;
        private int _position;
        private WireEntry _current;

        internal Enumerator(EntryList list)
        {
            _list = list;
            _next = 0;
            _position = 0;
            _current = default;
        }

        /// <summary>The current entry.</summary>
        public readonly WireEntry Current => _current;

        /// <summary>Advances to the next entry.</summary>
        public bool MoveNext()
        {
            if (_next >= _list.Count)
            {
                return false;
            }
            if (!_list._encoded)
            {
                _current = _list._source.Span[_next++];
                return true;
            }
            var reader = new WireReader(_list._block[_position..]);
            var result = ReadEntry(ref reader, _next == 0, _current, out _current);
            Invariant.True(result.IsOk, result); // validated by ParseBlock
            _position += reader.Position;
            _next++;
            return true;
        }
    }
}
