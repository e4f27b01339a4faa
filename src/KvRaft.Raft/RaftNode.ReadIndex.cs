using System.Collections.Generic;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    private readonly record struct PendingRead(long Context, long Index, int From, long Round);

    // Leader: reads waiting for their term's first commit, then for a heartbeat round.
    private readonly List<PendingRead> _readsBeforeCommit = new();
    private readonly List<PendingRead> _readsInRounds = new();
    private readonly HashSet<int> _readRoundAcks = new();
    private long _readRoundNext = 1;
    private long _readRoundInFlight;
    // Follower: reads sent to the leader, waiting for its answer (dropped when that leader is gone).
    private readonly List<ForwardedRead> _readsForwarded = new();
    // Any role: reads confirmed, waiting for apply to reach their index.
    private readonly List<ReadState> _readsAwaitingApply = new();
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
        if (PendingReadCount >= _config.PendingReadsMax) return ReadIndexStatus.TooManyPending;
        if (Role == Role.Leader)
        {
            OnReadIndexRequest(Id, context);
            return ReadIndexStatus.Accepted;
        }
        if (Leader == 0) return ReadIndexStatus.NoLeader;
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
        long index = _log.Committed;
        if (_tracker.Voters.Length == 1 || Has(PlantedFault.ReadWithoutHeartbeatRound) || HoldsLease())
        {
            ReleaseRead(new PendingRead(context, index, from, 0));
            return;
        }
        // One heartbeat round confirms leadership for every read queued before it started.
        long round = _readRoundInFlight == 0 ? StartReadRound() : _readRoundInFlight + 1;
        _readsInRounds.Add(new PendingRead(context, index, from, round));
    }

    private long StartReadRound()
    {
        _readRoundInFlight = _readRoundNext++;
        _readRoundAcks.Clear();
        _readRoundAcks.Add(Id);
        BroadcastHeartbeat();
        return _readRoundInFlight;
    }

    private void OnReadRoundAck(int from, long round)
    {
        if (round != _readRoundInFlight) return;
        _readRoundAcks.Add(from);
        if (_readRoundAcks.Count < _tracker.Quorum) return;
        int kept = 0;
        for (int i = 0; i < _readsInRounds.Count; i++)
        {
            PendingRead read = _readsInRounds[i];
            if (read.Round <= round) ReleaseRead(read);
            else _readsInRounds[kept++] = read;
        }
        _readsInRounds.RemoveRange(kept, _readsInRounds.Count - kept);
        _readRoundInFlight = 0;
        if (_readsInRounds.Count > 0)
        {
            long next = StartReadRound();
            for (int i = 0; i < _readsInRounds.Count; i++) _readsInRounds[i] = _readsInRounds[i] with { Round = next };
        }
    }

    private void ReleaseRead(PendingRead read)
    {
        if (read.From == Id)
        {
            _readsAwaitingApply.Add(new ReadState(read.Context, read.Index));
            return;
        }
        Send(new Message { Type = MessageType.ReadIndexResponse, To = read.From, Index = read.Index, Context = read.Context });
    }

    private void OnReadIndexResponse(Message message)
    {
        int found = -1;
        for (int i = 0; i < _readsForwarded.Count && found < 0; i++)
        {
            if (_readsForwarded[i].Context == message.Context && _readsForwarded[i].Leader == message.From) found = i;
        }
        if (found < 0) return; // dropped already (its leader was gone, or it waited too long): the client was told to retry
        _readsForwarded.RemoveAt(found);
        _readsAwaitingApply.Add(new ReadState(message.Context, message.Index));
    }

    /// <summary>
    /// Follower: a read whose ReadIndex request or answer was lost would wait for the service's
    /// request timeout; after an election timeout without an answer it is dropped, so the client retries now.
    /// </summary>
    private void ExpireForwardedReads()
    {
        if (_readsForwarded.Count == 0) return;
        long oldest = _ticksSinceStart - _config.ElectionTicks;
        int kept = 0;
        for (int i = 0; i < _readsForwarded.Count; i++)
        {
            ForwardedRead read = _readsForwarded[i];
            if (read.Tick < oldest) _droppedReads.Add(read.Context);
            else _readsForwarded[kept++] = read;
        }
        _readsForwarded.RemoveRange(kept, _readsForwarded.Count - kept);
    }

    /// <summary>The leader a follower's reads went to is no longer its leader: they will never be answered.</summary>
    private void DropForwardedReads()
    {
        foreach (ForwardedRead read in _readsForwarded) _droppedReads.Add(read.Context);
        _readsForwarded.Clear();
    }

    private void OnCommitAdvancedAsLeader()
    {
        if (_readsBeforeCommit.Count == 0 || !CommittedInCurrentTerm) return;
        var waiting = _readsBeforeCommit.ToArray();
        _readsBeforeCommit.Clear();
        foreach (PendingRead read in waiting) OnReadIndexRequest(read.From, read.Context);
    }

    /// <summary>Leadership (or the hope of it) is lost: reads not yet confirmed are dropped.</summary>
    private void DropPendingReads()
    {
        foreach (PendingRead read in _readsBeforeCommit)
        {
            if (read.From == Id) _droppedReads.Add(read.Context);
        }
        foreach (PendingRead read in _readsInRounds)
        {
            if (read.From == Id) _droppedReads.Add(read.Context);
        }
        _readsBeforeCommit.Clear();
        _readsInRounds.Clear();
        DropForwardedReads();
        _readRoundInFlight = 0;
        _readRoundAcks.Clear();
    }
}
