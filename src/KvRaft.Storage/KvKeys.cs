using System.Buffers.Binary;

namespace KvRaft.Storage;

/// <summary>
/// The store's key space: the first byte names the space. 0x00 user keys, 0x01 client sessions
/// (then client id, 8 bytes big-endian), 0x02 metadata (applied position, configuration).
/// </summary>
internal static class KvKeys
{
    public const byte UserSpace = 0;
    public const byte SessionSpace = 1;
    public const byte MetaSpace = 2;

    public static readonly byte[] AppliedKey = [MetaSpace, 1];
    public static readonly byte[] ConfigurationKey = [MetaSpace, 2];

    public static byte[] User(ReadOnlySpan<byte> key)
    {
        var bytes = new byte[key.Length + 1];
        key.CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    public static byte[] Session(long clientId)
    {
        var bytes = new byte[9];
        bytes[0] = SessionSpace;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), clientId);
        return bytes;
    }

    public static long SessionClient(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key[1..]);
}

/// <summary>A session's dedup state: last sequence, log index of its last use, last result.</summary>
internal readonly record struct SessionState(long LastSequence, long LastIndex, KvResult LastResult)
{
    public byte[] Encode()
    {
        var value = LastResult.Value;
        var bytes = new byte[16 + 2 + (value?.Length ?? 0)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, LastSequence);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), LastIndex);
        bytes[16] = (byte)LastResult.Status;
        bytes[17] = value is null ? (byte)0 : (byte)1;
        value?.CopyTo(bytes, 18);
        return bytes;
    }

    public static SessionState Decode(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadInt64LittleEndian(bytes),
        BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
        new KvResult((KvStatus)bytes[16], bytes[17] == 0 ? null : bytes[18..].ToArray()));
}
