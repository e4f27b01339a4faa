using System.Collections.Frozen;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Transport;
using SnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Hosting;

/// <summary>
/// The transports' callbacks of a process hosting several groups: group 0's traffic, disconnects, client requests and
/// announced addresses as for one node (<see cref="EventFeeder"/>); a peer group frame of a hosted group becomes an event
/// naming the group, one of any other group is refused (the transport drops, counts and logs it); a client request to a
/// group becomes an event naming it.
/// </summary>
internal sealed class GroupEventFeeder(EventFeeder inner, Func<IEventSink> host, FrozenSet<int> hostedGroups) : IPeerHandler, IClientHandler
{
    public void OnPeerMessage(PeerSender sender, in PeerMessage message) => inner.OnPeerMessage(sender, message);

    public void OnSnapshotChunk(PeerSender sender, in SnapshotChunk chunk) => inner.OnSnapshotChunk(sender, chunk);

    public bool OnGroupPeerMessage(int groupId, PeerSender sender, in PeerMessage message)
    {
        if (!hostedGroups.Contains(groupId))
        {
            return false;
        }
        host().Post(new NodeEvent { Kind = NodeEventKind.PeerMessage, Group = groupId, NodeId = sender.NodeId, ConnectionId = sender.ConnectionId, PeerMessage = message });
        return true; // taken, or dropped on a full queue like any peer message (Raft retransmits)
    }

    public bool OnGroupSnapshotChunk(int groupId, PeerSender sender, in SnapshotChunk chunk)
    {
        if (!hostedGroups.Contains(groupId))
        {
            return false;
        }
        if (!host().Post(new NodeEvent { Kind = NodeEventKind.SnapshotChunk, Group = groupId, NodeId = sender.NodeId, ConnectionId = sender.ConnectionId, Chunk = chunk }))
        {
            SnapshotChunkPayloads.Release(chunk);
        }
        return true;
    }

    public void OnPeerDisconnected(PeerSender sender) => inner.OnPeerDisconnected(sender);

    public void OnPeerClientAddress(int nodeId, string clientAddress) => inner.OnPeerClientAddress(nodeId, clientAddress);

    public void OnClientRequest(ClientConnection connection, in ClientRequest request) => inner.OnClientRequest(connection, request);

    /// <summary>Posted whatever the group: the loop answers WrongGroup for one not hosted here (it knows the configuration).</summary>
    public void OnGroupClientRequest(ClientConnection connection, int groupId, in ClientRequest request) => inner.Post(connection, groupId, request);

    public void OnClientDisconnected(ClientConnection connection) => inner.OnClientDisconnected(connection);
}

/// <summary>
/// A group's peer outbox in a process hosting several groups: its frames carry the group; the host flushes the
/// transport once per turn for every group (so a group's Flush does nothing); the groups' members are fixed for now,
/// so only group 0 sets the transport's peers.
/// </summary>
internal sealed class GroupPeerOutbox(TransportPeerOutbox inner, int group) : IPeerOutbox
{
    public void Send(in PeerMessage message) => inner.Send(message);

    public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) => inner.SendSnapshot(message, snapshot, transfer);

    public void SendToGroup(int targetGroup, in PeerMessage message) => inner.SendToGroup(targetGroup, message);

    public void Flush()
    {
    }

    public void OnMembersChanged(ConfigState config, MemberDirectory directory)
    {
        if (group == 0)
        {
            inner.OnMembersChanged(config, directory);
        }
    }
}
