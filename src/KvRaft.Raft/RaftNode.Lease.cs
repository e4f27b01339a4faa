using System;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    private long _leaderTicks; // ticks since this node became leader: the clock of its lease

    /// <summary>The send tick of the latest heartbeat a quorum (this node included) has acknowledged.</summary>
    private long LeaseStartTick()
    {
        Span<long> acknowledged = stackalloc long[_tracker.Voters.Length];
        for (int i = 0; i < acknowledged.Length; i++)
        {
            int voter = _tracker.Voters[i];
            acknowledged[i] = voter == Id ? _leaderTicks : _tracker[voter].HeartbeatAcknowledgedTick;
        }
        acknowledged.Sort();
        return acknowledged[acknowledged.Length - _tracker.Quorum];
    }

    /// <summary>True while no other leader can have been elected (given bounded clock drift).</summary>
    private bool HoldsLease()
    {
        if (!_config.LeaseReads || _leadTransferee != 0) return false; // a transfer's forced vote ignores leases
        long start = LeaseStartTick();
        return start > 0 && _leaderTicks < start + _config.ElectionTicks - _config.LeaseDriftTicks;
    }

    private void OnHeartbeatAcknowledged(Progress progress, long sendTick)
    {
        if (sendTick > progress.HeartbeatAcknowledgedTick) progress.HeartbeatAcknowledgedTick = sendTick;
    }
}
