using System.Collections.Concurrent;
using System.Diagnostics;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Server.Metrics;
using KvRaft.Server.Node;
using KvRaft.Storage;
using KvRaft.Transport;
using Microsoft.Extensions.Logging;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Server.Hosting;

/// <summary>Feeds the transports' callbacks (on I/O threads) into the event loop's queue.</summary>
internal sealed class EventFeeder(Func<IEventSink> host, ConcurrentDictionary<long, ClientConnection> connections, ClusterInfo cluster, ServerMetrics? metrics) : IPeerHandler, IClientHandler
{
    /// <summary>Longest client address taken from a peer's hello (a DNS name has at most 253 characters).</summary>
    private const int ClientAddressCharsMax = 261;

    /// <summary>A peer's announced client address, kept for NotLeader hints when it is a plain "host:port".</summary>
    public void OnPeerClientAddress(int nodeId, string clientAddress)
    {
        if (clientAddress.Length > ClientAddressCharsMax || clientAddress.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return;
        }

        try
        {
            (var host, var port) = ServerOptions.ParseEndpoint(clientAddress);
            if (host.Length > 0 && port > 0)
            {
                cluster.Learn(nodeId, clientAddress);
            }
        }
        catch (FormatException)
        {
            // not host:port: no hint rather than a wrong one
        }
    }

    public void OnPeerMessage(PeerSender sender, in PeerMessage message)
    {
        if (message.Type == PeerMessageType.HeartbeatResponse)
        {
            metrics?.HeartbeatAnswered(sender.NodeId);
        }

        host().Post(new NodeEvent { Kind = NodeEventKind.PeerMessage, NodeId = sender.NodeId, ConnectionId = sender.ConnectionId, PeerMessage = message });
    }

    public void OnSnapshotChunk(PeerSender sender, in WireSnapshotChunk chunk)
    {
        if (!host().Post(new NodeEvent { Kind = NodeEventKind.SnapshotChunk, NodeId = sender.NodeId, ConnectionId = sender.ConnectionId, Chunk = chunk }))
        {
            SnapshotChunkPayloads.Release(chunk); // dropped (the leader sends it again): its buffer goes back now
        }
    }

    public void OnPeerDisconnected(PeerSender sender) =>
        host().Post(new NodeEvent { Kind = NodeEventKind.PeerDisconnected, NodeId = sender.NodeId, ConnectionId = sender.ConnectionId });

    public void OnClientRequest(ClientConnection connection, in ClientRequest request) => Post(connection, 0, request);

    /// <summary>Queues a request to replica group <paramref name="group"/> (0 on a one-group node), or refuses it at once when the queue is full.</summary>
    public void Post(ClientConnection connection, int group, in ClientRequest request)
    {
        connections.TryAdd(connection.Id, connection); // removed by the disconnect, a control event that is never dropped
        if (!host().Post(new NodeEvent { Kind = NodeEventKind.ClientRequest, Group = group, ConnectionId = connection.Id, ClientIdentity = connection.IdentityDigest, Request = request, Received = Stopwatch.GetTimestamp() }))
        {
            // The client queue is full: refuse at once rather than queue without bound (peer events have their own queue).
            connection.Reply(new ClientResponse { RequestId = request.RequestId, Op = request.Op, Status = ClientStatus.Retryable, Message = "busy: event queue full" });
            connection.Flush();
        }
    }

    public void OnClientDisconnected(ClientConnection connection) =>
        host().Post(new NodeEvent { Kind = NodeEventKind.ClientDisconnected, ConnectionId = connection.Id });
}

