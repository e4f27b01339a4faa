using System;
using System.Collections.Generic;

namespace KvRaft.Raft;

public sealed partial class RaftNode
{
    private readonly Ready _ready = new();
    // Entries of sent Appends: one arena fills for the next Ready while the other backs the outstanding one's messages.
    private EntryArena _messageEntries = new();
    private EntryArena _readyMessageEntries = new();
    private bool _readyOutstanding;
    private HardState _previousHardState;
    private long _applying; // the highest index handed out to apply (or installed by snapshot)
    private long _readyLastIndex, _readyLastTerm, _readySnapshotIndex, _readyApplying;

    /// <summary>True when a Ready is waiting to be taken (and none is outstanding).</summary>
    public bool HasReady
    {
        get
        {
            if (_readyOutstanding) return false;
            return _messages.Count > 0
                || _messagesAfterPersist.Count > 0
                || _log.Unstable.Count > 0
                || _log.Unstable.Snapshot is not null
                || _log.Committed > _applying
                || CurrentHardState != _previousHardState
                || _droppedReads.Count > 0
                || HasReleasableRead(_applying)
                || _ready.Leader != Leader
                || _ready.Role != Role;
        }
    }

    /// <summary>Takes the pending Ready. It stays valid, and no other is given, until <see cref="Advance"/>.</summary>
    public Ready GetReady()
    {
        Invariant.True(!_readyOutstanding, "GetReady called twice without Advance");
        Ready ready = _ready;
        ready.Clear();
        ready.Leader = Leader;
        ready.Role = Role;
        HardState hardState = CurrentHardState;
        ready.HardState = hardState;
        ready.HardStateChanged = hardState != _previousHardState;
        _previousHardState = hardState;

        ready.Snapshot = _log.Unstable.Snapshot;
        _readySnapshotIndex = ready.Snapshot?.Index ?? 0;
        IReadOnlyList<Entry> unstable = _log.Unstable.Entries;
        for (int i = 0; i < unstable.Count; i++) ready.EntryList.Add(unstable[i]); // no foreach: it would box an enumerator
        _readyLastIndex = ready.EntryList.Count > 0 ? ready.EntryList[^1].Index : 0;
        _readyLastTerm = ready.EntryList.Count > 0 ? ready.EntryList[^1].Term : 0;

        (ready.MessageList, _messages) = (_messages, ready.MessageList);
        (_readyMessageEntries, _messageEntries) = (_messageEntries, _readyMessageEntries);
        (ready.AfterPersistList, _messagesAfterPersist) = (_messagesAfterPersist, ready.AfterPersistList);

        _log.NextCommitted(_applying, _config.CommittedBytesPerReadyMax, ready.CommittedList);
        if (ready.CommittedList.Count > 0) _applying = ready.CommittedList[^1].Index;
        if (Role == Role.Leader) ReduceUncommitted(ready.CommittedList);
        _readyApplying = _applying;

        TakeReleasableReads(_applying, ready.ReadStateList);
        ready.DroppedReadList.AddRange(_droppedReads);
        _droppedReads.Clear();
        _readyOutstanding = true;
        return ready;
    }

    /// <summary>
    /// The host has handled the last Ready: its entries, hard state and snapshot are durable, its
    /// messages handed to the network and its committed entries applied.
    /// </summary>
    public void Advance()
    {
        Invariant.True(_readyOutstanding, "Advance without GetReady");
        _readyOutstanding = false;
        if (_readySnapshotIndex != 0) _log.Unstable.StableSnapshotTo(_readySnapshotIndex);
        if (_readyLastIndex != 0) _log.Unstable.StableTo(_readyLastIndex, _readyLastTerm);
        if (_readyApplying > _log.Applied) _log.AppliedTo(_readyApplying);
        _ready.Clear();
        _readyMessageEntries.Reset(); // the advanced Ready's messages were sent: their entries' memory is free
        if (Role == Role.Leader)
        {
            // The leader counts its own copy only once it is durable (§10.2.1).
            long durable = _log.Unstable.Offset - 1;
            if (_tracker[Id].MaybeUpdate(durable) && MaybeCommit()) BroadcastAppend();
        }
    }

    private void ReduceUncommitted(List<Entry> committed)
    {
        long bytes = 0;
        foreach (Entry entry in committed)
        {
            if (entry.Type == EntryType.Normal) bytes += entry.SizeBytes;
        }
        _uncommittedBytes = Math.Max(0, _uncommittedBytes - bytes);
    }

    private bool HasReleasableRead(long applied)
    {
        foreach (ReadState read in _readsAwaitingApply)
        {
            if (read.Index <= applied) return true;
        }
        return false;
    }

    private void TakeReleasableReads(long applied, List<ReadState> into)
    {
        int kept = 0;
        for (int i = 0; i < _readsAwaitingApply.Count; i++)
        {
            ReadState read = _readsAwaitingApply[i];
            if (read.Index <= applied) into.Add(read);
            else _readsAwaitingApply[kept++] = read;
        }
        _readsAwaitingApply.RemoveRange(kept, _readsAwaitingApply.Count - kept);
    }
}
