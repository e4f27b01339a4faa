using System.Buffers.Binary;
using KvRaft.Protocol;

namespace KvRaft.LocalCluster;

/// <summary>
/// Follows the frame boundaries (<see cref="FrameHeader"/>: u32 length, version, type) of one direction of
/// a relayed connection, so that a relay drops whole frames and the stream it forwards stays a valid
/// sequence of frames. Only the length is checked (2 ≤ length ≤ <see cref="ProtocolLimits.FrameBytesMax"/>);
/// a stream breaking that rule cannot be followed and is refused (<see cref="InvalidDataException"/>). Holds
/// no frame body: its memory is one header, whatever the frame size.
/// </summary>
/// <param name="drop">Asked once per frame, with its type, when its header is complete: true drops the frame.</param>
internal sealed class FrameCursor(Func<FrameType, bool> drop)
{
    private readonly byte[] _header = new byte[FrameHeader.Bytes];
    private int _headerFilled;
    private long _bodyLeft;
    private bool _dropping;

    /// <summary>Frames dropped so far.</summary>
    public long FramesDropped { get; private set; }

    /// <summary>
    /// Consumes all of <paramref name="input"/> and writes the bytes to forward to <paramref name="output"/>, which
    /// has room for <paramref name="input"/> plus <see cref="FrameHeader.Bytes"/> (a header begun in an earlier piece).
    /// </summary>
    /// <returns>The bytes written to <paramref name="output"/>.</returns>
    public int Advance(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int consumed = 0, written = 0;
        while (consumed < input.Length)
        {
            if (_bodyLeft > 0)
            {
                var body = (int)Math.Min(_bodyLeft, input.Length - consumed);
                if (!_dropping)
                {
                    input.Slice(consumed, body).CopyTo(output[written..]);
                    written += body;
                }
                consumed += body;
                _bodyLeft -= body;
                continue;
            }
            var headerBytes = Math.Min(FrameHeader.Bytes - _headerFilled, input.Length - consumed);
            input.Slice(consumed, headerBytes).CopyTo(_header.AsSpan(_headerFilled));
            _headerFilled += headerBytes;
            consumed += headerBytes;
            if (_headerFilled < FrameHeader.Bytes)
            {
                break;
            }

            _headerFilled = 0;
            StartFrame();
            if (!_dropping)
            {
                _header.CopyTo(output[written..]);
                written += FrameHeader.Bytes;
            }
        }
        return written;
    }

    /// <summary>Reads a complete header and decides the frame's fate.</summary>
    private void StartFrame()
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header);
        if (length is < 2 or > ProtocolLimits.FrameBytesMax)
        {
            throw new InvalidDataException($"a frame length of {length} bytes: the stream cannot be followed");
        }
        _bodyLeft = length - 2;
        _dropping = drop((FrameType)_header[5]);
        if (_dropping)
        {
            FramesDropped++;
        }
    }
}
