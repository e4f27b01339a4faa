using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>Asynchronous storage writes: Readies are accepted at once; their writes end later, in order.</summary>
internal sealed partial class SimNode
{
    private readonly Queue<PendingWrite> _writes = new();

    /// <summary>One accepted Ready's write: what it persists, what waits for it, and when it ends.</summary>
    private sealed record PendingWrite(
        Entry[] Entries,
        HardState? HardState,
        SnapshotMetadata? Snapshot,
        List<Message> AfterPersist,
        PersistedMark Mark,
        long DueTick);

    private void ProcessAsync(long tick)
    {
        for (int round = 0; Raft is not null && round < 16; round++)
        {
            while (Raft is not null && _writes.Count > 0 && _writes.Peek().DueTick <= tick) EndWrite(_writes.Dequeue());
            if (Raft is null || !Raft.HasReady) return;
            AcceptReady(Raft, tick);
        }
    }

    private void AcceptReady(RaftNode raft, long tick)
    {
        Ready ready = raft.GetReady();
        SendAll(ready.Messages);
        // Everything handed out to apply is durable here already (the core's rule with asynchronous writes).
        foreach (Entry entry in ready.CommittedEntries)
        {
            Invariant.True(Storage.TryGetTerm(entry.Index, out long term) && term == entry.Term, entry);
            long writeId = Machine.Apply(entry);
            _simulation.Checker.OnApply(this, entry, writeId);
        }
        foreach (ReadState read in ready.ReadStates) _simulation.Clients.OnReadReleased(this, read);
        foreach (long context in ready.DroppedReads) _simulation.Clients.OnReadDropped(context);
        var afterPersist = new List<Message>();
        foreach (Message message in ready.MessagesAfterPersist)
        {
            Invariant.True(message.Entries.Length == 0, message);
            afterPersist.Add(message);
        }
        bool writes = ready.Entries.Count > 0 || ready.HardStateChanged || ready.Snapshot is not null;
        Entry[] entries = ready.Entries.ToArray();
        HardState? hardState = ready.HardStateChanged ? ready.HardState : null;
        SnapshotMetadata? snapshot = ready.Snapshot;
        PersistedMark mark = raft.AcceptReady();
        if (!writes && _writes.Count == 0)
        {
            SendAll(afterPersist); // depends on nothing still being written
            MaybeSnapshot();
            return;
        }
        // Writes end in order: a later one is never due before an earlier one.
        long due = Math.Max(tick + _simulation.PersistDelayTicks(), _writes.Count > 0 ? _writes.Last().DueTick : tick);
        _writes.Enqueue(new PendingWrite(entries, hardState, snapshot, afterPersist, mark, due));
    }

    private void EndWrite(PendingWrite write)
    {
        RaftNode raft = Raft!;
        if (write.Snapshot is { } snapshot) InstallSnapshot(snapshot);
        if (write.Entries.Length > 0)
        {
            _simulation.Checker.OnPersist(this, write.Entries);
            Storage.Append(write.Entries);
        }
        if (write.HardState is { } hardState) Storage.SetHardState(hardState);
        SendAll(write.AfterPersist);
        raft.OnPersisted(write.Mark);
        MaybeSnapshot();
    }
}
