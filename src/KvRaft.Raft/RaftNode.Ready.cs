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
            if (_readyOutstanding)
            {
                return false;
            }

            return _messages.Count > 0
                || _messagesAfterPersist.Count > 0
                || _log.Unstable.CountToPersist > 0
                || _log.Unstable.Snapshot is not null && !_log.Unstable.SnapshotInProgress
                || ApplyLimit > _applying
                || CurrentHardState != _previousHardState
                || _droppedReads.Count > 0
                || _readsConfirmed.Count > 0
                || HasReleasableRead(ReadReleaseLimit)
                || _configChanged
                || _ready.Leader != Leader
                || _ready.Role != Role;
        }
    }

    /// <summary>
    /// A snapshot this node restored from a Snapshot message that no Ready has handed out yet: the host keeps its
    /// data until the Ready that carries it (null when there is none, or once it is handed out).
    /// </summary>
    public SnapshotMetadata? RestoredSnapshot => _log.Unstable.SnapshotInProgress ? null : _log.Unstable.Snapshot;

    /// <summary>
    /// The highest committed index a Ready may hand out to apply. With asynchronous storage writes only entries
    /// durable here (below the unstable offset) are applied, and nothing while a snapshot is being installed.
    /// </summary>
    private long ApplyLimit => !_config.AsyncStorageWrites ? _log.Committed
        : _log.Unstable.Snapshot is not null ? _applying
        : Math.Min(_log.Committed, _log.Unstable.Offset - 1);

    /// <summary>
    /// Reads at most this index are released. A snapshot being installed in the background has moved
    /// <c>_applying</c> to its index before the state machine holds it: nothing is released meanwhile.
    /// </summary>
    private long ReadReleaseLimit => _config.AsyncStorageWrites && _log.Unstable.Snapshot is not null ? 0 : _applying;

    /// <summary>
    /// Takes the pending Ready. It stays valid, and no other is given, until <see cref="Advance"/> (or, with
    /// asynchronous storage writes, <see cref="AcceptReady"/>).
    /// </summary>
    public Ready GetReady()
    {
        Invariant.True(!_readyOutstanding, "GetReady called twice without Advance");
        var ready = _ready;
        ready.Clear();
        ready.Leader = Leader;
        ready.Role = Role;
        var hardState = CurrentHardState;
        ready.HardState = hardState;
        ready.HardStateChanged = hardState != _previousHardState;
        _previousHardState = hardState;

        ready.Config = _configChanged ? _tracker.Config : null;
        _configChanged = false;
        ready.Snapshot = _log.Unstable.SnapshotInProgress ? null : _log.Unstable.Snapshot;
        _readySnapshotIndex = ready.Snapshot?.Index ?? 0;
        var unstable = _log.Unstable.Entries;
        for (var i = _log.Unstable.FirstToPersist; i < unstable.Count; i++)
        {
            ready.EntryList.Add(unstable[i]); // no foreach: it would box an enumerator
        }

        _readyLastIndex = ready.EntryList.Count > 0 ? ready.EntryList[^1].Index : 0;
        _readyLastTerm = ready.EntryList.Count > 0 ? ready.EntryList[^1].Term : 0;

        (ready.MessageList, _messages) = (_messages, ready.MessageList);
        (_readyMessageEntries, _messageEntries) = (_messageEntries, _readyMessageEntries);
        (ready.AfterPersistList, _messagesAfterPersist) = (_messagesAfterPersist, ready.AfterPersistList);

        _log.NextCommitted(_applying, ApplyLimit, _config.CommittedBytesPerReadyMax, ready.CommittedList);
        if (ready.CommittedList.Count > 0)
        {
            _applying = ready.CommittedList[^1].Index;
        }

        foreach (var entry in ready.CommittedList)
        {
            if (entry.Type == EntryType.Config)
            {
                _readyConfigEntries.Add(entry);
            }
        }
        if (Role == Role.Leader)
        {
            ReduceUncommitted(ready.CommittedList);
        }

        _readyApplying = _applying;

        ready.ConfirmedReadList.AddRange(_readsConfirmed);
        _readsConfirmed.Clear();
        TakeReleasableReads(ReadReleaseLimit, ready.ReadStateList);
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
        Invariant.True(!_config.AsyncStorageWrites, "Advance with asynchronous storage writes: use AcceptReady and OnPersisted");
        _readyOutstanding = false;
        MarkStable(_readyLastIndex, _readyLastTerm, _readySnapshotIndex);
        if (_readyApplying > _log.Applied)
        {
            _log.AppliedTo(_readyApplying);
        }

        _ready.Clear();
        _readyMessageEntries.Reset(); // the advanced Ready's messages were sent: their entries' memory is free
        ApplyReadyConfigEntries();
        CountOwnDurableCopy();
    }

    /// <summary>
    /// Asynchronous storage writes: the host has taken the last Ready. Its messages are handed to the network
    /// and its committed entries applied; its entries, hard state and snapshot are being written, and its
    /// messages-after-persist wait for that write. The next Ready may come before the write ends;
    /// <see cref="OnPersisted"/> reports the end, Readies' writes ending in the order they were taken.
    /// </summary>
    /// <returns>What the host reports to <see cref="OnPersisted"/> when this Ready's write is durable.</returns>
    public PersistedMark AcceptReady()
    {
        Invariant.True(_config.AsyncStorageWrites, "AcceptReady needs RaftConfig.AsyncStorageWrites");
        Invariant.True(_readyOutstanding, "AcceptReady without GetReady");
        _readyOutstanding = false;
        if (_readyApplying > _log.Applied)
        {
            _log.AppliedTo(_readyApplying);
        }

        _log.Unstable.AcceptInProgress(_readyLastIndex, _readySnapshotIndex != 0);
        _ready.Clear();
        _readyMessageEntries.Reset(); // the host sent (encoded or copied) the messages: their entries' memory is free
        ApplyReadyConfigEntries();
        return new PersistedMark(_readyLastIndex, _readyLastTerm, _readySnapshotIndex);
    }

    /// <summary>Asynchronous storage writes: the write of the Ready that <paramref name="mark"/> came from is durable.</summary>
    public void OnPersisted(PersistedMark mark)
    {
        Invariant.True(_config.AsyncStorageWrites, "OnPersisted needs RaftConfig.AsyncStorageWrites");
        MarkStable(mark.LastIndex, mark.LastTerm, mark.SnapshotIndex);
        CountOwnDurableCopy();
    }

    private void MarkStable(long lastIndex, long lastTerm, long snapshotIndex)
    {
        if (snapshotIndex != 0)
        {
            _log.Unstable.StableSnapshotTo(snapshotIndex);
        }

        if (lastIndex != 0)
        {
            _log.Unstable.StableTo(lastIndex, lastTerm);
        }
    }

    private void CountOwnDurableCopy()
    {
        if (Role == Role.Leader)
        {
            // The leader counts its own copy only once it is durable (§10.2.1).
            var durable = _log.Unstable.Offset - 1;
            if (_tracker[Id].MaybeUpdate(durable) && MaybeCommit())
            {
                BroadcastAppend();
            }
        }
    }

    private void ReduceUncommitted(List<Entry> committed)
    {
        long bytes = 0;
        foreach (var entry in committed)
        {
            if (entry.Type == EntryType.Normal)
            {
                bytes += entry.SizeBytes;
            }
        }
        _uncommittedBytes = Math.Max(0, _uncommittedBytes - bytes);
    }

    private bool HasReleasableRead(long applied)
    {
        foreach (var read in _readsAwaitingApply)
        {
            if (read.Index <= applied)
            {
                return true;
            }
        }
        return false;
    }

    private void TakeReleasableReads(long applied, List<ReadState> into)
    {
        var kept = 0;
        for (var i = 0; i < _readsAwaitingApply.Count; i++)
        {
            var read = _readsAwaitingApply[i];
            if (read.Index <= applied)
            {
                into.Add(read);
            }
            else
            {
                _readsAwaitingApply[kept++] = read;
            }
        }
        _readsAwaitingApply.RemoveRange(kept, _readsAwaitingApply.Count - kept);
    }
}
