using System.Buffers.Binary;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

/// <summary>
/// The cluster configuration as stored with a snapshot, little-endian: u16 voter count, then i32 voter ids; when the
/// configuration has learners or is joint, then also u16 outgoing-voter count and ids, u16 learner count and ids, and
/// u8 auto-leave (0 or 1); when the member directory is not empty, then also the directory (<see cref="MemberDirectory"/>:
/// u16 count, then id and addresses per member). A configuration of voters alone without addresses is written exactly
/// as builds before learners wrote it, and one without addresses as builds before the directory wrote it.
/// </summary>
public static class ClusterMembership
{
    /// <summary>Encodes the configuration (no addresses).</summary>
    public static byte[] Encode(ConfigState config) => Encode(config, MemberDirectory.Empty);

    /// <summary>Encodes the configuration and the member directory.</summary>
    public static byte[] Encode(ConfigState config, MemberDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(directory);
        var withDirectory = directory.Members.Count > 0;
        var extended = config.IsJoint || config.Learners.Length > 0 || config.AutoLeave || withDirectory;
        var size = IdsBytes(config.Voters) + (extended ? IdsBytes(config.VotersOutgoing) + IdsBytes(config.Learners) + 1 : 0)
            + (withDirectory ? MemberDirectory.EncodedBytes(directory.Members) : 0);
        var bytes = new byte[size];
        var at = WriteIds(bytes, 0, config.Voters);
        if (extended)
        {
            at = WriteIds(bytes, at, config.VotersOutgoing);
            at = WriteIds(bytes, at, config.Learners);
            bytes[at++] = config.AutoLeave ? (byte)1 : (byte)0;
        }
        if (withDirectory)
        {
            MemberDirectory.Write(directory.Members, bytes.AsSpan(at));
        }
        return bytes;
    }

    private static int IdsBytes(int[] ids) => 2 + (4 * ids.Length);

    private static int WriteIds(byte[] bytes, int at, int[] ids)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 2 + (4 * i)), ids[i]);
        }

        return at + IdsBytes(ids);
    }

    /// <summary>Decodes bytes already checked with <see cref="TryDecode"/>; null when they are empty (no configuration stored yet).</summary>
    public static ConfigState? Decode(ReadOnlySpan<byte> bytes)
    {
        Invariant.True(TryDecode(bytes, out var config), bytes.Length);
        return config;
    }

    /// <summary>
    /// Decodes a stored configuration; false when the bytes do not hold one (a damaged or hostile file): lengths
    /// that do not add up, or lists that break <see cref="ConfigState.IsWellFormed"/>. Empty bytes decode to null.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ConfigState? config) => TryDecode(bytes, out config, out _);

    /// <summary>
    /// Decodes a stored configuration and its member directory (empty when the bytes have none: written before the
    /// directory, or no member address known); false when the bytes do not hold them, or the directory names a node
    /// that is no member.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ConfigState? config, out MemberDirectory directory)
    {
        config = null;
        directory = MemberDirectory.Empty;
        if (bytes.IsEmpty)
        {
            return true;
        }

        if (!TryReadIds(bytes, out var voters, out var at))
        {
            return false;
        }

        if (at == bytes.Length)
        {
            config = new ConfigState(voters).Normalized();
            return config.IsWellFormed();
        }
        if (!TryReadIds(bytes[at..], out var outgoing, out var read))
        {
            return false;
        }

        at += read;
        if (!TryReadIds(bytes[at..], out var learners, out read))
        {
            return false;
        }

        at += read;
        if (bytes.Length < at + 1 || bytes[at] > 1)
        {
            return false;
        }

        config = new ConfigState(voters) { VotersOutgoing = outgoing, Learners = learners, AutoLeave = bytes[at] == 1 }.Normalized();
        if (!config.IsWellFormed())
        {
            return false;
        }

        at++;
        return at == bytes.Length || (MemberDirectory.TryDecode(bytes[at..], config, out directory, out read) && at + read == bytes.Length);
    }

    /// <summary>The member directory of bytes already checked with <see cref="TryDecode(ReadOnlySpan{byte}, out ConfigState?, out MemberDirectory)"/>.</summary>
    public static MemberDirectory DecodeDirectory(ReadOnlySpan<byte> bytes)
    {
        Invariant.True(TryDecode(bytes, out _, out var directory), bytes.Length);
        return directory;
    }

    private static bool TryReadIds(ReadOnlySpan<byte> bytes, out int[] ids, out int read)
    {
        ids = [];
        read = 0;
        if (bytes.Length < 2)
        {
            return false;
        }

        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (count > ConfigState.MembersMax || bytes.Length < 2 + (4 * count))
        {
            return false;
        }

        ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(2 + (4 * i))..]);
        }

        read = 2 + (4 * count);
        return true;
    }
}
