using KvRaft.Raft;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// One log line each time the leader this node knows changes (the node logs its own role changes), and one when this
/// node, newly leader, first commits (its term's first entry: a leader advances the commit index only to an entry of
/// its own term, so the first advance is that one): with them, the logs of a failover show when each node lost the old
/// leader, learnt the new one, and when the new leader could acknowledge writes (bench/kill-timeline.sh reads them).
/// A comparison per turn; nothing allocated unless the leader or the commit index changed.
/// </summary>
internal sealed partial class NodeHost
{
    // The leader and term last logged (Invariant: what the node reported at the end of the last turn that logged).
    private (int Leader, long Term) _leaderLogged;

    // While this node leads and has not committed in its term yet: the term and the commit index when it took over; else Term 0.
    private (long Term, long CommitIndex) _firstCommitAwaited;

    private void LogLeaderChange()
    {
        var gauges = _node.Gauges;
        if (gauges.Leader != _leaderLogged.Leader)
        {
            _leaderLogged = (gauges.Leader, gauges.Term);
            _firstCommitAwaited = gauges.Role == Role.Leader ? (gauges.Term, gauges.CommitIndex) : default;
            if (gauges.Leader == 0)
            {
                _logger.LogInformation("Node {Id}: no known leader in term {Term}", _node.Id, gauges.Term);
            }
            else
            {
                _logger.LogInformation("Node {Id}: leader is node {Leader} in term {Term}", _node.Id, gauges.Leader, gauges.Term);
            }
        }

        if (_firstCommitAwaited.Term != 0 && (gauges.Role != Role.Leader || gauges.Term != _firstCommitAwaited.Term))
        {
            _firstCommitAwaited = default; // deposed before it committed
        }
        else if (_firstCommitAwaited.Term != 0 && gauges.CommitIndex > _firstCommitAwaited.CommitIndex)
        {
            _logger.LogInformation("Node {Id}: first commit as leader in term {Term}, index {Index}", _node.Id, gauges.Term, gauges.CommitIndex);
            _firstCommitAwaited = default;
        }
    }
}