/// <summary>
/// The node's peer outbox over the DotNetty transport (for replica group <c>group</c>: its frames carry the group);
/// snapshots stream on a background task (<see cref="SnapshotSender"/>).
/// The transport's peers follow the configuration: the members, at the addresses of the member directory, else of --peers.
/// </summary>
internal sealed class TransportPeerOutbox(PeerTransport transport, Func<IEventSink> host, ILogger logger, ServerMetrics? metrics,
    int localId, IReadOnlyDictionary<int, string> bootstrapPeers, int group = 0) : IPeerOutbox
{
    public void Send(in PeerMessage message)
    {
        if (message.Type == PeerMessageType.Heartbeat)
        {
            metrics?.HeartbeatSent(message.To);
        }

        transport.Send(message.To, group, message);
    }

    public void SendSnapshot(in PeerMessage message, ISnapshotSource snapshot, SnapshotTransfer transfer)
    {
        var metadata = message;
        _ = Task.Run(() => new SnapshotSender(transport, host, logger, group).StreamAsync(metadata, snapshot, transfer));
    }

    public void Flush() => transport.Flush();

    /// <summary>
    /// A migration message for group <paramref name="targetGroup"/> on process message.To: in that group's frame on the
    /// peer's connection, or, for this process's own replica of it, posted to the loop as if received (its data copied:
    /// the caller's memory is valid only during the call).
    /// </summary>
    public void SendToGroup(int targetGroup, in PeerMessage message)
    {
        if (message.To != localId)
        {
            transport.Send(message.To, targetGroup, message);
            return;
        }
        var entries = new List<WireEntry>();
        message.Entries.CopyTo(entries);
        var owned = entries.Select(entry => entry with { Data = entry.Data.ToArray() }).ToArray();
        host().Post(new NodeEvent { Kind = NodeEventKind.PeerMessage, Group = targetGroup, NodeId = localId, PeerMessage = message with { Entries = EntryList.From(owned) } });
    }

    /// <summary>
    /// The members (the transport leaves this node out) become the transport's peers: new ones are dialled or
    /// accepted, removed ones closed and forgotten. A member with no known address is left out and logged.
    /// </summary>
    public void OnMembersChanged(ConfigState config, MemberDirectory directory)
    {
        logger.LogInformation("Configuration in effect: {Config}; addresses: {Directory}", config, directory);
        var peers = new List<PeerEndpoint>();
        foreach (var member in config.Voters.Concat(config.VotersOutgoing).Concat(config.Learners).Distinct())
        {
            var address = directory.TryGet(member, out var known) ? known.PeerAddress : bootstrapPeers.GetValueOrDefault(member);
            if (member == localId)
            {
                continue;
            }

            if (address is null || !TryParse(member, address, out var endpoint))
            {
                logger.LogWarning("Member {Member} has no known peer address: this node cannot reach it", member);
                continue;
            }
            peers.Add(endpoint);
        }
        (var added, var removed) = transport.SetPeers(peers);
        metrics?.OnPeersChanged(config.Voters.Concat(config.VotersOutgoing).Concat(config.Learners).Distinct().Where(member => member != localId));
        if (added.Length + removed.Length > 0)
        {
            logger.LogInformation("Peers added: [{Added}]; removed: [{Removed}]", string.Join(",", added), string.Join(",", removed));
        }
    }

    private static bool TryParse(int member, string address, out PeerEndpoint endpoint)
    {
        endpoint = null!;
        try
        {
            (var peerHost, var port) = ServerOptions.ParseEndpoint(address);
            endpoint = new PeerEndpoint(member, peerHost, port);
            return peerHost.Length > 0 && port > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>
/// The node's client outbox: replies go to the connection they came from, flushed once per turn. With metrics, each
/// answer's latency is measured at that flush (one clock read per flush).
/// </summary>
internal sealed class ConnectionClientOutbox(ConcurrentDictionary<long, ClientConnection> connections, ServerMetrics? metrics) : IClientOutbox
{
    private readonly HashSet<ClientConnection> _dirty = new();
    private readonly List<(ClientOp Op, ClientStatus Status, long Received)> _answered = new(); // this turn's; cleared by Flush

    public void Reply(long connectionId, in ClientResponse response, long received)
    {
        if (metrics is not null && received != 0)
        {
            _answered.Add((response.Op, response.Status, received));
        }

        Reply(connectionId, response);
    }

    public void Reply(long connectionId, in ClientResponse response)
    {
        if (!connections.TryGetValue(connectionId, out var connection) || !connection.IsOpen)
        {
            return;
        }

        connection.Reply(response);
        _dirty.Add(connection);
    }

    public void Flush()
    {
        foreach (var connection in _dirty)
        {
            connection.Flush();
        }

        _dirty.Clear();
        if (_answered.Count == 0)
        {
            return;
        }

        var flushed = Stopwatch.GetTimestamp();
        foreach (var (op, status, received) in _answered)
        {
            metrics!.ClientReplied(op, status, received, flushed);
        }

        _answered.Clear();
    }

    public void Forget(long connectionId) => connections.TryRemove(connectionId, out _);
}
