using System.Buffers;
using System.Buffers.Binary;
using KvRaft.Protocol.Sharding;
using KvRaft.Storage;

namespace KvRaft.Server.Node.Sharding;

/// <summary>
/// The shard states as the state machine keeps them (<see cref="IKvStateMachine.ShardState"/>, docs/storage-format.md,
/// "Shard states"): u8 version 1, i32 group, u32 length and the current configuration, u32 length and the previous
/// one (<see cref="ShardConfigurationCodec"/>), u16 shard count, one state byte per shard, then for each pulling shard
/// in order u32 next chunk, u16 cursor length, the cursor.
/// </summary>
public sealed partial class GroupShards
{
    private const byte EncodingVersion = 1;

    /// <summary>The bytes the shard entries record in the state machine.</summary>
    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Span<byte> number = stackalloc byte[4];
        buffer.Write([EncodingVersion]);
        BinaryPrimitives.WriteInt32LittleEndian(number, GroupId);
        buffer.Write(number);
        foreach (var configuration in (ReadOnlySpan<ShardConfiguration>)[Current, Previous])
        {
            var bytes = ShardConfigurationCodec.Encode(configuration);
            BinaryPrimitives.WriteInt32LittleEndian(number, bytes.Length);
            buffer.Write(number);
            buffer.Write(bytes);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(number, (ushort)_states.Length);
        buffer.Write(number[..2]);
        foreach (var state in _states)
        {
            buffer.Write([(byte)state]);
        }
        for (var shard = 0; shard < _states.Length; shard++)
        {
            if (_states[shard] == ShardState.Pulling)
            {
                BinaryPrimitives.WriteInt32LittleEndian(number, _nextChunk[shard]);
                buffer.Write(number);
                BinaryPrimitives.WriteUInt16LittleEndian(number, (ushort)_cursor[shard].Length);
                buffer.Write(number[..2]);
                buffer.Write(_cursor[shard]);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads what <see cref="Encode"/> wrote for group <paramref name="groupId"/> (from this process's own store); throws <see cref="StorageCorruptException"/> when it does not fit.</summary>
    public static GroupShards Decode(ReadOnlySpan<byte> bytes, int groupId)
    {
        try
        {
            var at = 0;
            if (bytes[at++] != EncodingVersion || BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]) != groupId)
            {
                throw new StorageCorruptException($"shard states of another version or group than {groupId}");
            }
            at += 4;
            var configurations = new ShardConfiguration[2];
            for (var i = 0; i < 2; i++)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
                at += 4;
                var read = ShardConfigurationCodec.Read(bytes.Slice(at, length), out var configuration);
                if (!read.IsOk)
                {
                    throw new StorageCorruptException("shard states: " + read);
                }
                configurations[i] = configuration!;
                at += length;
            }
            int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
            at += 2;
            var shards = new GroupShards(groupId, count) { Current = configurations[0], Previous = configurations[1] };
            for (var shard = 0; shard < count; shard++)
            {
                shards._states[shard] = (ShardState)bytes[at++];
            }
            for (var shard = 0; shard < count; shard++)
            {
                if (shards._states[shard] == ShardState.Pulling)
                {
                    shards._nextChunk[shard] = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
                    int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + 4)..]);
                    shards._cursor[shard] = bytes.Slice(at + 6, length).ToArray();
                    at += 6 + length;
                }
            }
            if (at != bytes.Length || configurations[0].ShardCount != count || configurations[1].ShardCount != count)
            {
                throw new StorageCorruptException("shard states: lengths do not add up");
            }
            return shards;
        }
        catch (ArgumentOutOfRangeException error)
        {
            throw new StorageCorruptException("shard states cut short: " + error.Message);
        }
        catch (IndexOutOfRangeException error)
        {
            throw new StorageCorruptException("shard states cut short: " + error.Message);
        }
    }
}
