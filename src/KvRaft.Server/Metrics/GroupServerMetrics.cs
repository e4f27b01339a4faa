using System.Globalization;
using System.Text;
using KvRaft.Server.Node;

namespace KvRaft.Server.Metrics;

/// <summary>
/// The /metrics of a sharded process (<c>GroupServer</c>; docs/metrics.md): the shared log's commits (each one device
/// sync) and, per group, the log writes those commits covered, so that writes per commit is the ratio of the two.
/// Read from the HTTP thread: the counters are written by the event loop with interlocked operations.
/// </summary>
internal sealed class GroupServerMetrics(Func<long> logCommits, Func<int> quiescedGroups, GroupCommitStatistics statistics, IReadOnlyList<int> groupIds, Func<long> shapeMismatches)
{
    public string Scrape()
    {
        var text = new StringBuilder();
        text.Append("# HELP kvraft_shared_log_commits_total Commits of the process's shared Raft log: one device sync each, covering every group's writes appended before it.\n");
        text.Append("# TYPE kvraft_shared_log_commits_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"kvraft_shared_log_commits_total {logCommits()}\n");
        text.Append("# HELP kvraft_group_log_writes_total Log writes (Readies that appended) of each replica group that the shared log's commits covered; group 0 is the controller.\n");
        text.Append("# TYPE kvraft_group_log_writes_total counter\n");
        foreach (var group in groupIds)
        {
            text.Append(CultureInfo.InvariantCulture, $"kvraft_group_log_writes_total{{group=\"{group}\"}} {statistics.WritesOfGroup(group)}\n");
        }
        text.Append("# HELP kvraft_groups_quiesced Groups of this process quiesced now (idle: not ticking, no heartbeats; --quiesce).\n");
        text.Append("# TYPE kvraft_groups_quiesced gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"kvraft_groups_quiesced {quiescedGroups()}\n");
        text.Append("# HELP kvraft_peer_shape_mismatches_total Peer connections closed because the peer was started with another cluster shape (--groups, --peers).\n");
        text.Append("# TYPE kvraft_peer_shape_mismatches_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"kvraft_peer_shape_mismatches_total {shapeMismatches()}\n");
        return text.ToString();
    }
}
