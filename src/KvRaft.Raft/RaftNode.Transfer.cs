namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    /// <summary>
    /// Hands leadership to <paramref name="to"/>: once it is up to date it is told to campaign now
    /// (TimeoutNow). Proposals are refused meanwhile; the transfer is abandoned after an election timeout.
    /// </summary>
    /// <returns>False when this node is not the leader or <paramref name="to"/> is not another voter (a learner is refused).</returns>
    public bool TransferLeadership(int to)
    {
        if (Role != Role.Leader || to == Id || !_tracker.IsVoter(to))
        {
            return false;
        }

        if (_leadTransferee == to)
        {
            return true;
        }

        _leadTransferee = to;
        _electionElapsed = 0; // the transfer must finish within one election timeout
        var progress = _tracker[to];
        if (progress.Match == _log.LastIndex)
        {
            SendTimeoutNow(to);
        }
        else
        {
            SendAppends(to, sendIfEmpty: true);
        }

        return true;
    }

    /// <summary>The node a leadership transfer is under way to (0 for none).</summary>
    public int LeadTransferee => _leadTransferee;

    // Follower: the node the leader of this term said it hands over to (0: none); cleared on every term change.
    private int _transferNotice;

    /// <summary>
    /// Tells <paramref name="to"/> to campaign now, and the other voters whom the leader hands over to: only a Vote
    /// from that node, named by the leader this node follows (or by this node as leader), skips the lease check.
    /// </summary>
    private void SendTimeoutNow(int to)
    {
        Send(new Message { Type = MessageType.TimeoutNow, To = to });
        foreach (var voter in _tracker.Voters)
        {
            if (voter != Id && voter != to)
            {
                Send(new Message { Type = MessageType.TimeoutNow, To = voter, Context = to });
            }
        }
    }

    /// <summary>Whether a forced Vote from <paramref name="candidate"/> comes from the node the current leader hands over to.</summary>
    private bool IsTransferTarget(int candidate) =>
        Role == Role.Leader ? _leadTransferee == candidate : Leader != 0 && _transferNotice == candidate;

    private void AbortLeadTransfer() => _leadTransferee = 0;
}
