// Goal: shard entries reach a follower in a leader's Appends, and the follower applies them without another check, so
// the Append is refused (the connection closed) when a shard entry does not parse or an install's chunk does not hold
// whole records of the user and session spaces: a chunk that would write the shard states or the controller's records,
// a session record that does not decode, a record cut short, a Reconfigure whose configuration breaks an invariant; a
// well-formed install is taken. Method: PeerMessageValidator called directly with the view of node 2 following node 1.
using System.Buffers.Binary;
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Raft;
using KvRaft.Server.Node;

namespace KvRaft.Server.Tests.Node;

public sealed class ShardEntryRefusalTests
{
    private static readonly PeerView Follower = new(2, new ConfigState([1, 2, 3]), Term: 5, Leader: 1, Role.Follower, LastIndex: 20);

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "a chunk writing the shard states record", Install(Record([2, 3], [1, 0, 0, 0, 0])), "chunk is malformed" },
        { "a chunk writing a controller record", Install(Record([3, 1], new byte[16])), "chunk is malformed" },
        { "a session record that does not decode", Install(Record([1, 0, 0, 0, 0, 0, 0, 0, 5], [1, 2, 3])), "chunk is malformed" },
        { "a session key of 8 bytes", Install(Record([1, 0, 0, 0, 0, 0, 0, 5], new byte[26])), "chunk is malformed" },
        { "a record cut short", Install(Record([0, 97], [1, 2, 3])[..^1]), "chunk is malformed" },
        { "a key length past the chunk", Install([0xFF, 0x00, 0, 97]), "chunk is malformed" },
        { "a Reconfigure whose configuration names group 0", Reconfigure(groupId: 0), "does not parse" },
        { "a Reconfigure whose configuration names a negative group", Reconfigure(groupId: -2), "does not parse" },
        { "an install entry cut short", Install(Record([0, 97], [1]))[..^3], "does not parse" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void An_Append_carrying_a_malformed_shard_entry_is_refused(string what, byte[] entry, string reason)
    {
        var check = PeerMessageValidator.Check(1, Append(entry), Follower);
        Assert.True(check.Verdict == PeerVerdict.Refused, what);
        Assert.Contains(reason, check.Reason);
    }

    [Fact]
    public void An_Append_carrying_a_well_formed_install_is_taken()
    {
        var check = PeerMessageValidator.Check(1, Append(Install([.. Record([0, 97], [1]), .. Record([0, 98], [2])])), Follower);
        Assert.True(check.Verdict == PeerVerdict.Accepted, check.Reason);
    }

    private static PeerMessage Append(byte[] data) => new()
    {
        Type = PeerMessageType.Append,
        From = 1,
        To = 2,
        Term = 5,
        Index = 20,
        LogTerm = 5,
        Entries = EntryList.From(new[] { new WireEntry(21, 5, Protocol.EntryType.Normal, data) }),
    };

    private static byte[] Install(byte[] chunk) => ShardEntryCodec.Encode(new ShardEntry(ShardEntryKind.InstallShard, 1, 2, 0, IsLast: true, chunk));

    /// <summary>One chunk record: u16 store key length, the store key, u32 value length, the value (docs/storage-format.md, "Shard chunks").</summary>
    private static byte[] Record(byte[] storeKey, byte[] value)
    {
        var record = new byte[2 + storeKey.Length + 4 + value.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)storeKey.Length);
        storeKey.CopyTo(record, 2);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(2 + storeKey.Length), value.Length);
        value.CopyTo(record, 6 + storeKey.Length);
        return record;
    }

    /// <summary>A Reconfigure to configuration 2 whose first group's id is overwritten with <paramref name="groupId"/>.</summary>
    private static byte[] Reconfigure(int groupId)
    {
        var configuration = new ShardConfiguration
        {
            Number = 2,
            Owners = new int[4],
            Groups = [new ShardGroup(1, [new ShardGroupMember(1, "127.0.0.1:9001", "127.0.0.1:8001")])],
        };
        var bytes = ShardConfigurationCodec.Encode(configuration);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1 + 8 + 2 + (4 * 4) + 2), groupId);
        return ShardEntryCodec.Encode(new ShardEntry(ShardEntryKind.Reconfigure, 0, 2, Payload: bytes));
    }
}
