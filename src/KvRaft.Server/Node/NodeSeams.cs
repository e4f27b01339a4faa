using System.Collections.Concurrent;
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
    /// Streams <paramref name="snapshot"/> to <paramref name="message"/>.To as chunks, from where
    /// <paramref name="transfer"/> says the follower stands and never more than its window unacknowledged, then, once
    /// every chunk is acknowledged, sends the Snapshot message itself; reports the outcome through
    /// <see cref="KvNode.OnSnapshotSent"/> (a failure when the stream broke, stalled, or the transfer asks to stop).
    /// </summary>
    void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer);

    /// <summary>Flushes what was queued this turn.</summary>
    void Flush();

    /// <summary>
    /// Queues a shard migration message for the replica of group <paramref name="group"/> on process
    /// <paramref name="message"/>.To, this process included (docs/design.md, "Migration, pulled by the new owner"); best
    /// effort, as <see cref="Send"/>. By default nothing is sent: a host without groups has no migration.
    /// </summary>
    void SendToGroup(int group, in PeerMessage message)
    {
    }

    /// <summary>
    /// The configuration in effect changed (a Config entry applied, or a snapshot restored): the host opens connections
    /// to members it has none to (their addresses in <paramref name="directory"/>, or its bootstrap flags) and closes
    /// those of nodes no longer members. By default nothing happens.
    /// </summary>
    void OnMembersChanged(Raft.ConfigState config, MemberDirectory directory)
    {
    }
}

/// <summary>
/// Where the heavy part of a snapshot install runs (the state machine's swap to the staged file: a FasterKV restore
/// that may take minutes): off the event loop, so that heartbeats and client traffic keep flowing meanwhile.
/// </summary>
public interface ISnapshotInstallRunner
{
    /// <summary>
    /// Runs <paramref name="install"/> away from the event loop, then reports its end on the loop through
    /// <see cref="KvNode.OnSnapshotInstalled"/> (with the exception it threw, if any). No time limit applies to it.
    /// </summary>
    void Run(Action install);
}

/// <summary>Where answers to clients go. Connections are named by the id the host gave them.</summary>
public interface IClientOutbox
{
    /// <summary>
    /// Queues a response on a connection (dropped if it has closed). The response's value memory is valid only
    /// during the call: format or copy it before returning (the node reuses its read buffer).
    /// </summary>
    void Reply(long connectionId, in ClientResponse response);

    /// <summary>
    /// <see cref="Reply(long, in ClientResponse)"/> for a request the host received at <paramref name="received"/> (its
    /// timestamp, 0 when unknown): a host that keeps latency figures measures from it.
    /// </summary>
    void Reply(long connectionId, in ClientResponse response, long received) => Reply(connectionId, response);

    /// <summary>Flushes every connection replied to this turn.</summary>
    void Flush();
}

/// <summary>
/// Facts about the cluster the node belongs to: its id, and the client address of each node for NotLeader hints:
/// those configured (--client-peers), which win, else those the nodes announced in their peer hellos (learned on
/// transport threads: thread-safe).
/// </summary>
public sealed record ClusterInfo(int LocalId, IReadOnlyDictionary<int, string> ClientAddresses)
{
    private readonly ConcurrentDictionary<int, string> _learned = new();

    /// <summary>The client address of <paramref name="nodeId"/>, if known.</summary>
    public string? ClientAddressOf(int nodeId) =>
        ClientAddresses.TryGetValue(nodeId, out var address) || _learned.TryGetValue(nodeId, out address) ? address : null;

    /// <summary>Records the client address <paramref name="nodeId"/> announced (a configured one still wins).</summary>
    public void Learn(int nodeId, string address) => _learned[nodeId] = address;
}
