using System.Buffers.Binary;

namespace KvRaft.Storage;

/// <summary>
/// The shard of a user key among <paramref name="shardCount"/> shards. The server hands the state machine the
/// protocol's <c>ShardMap.ShardOf</c> (the one function clients and servers share; storage does not reference the
/// protocol).
/// </summary>
public delegate int ShardOfKey(ReadOnlySpan<byte> key, int shardCount);

/// <summary>
/// One chunk of a shard's export (docs/storage-format.md, "Shard chunks"): <see cref="Payload"/> holds records in
/// store-key order, the shard's user records first, then the group's sessions; <see cref="Cursor"/> is the store key
/// of its last record (the next chunk starts after it); <see cref="IsLast"/> when nothing follows.
/// </summary>
public readonly record struct ShardChunk(byte[] Payload, byte[] Cursor, bool IsLast, int Records);

/// <summary>
/// One chunk of <paramref name="Shard"/>'s export (of <paramref name="ShardCount"/> shards) after the store key
/// <paramref name="After"/> (empty: from the start), stopping once <paramref name="ChunkBytes"/> are reached.
/// <paramref name="Frozen"/> names every shard the caller has frozen in <paramref name="Configuration"/> (the one asked
/// for among them): their keys no longer change in that configuration, so one scan indexes them all.
/// </summary>
public sealed record ShardExportRequest(int Shard, int ShardCount, byte[] After, int ChunkBytes, long Configuration, IReadOnlyList<int> Frozen);

/// <summary>
/// The layout of a shard chunk: records back to back, each u16 store key length, the store key (space byte 0 and a
/// user key, or space byte 1 and an 8-byte big-endian session id), u32 value length, the value (a user value, or a
/// session record). Chunks come from another group over the network: <see cref="Validate"/> checks every field
/// before the chunk is proposed, so that applying one never meets a malformed record.
/// </summary>
public static class ShardChunkCodec
{
    /// <summary>Bytes of a record's header (the two lengths).</summary>
    public const int RecordHeaderBytes = 2 + 4;

    /// <summary>The largest record a chunk may hold under <paramref name="limits"/>: a maximal key and value, or a session with a maximal value.</summary>
    public static int RecordBytesMax(StorageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return RecordHeaderBytes + Math.Max(limits.KeyMaxBytes + 1 + limits.ValueMaxBytes, KvKeys.SessionKeyBytes + SessionState.EncodedBytesMax(limits.ValueMaxBytes));
    }

    /// <summary>The largest chunk an export of <paramref name="chunkBytes"/> makes: it stops once past that, after one record more at most.</summary>
    public static int ChunkBytesMax(int chunkBytes, StorageLimits limits) => chunkBytes + RecordBytesMax(limits);

    internal static int RecordBytes(int keyBytes, int valueBytes) => RecordHeaderBytes + keyBytes + valueBytes;

