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

    /// <summary>
    /// Reads what <see cref="Encode"/> wrote for group <paramref name="groupId"/> of a cluster of
    /// <paramref name="shardCount"/> shards: from this process's own store, or from a snapshot a peer sent (checked
    /// before it is installed). Everything is validated (docs/storage-format.md, "Shard states"): the version, the
    /// group, both configurations (<see cref="ShardConfigurationCodec"/>) and their numbers consecutive, the shard
    /// count, every state byte and its fit with the configurations' owners (the type's invariants), every pull cursor
    /// within the record, no byte after the last. Throws <see cref="StorageCorruptException"/> saying what does not
    /// fit, and nothing else.
    /// </summary>
    public static GroupShards Decode(ReadOnlySpan<byte> bytes, int groupId, int shardCount)
    {
        var reader = new StateReader(bytes, groupId);
        var version = reader.U8("version");
        if (version != EncodingVersion)
        {
            throw reader.Corrupt($"version {version}, not {EncodingVersion}");
        }
        var group = reader.I32("group id");
        if (group != groupId)
        {
            throw reader.Corrupt($"recorded for group {group}");
        }
        var current = reader.Configuration("current");
        var previous = reader.Configuration("previous");
        if (current.Number != previous.Number + 1 && (current.Number, previous.Number) != (0, 0))
        {
            throw reader.Corrupt($"configurations {previous.Number} then {current.Number} are not consecutive");
        }
        int count = reader.U16("shard count");
        if (count != shardCount || current.ShardCount != count || previous.ShardCount != count)
        {
            throw reader.Corrupt($"{count} shard states and configurations of {current.ShardCount} and {previous.ShardCount} shards, in a cluster of {shardCount}");
        }
        var shards = new GroupShards(groupId, count) { Current = current, Previous = previous };
        for (var shard = 0; shard < count; shard++)
        {
            var state = reader.U8("state byte");
            if (state > (byte)ShardState.WaitingForDrop)
            {
                throw reader.Corrupt($"state byte {state} of shard {shard} is not a shard state");
            }
            shards._states[shard] = (ShardState)state;
            if (shards.StateProblem(shard) is { } problem)
            {
                throw reader.Corrupt($"shard {shard} is {(ShardState)state} but {problem}");
            }
        }
        for (var shard = 0; shard < count; shard++)
        {
            if (shards._states[shard] == ShardState.Pulling)
            {
                var chunk = reader.I32("next chunk");
                if (chunk < 0)
                {
                    throw reader.Corrupt($"shard {shard}'s next chunk {chunk} is negative");
                }
                shards._nextChunk[shard] = chunk;
                int length = reader.U16("cursor length");
                shards._cursor[shard] = reader.Bytes(length, $"shard {shard}'s cursor of {length} bytes").ToArray();
            }
        }
        if (!reader.AtEnd)
        {
            throw reader.Corrupt($"{bytes.Length - reader.Position} bytes after the last pull cursor");
        }
        return shards;
    }

    /// <summary>Why the state of <paramref name="shard"/> does not fit the configurations (the type's invariants), or null.</summary>
    private string? StateProblem(int shard)
    {
        bool ownedNow = Current.Owners[shard] == GroupId, ownedBefore = Previous.Owners[shard] == GroupId;
        return _states[shard] switch
        {
            ShardState.Serving or ShardState.WaitingForDrop when !ownedNow => $"the group does not own it in configuration {Current.Number}",
            ShardState.Pulling when !ownedNow || Previous.Owners[shard] == 0 || ownedBefore =>
                $"the group does not own it in configuration {Current.Number}, or no other group owned it in configuration {Previous.Number}",
            ShardState.Offering when ownedNow || !ownedBefore => $"the group owns it in configuration {Current.Number}, or did not in configuration {Previous.Number}",
            ShardState.NotOwned when ownedNow => $"the group owns it in configuration {Current.Number}",
            _ => null,
        };
    }

    /// <summary>Reads the fields of a shard states record, each checked against the bytes left; refusals name the group and the offset.</summary>
    private ref struct StateReader(ReadOnlySpan<byte> bytes, int groupId)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position == _bytes.Length;

        public byte U8(string field) => Bytes(1, field)[0];

        public int I32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, field));

        public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, field));

        public ReadOnlySpan<byte> Bytes(int count, string field)
        {
            if (count < 0 || count > _bytes.Length - Position)
            {
                throw Corrupt($"{field} runs past the end of the record ({_bytes.Length} bytes)");
            }
            var read = _bytes.Slice(Position, count);
            Position += count;
            return read;
        }

        public ShardConfiguration Configuration(string which)
        {
            var length = I32($"{which} configuration's length");
            var read = ShardConfigurationCodec.Read(Bytes(length, $"{which} configuration of {length} bytes"), out var configuration);
            return read.IsOk ? configuration! : throw Corrupt($"{which} configuration: {read.Message}");
        }

        public readonly StorageCorruptException Corrupt(string detail) =>
            new($"shard states record of group {groupId}: {detail} (at byte {Position}); the record is refused");
    }
}
