using System;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace KvRaft.Protocol;

/// <summary>
/// Sequential little-endian reader. Every read returns false when the input is too short (the
/// caller reports <see cref="ProtocolError.Truncated"/>); it never throws on any input. When built
/// over memory, byte fields come back as slices of that memory (no copy).
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlyMemory<byte> _memory;
    private int _position;

    public WireReader(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
        _span = memory.Span;
        _position = 0;
    }

    public WireReader(ReadOnlySpan<byte> span)
    {
        _memory = default;
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _span.Length - _position;

    public readonly bool AtEnd => _position == _span.Length;

    public bool U8(out byte value)
    {
        if (Remaining < 1)
        {
            value = 0;
            return false;
        }
        value = _span[_position++];
        return true;
    }

    public bool U16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt16LittleEndian(_span[_position..]);
        _position += 2;
        return true;
    }

    public bool U32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt32LittleEndian(_span[_position..]);
        _position += 4;
        return true;
    }

    public bool I32(out int value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadInt32LittleEndian(_span[_position..]);
        _position += 4;
        return true;
    }

    public bool U64(out ulong value)
    {
        if (Remaining < 8)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt64LittleEndian(_span[_position..]);
        _position += 8;
        return true;
    }

    public bool I64(out long value)
    {
        if (Remaining < 8)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadInt64LittleEndian(_span[_position..]);
        _position += 8;
        return true;
    }

    /// <summary>Reads <paramref name="length"/> bytes as a slice of the input memory.</summary>
    public bool Memory(int length, out ReadOnlyMemory<byte> value)
    {
        Invariant.True(length >= 0);
        Invariant.True(!_memory.IsEmpty || _span.IsEmpty || length == 0, "byte slices need a reader built over memory");
        if (Remaining < length)
        {
            value = default;
            return false;
        }
        value = _memory.Slice(_position, length);
        _position += length;
        return true;
    }

    /// <summary>Reads <paramref name="length"/> bytes as a slice of the input span.</summary>
    public bool Span(int length, out ReadOnlySpan<byte> value)
    {
        Invariant.True(length >= 0);
        if (Remaining < length)
        {
            value = default;
            return false;
        }
        value = _span.Slice(_position, length);
        _position += length;
        return true;
    }

    /// <summary>A key: u16 length + bytes.</summary>
    public ParseResult Key(out ReadOnlyMemory<byte> key)
    {
        key = default;
        if (!U16(out var length))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "key length missing");
        }
        if (length > ProtocolLimits.KeyBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "key longer than KeyBytesMax");
        }
        return Memory(length, out key) ? ParseResult.Ok : ParseResult.Fail(ProtocolError.Truncated, "key bytes missing");
    }

    /// <summary>A value: u32 length + bytes.</summary>
    public ParseResult Value(out ReadOnlyMemory<byte> value)
    {
        value = default;
        if (!U32(out var length))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "value length missing");
        }
        if (length > ProtocolLimits.ValueBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "value longer than ValueBytesMax");
        }
        return Memory((int)length, out value) ? ParseResult.Ok : ParseResult.Fail(ProtocolError.Truncated, "value bytes missing");
    }

    /// <summary>A text: u16 length + strict UTF-8; empty reads as null. Allocates the string.</summary>
    public ParseResult Text(out string? text)
    {
        text = null;
        if (!U16(out var length))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "text length missing");
        }
        if (length > ProtocolLimits.TextBytesMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "text longer than TextBytesMax");
        }
        if (!Span(length, out var bytes))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "text bytes missing");
        }
        if (length == 0)
        {
            return ParseResult.Ok;
        }
        if (!Utf8.IsValid(bytes))
        {
            return ParseResult.Fail(ProtocolError.Malformed, "text is not valid UTF-8");
        }
        text = Encoding.UTF8.GetString(bytes);
        return ParseResult.Ok;
    }

    /// <summary>The end check every codec makes: no bytes may follow the last field.</summary>
    public readonly ParseResult End() =>
        AtEnd ? ParseResult.Ok : ParseResult.Fail(ProtocolError.Malformed, "trailing bytes after the last field");
}
