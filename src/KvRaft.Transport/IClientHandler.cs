using KvRaft.Protocol;

namespace KvRaft.Transport;

/// <summary>Receives client requests. Called on I/O threads: implementations enqueue and return fast.</summary>
public interface IClientHandler
{
    /// <summary>A request; its keys and values are in memory the receiver may keep. Answer with <see cref="ClientConnection.Reply"/>.</summary>
    void OnClientRequest(ClientConnection connection, in ClientRequest request);

    /// <summary>The connection closed; replies to it are dropped from now on.</summary>
    void OnClientDisconnected(ClientConnection connection);
}
