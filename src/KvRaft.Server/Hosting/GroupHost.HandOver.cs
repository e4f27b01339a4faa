using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// A process asked to stop hands every group it leads to another process first (as <see cref="NodeHost"/> does for one
/// group): its groups are led again at once instead of after an election timeout of silence each.
/// </summary>
internal sealed partial class GroupHost
{
    // Loop thread only. The hand-over asked for and not yet ended: completed with the number of groups another process
    // leads afterwards. _handOverPending holds the groups whose transfer has not ended yet, with their target.
    private TaskCompletionSource<int>? _handOver;
    private readonly Dictionary<int, int> _handOverPending = [];
    private int _handedOverGroups;

    /// <summary>
    /// Asks the loop to hand every group led here over; completes with the number of groups another process leads
    /// afterwards (0 when this process led none, or no transfer succeeded; a transfer is abandoned after an election
    /// timeout).
    /// </summary>
    public Task<int> HandOverLeadershipAsync() => HandOverRequest.Post(this, _stopped.Task);

    private void StartHandOver(TaskCompletionSource<int> done)
    {
        _handOver?.TrySetResult(_handedOverGroups); // one at a time: the newer request supersedes
        _handOver = done;
        _handOverPending.Clear();
        _handedOverGroups = 0;
        foreach (var (group, target) in _replicas.HandOverLeadership())
        {
            if (target == 0)
            {
                _logger.LogWarning("Group {Group}: no follower reachable to hand leadership to", group);
            }
            else
            {
                _handOverPending[group] = target;
            }
        }
        CheckHandOver();
    }

    /// <summary>After each turn: a group's hand-over ends once another node is known to lead it, or its transfer is abandoned.</summary>
    private void CheckHandOver()
    {
        if (_handOver is null)
        {
            return;
        }

        foreach (var (group, target) in _handOverPending)
        {
            var node = _replicas[group];
            if (!node.IsLeader)
            {
                if (node.Leader != 0)
                {
                    _handedOverGroups++;
                    _handOverPending.Remove(group);
                }
            }
            else if (node.LeadTransferee == 0)
            {
                _logger.LogWarning("Group {Group}: leadership transfer to node {Target} abandoned after an election timeout", group, target);
                _handOverPending.Remove(group);
            }
        }

        if (_handOverPending.Count == 0)
        {
            _handOver.TrySetResult(_handedOverGroups);
            _handOver = null;
        }
    }
}
