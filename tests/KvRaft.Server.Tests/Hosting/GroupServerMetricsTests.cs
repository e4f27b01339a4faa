// Goal: a sharded process's /metrics give the counts that make a cost per put (issue 16): the event loop's turns and
// events, each group's committed proposals, the peer messages by type, peer frames and client requests, next to the
// shared log's commits and each group's log writes. Method: GroupServerMetrics over counters set by hand, its text parsed line by line.
using System.Globalization;
using KvRaft.Protocol;
using KvRaft.Server.Metrics;
using KvRaft.Server.Node;
using KvRaft.Transport;

namespace KvRaft.Server.Tests.Hosting;

public sealed class GroupServerMetricsTests
{
    [Fact]
    public void The_metrics_count_loop_turns_and_events_each_groups_proposals_and_the_peer_messages_by_type()
    {
        var loop = new GroupLoopStatistics();
        loop.TurnEnded(events: 3);
        loop.TurnEnded(events: 0);
        var nodes = new Dictionary<int, NodeStatistics> { [0] = new(), [1] = new(), [2] = new() };
        nodes[2].ProposalCommitted();
        nodes[2].ProposalCommitted();
        var commits = new GroupCommitStatistics();
        commits.PeerMessageReceived(PeerMessageType.Heartbeat);
        commits.PeerMessageReceived(PeerMessageType.Heartbeat);
        commits.PeerMessageReceived(PeerMessageType.Append);
        var metrics = new GroupServerMetrics(new GroupMetricsSources(() => 7, () => 0, commits, [0, 1, 2],
            group => nodes[group], loop, new TransportStatistics(), new ClientListenerStatistics()));

        var values = Parse(metrics.Scrape());

        Assert.Equal(7, values["kvraft_shared_log_commits_total"]);
        Assert.Equal(2, values["kvraft_loop_turns_total"]);
        Assert.Equal(3, values["kvraft_loop_events_total"]);
        Assert.Equal(0, values["kvraft_group_proposals_committed_total{group=\"1\"}"]);
        Assert.Equal(2, values["kvraft_group_proposals_committed_total{group=\"2\"}"]);
        Assert.Equal(2, values["kvraft_group_peer_messages_received_total{type=\"Heartbeat\"}"]);
        Assert.Equal(1, values["kvraft_group_peer_messages_received_total{type=\"Append\"}"]);
        Assert.Equal(0, values["kvraft_group_peer_messages_received_total{type=\"Vote\"}"]);
        Assert.Equal(0, values["kvraft_peer_frames_sent_total"]);
        Assert.Equal(0, values["kvraft_peer_frames_received_total"]);
        Assert.Equal(0, values["kvraft_client_requests_received_total"]);
    }

    private static Dictionary<string, long> Parse(string text) => text.Split('\n')
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => line.Split(' '))
        .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], CultureInfo.InvariantCulture));
}
