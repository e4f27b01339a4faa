using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Simulation;

/// <summary>The node's peer outbox in the simulation: messages and snapshot chunks go into the simulated network.</summary>
internal sealed class SimPeerOutbox(KvSimCluster cluster, int from) : IPeerOutbox
{
    public void Send(in PeerMessage message) => cluster.Network.Send(from, message);

    public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) =>
        cluster.Network.SendSnapshot(from, message, snapshot, transfer);

    public void Flush() { }

    public void OnMembersChanged(Raft.ConfigState config, MemberDirectory directory) => cluster.MembersChanges.Add((from, config));
}

/// <summary>The node's client outbox in the simulation: responses go back to the simulated clients.</summary>
internal sealed class SimClientOutbox(KvSimCluster cluster, int nodeId) : IClientOutbox
{
    public void Reply(long connectionId, in ClientResponse response) => cluster.OnResponse(nodeId, connectionId, response);

    public void Flush() { }
}
