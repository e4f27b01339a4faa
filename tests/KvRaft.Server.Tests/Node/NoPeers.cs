// Goal: a peer outbox that drops everything, for node tests of a single-node cluster (it has no peers to send to).
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Storage;

namespace KvRaft.Server.Tests.Node;

/// <summary>Drops every peer message (a one-node cluster sends none that matter).</summary>
internal sealed class NoPeers : IPeerOutbox
{
    public void Send(in PeerMessage message) { }

    public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer) { }

    public void Flush() { }
}
