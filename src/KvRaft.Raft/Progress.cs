namespace KvRaft.Raft;

/// <summary>How the leader replicates to one follower (see docs/design.md).</summary>
public enum ProgressState : byte
{
    /// <summary>One Append at a time until the follower's position is found.</summary>
    Probe,
    /// <summary>Appends are streamed optimistically, bounded by the in-flight window.</summary>
    Replicate,
    /// <summary>The follower needs a snapshot; nothing else is sent until it has it.</summary>
    Snapshot,
}

/// <summary>The leader's view of one follower.</summary>
internal sealed class Progress
{
    public Progress(long next, int inflightMessagesMax, long inflightBytesMax)
    {
        Next = next;
        Inflights = new Inflights(inflightMessagesMax, inflightBytesMax);
    }

    /// <summary>The highest index known replicated on the follower.</summary>
    public long Match { get; set; }

    /// <summary>The next index to send.</summary>
    public long Next { get; set; }

    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>In Snapshot state: the index of the snapshot being sent.</summary>
    public long PendingSnapshot { get; private set; }

    /// <summary>Heard from within the current check-quorum period.</summary>
    public bool RecentActive { get; set; }

    /// <summary>In Probe state: an Append is out and unanswered, so no other is sent until a heartbeat response.</summary>
    public bool ProbeSent { get; set; }

    public Inflights Inflights { get; }

    /// <summary>The leader's send tick of the latest heartbeat this follower acknowledged (lease reads).</summary>
    public long HeartbeatAcknowledgedTick { get; set; }

    /// <summary>The newest read round this member acknowledged (its answer confirms every round up to it).</summary>
    public long ReadRoundAcknowledged { get; set; }

    /// <summary>Leader ticks since Match last moved while Appends were in flight.</summary>
    public int StalledTicks { get; set; }

    public void BecomeProbe()
    {
        if (State == ProgressState.Snapshot)
        {
            var pending = PendingSnapshot;
            ResetState(ProgressState.Probe);
            Next = System.Math.Max(Match + 1, pending + 1);
        }
        else
        {
            ResetState(ProgressState.Probe);
            Next = Match + 1;
        }
    }

    public void BecomeReplicate()
    {
        ResetState(ProgressState.Replicate);
        Next = Match + 1;
    }

    public void BecomeSnapshot(long snapshotIndex)
    {
        ResetState(ProgressState.Snapshot);
        PendingSnapshot = snapshotIndex;
    }

    public void ClearPendingSnapshot() => PendingSnapshot = 0;

    private void ResetState(ProgressState state)
    {
        ProbeSent = false;
        PendingSnapshot = 0;
        StalledTicks = 0;
        State = state;
        Inflights.Reset();
    }

    /// <summary>The follower acknowledged up to <paramref name="index"/>; false if that is old news.</summary>
    public bool MaybeUpdate(long index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
            StalledTicks = 0;
        }
        if (Next < index + 1)
        {
            Next = index + 1;
        }

        return updated;
    }

    /// <summary>An Append ending at <paramref name="lastIndex"/> was sent.</summary>
    public void SentEntries(long lastIndex, int count, long bytes)
    {
        switch (State)
        {
            case ProgressState.Replicate:
                if (count > 0)
                {
                    Next = lastIndex + 1;
                    Inflights.Add(lastIndex, bytes);
                }
                break;
            case ProgressState.Probe:
                ProbeSent = true;
                break;
            default:
                Invariant.True(false, State);
                break;
        }
    }

    /// <summary>
    /// The follower rejected an Append after <paramref name="rejected"/>; move Next back to
    /// <paramref name="nextHint"/>. False if the rejection is stale.
    /// </summary>
    public bool MaybeDecreaseTo(long rejected, long nextHint)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false; // stale
            }

            Next = System.Math.Max(Match + 1, System.Math.Min(rejected, nextHint));
            return true;
        }
        if (Next - 1 != rejected)
        {
            return false; // stale: not the probe we are waiting on
        }

        Next = System.Math.Max(System.Math.Min(rejected, nextHint), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>Whether sending Appends must wait.</summary>
    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        _ => true,
    };

    public override string ToString() => $"{State} match={Match} next={Next} inflight={Inflights.Count}";
}
