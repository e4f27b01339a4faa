using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Server.Node.Sharding;

namespace KvRaft.Server.Node;

/// <summary>Requests of a sharded cluster: ShardQuery, and the key requests a group must refuse with WrongGroup.</summary>
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
    /// Answers the requests that sharding decides before anything else: ShardQuery (the controller's), and a key request
    /// to a group that does not serve the key's shard as of its applied state (WrongGroup: nothing proposed, no trace; the
    /// check that decides is made again where the write is applied, and where a read is served). False: serve as usual.
    /// </summary>
    private bool TryAnswerRouting(long connectionId, in ClientRequest request, long received)
    {
        if (request.Op == ClientOp.ShardQuery)
        {
            AnswerShardQuery(connectionId, request, received);
            return true;
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
    /// INTERIM (the replicated controller replaces it): any replica of the controller group answers from its process's
    /// configurations, which hold only immutable ones (the bootstrap); −1 asks for the latest.
    /// </summary>
    private void AnswerShardQuery(long connectionId, in ClientRequest request, long received)
    {
        if (Routing is not { IsController: true } routing)
        {
            var message = Routing is null ? "ShardQuery: this cluster is not sharded" : "ShardQuery is served by the controller, group 0";
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.InvalidArgument, message, received);
            return;
        }
        var configuration = request.ConfigurationNumber == -1 ? routing.Configurations.Latest : request.ConfigurationNumber < 0 ? null : routing.Configurations.TryGet(request.ConfigurationNumber);
        if (configuration is null)
        {
            var message = $"ShardQuery: no configuration {request.ConfigurationNumber} (the latest is {routing.Configurations.Latest.Number}; -1 asks for it)";
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.InvalidArgument, message, received);
            return;
        }
        _clients.Reply(connectionId, new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Ok, Configuration = configuration }, received);
    }

    private static bool IsKeyOp(ClientOp op) => op is ClientOp.Get or ClientOp.Put or ClientOp.Append or ClientOp.Delete or ClientOp.CompareAndSet;
}
