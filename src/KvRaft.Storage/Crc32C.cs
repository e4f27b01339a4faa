using System.Buffers.Binary;
using System.Numerics;

namespace KvRaft.Storage;

/// <summary>
/// CRC-32C (Castagnoli). System.IO.Hashing 10.0.0 ships only the IEEE Crc32, so this uses the BCL's
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2/ARM CRC instructions where present).
/// </summary>
public static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>The initial state for incremental use.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Feeds <paramref name="data"/> into a running state.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }
        return state;
    }

    /// <summary>The CRC value of a running state.</summary>
    public static uint Finish(uint state) => ~state;
}
