using System;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    private void OnAppend(Message message)
    {
        if (message.Index < _log.Committed)
        {
            // Everything up to our commit index is settled: tell the leader where we are.
            Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = _log.Committed });
            return;
        }
        var plantedNoTruncate = false;
#if PLANTED_BUGS
        plantedNoTruncate = PlantedBugs.Has(PlantedBug.AppendWithoutTruncatingConflict);
#endif
        var lastNew = _log.MaybeAppend(message.Index, message.LogTerm, message.Commit, message.Entries.Span, plantedNoTruncate);
        if (lastNew >= 0)
        {
            TrackConfigEntries(message.Entries.Span, lastNew);
            Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = lastNew });
            return;
        }
        // Fast backtracking: name the conflicting term and its first index, or our log's end.
        var reject = new Message
        {
            Type = MessageType.AppendResponse,
            To = message.From,
            Index = message.Index,
            Reject = true,
        };
        if (message.Index > _log.LastIndex)
        {
            reject.RejectHint = _log.LastIndex + 1;
        }
        else
        {
            reject.LogTerm = _log.TermOrZero(message.Index);
            reject.RejectHint = _log.FirstIndexOfTermAt(message.Index);
        }
        Send(reject);
    }

    private void OnHeartbeat(Message message)
    {
        // A heartbeat proves nothing of the log (the leader sends min(match, commit)): commit no further than it goes.
        _log.CommitTo(Math.Min(message.Commit, _log.LastIndex));
        // Index carries the leader's send tick; echoing it lets the leader time its lease.
        Send(new Message { Type = MessageType.HeartbeatResponse, To = message.From, Context = message.Context, Index = message.Index });
    }

    private void OnSnapshot(Message message)
    {
        var snapshot = message.Snapshot;
        if (Restore(snapshot))
        {
            Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = _log.LastIndex });
        }
        else
        {
            Send(new Message { Type = MessageType.AppendResponse, To = message.From, Index = _log.Committed });
        }
    }

    /// <summary>Replaces the log with <paramref name="snapshot"/>; false if it brings nothing new.</summary>
    private bool Restore(SnapshotMetadata snapshot)
    {
        if (snapshot.Index <= _log.Committed)
        {
            return false;
        }

        if (_log.MatchTerm(snapshot.Index, snapshot.Term))
        {
            // Our log already has it: just move the commit index.
            _log.CommitTo(snapshot.Index);
            return false;
        }
        _log.Restore(snapshot);
        _unappliedConfigIndexes.Clear(); // the log is the snapshot now
        _applying = snapshot.Index;
        SwitchConfig(snapshot.Config.Normalized(), snapshot.Index); // the snapshot's configuration is in effect at its index
        return true;
    }
}
