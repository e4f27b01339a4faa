using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>Receives client requests. Called on I/O threads: implementations enqueue and return fast.</summary>
public interface IClientHandler
{
    /// <summary>A request; its keys and values are in memory the receiver may keep. Answer with <see cref="ClientConnection.Reply"/>.</summary>
    void OnClientRequest(ClientConnection connection, in ClientRequest request);

    /// <summary>
    /// A request to replica group <paramref name="groupId"/> (1 ≤ groupId &lt; <see cref="ProtocolLimits.GroupsMax"/>,
    /// from a <see cref="FrameType.GroupClientRequest"/> frame), answered like <see cref="OnClientRequest"/>. A handler
    /// that hosts one group (the default) refuses it: InvalidArgument, the connection stays open.
    /// </summary>
    void OnGroupClientRequest(ClientConnection connection, int groupId, in ClientRequest request)
    {
        connection.Reply(new ClientResponse
        {
            RequestId = request.RequestId,
            Op = request.Op,
            Status = ClientStatus.InvalidArgument,
            Message = $"group {groupId}: this server hosts one group (it is not sharded); send requests in plain frames",
        });
        connection.Flush();
    }

    /// <summary>The connection closed; replies to it are dropped from now on.</summary>
    void OnClientDisconnected(ClientConnection connection);
}
