using System;
using System.Collections.Generic;

namespace KvRaft.Protocol.Sharding;

/// <summary>
/// The bytes of a <see cref="ShardConfiguration"/> (docs/wire-format.md, "Shard configuration"), little-endian:
/// u8 version (1), i64 number, u16 shard count and an i32 owner per shard, u16 group count, then per group i32 id,
/// u8 member count and per member i32 node id, text peer address, text client address (text: u16 length, UTF-8).
/// Reading validates everything (<see cref="ShardConfiguration.Problem"/>, no trailing bytes) and never throws.
/// </summary>
public static class ShardConfigurationCodec
{
    private const byte Version = 1;

    /// <summary>The encoded length of <paramref name="configuration"/>.</summary>
    public static int Size(ShardConfiguration configuration)
    {
        var size = 1 + 8 + 2 + (4 * configuration.ShardCount) + 2;
        foreach (var group in configuration.Groups)
        {
            size += 4 + 1;
            foreach (var member in group.Members)
            {
                size += 4 + 2 + WireWriter.TextBytes(member.PeerAddress) + 2 + WireWriter.TextBytes(member.ClientAddress);
            }
        }
        return size;
    }

    /// <summary>Encodes <paramref name="configuration"/> (which must be sound) into a new array.</summary>
    public static byte[] Encode(ShardConfiguration configuration)
    {
        var bytes = new byte[Size(configuration)];
        var written = Write(configuration, bytes);
        Invariant.True(written == bytes.Length, written);
        return bytes;
    }

    /// <summary>Encodes <paramref name="configuration"/> (which must be sound) into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(ShardConfiguration configuration, Span<byte> destination)
    {
        var problem = configuration.Problem();
        Invariant.True(problem is null, problem ?? "");
        var writer = new WireWriter(destination);
        writer.U8(Version);
        writer.I64(configuration.Number);
        writer.U16((ushort)configuration.ShardCount);
        foreach (var owner in configuration.Owners)
        {
            writer.I32(owner);
        }
        writer.U16((ushort)configuration.Groups.Count);
        foreach (var group in configuration.Groups)
        {
            writer.I32(group.GroupId);
            writer.U8((byte)group.Members.Count);
            foreach (var member in group.Members)
            {
                writer.I32(member.NodeId);
                writer.Text(member.PeerAddress);
                writer.Text(member.ClientAddress);
            }
        }
        return writer.Written;
    }

    /// <summary>Decodes and validates a configuration; <paramref name="configuration"/> is null unless the result is Ok.</summary>
    public static ParseResult Read(ReadOnlySpan<byte> source, out ShardConfiguration? configuration)
    {
        configuration = null;
        var reader = new WireReader(source);
        if (!reader.U8(out var version) || !reader.I64(out var number) || !reader.U16(out var shardCount))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "shard configuration header missing");
        }
        if (version != Version)
        {
            return ParseResult.Fail(ProtocolError.BadVersion, "shard configuration version unknown");
        }
        if (shardCount is 0 or > ShardMap.ShardCountMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "shard count outside 1..ShardCountMax");
        }
        var owners = new int[shardCount];
        for (var shard = 0; shard < shardCount; shard++)
        {
            if (!reader.I32(out owners[shard]))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "shard owners missing");
            }
        }
        var result = ReadGroups(ref reader, out var groups);
        if (!result.IsOk)
        {
            return result;
        }
        if (!reader.AtEnd)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "bytes after the shard configuration");
        }
        var read = new ShardConfiguration { Number = number, Owners = owners, Groups = groups };
        if (read.Problem() is not null)
        {
            return ParseResult.Fail(ProtocolError.Malformed, "shard configuration breaks an invariant (ShardConfiguration.Problem)");
        }
        configuration = read;
        return ParseResult.Ok;
    }

    private static ParseResult ReadGroups(ref WireReader reader, out ShardGroup[] groups)
    {
        groups = [];
        if (!reader.U16(out var count))
        {
            return ParseResult.Fail(ProtocolError.Truncated, "group count missing");
        }
        if (count > ShardConfiguration.GroupsMax)
        {
            return ParseResult.Fail(ProtocolError.TooLarge, "more groups than GroupsMax");
        }
        var read = new ShardGroup[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.I32(out var groupId) || !reader.U8(out var memberCount))
            {
                return ParseResult.Fail(ProtocolError.Truncated, "group header missing");
            }
            if (memberCount > ShardConfiguration.MembersPerGroupMax)
            {
                return ParseResult.Fail(ProtocolError.TooLarge, "more members than MembersPerGroupMax");
            }
            var members = new List<ShardGroupMember>(memberCount);
            for (var m = 0; m < memberCount; m++)
            {
                if (!reader.I32(out var nodeId))
                {
                    return ParseResult.Fail(ProtocolError.Truncated, "member id missing");
                }
                var result = reader.Text(out var peer);
                if (result.IsOk)
                {
                    result = reader.Text(out var client);
                    members.Add(new ShardGroupMember(nodeId, peer ?? "", client ?? ""));
                }
                if (!result.IsOk)
                {
                    return result;
                }
            }
            read[i] = new ShardGroup(groupId, members);
        }
        groups = read;
        return ParseResult.Ok;
    }
}
