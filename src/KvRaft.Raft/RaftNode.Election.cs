using System;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    /// <summary>Context of a Vote sent because of a leadership transfer: it bypasses the lease check.</summary>
    internal const long ForcedCampaignContext = 1;

    private void TickElection(int ticks)
    {
        _electionElapsed = (int)Math.Min((long)_electionElapsed + ticks, int.MaxValue); // saturates: a node that never campaigns counts on
        AnswerDeferredPreVotes(); // first: a fellow survivor that asked while the lease held is elected, not split with
        if (Promotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Campaign(preVote: _config.PreVote, forced: false);
        }
    }

    /// <summary>
    /// The connection to the leader closed: a killed leader's sockets close at once, and so do a cut-off leader's links
    /// when the network resets them, while an election timeout (300-600 ms in the server) runs from the last heartbeat. So
    /// the follower forgets the leader and lets its election timer run out in 1 to 1 + ElectionTicks / 5 ticks (random,
    /// so that survivors seldom campaign together), unless the leader is heard from again first. Nothing else is
    /// skipped: the campaign starts with a pre-vote, and a voter that still hears the leader within an election timeout
    /// refuses it (check-quorum), so a follower whose link alone broke deposes nobody; only another survivor that lost the
    /// leader too (or timed out) agrees. A follower with no leader known grants pre-votes, so the survivors of a
    /// leader's death agree with each other. Not with lease reads: a leader's lease counts on every follower that
    /// acknowledged it voting for nobody for an election timeout, whatever its connections did.
    /// </summary>
    private void OnLeaderUnreachable()
    {
        if (_config.LeaseReads)
        {
            return;
        }

        Leader = 0;
        var delayTicks = 1 + _random.Next(1 + (_config.ElectionTicks / 5));
        _electionElapsed = Math.Max(_electionElapsed, _randomizedElectionTimeout - delayTicks);
        AnswerDeferredPreVotes(); // a survivor that found out first and asked already is granted now
    }

    /// <summary>Starts a (pre-)election now, as an election timeout would; a leader ignores it.</summary>
    public void Campaign()
    {
        if (Role == Role.Leader)
        {
            return;
        }

        Campaign(_config.PreVote, forced: false);
    }

    private void Campaign(bool preVote, bool forced)
    {
        if (!Promotable || Term >= TermMax)
        {
            return; // no term beyond TermMax: a node there waits for nothing
        }

        if (WaitsForConfigApply())
        {
            return; // it would campaign in a configuration older than a committed one
        }

        long campaignTerm;
        MessageType requestType;
        if (preVote)
        {
            BecomePreCandidate();
            campaignTerm = Term + 1;
            requestType = MessageType.PreVote;
        }
        else
        {
            BecomeCandidate();
            campaignTerm = Term;
            requestType = MessageType.Vote;
        }
        _tracker.RecordVote(Id, granted: true);
        if (_tracker.TallyVotes() == ProgressTracker.VoteResult.Won)
        {
            // A single-node cluster wins at once.
            if (preVote)
            {
                Campaign(preVote: false, forced);
            }
            else
            {
                BecomeLeader();
            }

            return;
        }
        foreach (var voter in _tracker.Voters)
        {
            if (voter != Id)
            {
                RequestVote(voter, requestType, campaignTerm, forced);
            }
        }
    }

    private void RequestVote(int voter, MessageType requestType, long campaignTerm, bool forced) =>
        Send(new Message
        {
            Type = requestType,
            To = voter,
            Term = campaignTerm,
            Index = _log.LastIndex,
            LogTerm = _log.LastTerm,
            Context = forced ? ForcedCampaignContext : 0,
        });

    private void BecomePreCandidate()
    {
        Invariant.True(Role != Role.Leader);
        // A pre-candidate keeps its term and vote: nothing durable changes.
        Role = Role.PreCandidate;
        _tracker.ResetVotes();
        Leader = 0;
        DropForwardedReads();
    }

    private void BecomeCandidate()
    {
        Invariant.True(Role != Role.Leader);
        Reset(Term + 1);
        Vote = Id;
        Role = Role.Candidate;
    }

    private void BecomeLeader()
    {
        Invariant.True(Role == Role.Candidate, Role);
        Reset(Term);
        Role = Role.Leader;
        Leader = Id;
        _leaderTicks = 0;
        var self = _tracker[Id];
        self.Match = _log.Unstable.Offset - 1; // what this node has made durable
        self.Next = _log.LastIndex + 1;
        self.BecomeReplicate();
        self.Next = _log.LastIndex + 1;
        self.RecentActive = true;
        // A no-op of the new term: committing it commits everything before it (Figure 8).
        var noOp = new Entry(_log.LastIndex + 1, Term, EntryType.NoOp, default);
        _log.Append(new ReadOnlySpan<Entry>(in noOp));
        // Entries of earlier terms, a Config entry among them perhaps, commit with this one: no change before it is applied.
        _pendingConfigIndex = noOp.Index;
        BroadcastAppend();
    }

    private void OnVoteRequest(Message message)
    {
        var isPreVote = message.Type == MessageType.PreVote;
        var canVote = Vote == message.From
            || (Vote == 0 && Leader == 0)
            || (isPreVote && message.Term > Term);
        // Of two pre-candidates exactly one is granted, whatever either voted in its term (a node that learned
        // the term from an Append never voted in it): both granted would campaign together and split the vote.
        var winsTie = isPreVote && WinsTieAgainst(message);
        if (winsTie)
        {
            canVote = false;
        }

        var upToDate = _log.IsUpToDate(message.Index, message.LogTerm);
#if PLANTED_BUGS
        upToDate |= PlantedBugs.Has(PlantedBug.VoteWithoutUpToDateCheck);
#endif
        var response = new Message
        {
            Type = isPreVote ? MessageType.PreVoteResponse : MessageType.VoteResponse,
            To = message.From,
        };
        if (canVote && upToDate)
        {
            // A granted pre-vote answers in the term asked about; a granted vote is recorded (and persisted before it leaves).
            response.Term = message.Term;
            if (!isPreVote)
            {
                _electionElapsed = 0;
                Vote = message.From;
            }
        }
        else
        {
            response.Term = Term;
            response.Reject = true;
        }
        Send(response);
        if (winsTie)
        {
            // Our own request may have found the loser still hearing the old leader (it dropped it then): ask again now
            // that it campaigns too, else both wait for another election timeout. It grants: it loses the tie.
            RequestVote(message.From, MessageType.PreVote, Term + 1, forced: false);
        }
    }

    /// <summary>
    /// Two nodes whose election timeouts end within a message's round trip become pre-candidates together, grant each
    /// other's pre-vote, become candidates together, vote for themselves and split the vote: nobody leads until another
    /// randomized timeout (300-600 ms in the server) ends. Measured: about one leader kill in ten took 0.9-1.1 s. So a
    /// pre-candidate grants a fellow pre-candidate's pre-vote for the same term only if that one wins the tie: its log
    /// is more up to date, or as up to date and its id is higher. Of two, exactly one is granted. Pre-votes bind
    /// nothing (no term, no vote changes), so safety is untouched.
    /// </summary>
    private bool WinsTieAgainst(Message message)
    {
        if (Role != Role.PreCandidate || message.Term != Term + 1)
        {
            return false;
        }

        long lastTerm = _log.LastTerm, lastIndex = _log.LastIndex;
        if (message.LogTerm != lastTerm)
        {
            return message.LogTerm < lastTerm;
        }

        if (message.Index != lastIndex)
        {
            return message.Index < lastIndex;
        }

        return message.From < Id;
    }

    private void OnVoteResponse(Message message)
    {
        _tracker.RecordVote(message.From, !message.Reject);
        switch (_tracker.TallyVotes())
        {
            case ProgressTracker.VoteResult.Won:
                if (Role == Role.PreCandidate)
                {
                    Campaign(preVote: false, forced: false);
                }
                else
                {
                    BecomeLeader();
                }

                break;
            case ProgressTracker.VoteResult.Lost:
                BecomeFollower(Term, 0);
                break;
        }
    }

    private void OnTimeoutNow(in Message message)
    {
        if (message.Context != 0)
        {
            // The leader tells the other voters whom it hands over to: that node's forced vote may skip the lease.
            _transferNotice = (int)Math.Clamp(message.Context, 0, int.MaxValue);
            return;
        }
        // The leader hands over to this node: campaign at once, skipping pre-vote and the lease check.
        Campaign(preVote: false, forced: true);
    }
}
