using KvRaft.Protocol;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>Where the node's peer traffic goes (the transport in production, a simulated network in tests).</summary>
public interface IPeerOutbox
{
    /// <summary>
    /// Queues a message; delivery is best effort (Raft retransmits). The message's memory (entries' data) is valid
    /// only during the call: copy or format it before returning (the node reuses proposal buffers).
    /// </summary>
    void Send(in PeerMessage message);

    /// <summary>
    /// Streams <paramref name="snapshot"/> to <paramref name="message"/>.To as chunks, then sends the
    /// Snapshot message itself; reports the outcome through <see cref="KvNode.OnSnapshotSent"/>.
    /// </summary>
    void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot);

    /// <summary>Flushes what was queued this turn.</summary>
    void Flush();
}

/// <summary>Where answers to clients go. Connections are named by the id the host gave them.</summary>
public interface IClientOutbox
{
    /// <summary>
    /// Queues a response on a connection (dropped if it has closed). The response's value memory is valid only
    /// during the call: format or copy it before returning (the node reuses its read buffer).
    /// </summary>
    void Reply(long connectionId, in ClientResponse response);

    /// <summary>Flushes every connection replied to this turn.</summary>
    void Flush();
}

/// <summary>Static facts about the cluster the node belongs to.</summary>
public sealed record ClusterInfo(int LocalId, IReadOnlyDictionary<int, string> ClientAddresses)
{
    /// <summary>The client address of <paramref name="nodeId"/>, if known.</summary>
    public string? ClientAddressOf(int nodeId) => ClientAddresses.TryGetValue(nodeId, out string? address) ? address : null;
}
