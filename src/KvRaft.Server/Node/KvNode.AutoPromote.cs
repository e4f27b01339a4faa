using KvRaft.Raft;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Node;

/// <summary>
/// Automatic promotion (--auto-promote DISTANCE, leader side, off unless set): once a learner's match index is within
/// DISTANCE entries of the leader's last index and the leader heard from it recently, the leader proposes making it a
/// voter; the core keeps it to one change at a time (a refusal is simply tried again at a later tick).
/// </summary>
public sealed partial class KvNode
{
    private readonly long _autoPromoteDistance; // 0: off

    private void MaybeAutoPromote()
    {
        if (_autoPromoteDistance <= 0 || _raft.Role != Role.Leader || _raft.Config.Learners.Length == 0 || _raft.Config.IsJoint)
        {
            return;
        }

        var followers = _raft.Status.Followers;
        if (followers is null)
        {
            return;
        }

        foreach (var learner in _raft.Config.Learners)
        {
            if (followers.TryGetValue(learner, out var follower) && follower.RecentActive && follower.Match >= _raft.LastIndex - _autoPromoteDistance)
            {
                if (ProposeMemberChange(new ConfigChange(ConfigChangeType.AddVoter, learner), null, out var index) == ConfigChangeStatus.Accepted)
                {
                    _logger.LogInformation("Node {Id}: promoting learner {Learner} (match {Match}, last index {Last}) at {Index}", Id, learner, follower.Match, _raft.LastIndex, index);
                }
                return;
            }
        }
    }
}
