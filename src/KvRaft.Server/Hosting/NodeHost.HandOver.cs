using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// A leader that is asked to stop hands leadership to its best follower first (as etcd does on shutdown), so the
/// cluster gets a new leader at once instead of after an election timeout of silence.
/// </summary>
internal sealed partial class NodeHost
{
    // Loop thread only. The hand-over asked for and not yet ended: completed with the new leader's id, or 0 when
    // there was none to hand to, the transfer was abandoned, or this node was not the leader.
    private TaskCompletionSource<int>? _handOver;
    private int _handOverTarget; // the node leadership is being handed to while _handOver is pending (0: none)

    /// <summary>
    /// Asks the loop to hand leadership over; completes with the id of the node that leads afterwards (0 when this
    /// node was not the leader, no follower was reachable or the transfer was abandoned after an election timeout).
    /// </summary>
    public Task<int> HandOverLeadershipAsync() => HandOverRequest.Post(this, _stopped.Task);

    private void StartHandOver(TaskCompletionSource<int> done)
    {
        _handOver?.TrySetResult(0); // one at a time: the newer request supersedes
        _handOver = done;
        _handOverTarget = _node.HandOverLeadership();
        if (_handOverTarget == 0)
        {
            EndHandOver(0);
        }
    }

    /// <summary>After each turn: the hand-over ends once another node is known to lead, or the transfer is abandoned.</summary>
    private void CheckHandOver()
    {
        if (_handOver is null)
        {
            return;
        }

        if (!_node.IsLeader)
        {
            if (_node.Leader != 0)
            {
                EndHandOver(_node.Leader); // a follower that knows the new leader
            }
        }
        else if (_node.LeadTransferee == 0)
        {
            _logger.LogWarning("Node {Id}: leadership transfer to node {Target} abandoned after an election timeout", _node.Id, _handOverTarget);
            EndHandOver(0);
        }
    }

    private void EndHandOver(int leader)
    {
        _handOver!.TrySetResult(leader);
        _handOver = null;
        _handOverTarget = 0;
    }
}
