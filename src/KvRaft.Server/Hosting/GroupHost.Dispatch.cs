using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>Each event to its group's node; refused peer input closes its connection, as in <see cref="NodeHost"/>.</summary>
internal sealed partial class GroupHost
{
    // The input still queued of a peer connection that was refused or closed: dropped unread and unlogged.
    private readonly PeerConnectionFilter _peerFilter = new();

    private void Dispatch(in NodeEvent item)
    {
        switch (item.Kind)
        {
            case NodeEventKind.PeerMessage:
                if (!_peerFilter.Drops(item))
                {
                    RefuseIfInvalid(item, _replicas.OnPeerMessage(item.Group, item.NodeId, item.PeerMessage));
                }

                break;
            case NodeEventKind.SnapshotChunk:
                if (!_peerFilter.Drops(item))
                {
                    RefuseIfInvalid(item, _replicas.OnSnapshotChunk(item.Group, item.NodeId, item.Chunk));
                }

                SnapshotChunkPayloads.Release(item.Chunk);
                break;
            case NodeEventKind.PeerDisconnected:
                _peerFilter.DropRest(item.NodeId, item.ConnectionId);
                _replicas.OnPeerUnreachable(item.NodeId);
                break;
            case NodeEventKind.ClientRequest:
                OnClientRequest(item);
                break;
            case NodeEventKind.ClientDisconnected:
                OnClientDisconnected?.Invoke(item.ConnectionId);
                break;
            case NodeEventKind.Persisted:
                _replicas.OnCommitDurable();
                break;
            case NodeEventKind.PersistFailed:
                throw new Storage.StorageFailedException("the shared log's durable commit failed; every group stops acknowledging writes", item.Error!);
            case NodeEventKind.HandOver:
                StartHandOver(item.HandOver!);
                break;
            default:
                DispatchBackground(item);
                break;
        }
    }

    /// <summary>The request's group answers it; the controller's replica answers WrongGroup for a group not hosted here.</summary>
    private void OnClientRequest(in NodeEvent item)
    {
        if (_replicas.Hosts(item.Group))
        {
            _replicas.OnClientRequest(item.Group, item.ConnectionId, item.Request, item.ClientIdentity, item.Received);
        }
        else
        {
            _replicas[0].ReplyWrongGroup(item.ConnectionId, item.Request, item.Received);
        }
    }

    private void RefuseIfInvalid(in NodeEvent item, PeerCheck check)
    {
        if (!check.IsRefused)
        {
            return;
        }

        _peerFilter.DropRest(item.NodeId, item.ConnectionId);
        _logger.LogWarning("Closing peer connection {Connection} of node {Peer}: refused {Kind} of group {Group}: {Reason}",
            item.ConnectionId, item.NodeId, item.Kind == NodeEventKind.PeerMessage ? item.PeerMessage.Type.ToString() : "snapshot chunk", item.Group, check.Reason);
        _transport.Close(new PeerSender(item.NodeId, item.ConnectionId));
    }

    /// <summary>The Stop event: every group answers what it holds.</summary>
    private void OnStop()
    {
        foreach (var group in _replicas.GroupIds)
        {
            _replicas[group].OnStopping();
        }

        AnswerAfterStop();
    }

    /// <summary>Client requests queued after the stop are refused by their group (a bounded share per turn).</summary>
    private void AnswerAfterStop()
    {
        var taken = 0;
        for (; taken < EventsPerTurnMax && _events.TryTakeClient(out var item); taken++)
        {
            if (item.Kind == NodeEventKind.ClientRequest)
            {
                (_replicas.TryGet(item.Group, out var node) ? node : _replicas[0]).RefuseAfterStop(item.ConnectionId, item.Request, item.Received);
            }
        }

        foreach (var group in _replicas.GroupIds)
        {
            _replicas[group].FlushClients();
        }

        if (taken == EventsPerTurnMax)
        {
            ScheduleTurn();
        }
    }
}
