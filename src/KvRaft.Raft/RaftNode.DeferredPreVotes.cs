using System.Collections.Generic;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    // Pre-votes dropped because this follower still counted on its leader (the check-quorum lease), at most one per
    // voter (the newest): answered when the lease ends before another heartbeat renews it. Cleared by every heartbeat,
    // append or snapshot from the leader (the lease goes on: the requester's campaign failed) and every term change.
    private readonly List<Message> _deferredPreVotes = new();

    /// <summary>
    /// Keeps a pre-vote dropped under the lease. Survivors of a leader's death do not learn of it at the same moment (a
    /// closed connection reported a few to a hundred milliseconds apart, election timers ending one or two ticks apart
    /// after a pause): the first one's pre-vote reached the other while that one still counted on the leader, and was
    /// dropped, so the first waited for the other's own campaign (10-70 ms later after a closed connection, up to a
    /// whole election timeout after a pause) or for its own next election timeout. Answering the kept request as soon
    /// as the lease ends elects the first survivor at once. Pre-votes bind nothing: safety is untouched.
    /// </summary>
    private void DeferPreVote(Message message)
    {
        if (!_tracker.IsVoter(message.From))
        {
            return; // only voters campaign: the list stays bounded by the configuration
        }

        for (var i = 0; i < _deferredPreVotes.Count; i++)
        {
            if (_deferredPreVotes[i].From == message.From)
            {
                _deferredPreVotes[i] = message;
                return;
            }
        }
        _deferredPreVotes.Add(message);
    }

    /// <summary>A heartbeat, append or snapshot from <paramref name="leader"/>: the lease starts again.</summary>
    private void HeardFromLeader(int leader)
    {
        _electionElapsed = 0;
        Leader = leader;
        _deferredPreVotes.Clear();
    }

    /// <summary>Whether this node would drop a pre-vote now because it counts on a live leader (see StepHigherTerm).</summary>
    private bool InLease()
    {
        var heardFromLeader = Leader != 0 || (_config.LeaseReads && _ticksSinceStart < _config.ElectionTicks);
        return _config.CheckQuorum && heardFromLeader && _electionElapsed < _config.ElectionTicks;
    }

    /// <summary>
    /// After a tick or a closed connection: once the lease has ended, the pre-votes dropped under it are answered as if
    /// they arrived now (granted or refused by the usual rules; one for a term other than the next is stale and dropped).
    /// </summary>
    private void AnswerDeferredPreVotes()
    {
        if (_deferredPreVotes.Count == 0 || InLease())
        {
            return;
        }

        var requests = _deferredPreVotes.ToArray();
        _deferredPreVotes.Clear();
        foreach (var request in requests)
        {
            if (request.Term == Term + 1 && Role != Role.Leader)
            {
                OnVoteRequest(request);
            }
        }
    }
}
