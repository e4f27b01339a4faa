using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    private readonly List<Entry> _proposal = new();

    private void TickLeader(int ticks)
    {
        _leaderTicks += ticks;
        _heartbeatElapsed += ticks;
        _electionElapsed += ticks;
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum && !_tracker.QuorumActiveThenClear(Id))
            {
                BecomeFollower(Term, 0); // cut off from a quorum: stop acting as leader
                return;
            }
            if (_leadTransferee != 0)
            {
                AbortLeadTransfer(); // the transfer took too long
            }

            MaybeLeaveJoint(); // a leave put off by a transfer is proposed now
        }
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat();
        }
        RetransmitStalled(ticks);
    }

    /// <summary>
    /// Appends in flight that have gone unanswered for an election timeout were lost (a dropped
    /// connection, say): fall back to probing from the follower's match.
    /// </summary>
    private void RetransmitStalled(int ticks)
    {
        foreach (var member in _tracker.Members)
        {
            if (member == Id)
            {
                continue;
            }

            var progress = _tracker[member];
            if (progress.State != ProgressState.Replicate || progress.Inflights.Count == 0)
            {
                continue;
            }

            progress.StalledTicks += ticks;
            if (progress.StalledTicks < _config.ElectionTicks)
            {
                continue;
            }

            progress.BecomeProbe();
            SendAppends(member, sendIfEmpty: true);
        }
    }

    /// <summary>
    /// Proposes a batch: each payload becomes one entry, in order, with consecutive indexes from
    /// <paramref name="firstIndex"/> in the current <see cref="Term"/>. All or nothing.
    /// </summary>
    public ProposeStatus Propose(ReadOnlySpan<ReadOnlyMemory<byte>> payloads, out long firstIndex)
    {
        firstIndex = 0;
        if (Role != Role.Leader)
        {
            return ProposeStatus.NotLeader;
        }

        if (_leadTransferee != 0)
        {
            return ProposeStatus.TransferInProgress;
        }

        if (payloads.Length == 0 || payloads.Length > _config.ProposalEntriesMax)
        {
            return ProposeStatus.TooLarge;
        }

        long bytes = 0;
        foreach (var payload in payloads)
        {
            bytes += payload.Length + Entry.EntryOverheadBytes;
        }

        if (_uncommittedBytes > 0 && _uncommittedBytes + bytes > _config.UncommittedBytesMax)
        {
            return ProposeStatus.TooManyUncommittedBytes;
        }
        firstIndex = _log.LastIndex + 1;
        _proposal.Clear();
        for (var i = 0; i < payloads.Length; i++)
        {
            _proposal.Add(new Entry(firstIndex + i, Term, EntryType.Normal, payloads[i]));
        }
        _log.Append(CollectionsMarshal.AsSpan(_proposal));
        _uncommittedBytes += bytes;
        BroadcastAppend();
        return ProposeStatus.Accepted;
    }

    private void BroadcastAppend()
    {
        foreach (var member in _tracker.Members)
        {
            if (member != Id)
            {
                SendAppends(member, sendIfEmpty: true);
            }
        }
    }

    /// <summary>Sends as many Appends to <paramref name="to"/> as its state and window allow.</summary>
    private void SendAppends(int to, bool sendIfEmpty)
    {
        while (MaybeSendAppend(to, sendIfEmpty))
        {
            var progress = _tracker[to];
            if (progress.State != ProgressState.Replicate || progress.Next > _log.LastIndex)
            {
                return;
            }

            sendIfEmpty = false;
        }
    }

    private bool MaybeSendAppend(int to, bool sendIfEmpty)
    {
        var progress = _tracker[to];
        if (progress.IsPaused)
        {
            return false;
        }

        var prevIndex = progress.Next - 1;
        if (!_log.TryGetTerm(prevIndex, out var prevTerm) || IsEmptyFollowerWithSnapshot(prevIndex, progress))
        {
            return MaybeSendSnapshot(to, progress);
        }

        var entries = _log.Scratch();
        var hi = Math.Min(_log.LastIndex + 1, progress.Next + _config.AppendEntriesMax);
        switch (_log.SliceFor(to, progress.Next, hi, _config.AppendBytesMax, entries))
        {
            case SliceStatus.Compacted:
                return MaybeSendSnapshot(to, progress);
            case SliceStatus.Unavailable:
                return false; // the storage is reading them: OnEntriesFetched sends; progress stays as it is
        }

        if (entries.Count == 0 && !sendIfEmpty)
        {
            return false;
        }

        long bytes = 0;
        foreach (var entry in entries)
        {
            bytes += entry.SizeBytes;
        }

        var batch = _messageEntries.Copy(entries);
        Send(new Message
        {
            Type = MessageType.Append,
            To = to,
            Index = prevIndex,
            LogTerm = prevTerm,
            Entries = batch,
            Commit = _log.Committed,
        });
        progress.SentEntries(prevIndex + batch.Length, batch.Length, bytes);
        return true;
    }

    /// <summary>
    /// A follower with nothing (a new member, or one whose log was wiped) gets the latest snapshot, not the log from the
    /// start: the log is kept for a while behind each snapshot (for followers a few seconds behind, the host's
    /// compaction lag), and replaying all of it to a new member took seconds where the snapshot takes a moment.
    /// </summary>
    private bool IsEmptyFollowerWithSnapshot(long prevIndex, Progress progress) =>
        prevIndex == 0 && progress.Match == 0 && !_config.Storage.Snapshot.IsEmpty;

    private bool MaybeSendSnapshot(int to, Progress progress)
    {
        if (!progress.RecentActive)
        {
            return false; // do not ship a snapshot to a node that may be down
        }

        var snapshot = _config.Storage.Snapshot;
        Invariant.True(!snapshot.IsEmpty && snapshot.Index >= progress.Next - 1, (snapshot.Index, progress.Next));
        Send(new Message { Type = MessageType.Snapshot, To = to, Snapshot = snapshot });
        progress.BecomeSnapshot(snapshot.Index);
        return false;
    }

    private void BroadcastHeartbeat()
    {
        var context = ReadRoundsInFlight > 0 ? _readRoundNewest : 0; // an answer confirms every round up to this one
        foreach (var member in _tracker.Members)
        {
            if (member == Id)
            {
                continue;
            }

            var progress = _tracker[member];
            Send(new Message
            {
                Type = MessageType.Heartbeat,
                To = member,
                Commit = Math.Min(progress.Match, _log.Committed),
                Context = context,
                Index = _leaderTicks,
            });
        }
    }

    private void StepLeader(Message message)
    {
        if (!_tracker.IsMember(message.From))
        {
            return;
        }

        var progress = _tracker[message.From];
        switch (message.Type)
        {
            case MessageType.AppendResponse:
                progress.RecentActive = true;
                OnAppendResponse(message, progress);
                break;
            case MessageType.HeartbeatResponse:
                progress.RecentActive = true;
                OnHeartbeatResponse(message, progress);
                break;
            case MessageType.ReadIndex when PendingReadCount < _config.PendingReadsMax:
                // A learner's read is served too: the confirmation is the voters' (quorums never count learners).
                OnReadIndexRequest(message.From, message.Context);
                break;
        }
    }

    private void OnAppendResponse(Message message, Progress progress)
    {
        if (message.Reject)
        {
            var nextHint = message.RejectHint;
            if (message.LogTerm > 0)
            {
                var last = _log.LastIndexOfTerm(message.LogTerm, message.Index);
                if (last > 0)
                {
                    nextHint = last + 1;
                }
            }
            if (progress.MaybeDecreaseTo(message.Index, nextHint))
            {
                if (progress.State == ProgressState.Replicate)
                {
                    progress.BecomeProbe();
                }

                SendAppends(message.From, sendIfEmpty: true);
            }
            return;
        }
        var wasPaused = progress.IsPaused;
        if (!progress.MaybeUpdate(message.Index))
        {
            return;
        }

        switch (progress.State)
        {
            case ProgressState.Probe:
                progress.BecomeReplicate();
                break;
            case ProgressState.Snapshot when progress.Match >= progress.PendingSnapshot:
                progress.BecomeProbe();
                progress.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                progress.Inflights.FreeLessOrEqual(message.Index);
                break;
        }
        if (MaybeCommit())
        {
            BroadcastAppend();
        }
        else if (wasPaused || progress.Next <= _log.LastIndex)
        {
            SendAppends(message.From, sendIfEmpty: false);
        }

        if (message.From == _leadTransferee && progress.Match == _log.LastIndex)
        {
            SendTimeoutNow(message.From);
        }
    }

    private void OnHeartbeatResponse(Message message, Progress progress)
    {
        progress.ProbeSent = false;
        OnHeartbeatAcknowledged(progress, message.Index);
        if (progress.State == ProgressState.Replicate && progress.Inflights.Full)
        {
            progress.Inflights.FreeFirstOne();
        }

        if (progress.Match < _log.LastIndex || progress.State == ProgressState.Probe)
        {
            // Even with nothing new to send: an Append the follower dropped (it arrived below the follower's
            // commit index, which answers with that index alone) leaves entries the leader counts as in flight;
            // the empty Append at Next is refused and the refusal sends the leader back to Match + 1.
            SendAppends(message.From, sendIfEmpty: true);
        }
        if (message.Context != 0)
        {
            OnReadRoundAck(progress, message.Context);
        }
    }

    /// <summary>Commits what a quorum has; true when the commit index moved.</summary>
    private bool MaybeCommit()
    {
        var quorumMatch = _tracker.QuorumMatch();
        var requireCurrentTerm = true;
#if PLANTED_BUGS
        requireCurrentTerm = !PlantedBugs.Has(PlantedBug.CommitPreviousTermByCounting);
#endif
        if (!_log.MaybeCommit(quorumMatch, Term, requireCurrentTerm))
        {
            return false;
        }

        OnCommitAdvancedAsLeader();
        return true;
    }

    /// <summary>
    /// The entries the storage was fetching for <paramref name="peer"/> (it answered "not available yet") are in
    /// memory: send what that follower's progress allows. Ignored unless leading and <paramref name="peer"/> is a member.
    /// </summary>
    public void OnEntriesFetched(int peer)
    {
        if (Role != Role.Leader || !_tracker.IsMember(peer) || peer == Id)
        {
            return;
        }

        SendAppends(peer, sendIfEmpty: false);
    }

    /// <summary>
    /// The host could not reach <paramref name="peer"/> (its connection closed): a leader stops streaming to it and probes
    /// instead; a follower whose leader it is campaigns soon (<see cref="OnLeaderUnreachable"/>).
    /// </summary>
    public void ReportUnreachable(int peer)
    {
        if (Role == Role.Follower && peer == Leader && peer != 0)
        {
            OnLeaderUnreachable();
            return;
        }

        if (Role != Role.Leader || !_tracker.IsMember(peer) || peer == Id)
        {
            return;
        }

        var progress = _tracker[peer];
        if (progress.State == ProgressState.Replicate)
        {
            progress.BecomeProbe();
        }
    }

    /// <summary>The host reports how sending a snapshot to <paramref name="peer"/> ended.</summary>
    public void ReportSnapshot(int peer, SnapshotStatus status)
    {
        if (Role != Role.Leader || !_tracker.IsMember(peer) || peer == Id)
        {
            return;
        }

        var progress = _tracker[peer];
        if (progress.State != ProgressState.Snapshot)
        {
            return;
        }

        if (status == SnapshotStatus.Failed)
        {
            progress.ClearPendingSnapshot(); // Next falls back to Match + 1
        }

        progress.BecomeProbe();
        // Wait for the follower's answer (or a heartbeat response) before sending again.
        progress.ProbeSent = true;
    }
}
