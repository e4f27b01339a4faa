// Goal: CsCheck generators for every wire struct, covering each op, status and optional section.
using CsCheck;

namespace KvRaft.Protocol.Tests;

internal static class Generators
{
    public static readonly Gen<byte[]> SmallBytes = Gen.Byte.Array[0, 48];

    public static readonly Gen<byte[]> Key = Gen.OneOf(Gen.Byte.Array[0, 32], Gen.Byte.Array[ProtocolLimits.KeyBytesMax - 2, ProtocolLimits.KeyBytesMax]);

    public static readonly Gen<byte[]> Value = Gen.Frequency((9, Gen.Byte.Array[0, 64]), (1, Gen.Byte.Array[0, 4096]));

    public static readonly Gen<string?> Text = Gen.OneOf(
        Gen.Const((string?)null),
        Gen.String[Gen.Char.AlphaNumeric, 1, 40].Select(s => (string?)s),
        Gen.Const<string?>("leader é ✓ 𝄞 at 10.0.0.1:7000"));

    /// <summary>A cluster shape within the limits (member ids positive and distinct), or none.</summary>
    public static readonly Gen<ClusterShape?> Shape =
        Gen.Select(Gen.Int[0, Sharding.ShardConfiguration.GroupsMax], Gen.Int[0, Sharding.ShardMap.ShardCountMax], Gen.Int[1, int.MaxValue].HashSet[0, 7], Gen.Bool,
            (groups, shards, members, present) => present ? new ClusterShape(groups, shards, members) : null);

    public static readonly Gen<PeerHello> PeerHello =
        Gen.Select(Gen.UShort, Gen.ULong, Gen.Int, Gen.Int, Text, Shape, (v, c, f, t, a, s) => new PeerHello(v, c, f, t) { ClientAddress = a, Shape = s })
            .Select(Gen.Bool, (hello, control) => hello with { Lane = control ? PeerLane.Control : PeerLane.Bulk });

    /// <summary>Entries whose indexes and terms are often consecutive (the compact form) and sometimes arbitrary.</summary>
    public static readonly Gen<WireEntry[]> Entries =
        Gen.Select(Gen.Bool, Gen.Long, Gen.Bool, Gen.Long, Gen.Enum<EntryType>(), SmallBytes).Array[0, 12].Select(parts =>
        {
            var entries = new WireEntry[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                var (follows, index, sameTerm, term, type, data) = parts[i];
                if (i > 0 && follows && entries[i - 1].Index != long.MaxValue)
                {
                    index = entries[i - 1].Index + 1;
                }
                if (i > 0 && sameTerm)
                {
                    term = entries[i - 1].Term;
                }
                entries[i] = new WireEntry(index, term, type, data);
            }
            return entries;
        });

    public static readonly Gen<SnapshotMeta?> Snapshot = Gen.OneOf(
        Gen.Const((SnapshotMeta?)null),
        Gen.Select(Gen.Long, Gen.Long, Gen.Int.Array[0, ProtocolLimits.VotersMax], (i, t, v) => (SnapshotMeta?)new SnapshotMeta(i, t, v)),
        Gen.Select(Gen.Long, Gen.Long, Gen.Int.Array[0, 8], Gen.Int.Array[0, 8], Gen.Int.Array[0, 8], Gen.Bool,
            (i, t, v, o, l, a) => (SnapshotMeta?)new SnapshotMeta(i, t, v) { VotersOutgoing = o, Learners = l, AutoLeave = a }));

    public static readonly Gen<PeerMessage> PeerMessage =
        from type in Gen.Enum<PeerMessageType>()
        from ids in Gen.Select(Gen.Int, Gen.Int)
        from numbers in Gen.Select(Gen.Long, Gen.Long, Gen.Long, Gen.Long, Gen.Long, Gen.Long)
        from reject in Gen.Bool
        from entries in Entries
        from snapshot in Snapshot
        select new PeerMessage
        {
            Type = type,
            From = ids.Item1,
            To = ids.Item2,
            Term = numbers.Item1,
            LogTerm = numbers.Item2,
            Index = numbers.Item3,
            Commit = numbers.Item4,
            RejectHint = numbers.Item5,
            Context = numbers.Item6,
            Reject = reject,
            Entries = EntryList.From(entries),
            Snapshot = snapshot,
        };

