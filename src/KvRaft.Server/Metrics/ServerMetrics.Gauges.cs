using System.Diagnostics.Metrics;
using KvRaft.Raft;
using KvRaft.Server.Node;
using KvRaft.Transport;

namespace KvRaft.Server.Metrics;

/// <summary>Where the gauges and the observed counters read: figures the event loop and the transports keep anyway.</summary>
internal sealed record MetricSources(
    Func<NodeGauges> Node,
    NodeStatistics Statistics,
    Func<EventQueueDepths> Queues,
    TransportStatistics Peers,
    Func<int, bool> PeerConnected,
    IReadOnlyList<int> PeerIds, // the peers until the first configuration takes effect (ServerMetrics.OnPeersChanged)
    ClientListener Clients);

/// <summary>Events waiting for the event loop, per queue.</summary>
internal readonly record struct EventQueueDepths(int Control, int Peer, int Client, long PeerDropped);

internal sealed partial class ServerMetrics
{
    private static readonly (Role Role, string Name)[] Roles = [(Role.Follower, "follower"), (Role.PreCandidate, "pre_candidate"), (Role.Candidate, "candidate"), (Role.Leader, "leader")];

    /// <summary>Creates the observable instruments over <paramref name="sources"/> (called once, at start).</summary>
    public void Observe(MetricSources sources)
    {
        var started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        _meter.CreateObservableGauge("kvraft_start_time_seconds", () => started, "s", "When this node started (Unix time): a scraper that sees it change knows the counters started again");
        ObserveNode(sources.Node, sources.Statistics);
        ObserveQueues(sources.Queues);
        ObservePeers(sources);
        _meter.CreateObservableGauge("kvraft_client_connections", () => sources.Clients.OpenConnections, null, "Client connections open");
        ObservedCounter("kvraft_client_connections_accepted_total", "Client connections accepted", () => sources.Clients.Statistics.ConnectionsAccepted);
        ObservedCounter("kvraft_client_connections_refused_total", "Client connections closed at once for being over the limit", () => sources.Clients.Statistics.ConnectionsRefused);
    }

    private void ObserveNode(Func<NodeGauges> node, NodeStatistics statistics)
    {
        _meter.CreateObservableGauge("kvraft_role", () => RoleMeasurements(node().Role), null, "1 for this node's current role, 0 for the others");
        Gauge("kvraft_has_leader", "1 when this node knows a leader in its term", () => node().Leader != 0 ? 1 : 0);
        Gauge("kvraft_leader_id", "The leader this node knows of (0: none)", () => node().Leader);
        Gauge("kvraft_term", "The current Raft term", () => node().Term);
        Gauge("kvraft_commit_index", "The commit index", () => node().CommitIndex);
        Gauge("kvraft_applied_index", "The index applied to the state machine", () => node().AppliedIndex);
        Gauge("kvraft_proposals_pending", "Proposals (write batches) of this leader waiting to apply", () => node().ProposalsPending);
        Gauge("kvraft_writes_pending", "Client writes of this leader waiting to apply", () => node().WritesPending);
        Gauge("kvraft_reads_pending", "Client reads waiting for their read index", () => node().ReadsPending);
        Gauge("kvraft_log_writes_in_flight", "Durable log commits started and not yet complete", () => node().LogWritesInFlight);
        Gauge("kvraft_sessions_live", "Client sessions held by the state machine", () => node().SessionsLive);
        ObservedCounter("kvraft_sessions_evicted_total", "Sessions evicted, least recently used first, to bound the session table (since the node started)", () => node().SessionsEvicted);
        ObservedCounter("kvraft_leader_changes_total", "Times the leader this node knows of changed", () => statistics.LeaderChanges);
        ObservedCounter("kvraft_proposals_committed_total", "Proposals this node made as leader that applied and were answered", () => statistics.ProposalsCommitted);
        ObservedCounter("kvraft_proposals_failed_total", "Proposals this node made as leader answered with an error (leadership lost, timed out, replaced)", () => statistics.ProposalsFailed);
        ObservedCounter("kvraft_snapshots_taken_total", "Snapshots this node took of its state machine", () => statistics.SnapshotsTaken);
        ObservedCounter("kvraft_snapshots_installed_total", "Snapshots received from a leader and installed", () => statistics.SnapshotsInstalled);
        ObservedCounter("kvraft_peer_messages_refused_total", "Peer messages and snapshot chunks refused as impossible from a correct peer", () => statistics.PeerMessagesRefused + statistics.SnapshotChunksRefused);
    }