    internal static int WriteRecord(Span<byte> destination, ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)storeKey.Length);
        storeKey.CopyTo(destination[2..]);
        BinaryPrimitives.WriteInt32LittleEndian(destination[(2 + storeKey.Length)..], value.Length);
        value.CopyTo(destination[(RecordHeaderBytes + storeKey.Length)..]);
        return RecordBytes(storeKey.Length, value.Length);
    }

    /// <summary>
    /// Checks a chunk received for <paramref name="shard"/> of <paramref name="shardCount"/>: every record whole, its
    /// key in a space a chunk may hold, a user key of that shard and within the key and value limits, a session
    /// record that decodes, keys strictly ascending and after <paramref name="after"/> (the cursor it continues).
    /// Returns null when it is sound, with the store key of its last record in <paramref name="cursor"/>; else why not.
    /// </summary>
    public static string? Validate(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> after, int shard, int shardCount, StorageLimits limits, ShardOfKey shardOf, out byte[] cursor)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(shardOf);
        cursor = after.ToArray();
        var previous = after;
        var at = 0;
        while (at < payload.Length)
        {
            if (payload.Length - at < RecordHeaderBytes)
            {
                return "shard chunk: a record header is cut short";
            }
            int keyBytes = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
            if (keyBytes < 1 || keyBytes > limits.KeyMaxBytes + 1 || payload.Length - at - 2 < keyBytes + 4)
            {
                return "shard chunk: a record's key length is out of range or cut short";
            }
            var key = payload.Slice(at + 2, keyBytes);
            var valueBytes = BinaryPrimitives.ReadInt32LittleEndian(payload[(at + 2 + keyBytes)..]);
            if (valueBytes < 0 || valueBytes > payload.Length - at - RecordBytes(keyBytes, 0))
            {
                return "shard chunk: a record's value length is out of range";
            }
            var value = payload.Slice(at + RecordHeaderBytes + keyBytes, valueBytes);
            if (previous.Length > 0 && key.SequenceCompareTo(previous) <= 0)
            {
                return "shard chunk: records are not in ascending key order after the cursor";
            }
            var refusal = key[0] switch
            {
                KvKeys.UserSpace when valueBytes > limits.ValueMaxBytes => "shard chunk: a value is larger than ValueMaxBytes",
                KvKeys.UserSpace when shardOf(key[1..], shardCount) != shard => "shard chunk: a key of another shard",
                KvKeys.UserSpace => null,
                KvKeys.SessionSpace when keyBytes != KvKeys.SessionKeyBytes || !SessionState.TryDecode(value, out _) => "shard chunk: a malformed session record",
                KvKeys.SessionSpace => null,
                _ => "shard chunk: a key outside the user and session spaces",
            };
            if (refusal is not null)
            {
                return refusal;
            }
            previous = key;
            at += RecordBytes(keyBytes, valueBytes);
        }
        cursor = previous.ToArray();
        return null;
    }

    /// <summary>The records of a chunk that <see cref="Validate"/> accepted: (store key, value) views of it.</summary>
    internal static IEnumerable<(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value)> Records(ReadOnlyMemory<byte> payload)
    {
        var at = 0;
        while (at < payload.Length)
        {
            int keyBytes = BinaryPrimitives.ReadUInt16LittleEndian(payload.Span[at..]);
            var valueBytes = BinaryPrimitives.ReadInt32LittleEndian(payload.Span[(at + 2 + keyBytes)..]);
            yield return (payload.Slice(at + 2, keyBytes), payload.Slice(at + RecordHeaderBytes + keyBytes, valueBytes));
            at += RecordBytes(keyBytes, valueBytes);
        }
    }

    /// <summary>The store key of the last record of a chunk <see cref="Validate"/> accepted (<paramref name="after"/> when it is empty).</summary>
    public static byte[] LastKey(ReadOnlyMemory<byte> payload, ReadOnlySpan<byte> after)
    {
        var last = ReadOnlyMemory<byte>.Empty;
        var any = false;
        foreach (var (key, _) in Records(payload))
        {
            last = key;
            any = true;
        }
        return any ? last.ToArray() : after.ToArray();
    }

    /// <summary>Bytes of a <see cref="DropKey"/>.</summary>
    public const int DropKeyBytes = 2 + 2 + 8;

    /// <summary>
    /// The command key of a <see cref="KvOp.DropShard"/> (built at apply, never stored): u16 shard, u16 shard count, i64
    /// the configuration it is dropped in (negative: unknown; an export's index of that configuration spares a scan).
    /// </summary>
    public static byte[] DropKey(int shard, int shardCount, long configuration = -1)
    {
        var key = new byte[DropKeyBytes];
        BinaryPrimitives.WriteUInt16LittleEndian(key, checked((ushort)shard));
        BinaryPrimitives.WriteUInt16LittleEndian(key.AsSpan(2), checked((ushort)shardCount));
        BinaryPrimitives.WriteInt64LittleEndian(key.AsSpan(4), configuration);
        return key;
    }
}
