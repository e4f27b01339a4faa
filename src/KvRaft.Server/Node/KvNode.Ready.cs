using System.Runtime.InteropServices;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Storage;
using ProtocolKvCommand = KvRaft.Protocol.KvCommand;
using StorageKvCommand = KvRaft.Storage.KvCommand;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    private Ready? _ready;
    private readonly List<LogEntry> _entriesToPersist = new();
    private readonly List<KvApply> _applies = new();
    private readonly List<int> _commandsPerEntry = new();
    private readonly List<KvResult> _results = new();
    private int _appliedEarly; // committed entries of the current Ready applied before its write was durable

    /// <summary>True while a Ready is taken and not yet completed.</summary>
    public bool ReadyInProgress => _ready is not null;

    /// <summary>
    /// Takes the next Ready, if any: sends its messages at once (the leader's log write overlaps
    /// replication), installs an incoming snapshot, and appends entries and hard state to the log
    /// store. When <paramref name="mustCommit"/> is set the host makes the log durable (one commit
    /// for the whole batch) and then calls <see cref="CompleteReady"/>; otherwise it calls it at once.
    /// </summary>
    public bool TryBeginReady(out bool mustCommit)
    {
        mustCommit = false;
        Invariant.True(!AsyncStorageWrites, "TryBeginReady with asynchronous storage writes: use TryAcceptReady");
        if (_ready is not null || !_raft.HasReady) return false;
        Ready ready = _raft.GetReady();
        _ready = ready;
        // Index loops here and below: a foreach over the Ready's IReadOnlyList properties would box an enumerator.
        for (int i = 0; i < ready.Messages.Count; i++) SendPeer(ready.Messages[i]);
        _peers.Flush();
        if (ready.Snapshot is { } snapshot) InstallIncomingSnapshot(snapshot);
        mustCommit = AppendToLog(ready) || ready.Snapshot is not null;
        ApplyDurablePrefix(ready);
        return true;
    }

    /// <summary>
    /// Committed entries that were already durable here before this Ready (every one below its first
    /// new entry) are applied and answered now, while the log write is in flight, instead of after it:
    /// a leader's writes commit one disk flush sooner. Applying them is safe: they are committed and
    /// stored locally, so a restart finds them in the log (the core takes an applied index above the
    /// stored commit index as committed).
    /// </summary>
    private void ApplyDurablePrefix(Ready ready)
    {
        _appliedEarly = 0;
        if (ready.Snapshot is not null || ready.CommittedEntries.Count == 0) return;
        long firstNew = ready.Entries.Count > 0 ? ready.Entries[0].Index : long.MaxValue;
        int count = 0;
        while (count < ready.CommittedEntries.Count && ready.CommittedEntries[count].Index < firstNew) count++;
        if (count == 0) return;
        ApplyRange(ready.CommittedEntries, 0, count);
        _appliedEarly = count;
        for (int i = 0; i < ready.ReadStates.Count; i++)
        {
            if (ready.ReadStates[i].Index <= _machine.AppliedIndex) ServeRead(ready.ReadStates[i]);
        }
        _clients.Flush();
    }

    /// <summary>The Ready's writes are durable: send what waited for them, apply, answer, advance.</summary>
    public void CompleteReady()
    {
        Invariant.True(_ready is not null, "CompleteReady without TryBeginReady");
        Ready ready = _ready;
        _ready = null;
        for (int i = 0; i < ready.MessagesAfterPersist.Count; i++) SendPeer(ready.MessagesAfterPersist[i]);
        _peers.Flush();
        ApplyRange(ready.CommittedEntries, _appliedEarly, ready.CommittedEntries.Count);
        for (int i = 0; i < ready.ReadStates.Count; i++) ServeRead(ready.ReadStates[i]); // already served ones are skipped
        for (int i = 0; i < ready.DroppedReads.Count; i++)
        {
            DropRead(ready.DroppedReads[i], "the read index was not confirmed: leadership lost, or the leader changed or did not answer");
        }
        _clients.Flush();
        _raft.Advance();
        AfterInput();
    }

    private void SendPeer(in Message message)
    {
        PeerMessage wire = PeerMessageMapper.ToWire(message, ref _outgoingEntries);
        if (message.Type != MessageType.Snapshot)
        {
            _peers.Send(wire);
            return;
        }
        if (_machine.LatestSnapshot is { } snapshot && snapshot.Info.Index == message.Snapshot.Index)
        {
            _peers.SendSnapshot(wire, snapshot);
        }
        else
        {
            _raft.ReportSnapshot(message.To, SnapshotStatus.Failed); // replaced by a newer one meanwhile; the core asks again
        }
    }

    /// <summary>Applies committed entries [start, end) as one batch (one state machine pass) and answers their writers.</summary>
    private void ApplyRange(IReadOnlyList<Entry> entries, int start, int end)
    {
        if (start >= end) return;
        _applies.Clear();
        _commandsPerEntry.Clear();
        _results.Clear();
        for (int i = start; i < end; i++) _commandsPerEntry.Add(AddApplies(entries[i]));
        _machine.ApplyBatch(CollectionsMarshal.AsSpan(_applies), _results);
        Invariant.True(_results.Count == _applies.Count, (_results.Count, _applies.Count));
        int next = 0;
        for (int i = start; i < end; i++)
        {
            int commands = _commandsPerEntry[i - start];
            if (TryTakeProposal(entries[i].Index, entries[i].Term, out Proposal proposal))
            {
                Invariant.True(proposal.Count == commands, (proposal.Count, commands));
                ReadOnlySpan<Writer> writers = proposal.Span;
                for (int k = 0; k < commands; k++) ReplyResult(writers[k], _applies[next + k], _results[next + k]);
                ReleaseApplied(proposal);
            }
            next += commands;
        }
    }

    private int AddApplies(Entry entry)
    {
        if (entry.Type != Raft.EntryType.Normal)
        {
            _applies.Add(new KvApply(entry.Index, entry.Term, new StorageKvCommand(KvOp.Noop, default)));
            return 1;
        }
        ParseResult parsed = KvCommandBatchCodec.Parse(entry.Data, out KvCommandBatch batch);
        Invariant.True(parsed.Error == ProtocolError.None, parsed.Message); // it passed the same codec when proposed
        int position = 0;
        foreach (ProtocolKvCommand command in batch)
        {
            _applies.Add(new KvApply(entry.Index, entry.Term, CommandMapper.ToStorage(command, entry.Index, position)));
            position++;
        }
        return position;
    }

    private void ReplyResult(Writer writer, in KvApply apply, in KvResult result) =>
        _clients.Reply(writer.ConnectionId, CommandMapper.ToResponse(writer.RequestId, writer.Op, apply.Command, result));
}
