using System.Globalization;
using System.Text;
using KvRaft.Protocol;
using KvRaft.Server.Node;
using KvRaft.Transport;

namespace KvRaft.Server.Metrics;

/// <summary>The sources of a sharded process's /metrics (each read from the HTTP thread; written with interlocked operations).</summary>
internal sealed record GroupMetricsSources(
    Func<long> LogCommits,
    Func<int> QuiescedGroups,
    GroupCommitStatistics Commits,
    IReadOnlyList<int> GroupIds,
    Func<int, NodeStatistics> NodeOf,
    GroupLoopStatistics Loop,
    TransportStatistics Peers,
    ClientListenerStatistics Clients);

/// <summary>
/// The /metrics of a sharded process (<c>GroupServer</c>; docs/metrics.md): the shared log's commits (each one device
/// sync) and, per group, the log writes those commits covered, so that writes per commit is the ratio of the two; and
/// the counts that make a cost per put (issue 16): event-loop turns and events, peer frames, client requests, each
/// group's proposals. Read from the HTTP thread: the counters are written by the event loop with interlocked operations.
/// </summary>
internal sealed class GroupServerMetrics(GroupMetricsSources sources)
{
    public string Scrape()
    {
        var text = new StringBuilder();
        Counter(text, "kvraft_shared_log_commits_total", "Commits of the process's shared Raft log: one device sync each, covering every group's writes appended before it.", sources.LogCommits());
        Header(text, "kvraft_group_log_writes_total", "Log writes (Readies that appended) of each replica group that the shared log's commits covered; group 0 is the controller.", "counter");
        foreach (var group in sources.GroupIds)
        {
            text.Append(CultureInfo.InvariantCulture, $"kvraft_group_log_writes_total{{group=\"{group}\"}} {sources.Commits.WritesOfGroup(group)}\n");
        }
        Header(text, "kvraft_group_proposals_committed_total", "Proposals (one per turn's batch of writes) each group made as leader, applied and answered.", "counter");
        foreach (var group in sources.GroupIds)
        {
            text.Append(CultureInfo.InvariantCulture, $"kvraft_group_proposals_committed_total{{group=\"{group}\"}} {sources.NodeOf(group).ProposalsCommitted}\n");
        }
        Header(text, "kvraft_group_peer_messages_received_total", "Peer messages the groups received, by type (every group summed).", "counter");
        foreach (var type in Enum.GetValues<PeerMessageType>())
        {
            text.Append(CultureInfo.InvariantCulture, $"kvraft_group_peer_messages_received_total{{type=\"{type}\"}} {sources.Commits.PeerMessagesOfType(type)}\n");
        }
        Header(text, "kvraft_groups_quiesced", "Groups of this process quiesced now (idle: not ticking, no heartbeats; --quiesce).", "gauge");
        text.Append(CultureInfo.InvariantCulture, $"kvraft_groups_quiesced {sources.QuiescedGroups()}\n");
        Counter(text, "kvraft_loop_turns_total", "Turns of the event loop every group shares.", sources.Loop.Turns);
        Counter(text, "kvraft_loop_events_total", "Events (peer messages, client requests, completions) those turns dispatched.", sources.Loop.Events);
        Counter(text, "kvraft_peer_frames_sent_total", "Frames written to the peer connections (messages of every group, snapshot chunks, hellos).", sources.Peers.FramesSent);
        Counter(text, "kvraft_peer_bytes_sent_total", "Bytes of those frames.", sources.Peers.BytesSent);
        Counter(text, "kvraft_peer_frames_received_total", "Frames received from peers and accepted.", sources.Peers.FramesReceived);
        Counter(text, "kvraft_client_requests_received_total", "Client requests parsed and handed to the groups.", sources.Clients.RequestsReceived);
        Counter(text, "kvraft_peer_shape_mismatches_total", "Peer connections closed because the peer was started with another cluster shape (--groups, --peers).", sources.Peers.ShapeMismatches);
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string help, string type)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n");
        text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} {type}\n");
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, help, "counter");
        text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }
}

/// <summary>Counts of a group event loop's turns (written by the loop, read by anyone).</summary>
internal sealed class GroupLoopStatistics
{
    private long _turns;
    private long _events;

    /// <summary>Turns the loop ran.</summary>
    public long Turns => Interlocked.Read(ref _turns);

    /// <summary>Events those turns dispatched.</summary>
    public long Events => Interlocked.Read(ref _events);

    internal void TurnEnded(int events)
    {
        Interlocked.Increment(ref _turns);
        Interlocked.Add(ref _events, events);
    }
}
