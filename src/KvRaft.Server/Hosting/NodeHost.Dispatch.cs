namespace KvRaft.Server.Hosting;

internal sealed partial class NodeHost
{
    /// <summary>Connections closed by their clients: answers to them are dropped by the outbox.</summary>
    public Action<long>? OnClientDisconnected { get; init; }

    private void Dispatch(in NodeEvent item)
    {
        switch (item.Kind)
        {
            case NodeEventKind.PeerMessage:
                _node.OnPeerMessage(item.PeerMessage);
                break;
            case NodeEventKind.SnapshotChunk:
                _node.OnSnapshotChunk(item.NodeId, item.Chunk);
                break;
            case NodeEventKind.PeerDisconnected:
                _node.OnPeerUnreachable(item.NodeId);
                break;
            case NodeEventKind.ClientRequest:
                _node.OnClientRequest(item.ConnectionId, item.Request);
                break;
            case NodeEventKind.ClientDisconnected:
                OnClientDisconnected?.Invoke(item.ConnectionId);
                break;
            case NodeEventKind.Persisted:
                // A commit call ended: everything appended before it is durable, so the oldest write in flight is.
                _commitsInFlight--;
                _node.OnLogWriteDurable();
                break;
            case NodeEventKind.PersistFailed:
                // Never acknowledge what was not stored: stop the node with a clear error.
                throw new Storage.StorageFailedException("the durable log commit failed; the node stops acknowledging writes", item.Error!);
            case NodeEventKind.SnapshotSent:
                _node.OnSnapshotSent(item.NodeId, item.Flag);
                break;
            case NodeEventKind.SnapshotTaken:
                _node.OnSnapshotTaken(item.SnapshotInfo);
                break;
        }
    }
}
