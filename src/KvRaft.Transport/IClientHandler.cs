using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>Receives client requests. Called on I/O threads: implementations enqueue and return fast.</summary>
public interface IClientHandler
{
    /// <summary>A request; its keys and values are in memory the receiver may keep. Answer with <see cref="ClientConnection.Reply"/>.</summary>
    void OnClientRequest(ClientConnection connection, in ClientRequest request);

    /// <summary>The connection closed; replies to it are dropped from now on.</summary>
    void OnClientDisconnected(ClientConnection connection);

    /// <summary>
    /// A fault control request (test machinery). Answer with <see cref="ClientConnection.ReplyFaultControl"/>.
    /// By default it is refused as <see cref="FaultControlStatus.Disabled"/>.
    /// </summary>
    void OnFaultControl(ClientConnection connection, in FaultControlRequest request)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.ReplyFaultControl(new FaultControlResponse
        {
            RequestId = request.RequestId,
            Status = FaultControlStatus.Disabled,
            Message = "fault control is disabled",
        });
    }
}
