using KvRaft.Protocol;

namespace KvRaft.Server.Node;

/// <summary>
/// The node's last words when its host stops: no request it holds or receives afterwards waits for the connection to
/// close. Writes and reads it never started are answered NotLeader (naming the leader it knows, e.g. the one it just
/// handed leadership to), so clients move at once; what it had proposed or asked a read index for is answered
/// Retryable (the outcome of a write is unknown: the client resends it under the same session sequence).
/// </summary>
public sealed partial class KvNode
{
    private const string StoppingMessage = "node stopping";
    private bool _stopped; // set once by OnStopping: from then on every request is answered NotLeader

    /// <summary>The host's loop stops: answers everything this node holds. Call once, then only <see cref="RefuseAfterStop"/>.</summary>
    public void OnStopping()
    {
        _stopped = true;
        foreach (var writer in _turnWriters)
        {
            ReplyError(writer.ConnectionId, writer.RequestId, writer.Op, ClientStatus.NotLeader, StoppingMessage, writer.Received);
        }

        _turnWriters.Clear();
        _turnCommands.Clear();
        _turnBytes = 0;
        foreach (var reader in _turnReaders)
        {
            ReplyError(reader.ConnectionId, reader.RequestId, ClientOp.Get, ClientStatus.NotLeader, StoppingMessage, reader.Received);
        }

        _turnReaders.Clear();
        FailProposals(StoppingMessage);
        foreach (var context in _readBatches.Keys.ToArray())
        {
            DropRead(context, StoppingMessage);
        }

        _clients.Flush();
    }

    /// <summary>A request that reached this node after it stopped: NotLeader, naming the leader it knows unless itself.</summary>
    public void RefuseAfterStop(long connectionId, in ClientRequest request, long received)
    {
        Invariant.True(_stopped, "refusing requests before the node stopped");
        ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.NotLeader, StoppingMessage, received);
    }

    /// <summary>Sends the answers given since the last flush.</summary>
    public void FlushClients() => _clients.Flush();
}
