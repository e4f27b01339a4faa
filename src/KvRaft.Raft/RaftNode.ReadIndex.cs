using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    private readonly record struct PendingRead(long Context, long Index, int From, long Round);

    // Leader: reads waiting for their term's first commit, then for a heartbeat round.
    private readonly List<PendingRead> _readsBeforeCommit = new();
    // Round 0: waiting for a round to start (RaftConfig.ReadRoundsInFlightMax rounds are in flight).
    private readonly List<PendingRead> _readsInRounds = new();
    // The newest read round each member answered is its Progress.ReadRoundAcknowledged: it confirms every round up to that one.
    private long _readRoundNext = 1;
    private long _readRoundNewest; // newest round started (0: none since leadership began)
    private long _readRoundConfirmed; // every round up to this one is confirmed

    // Round numbers are consecutive: those after the confirmed one up to the newest are in flight.
    private int ReadRoundsInFlight => (int)(_readRoundNewest - _readRoundConfirmed);
    // Follower: reads sent to the leader, waiting for its answer (dropped when that leader is gone).
    private readonly List<ForwardedRead> _readsForwarded = new();
    // Any role: reads confirmed, waiting for apply to reach their index.
    private readonly List<ReadState> _readsAwaitingApply = new();
    // Reads confirmed since the last Ready, which reports them (each is in _readsAwaitingApply or released already).
    private readonly List<ReadState> _readsConfirmed = new();
    private readonly List<long> _droppedReads = new();

    private readonly record struct ForwardedRead(long Context, int Leader, long Tick);

    private int PendingReadCount => _readsBeforeCommit.Count + _readsInRounds.Count + _readsForwarded.Count + _readsAwaitingApply.Count;

    /// <summary>
    /// Asks for a linearizable read named by <paramref name="context"/>. A ReadState with the
    /// context comes out of a later Ready once leadership is confirmed and the state machine has
    /// applied the read index; or the context comes out in <see cref="Ready.DroppedReads"/>.
    /// </summary>
    public ReadIndexStatus ReadIndex(long context)
    {
        if (PendingReadCount >= _config.PendingReadsMax)
        {
            return ReadIndexStatus.TooManyPending;
        }

        if (Role == Role.Leader)
        {
            OnReadIndexRequest(Id, context);
            return ReadIndexStatus.Accepted;
        }
        if (Leader == 0)
        {
            return ReadIndexStatus.NoLeader;
        }

        _readsForwarded.Add(new ForwardedRead(context, Leader, _ticksSinceStart));
        Send(new Message { Type = MessageType.ReadIndex, To = Leader, Context = context });
        return ReadIndexStatus.Accepted;
    }

    private bool CommittedInCurrentTerm => _log.TermOrZero(_log.Committed) == Term;

    private void OnReadIndexRequest(int from, long context)
    {
        if (!CommittedInCurrentTerm)
        {
            // The commit index may lag until this term commits an entry: wait for that.
            _readsBeforeCommit.Add(new PendingRead(context, 0, from, 0));
            return;
        }
        var index = _log.Committed;
        var confirmed = _tracker.IsOnlyVoter(Id) || HoldsLease();
#if PLANTED_BUGS
        confirmed |= PlantedBugs.Has(PlantedBug.ReadWithoutHeartbeatRound);
#endif
        if (confirmed)
        {
            ReleaseRead(new PendingRead(context, index, from, 0));
            return;
        }
        // One heartbeat round started after the read arrived confirms leadership for it. Several rounds may be in
        // flight: a read waits for one round trip, not for the rest of a round that started before it.
        var round = ReadRoundsInFlight < _config.ReadRoundsInFlightMax ? StartReadRound() : 0;
        _readsInRounds.Add(new PendingRead(context, index, from, round));
    }

    private long StartReadRound()
    {
        var round = _readRoundNext++;
        _readRoundNewest = round;
        BroadcastHeartbeat();
        return round;
    }

    private void OnReadRoundAck(Progress progress, long round)
    {
        if (round <= _readRoundConfirmed || round > _readRoundNewest)
        {
            return; // old, or from an earlier leadership
        }

        if (progress.ReadRoundAcknowledged >= round)
        {
            return;
        }

        progress.ReadRoundAcknowledged = round;
        var confirmed = QuorumAckedRound();
        if (confirmed <= _readRoundConfirmed)
        {
            return;
        }

        _readRoundConfirmed = confirmed;
        var kept = 0;
        for (var i = 0; i < _readsInRounds.Count; i++)
        {
            var read = _readsInRounds[i];
            if (read.Round != 0 && read.Round <= confirmed)
            {
                ReleaseRead(read);
            }
            else
            {
                _readsInRounds[kept++] = read;
            }
        }
        _readsInRounds.RemoveRange(kept, _readsInRounds.Count - kept);
        if (_readsInRounds.Exists(r => r.Round == 0) && ReadRoundsInFlight < _config.ReadRoundsInFlightMax)
        {
            var next = StartReadRound();
            for (var i = 0; i < _readsInRounds.Count; i++)
            {
                if (_readsInRounds[i].Round == 0)
                {
                    _readsInRounds[i] = _readsInRounds[i] with { Round = next };
                }
            }
        }
    }

    /// <summary>The newest round answered by a (joint) quorum (this node counts for every round it started).</summary>
    private long QuorumAckedRound() => _tracker.QuorumValue(QuorumField.ReadRoundAcknowledged, Id, _readRoundNewest);

    private void ReleaseRead(PendingRead read)
    {
        if (read.From == Id)
        {
            AwaitApply(new ReadState(read.Context, read.Index));
            return;
        }
        Send(new Message { Type = MessageType.ReadIndexResponse, To = read.From, Index = read.Index, Context = read.Context });
    }

    private void OnReadIndexResponse(Message message)
    {
        var found = -1;
        for (var i = 0; i < _readsForwarded.Count && found < 0; i++)
        {
            if (_readsForwarded[i].Context == message.Context && _readsForwarded[i].Leader == message.From)
            {
                found = i;
            }
        }
        if (found < 0)
        {
            return; // dropped already (its leader was gone, or it waited too long): the client was told to retry
        }

        _readsForwarded.RemoveAt(found);
        AwaitApply(new ReadState(message.Context, message.Index));
    }

    /// <summary>The read index of <paramref name="read"/> is known: it waits for apply, and the next Ready reports it confirmed.</summary>
    private void AwaitApply(ReadState read)
    {
        _readsAwaitingApply.Add(read);
        _readsConfirmed.Add(read);
    }

    /// <summary>
    /// Follower: a read whose ReadIndex request or answer was lost would wait for the service's
    /// request timeout; after an election timeout without an answer it is dropped, so the client retries now.
    /// </summary>
    private void ExpireForwardedReads()
    {
        if (_readsForwarded.Count == 0)
        {
            return;
        }

        var oldest = _ticksSinceStart - _config.ElectionTicks;
        var kept = 0;
        for (var i = 0; i < _readsForwarded.Count; i++)
        {
            var read = _readsForwarded[i];
            if (read.Tick < oldest)
            {
                _droppedReads.Add(read.Context);
            }
            else
            {
                _readsForwarded[kept++] = read;
            }
        }
        _readsForwarded.RemoveRange(kept, _readsForwarded.Count - kept);
    }

    /// <summary>The leader a follower's reads went to is no longer its leader: they will never be answered.</summary>
    private void DropForwardedReads()
    {
        foreach (var read in _readsForwarded)
        {
            _droppedReads.Add(read.Context);
        }

        _readsForwarded.Clear();
    }

    private void OnCommitAdvancedAsLeader()
    {
        if (_readsBeforeCommit.Count == 0 || !CommittedInCurrentTerm)
        {
            return;
        }

        var waiting = _readsBeforeCommit.ToArray();
        _readsBeforeCommit.Clear();
        foreach (var read in waiting)
        {
            OnReadIndexRequest(read.From, read.Context);
        }
    }

    /// <summary>Leadership (or the hope of it) is lost: reads not yet confirmed are dropped.</summary>
    private void DropPendingReads()
    {
        foreach (var read in _readsBeforeCommit)
        {
            if (read.From == Id)
            {
                _droppedReads.Add(read.Context);
            }
        }
        foreach (var read in _readsInRounds)
        {
            if (read.From == Id)
            {
                _droppedReads.Add(read.Context);
            }
        }
        _readsBeforeCommit.Clear();
        _readsInRounds.Clear();
        DropForwardedReads();
        ResetReadRounds();
    }

    /// <summary>No read round is in flight; rounds of a new leadership start above every earlier one.</summary>
    private void ResetReadRounds()
    {
        // Every member's acknowledgement is in a progress the tracker resets with this (Reset): none carries over.
        _readRoundNewest = _readRoundConfirmed = _readRoundNext - 1;
    }
}
