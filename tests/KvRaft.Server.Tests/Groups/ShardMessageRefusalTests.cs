// Goal: the migration's peer messages (ShardPull 13, ShardPullReply 14, ShardDrop 15, ShardDropReply 16) are checked
// like every peer message: a forged, oversized or out-of-range one is refused (the host closes the connection), never
// asserted, and changes nothing; a late but possible one is taken; method: a sharded GroupedCluster at its first
// configuration, each forged message handed to a replica as the network would, its verdict and the shard states checked.
using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node;
using KvRaft.Server.Node.Sharding;
using KvRaft.Testing.Groups;

namespace KvRaft.Server.Tests.Groups;

public sealed class ShardMessageRefusalTests
{
    private const int Shards = ShardMap.DefaultShardCount;

    private static GroupedCluster Cluster()
    {
        var cluster = new GroupedCluster(groups: 3, seed: 5, controllerDataGroups: 2);
        cluster.ElectAll();
        for (var i = 0; i < 5000 && cluster.Processes.Any(process => process.Replicas![1].Shards!.Current.Number < 1); i++)
        {
            cluster.RunSteps(1);
        }
        return cluster;
    }

    private static PeerMessage Message(PeerMessageType type, byte[]? data = null) => new()
    {
        Type = type,
        From = 2,
        To = 1,
        Term = 2, // the sender's group
        Index = 1, // configuration
        Commit = 0, // shard
        Entries = data is null ? default : EntryList.From(new[] { new WireEntry(0, 0, EntryType.Normal, data) }),
    };

    public static TheoryData<string, PeerMessage, int> Forged => new()
    {
        { "From is not the connection's peer", Message(PeerMessageType.ShardDrop) with { From = 3 }, 1 },
        { "To is not this node", Message(PeerMessageType.ShardDrop) with { To = 2 }, 1 },
        { "to the controller group", Message(PeerMessageType.ShardDrop), 0 },
        { "a sender group out of range", Message(PeerMessageType.ShardDrop) with { Term = ProtocolLimits.GroupsMax }, 1 },
        { "configuration 0", Message(PeerMessageType.ShardDrop) with { Index = 0 }, 1 },
        { "a shard past the shard count", Message(PeerMessageType.ShardDrop) with { Commit = Shards }, 1 },
        { "a negative shard", Message(PeerMessageType.ShardDrop) with { Commit = -1 }, 1 },
        { "a negative chunk", Message(PeerMessageType.ShardPull, []) with { Context = -1 }, 1 },
        { "a pull without its cursor", Message(PeerMessageType.ShardPull), 1 },
        { "a pull whose cursor is longer than any store key", Message(PeerMessageType.ShardPull, new byte[ProtocolLimits.KeyBytesMax + 2]), 1 },
        { "a drop with entries", Message(PeerMessageType.ShardDrop, []), 1 },
        { "a refused reply with data", Message(PeerMessageType.ShardPullReply, []) with { Reject = true, LogTerm = 1 }, 1 },
        { "a refused reply without a reason", Message(PeerMessageType.ShardPullReply) with { Reject = true, LogTerm = 0 }, 1 },
        { "a reply without its chunk", Message(PeerMessageType.ShardPullReply), 1 },
        { "a chunk beyond the chunk bound", Message(PeerMessageType.ShardPullReply, new byte[SizeLimits.StorageShardChunkBytesMax(new ServerLimits()) + 1]), 1 },
        { "a last flag out of range", Message(PeerMessageType.ShardPullReply, []) with { RejectHint = 2 }, 1 },
    };

    [Theory]
    [MemberData(nameof(Forged))]
    public void A_forged_shard_message_is_refused_and_changes_nothing(string why, PeerMessage message, int group)
    {
        var cluster = Cluster();
        var replicas = cluster.Process(1).Replicas!;
        var before = replicas[1].Shards!.Encode();
        var check = replicas.OnPeerMessage(group, 2, message);
        Assert.True(check.IsRefused, why);
        Assert.Equal(before, replicas[1].Shards!.Encode());
    }

    [Fact]
    public void A_chunk_of_another_shards_keys_is_refused_by_the_pulling_leader()
    {
        var cluster = Cluster();
        var shard = cluster.LatestConfiguration.Owners.ToList().IndexOf(2); // a shard of group 2, moved to group 1
        var session = cluster.Call(0, new ClientRequest { Op = ClientOp.RegisterSession }).ClientId;
        Assert.Equal(ClientStatus.Ok, cluster.Call(0, new ClientRequest { Op = ClientOp.ShardMove, ClientId = session, Sequence = 1, GroupId = 1, Shard = shard }).Status);
        var leader = cluster.LeaderOf(1)!;
        for (var i = 0; i < 3000 && leader.Replicas![1].Shards!.StateOf(shard) != ShardState.Pulling; i++)
        {
            cluster.Network.Intercept = (_, message) => message.Type == PeerMessageType.ShardPullReply ? null : message; // no real answer arrives
            cluster.RunSteps(1);
        }
        Assert.Equal(ShardState.Pulling, leader.Replicas![1].Shards!.StateOf(shard));
        var key = Enumerable.Range(0, 1000).Select(i => System.Text.Encoding.UTF8.GetBytes("k" + i)).First(key => ShardMap.ShardOf(key, Shards) != shard);
        var record = new byte[2 + 1 + key.Length + 4 + 1];
        record[0] = (byte)(key.Length + 1);
        key.CopyTo(record, 3); // space 0, then the key; a one-byte value
        record[3 + key.Length] = 1;
        var forged = Message(PeerMessageType.ShardPullReply, record) with { From = 2, To = leader.Id, Index = 2, Commit = shard, RejectHint = 1 };
        var check = leader.Replicas.OnPeerMessage(1, 2, forged);
        Assert.True(check.IsRefused, check.Reason);
        Assert.Equal(ShardState.Pulling, leader.Replicas[1].Shards!.StateOf(shard));
    }

    [Fact]
    public void A_late_answer_is_taken_without_effect()
    {
        var cluster = Cluster();
        var replicas = cluster.Process(1).Replicas!;
        var before = replicas[1].Shards!.Encode();
        var check = replicas.OnPeerMessage(1, 2, Message(PeerMessageType.ShardDropReply) with { Index = 7 });
        Assert.False(check.IsRefused, check.Reason);
        Assert.Equal(before, replicas[1].Shards!.Encode());
    }
}
