using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;

namespace KvRaft.Server.Node;

/// <summary>Requests of a sharded cluster: the controller's (ShardQuery, GroupJoin, GroupLeave, ShardMove), and the key requests a group must refuse with WrongGroup.</summary>
public sealed partial class KvNode
{
    private readonly GroupRouting? _routing;

    /// <summary>
    /// This replica's group and configurations in a sharded cluster; null for the one-group store. A data group's shard
    /// states are restored from the state machine when it is set (<see cref="RestoreShards"/>).
    /// </summary>
    public GroupRouting? Routing
    {
        get => _routing;
        init
        {
            _routing = value;
            RestoreShards();
        }
    }

    /// <summary>
    /// Answers the requests that sharding decides before anything else: the controller's requests anywhere but in the
    /// controller group (InvalidArgument), ShardQuery (queued as a read: answered once its read index is applied), and a
    /// key request to a group that does not serve the key's shard as of its applied state (WrongGroup: nothing proposed,
    /// no trace; the check that decides is made again where the write is applied, and where a read is served). False:
    /// serve as usual (the controller's writes are proposed in group 0's log like any write).
    /// </summary>
    private bool TryAnswerRouting(long connectionId, in ClientRequest request, long received)
    {
        if (request.Op == ClientOp.ShardQuery || ClientOps.IsControllerWrite(request.Op))
        {
            if (Routing is not { IsController: true })
            {
                var message = Routing is null ? $"{request.Op}: this cluster is not sharded" : $"{request.Op} is served by the controller, group 0";
                ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.InvalidArgument, message, received);
                return true;
            }
            if (request.Op == ClientOp.ShardQuery)
            {
                QueueRead(connectionId, request, received);
                return true;
            }
            return false;
        }
        if (!IsKeyOp(request.Op) || !IsRefusedKey(request.Key.Span))
        {
            return false;
        }
        ReplyWrongGroup(connectionId, request, received);
        return true;
    }

    /// <summary>
    /// Refuses <paramref name="request"/> with WrongGroup and this group's configuration number (also for a request to
    /// a group this process does not host, answered by the controller's replica here).
    /// </summary>
    public void ReplyWrongGroup(long connectionId, in ClientRequest request, long received)
    {
        ReplyWrongGroup(connectionId, request.RequestId, request.Op, received);
    }

    private void ReplyWrongGroup(long connectionId, ulong requestId, ClientOp op, long received)
    {
        var number = _shards is not null ? _shards.Current.Number : Routing is null ? 0 : Routing.Configurations.Latest.Number;
        _clients.Reply(connectionId, new ClientResponse { RequestId = requestId, Op = op, Status = ClientStatus.WrongGroup, ConfigurationNumber = number }, received);
    }

    /// <summary>
    /// True when this replica must refuse <paramref name="key"/> with WrongGroup: a sharded cluster's controller (it
    /// serves no keys), or a data group whose shard states, as applied here, do not serve the key's shard.
    /// </summary>
    private bool IsRefusedKey(ReadOnlySpan<byte> key) =>
        Routing is not null && (_shards is null || !_shards.Serves(ShardMap.ShardOf(key, _shards.Current.ShardCount)));

    /// <summary>
    /// A ShardQuery whose read index is applied here: answered from the controller's applied configurations, so
    /// linearizably (the read index was confirmed by a leader of the current term, as for a Get); −1 asks for the latest.
    /// </summary>
    private void AnswerShardQuery(in Reader reader)
    {
        var configurations = Routing!.Configurations;
        var configuration = reader.ConfigurationNumber == -1 ? configurations.Latest : configurations.TryGet(reader.ConfigurationNumber);
        if (configuration is null)
        {
            var latest = configurations.Latest.Number;
            var message = reader.ConfigurationNumber > latest
                ? $"ShardQuery: no configuration {reader.ConfigurationNumber} yet (the latest is {latest}; -1 asks for it)"
                : $"ShardQuery: configuration {reader.ConfigurationNumber} is forgotten (the controller keeps {ShardController.ConfigurationsKept}; the latest is {latest})";
            ReplyError(reader.ConnectionId, reader.RequestId, ClientOp.ShardQuery, ClientStatus.InvalidArgument, message, reader.Received);
            return;
        }
        _clients.Reply(reader.ConnectionId, new ClientResponse { RequestId = reader.RequestId, Op = ClientOp.ShardQuery, Status = ClientStatus.Ok, Configuration = configuration }, reader.Received);
    }

    private static bool IsKeyOp(ClientOp op) => op is ClientOp.Get or ClientOp.Put or ClientOp.Append or ClientOp.Delete or ClientOp.CompareAndSet;
}
