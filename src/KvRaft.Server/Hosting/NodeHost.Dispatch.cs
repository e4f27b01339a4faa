using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

internal sealed partial class NodeHost
{
    /// <summary>Connections closed by their clients: answers to them are dropped by the outbox.</summary>
    public Action<long>? OnClientDisconnected { get; init; }

    /// <summary>Closes a peer connection on which the node refused input (the transport's <c>PeerTransport.Close</c>).</summary>
    public Action<PeerSender>? ClosePeerConnection { get; init; }

    // The input still queued of a peer connection that was refused or closed: dropped unread and unlogged.
    private readonly PeerConnectionFilter _peerFilter = new();

    /// <summary>The node refused what came on this connection: logged once, and the connection is closed.</summary>
    private void RefuseIfInvalid(in NodeEvent item, PeerCheck check)
    {
        if (!check.IsRefused)
        {
            return;
        }

        _peerFilter.DropRest(item.NodeId, item.ConnectionId);
        if (item.Kind == NodeEventKind.PeerMessage)
        {
            var message = item.PeerMessage;
            _logger.LogWarning("Closing peer connection {Connection} of node {Peer}: refused {Type} (term {Term}, index {Index}, log term {LogTerm}, commit {Commit}, {Entries} entries): {Reason}",
                item.ConnectionId, item.NodeId, message.Type, message.Term, message.Index, message.LogTerm, message.Commit, message.Entries.Count, check.Reason);
        }
        else
        {
            _logger.LogWarning("Closing peer connection {Connection} of node {Peer}: refused snapshot chunk {Index}@{Term} at {Offset} ({Bytes} bytes): {Reason}",
                item.ConnectionId, item.NodeId, item.Chunk.SnapshotIndex, item.Chunk.SnapshotTerm, item.Chunk.Offset, item.Chunk.Payload.Length, check.Reason);
        }
        ClosePeerConnection?.Invoke(new PeerSender(item.NodeId, item.ConnectionId));
    }

    private void Dispatch(in NodeEvent item)
    {
        switch (item.Kind)
        {
            case NodeEventKind.PeerMessage:
                if (!_peerFilter.Drops(item))
                {
                    RefuseIfInvalid(item, _node.OnPeerMessage(item.NodeId, item.PeerMessage));
                }

                break;
            case NodeEventKind.SnapshotChunk:
                if (!_peerFilter.Drops(item))
                {
                    RefuseIfInvalid(item, _node.OnSnapshotChunk(item.NodeId, item.Chunk));
                }

                SnapshotChunkPayloads.Release(item.Chunk); // written to the staging file (or refused): its buffer is reused
                break;
            case NodeEventKind.PeerDisconnected:
                _peerFilter.DropRest(item.NodeId, item.ConnectionId);
                _node.OnPeerUnreachable(item.NodeId);
                break;
            case NodeEventKind.ClientRequest:
                _node.OnClientRequest(item.ConnectionId, item.Request, item.ClientIdentity, item.Received);
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
            case NodeEventKind.SnapshotInstalled:
                _node.OnSnapshotInstalled(item.Error); // throws, stopping the node, when the swap failed
                break;
            case NodeEventKind.SnapshotTaken:
                _node.OnSnapshotTaken(item.SnapshotInfo);
                break;
            case NodeEventKind.LogFetched:
                if (item.Error is { } failure)
                {
                    throw failure is Storage.StorageCorruptException ? failure : new Storage.StorageFailedException("a background read of the Raft log failed", failure);
                }

                _node.OnLogFetched(item.Fetch, item.Entries!);
                break;
            case NodeEventKind.HandOver:
                StartHandOver(item.HandOver!);
                break;
        }
    }
}
