using KvRaft.Protocol;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// The client port's handler: client requests go on to the node's event loop; fault control requests
/// (test machinery, node-local, outside the Raft log) change <paramref name="faults"/> here, on the I/O
/// thread (<see cref="NetworkFaults"/> is thread-safe), and every change is logged at Warning. Without
/// fault control (<paramref name="faults"/> null) they are refused as disabled and nothing changes.
/// </summary>
internal sealed class FaultControlHandler(IClientHandler inner, NetworkFaults? faults, int nodeId, IReadOnlyCollection<int> members, ILogger logger)
    : IClientHandler
{
    /// <summary>The message of a refusal when the node runs without fault control.</summary>
    public const string DisabledMessage = "fault control is disabled (start the node with --fault-control)";

    public void OnClientRequest(ClientConnection connection, in ClientRequest request) => inner.OnClientRequest(connection, request);

    public void OnClientDisconnected(ClientConnection connection) => inner.OnClientDisconnected(connection);

    public void OnFaultControl(ClientConnection connection, in FaultControlRequest request) => connection.ReplyFaultControl(Apply(request, connection.RemoteAddress));

    /// <summary>Applies <paramref name="request"/> (or refuses it) and returns the answer.</summary>
    public FaultControlResponse Apply(in FaultControlRequest request, string from)
    {
        if (faults is null)
        {
            logger.LogWarning("Node {Id}: refused fault control \"{Request}\" from {From}: fault control is disabled", nodeId, request.Describe(), from);
            return Answer(request, FaultControlStatus.Disabled, DisabledMessage);
        }
        if (UnknownNode(request) is { } unknown)
        {
            logger.LogWarning("Node {Id}: refused fault control \"{Request}\" from {From}: node {Unknown} is not in the cluster", nodeId, request.Describe(), from, unknown);
            return Answer(request, FaultControlStatus.InvalidArgument, $"node {unknown} is not in the cluster");
        }
        switch (request.Action)
        {
            case FaultControlAction.Isolate:
                faults.Isolate(request.NodeId);
                break;
            case FaultControlAction.Partition:
                faults.Partition([.. request.Groups!]);
                break;
            case FaultControlAction.Cut:
                faults.Cut(request.NodeId, request.ToNodeId);
                break;
            case FaultControlAction.Unreliable:
                faults.SetUnreliable(request.DropPercent, request.DelayMillisecondsMax);
                break;
            default:
                faults.Heal();
                break;
        }
        string rules = faults.ToString();
        logger.LogWarning("Node {Id}: fault control \"{Request}\" from {From}; now {Rules}", nodeId, request.Describe(), from, rules);
        return Answer(request, FaultControlStatus.Ok, FaultControlResponseCodec.Clip(rules));
    }

    private int? UnknownNode(in FaultControlRequest request)
    {
        IEnumerable<int> named = request.Action switch
        {
            FaultControlAction.Isolate => [request.NodeId],
            FaultControlAction.Cut => [request.NodeId, request.ToNodeId],
            FaultControlAction.Partition => request.Groups!.SelectMany(group => group),
            _ => [],
        };
        foreach (int id in named)
        {
            if (!members.Contains(id)) return id;
        }
        return null;
    }

    private static FaultControlResponse Answer(in FaultControlRequest request, FaultControlStatus status, string message) =>
        new() { RequestId = request.RequestId, Status = status, Message = message };
}