    private void ObserveQueues(Func<EventQueueDepths> queues)
    {
        _meter.CreateObservableGauge("kvraft_event_queue_depth", () =>
        {
            var depths = queues();
            return new[] { Measurement(depths.Control, "queue", "control"), Measurement(depths.Peer, "queue", "peer"), Measurement(depths.Client, "queue", "client") };
        }, null, "Events waiting for the event loop, per queue");
        ObservedCounter("kvraft_peer_events_dropped_total", "Peer messages dropped because the event loop's peer queue was full", () => queues().PeerDropped);
    }

    // The peers the per-peer series are written for: the other members of the configuration in effect (set by
    // OnPeersChanged as each takes effect; --peers until the first). Replaced whole, read by the scrape.
    private volatile int[]? _peerIds;

    /// <summary>
    /// A configuration took effect: the per-peer series follow its members (<paramref name="peers"/>, this node left
    /// out); those of nodes that left disappear, new members' appear.
    /// </summary>
    public void OnPeersChanged(IEnumerable<int> peers)
    {
        int[] current = [.. peers.Order()];
        foreach (var gone in (_peerIds ?? []).Except(current))
        {
            _heartbeats.TryRemove(gone, out _);
            _collector.Forget(_peerRoundTrip, "peer", PeerName(gone));
        }
        _peerIds = current;
    }

    private void ObservePeers(MetricSources sources)
    {
        _peerIds ??= [.. sources.PeerIds];
        _meter.CreateObservableGauge("kvraft_peer_connected", () => _peerIds.Select(id => Measurement(sources.PeerConnected(id) ? 1 : 0, "peer", PeerName(id))).ToArray(),
            null, "1 while a connection to the peer is up");
        PeerCounter("kvraft_peer_sent_bytes_total", "Bytes of frames sent to each peer", traffic => traffic.BytesSent, sources.Peers);
        PeerCounter("kvraft_peer_received_bytes_total", "Bytes of frames received from each peer", traffic => traffic.BytesReceived, sources.Peers);
        PeerCounter("kvraft_peer_sent_messages_total", "Frames (messages, snapshot chunks, hellos) sent to each peer", traffic => traffic.FramesSent, sources.Peers);
        PeerCounter("kvraft_peer_received_messages_total", "Frames received from each peer", traffic => traffic.FramesReceived, sources.Peers);
        ObservedCounter("kvraft_peer_dropped_messages_total", "Messages to peers dropped (peer disconnected, or its queue full)", () => sources.Peers.Dropped);
        ObservedCounter("kvraft_peer_shape_mismatches_total", "Peer connections closed because the peer was started with another cluster shape (--groups, --peers)", () => sources.Peers.ShapeMismatches);
    }

    private void PeerCounter(string name, string description, Func<PeerTraffic, long> value, TransportStatistics peers) =>
        _meter.CreateObservableCounter(name, () => peers.Peers.Where(peer => _peerIds!.Contains(peer.Key))
            .Select(peer => Measurement(value(peer.Value), "peer", PeerName(peer.Key))).ToArray(), null, description);

    private void Gauge(string name, string description, Func<long> value) => _meter.CreateObservableGauge(name, value, null, description);

    private void ObservedCounter(string name, string description, Func<long> value) => _meter.CreateObservableCounter(name, value, null, description);

    private static Measurement<long>[] RoleMeasurements(Role current) =>
        Roles.Select(role => Measurement(role.Role == current ? 1 : 0, "role", role.Name)).ToArray();

    private static Measurement<long> Measurement(long value, string key, string label) => new(value, new KeyValuePair<string, object?>(key, label));

    private static string PeerName(int id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
