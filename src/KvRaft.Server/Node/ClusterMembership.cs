using System.Buffers.Binary;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

/// <summary>The cluster configuration as stored with a snapshot: u16 count, then i32 voter ids, little-endian.</summary>
public static class ClusterMembership
{
    /// <summary>Encodes the voters.</summary>
    public static byte[] Encode(ConfigState config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var bytes = new byte[2 + (4 * config.Voters.Length)];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)config.Voters.Length);
        for (int i = 0; i < config.Voters.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2 + (4 * i)), config.Voters[i]);
        }
        return bytes;
    }

    /// <summary>Decodes the voters; null when the bytes are empty (no configuration stored yet).</summary>
    public static ConfigState? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return null;
        Invariant.True(bytes.Length >= 2, bytes.Length);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        Invariant.True(bytes.Length == 2 + (4 * count), (bytes.Length, count));
        var voters = new int[count];
        for (int i = 0; i < count; i++) voters[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(2 + (4 * i))..]);
        return new ConfigState(voters);
    }
}
