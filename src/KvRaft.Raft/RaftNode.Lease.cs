using System;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    private long _leaderTicks; // ticks since this node became leader: the clock of its lease

    /// <summary>The send tick of the latest heartbeat a (joint) quorum (this node included) has acknowledged.</summary>
    private long LeaseStartTick() => _tracker.QuorumValue(QuorumField.HeartbeatAcknowledgedTick, Id, _leaderTicks);

    /// <summary>True while no other leader can have been elected (given bounded clock drift).</summary>
    private bool HoldsLease()
    {
        if (!_config.LeaseReads || _leadTransferee != 0)
        {
            return false; // a transfer's forced vote ignores leases
        }

        var start = LeaseStartTick();
        return start > 0 && _leaderTicks < start + _config.ElectionTicks - _config.LeaseDriftTicks;
    }

    private void OnHeartbeatAcknowledged(Progress progress, long sendTick)
    {
        if (sendTick > progress.HeartbeatAcknowledgedTick)
        {
            progress.HeartbeatAcknowledgedTick = sendTick;
        }
    }
}
