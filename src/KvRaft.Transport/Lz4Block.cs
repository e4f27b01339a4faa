namespace KvRaft.Transport;

/// <summary>
/// Reads an LZ4 block's sequences (format: lz4_Block_format.md) without decoding them, to learn how many bytes it
/// decodes to. A frame announces its uncompressed size; checking the announcement against the block itself before
/// allocating means a small frame can never make the receiver allocate much (each block byte decodes to at most
/// about 255 bytes), and a block that does not decode to exactly what it announces is refused before any allocation.
/// </summary>
internal static class Lz4Block
{
    private const int MinimumMatchBytes = 4;

    /// <summary>The exact decoded length of <paramref name="block"/>, or -1 when it is malformed or decodes to more than <paramref name="limit"/>.</summary>
    public static long DecodedLength(ReadOnlySpan<byte> block, long limit)
    {
        var position = 0;
        long decoded = 0;
        while (position < block.Length)
        {
            var token = block[position++];
            if (!TryReadLength(block, ref position, token >> 4, out var literals) || literals > block.Length - position)
            {
                return -1;
            }
            position += (int)literals;
            decoded += literals;
            if (decoded > limit)
            {
                return -1;
            }
            if (position == block.Length)
            {
                return decoded; // the last sequence holds literals only
            }
            if (block.Length - position < 2)
            {
                return -1;
            }
            var offset = block[position] | (block[position + 1] << 8);
            position += 2;
            if (offset == 0 || offset > decoded || !TryReadLength(block, ref position, token & 0x0F, out var match))
            {
                return -1;
            }
            decoded += match + MinimumMatchBytes;
            if (decoded > limit)
            {
                return -1;
            }
        }
        return -1; // empty, or ended after a match: a block ends with literals
    }

    /// <summary>A 4-bit length, extended by bytes of 255 and a final byte below 255 when it is 15.</summary>
    private static bool TryReadLength(ReadOnlySpan<byte> block, ref int position, int nibble, out long length)
    {
        length = nibble;
        if (nibble != 0x0F)
        {
            return true;
        }
        while (position < block.Length)
        {
            var more = block[position++];
            length += more;
            if (more != 255)
            {
                return true;
            }
        }
        return false;
    }
}