    public static readonly Gen<SnapshotChunk> SnapshotChunk =
        from numbers in Gen.Select(Gen.Long, Gen.Long, Gen.ULong, Gen.UInt)
        from last in Gen.Bool
        from compressed in Gen.Bool
        from payload in Gen.Byte.Array[0, 300]
        from claimed in Gen.Int[0, ProtocolLimits.SnapshotChunkBytesMax]
        select new SnapshotChunk
        {
            SnapshotIndex = numbers.Item1,
            SnapshotTerm = numbers.Item2,
            Offset = numbers.Item3,
            ChunkIndex = numbers.Item4,
            Last = last,
            Compressed = compressed,
            UncompressedBytes = compressed ? claimed : payload.Length,
            Payload = payload,
        };

    private static readonly Gen<ClientOp> WriteOp = Gen.OneOfConst(ClientOp.RegisterSession, ClientOp.Put, ClientOp.Append, ClientOp.Delete, ClientOp.CompareAndSet,
        ClientOp.GroupJoin, ClientOp.GroupLeave, ClientOp.ShardMove);

    public static readonly Gen<KvCommand> KvCommand =
        from op in WriteOp
        from session in Gen.Select(Gen.ULong, Gen.ULong)
        from identity in Gen.Frequency((1, Gen.Const(0UL)), (1, Gen.ULong))
        from key in Key
        from value in Value
        from expectAbsent in Gen.Bool
        from expected in Value
        from target in Gen.Select(Gen.Int, Gen.Int)
        select new KvCommand
        {
            Op = op,
            ClientId = session.Item1,
            Sequence = session.Item2,
            Identity = identity,
            Key = op == ClientOp.RegisterSession || ClientOps.IsControllerWrite(op) ? default : key,
            Value = op is ClientOp.RegisterSession or ClientOp.Delete || ClientOps.IsControllerWrite(op) ? default : value,
            ExpectAbsent = op == ClientOp.CompareAndSet && expectAbsent,
            Expected = op == ClientOp.CompareAndSet && !expectAbsent ? expected : default,
            GroupId = ClientOps.IsControllerWrite(op) ? target.Item1 : 0,
            Shard = op == ClientOp.ShardMove ? target.Item2 : 0,
        };

    public static readonly Gen<KvCommand[]> KvCommands = KvCommand.Array[0, 16];

    public static readonly Gen<ClientRequest> ClientRequest =
        from requestId in Gen.ULong
        from op in Gen.Enum<ClientOp>()
        from command in KvCommand
        from key in Key
        select op switch
        {
            ClientOp.Status or ClientOp.RegisterSession => new ClientRequest { RequestId = requestId, Op = op },
            ClientOp.Get => new ClientRequest { RequestId = requestId, Op = op, Key = key },
            ClientOp.TransferLeader or ClientOp.PromoteLearner or ClientOp.RemoveMember => new ClientRequest { RequestId = requestId, Op = op, TargetNodeId = (int)(command.Sequence % 8) },
            ClientOp.MemberList => new ClientRequest { RequestId = requestId, Op = op, LocalView = command.ExpectAbsent },
            ClientOp.ShardQuery => new ClientRequest { RequestId = requestId, Op = op, ConfigurationNumber = command.ExpectAbsent ? -1 : (long)(command.Sequence >> 1) },
            ClientOp.AddLearner => new ClientRequest { RequestId = requestId, Op = op, TargetNodeId = (int)(command.Sequence % 8), PeerAddress = $"h{command.ClientId % 100}:7001", ClientAddress = command.ExpectAbsent ? null : "c:8001" },
            ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove => FromCommand(requestId, command with
            {
                Op = op,
                Key = default,
                Value = default,
                ExpectAbsent = false,
                Expected = default,
                GroupId = (int)command.Sequence,
                Shard = op == ClientOp.ShardMove ? (int)(command.ClientId >> 3) : 0,
            }),
            _ => FromCommand(requestId, command with
            {
                Op = op,
                Key = key,
                Value = op == ClientOp.Delete ? default : command.Value,
                ExpectAbsent = op == ClientOp.CompareAndSet && command.ExpectAbsent,
                Expected = op == ClientOp.CompareAndSet ? command.Expected : default,
                GroupId = 0,
                Shard = 0,
            }),
        };

    private static ClientRequest FromCommand(ulong requestId, KvCommand c) => new()
    {
        RequestId = requestId,
        Op = c.Op,
        ClientId = c.ClientId,
        Sequence = c.Sequence,
        Key = c.Key,
        Value = c.Value,
        ExpectAbsent = c.ExpectAbsent,
        Expected = c.ExpectAbsent ? default : c.Expected,
        GroupId = c.GroupId,
        Shard = c.Shard,
    };

