using System;
using System.Buffers.Binary;
using System.Text;

namespace KvRaft.Protocol;

/// <summary>
/// Sequential little-endian writer over a destination span. Codecs size the destination first
/// (their Size method), so running past its end is a bug and fails the span's own bounds check.
/// </summary>
internal ref struct WireWriter
{
    private readonly Span<byte> _destination;
    private int _position;

    public WireWriter(Span<byte> destination)
    {
        _destination = destination;
        _position = 0;
    }

    public readonly int Written => _position;

    public void U8(byte value) => _destination[_position++] = value;

    public void Bool(bool value) => U8(value ? (byte)1 : (byte)0);

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_destination[_position..], value);
        _position += 2;
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_destination[_position..], value);
        _position += 4;
    }

    public void I32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_destination[_position..], value);
        _position += 4;
    }

    public void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_destination[_position..], value);
        _position += 8;
    }

    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_destination[_position..], value);
        _position += 8;
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_destination[_position..]);
        _position += value.Length;
    }

    /// <summary>Returns the next <paramref name="length"/> bytes for the caller to fill, and moves past them.</summary>
    public Span<byte> Reserve(int length)
    {
        var slice = _destination.Slice(_position, length);
        _position += length;
        return slice;
    }

    /// <summary>A key: u16 length + bytes.</summary>
    public void Key(ReadOnlySpan<byte> key)
    {
        Invariant.True(key.Length <= ProtocolLimits.KeyBytesMax, key.Length);
        U16((ushort)key.Length);
        Bytes(key);
    }

    /// <summary>A value: u32 length + bytes.</summary>
    public void Value(ReadOnlySpan<byte> value)
    {
        Invariant.True(value.Length <= ProtocolLimits.ValueBytesMax, value.Length);
        U32((uint)value.Length);
        Bytes(value);
    }

    /// <summary>A text: u16 length + UTF-8 bytes; null is written as empty.</summary>
    public void Text(string? text)
    {
        var length = TextBytes(text);
        Invariant.True(length <= ProtocolLimits.TextBytesMax, length);
        U16((ushort)length);
        if (length > 0)
        {
            var written = Encoding.UTF8.GetBytes(text, _destination.Slice(_position, length));
            Invariant.True(written == length);
            _position += length;
        }
    }

    public static int TextBytes(string? text) => string.IsNullOrEmpty(text) ? 0 : Encoding.UTF8.GetByteCount(text);
}
