using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// One log line each time the leader this node knows changes (the node logs its own role changes): with them, the
/// logs of a failover show when each node lost the old leader and learnt the new one. A comparison per turn;
/// nothing allocated unless the leader changed.
/// </summary>
internal sealed partial class NodeHost
{
    // The leader and term last logged (Invariant: what the node reported at the end of the last turn that logged).
    private (int Leader, long Term) _leaderLogged;

    private void LogLeaderChange()
    {
        var gauges = _node.Gauges;
        if (gauges.Leader == _leaderLogged.Leader)
        {
            return;
        }

        _leaderLogged = (gauges.Leader, gauges.Term);
        if (gauges.Leader == 0)
        {
            _logger.LogInformation("Node {Id}: no known leader in term {Term}", _node.Id, gauges.Term);
        }
        else
        {
            _logger.LogInformation("Node {Id}: leader is node {Leader} in term {Term}", _node.Id, gauges.Leader, gauges.Term);
        }
    }
}
