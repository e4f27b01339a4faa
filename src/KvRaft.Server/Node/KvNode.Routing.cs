using KvRaft.Protocol;
using KvRaft.Server.Node.Sharding;

namespace KvRaft.Server.Node;

/// <summary>Requests of a sharded cluster: ShardQuery, and the key requests a group must refuse with WrongGroup.</summary>
public sealed partial class KvNode
{
    /// <summary>This replica's group and configurations in a sharded cluster; null for the one-group store.</summary>
    public GroupRouting? Routing { get; init; }

    /// <summary>
    /// Answers the requests that sharding decides before anything else: ShardQuery (the controller's), and a key request
    /// to a group that does not serve the key's shard (WrongGroup: nothing proposed, no trace). False: serve as usual.
    /// </summary>
    private bool TryAnswerRouting(long connectionId, in ClientRequest request, long received)
    {
        if (request.Op == ClientOp.ShardQuery)
        {
            AnswerShardQuery(connectionId, request, received);
            return true;
        }
        if (Routing is null || !IsKeyOp(request.Op) || Routing.OwnsAtBootstrap(request.Key.Span))
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
        var number = Routing is null ? 0 : Routing.IsController ? Routing.Configurations.Latest.Number : GroupRouting.BootstrapNumber;
        _clients.Reply(connectionId, new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.WrongGroup, ConfigurationNumber = number }, received);
    }

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