    public static readonly Gen<NodeStatus> NodeStatus =
        from ids in Gen.Select(Gen.Int, Gen.Enum<NodeRole>(), Gen.Bool, Gen.Int)
        from numbers in Gen.Select(Gen.Long, Gen.Long, Gen.Long, Gen.Long, Gen.Long, Gen.Long)
        select new NodeStatus
        {
            NodeId = ids.Item1,
            Role = ids.Item2,
            LeaderKnown = ids.Item3,
            LeaderId = ids.Item3 ? ids.Item4 : 0,
            Term = numbers.Item1,
            CommitIndex = numbers.Item2,
            AppliedIndex = numbers.Item3,
            LogFirstIndex = numbers.Item4,
            LogLastIndex = numbers.Item5,
            SnapshotIndex = numbers.Item6,
        };

    public static readonly Gen<MemberInfo> MemberInfo =
        from id in Gen.Int
        from roles in Gen.Byte[1, 7]
        from match in Gen.Long
        from peer in Text
        from client in Text
        select new MemberInfo { NodeId = id, Roles = (MemberRoles)roles, MatchIndex = match, PeerAddress = peer, ClientAddress = client };

    public static readonly Gen<MemberListing> MemberListing =
        from id in Gen.Int
        from flags in Gen.Select(Gen.Bool, Gen.Bool)
        from last in Gen.Long
        from members in MemberInfo.Array[0, 6]
        from cluster in Gen.ULong
        from initial in Gen.Int.Array[0, 7]
        select new MemberListing { NodeId = id, ClusterId = cluster, InitialVoters = initial, Leading = flags.Item1, Joint = flags.Item2, LastIndex = last, Members = members };

    public static readonly Gen<ClientResponse> ClientResponse =
        from requestId in Gen.ULong
        from op in Gen.Enum<ClientOp>()
        from status in Gen.Enum<ClientStatus>()
        from clientId in Gen.ULong
        from value in Value
        from flags in Gen.Select(Gen.Bool, Gen.Bool, Gen.Bool)
        from leaderId in Gen.Int
        from node in NodeStatus
        from text in Text
        from members in MemberListing
        select Response(requestId, op, status, clientId, value, flags, leaderId, node, text) is { Status: ClientStatus.Ok, Op: ClientOp.MemberList } listing
            ? listing with { Members = members } : Response(requestId, op, status, clientId, value, flags, leaderId, node, text);

    /// <summary>A sound configuration drawn from two numbers: up to 3 groups over up to 16 shards.</summary>
    private static Sharding.ShardConfiguration Configuration(int seed, string? text)
    {
        var groups = 1 + ((seed & 0x7FFFFFFF) % 3);
        var shards = 1 + ((seed >> 8) & 15);
        var host = HostPort.IsValid(text + ":1") && text!.Length < 200 ? text : "h";
        return new Sharding.ShardConfiguration
        {
            Number = seed & 0xFFFF,
            Owners = [.. Enumerable.Range(0, shards).Select(shard => (shard % (groups + 1)))],
            Groups = [.. Enumerable.Range(1, groups).Select(group => new Sharding.ShardGroup(group, [new Sharding.ShardGroupMember(group, host + ":7001", host + ":8001")]))],
        };
    }

    private static ClientResponse Response(ulong requestId, ClientOp op, ClientStatus status, ulong clientId, byte[] value,
        (bool Present, bool Swapped, bool LeaderKnown) flags, int leaderId, NodeStatus node, string? text)
    {
        var response = new ClientResponse { RequestId = requestId, Op = op, Status = status };
        return status switch
        {
            ClientStatus.Ok => op switch
            {
                ClientOp.RegisterSession => response with { ClientId = clientId },
                ClientOp.Get => response with { Value = value },
                ClientOp.CompareAndSet => response with { Swapped = flags.Swapped, ValuePresent = flags.Present, Value = flags.Present ? value : default },
                ClientOp.Status => response with { Node = node },
                ClientOp.TransferLeader => response with { LeaderKnown = true, LeaderId = 1 + (leaderId & 0xFFFF) },
                ClientOp.ShardQuery => response with { Configuration = Configuration(leaderId, text) },
                ClientOp.GroupJoin or ClientOp.GroupLeave or ClientOp.ShardMove => response with { ConfigurationNumber = leaderId & int.MaxValue },
                _ => response,
            },
            ClientStatus.WrongGroup => response with { ConfigurationNumber = leaderId & int.MaxValue },
            ClientStatus.NotLeader => response with { LeaderKnown = flags.LeaderKnown, LeaderId = flags.LeaderKnown ? leaderId : 0, LeaderAddress = text },
            ClientStatus.Retryable or ClientStatus.InvalidArgument or ClientStatus.InternalError or ClientStatus.TooLarge
                or ClientStatus.SessionNotOwned or ClientStatus.TooManySessions => response with { Message = text },
            _ => response,
        };
    }
}
