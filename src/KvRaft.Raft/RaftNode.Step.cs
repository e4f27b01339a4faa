namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    /// <summary>
    /// Feeds one message from a peer into the core. A message no correct peer could have sent (see
    /// <see cref="IsWellFormed(in Message)"/> and <see cref="IsPossibleNow"/>) changes nothing and is refused:
    /// whatever a peer sends, the core never fails an assertion because of it.
    /// </summary>
    /// <returns>False when the message was refused as impossible; true when it was taken (or dropped as stale).</returns>
    public bool Step(Message message)
    {
        if (!IsWellFormed(message) || !IsPossibleNow(message))
        {
            return false;
        }

        if (!StepTerm(message))
        {
            return true;
        }

        switch (message.Type)
        {
            case MessageType.PreVote:
            case MessageType.Vote:
                OnVoteRequest(message);
                return true;
        }
        switch (Role)
        {
            case Role.Leader:
                StepLeader(message);
                break;
            case Role.Candidate:
            case Role.PreCandidate:
                StepCandidate(message);
                break;
            default:
                StepFollower(message);
                break;
        }
        return true;
    }

    /// <summary>Term rules common to every role; false when the message is to be dropped.</summary>
    private bool StepTerm(Message message)
    {
        if (message.Term > Term)
        {
            return StepHigherTerm(message);
        }

        if (message.Term < Term)
        {
            return StepLowerTerm(message);
        }

        return true;
    }

    private bool StepHigherTerm(Message message)
    {
        if (message.Type is MessageType.Vote or MessageType.PreVote)
        {
            var forced = message.Type == MessageType.Vote && message.Context == ForcedCampaignContext && IsTransferTarget(message.From);
            if (!forced && InLease())
            {
                if (message.Type == MessageType.PreVote)
                {
                    DeferPreVote(message); // answered if the lease ends first (OnLeaseEnded)
                }

                return false; // a live leader is known: do not help depose it
            }
        }
        switch (message.Type)
        {
            case MessageType.PreVote:
                return true; // a pre-vote never changes our term
            case MessageType.PreVoteResponse when !message.Reject:
                // Granted for the term we would campaign in (we move there on a quorum); any other term was not asked.
                return Role == Role.PreCandidate && message.Term == Term + 1;
            case MessageType.Append:
            case MessageType.Heartbeat:
            case MessageType.Snapshot:
                BecomeFollower(message.Term, message.From);
                return true;
            default:
                BecomeFollower(message.Term, 0);
                return true;
        }
    }

    private bool StepLowerTerm(Message message)
    {
        if ((_config.CheckQuorum || _config.PreVote)
            && message.Type is MessageType.Append or MessageType.Heartbeat)
        {
            // A stale leader (or one whose term we passed while partitioned) learns our term and steps down.
            Send(new Message { Type = MessageType.AppendResponse, To = message.From });
        }
        else if (message.Type == MessageType.PreVote)
        {
            Send(new Message { Type = MessageType.PreVoteResponse, To = message.From, Reject = true });
        }
        return false;
    }

    private void StepFollower(Message message)
    {
        switch (message.Type)
        {
            case MessageType.Append:
                HeardFromLeader(message.From);
                OnAppend(message);
                break;
            case MessageType.Heartbeat:
                HeardFromLeader(message.From);
                OnHeartbeat(message);
                break;
            case MessageType.Snapshot:
                HeardFromLeader(message.From);
                OnSnapshot(message);
                break;
            case MessageType.TimeoutNow when message.From == Leader:
                OnTimeoutNow(message);
                break;
            case MessageType.ReadIndexResponse:
                OnReadIndexResponse(message);
                break;
        }
    }

    private void StepCandidate(Message message)
    {
        switch (message.Type)
        {
            case MessageType.Append:
            case MessageType.Heartbeat:
            case MessageType.Snapshot:
                BecomeFollower(message.Term, message.From);
                StepFollower(message);
                break;
            case MessageType.PreVoteResponse when Role == Role.PreCandidate:
            case MessageType.VoteResponse when Role == Role.Candidate:
                OnVoteResponse(message);
                break;
        }
    }
}
