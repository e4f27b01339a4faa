using System.Runtime.InteropServices;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// The Ready path (the only one): a Ready is taken and handled at once (messages sent, entries appended to the
/// log store, durable committed entries applied and answered) while the log writes of earlier Readies are
/// still in flight; what must wait for a write (acknowledgements, votes) waits in order of the writes. The
/// contract holds all the same: what depends on a write is sent only once it is durable, only committed
/// entries durable here are applied, and the core learns of each write's end (its Advance) in order.
/// </summary>
public sealed partial class KvNode
{
    private readonly List<LogEntry> _entriesToPersist = new();
    private readonly Queue<LogWrite> _logWrites = new();
    private readonly Stack<List<Message>> _messageListPool = new();
    private List<Message>? _newestWriteMessages; // AfterPersist of the newest write in flight
    private long _appendedTerm; // term and vote of the newest hard state appended to the log store
    private int _appendedVote;
    private long _appliedBytesThisTurn; // committed entry bytes applied since the turn began (EndTurn resets it)

    /// <summary>
    /// Whether a Ready was left for the next turn because this turn applied <see cref="ServerLimits.AppliedBytesPerTurnMax"/>:
    /// the host schedules another turn at once (events queued meanwhile are handled first).
    /// </summary>
    public bool ApplyDeferred { get; private set; }

    /// <summary>One accepted Ready's log write: the mark the core gets back and the messages that wait for it.</summary>
    private readonly record struct LogWrite(PersistedMark Mark, List<Message> AfterPersist, long LastIndex);

    /// <summary>Log writes started and not yet reported durable.</summary>
    public int LogWritesInFlight => _logWrites.Count;

    /// <summary>
    /// Takes and handles the next Ready, if any (and if fewer than the limit of writes are in flight). When
    /// <paramref name="mustCommit"/> is set its entries or hard state were appended to the log store: the host
    /// makes the log durable and then calls <see cref="OnLogWriteDurable"/> once for this Ready.
    /// </summary>
    public bool TryAcceptReady(out bool mustCommit)
    {
        mustCommit = false;
        if (_logWrites.Count >= _limits.LogWritesInFlightMax || !_raft.HasReady || InstallPending())
        {
            return false;
        }

        if (_appliedBytesThisTurn >= _limits.AppliedBytesPerTurnMax)
        {
            ApplyDeferred = true; // the rest waits for the next turn: the host schedules one
            return false;
        }

        var ready = _raft.GetReady();
        MarkReadsConfirmed(ready.ConfirmedReads);
        // Index loops here and below: a foreach over the Ready's IReadOnlyList properties would box an enumerator.
        for (var i = 0; i < ready.Messages.Count; i++)
        {
            SendPeer(ready.Messages[i]);
        }

        _peers.Flush();
        if (ready.Snapshot is { } snapshot)
        {
            InstallIncomingSnapshot(snapshot);
            _appliedConfig = snapshot.Config;
        }
        var configChanged = ready.Config; // read now: AcceptReady recycles the Ready
        mustCommit = AppendToLog(ready) || ready.Snapshot is not null;
        var lastAppended = ready.Entries.Count > 0 ? ready.Entries[^1].Index : 0; // read now: AcceptReady recycles the Ready
        // The core hands out only committed entries durable here: apply and answer them now.
        ApplyCommitted(ready.CommittedEntries);
        for (var i = 0; i < ready.ReadStates.Count; i++)
        {
            ServeRead(ready.ReadStates[i]);
        }

        for (var i = 0; i < ready.DroppedReads.Count; i++)
        {
            DropRead(ready.DroppedReads[i], "the read index was not confirmed: leadership lost, or the leader changed or did not answer");
        }
        AnswerMemberWaiters(); // a change applied in this Ready is answered with it
        _clients.Flush();
        MarkReplied();
        var afterPersist = TakeAfterPersist(ready);
        var mark = _raft.AcceptReady();
        AfterConfigApplied(configChanged);
        if (mustCommit)
        {
            _logWrites.Enqueue(new LogWrite(mark, afterPersist, lastAppended));
            _newestWriteMessages = afterPersist;
        }
        else if (_newestWriteMessages is { } newest)
        {
            // Nothing to write, but these may answer for entries an earlier write still carries: they wait for it.
            newest.AddRange(afterPersist);
            ReturnMessageList(afterPersist);
        }
        else
        {
            SendAfterPersist(afterPersist);
        }
        AfterInput();
        return true;
    }

    /// <summary>The oldest log write in flight is durable (writes end in the order they were started).</summary>
    public void OnLogWriteDurable()
    {
        Invariant.True(_logWrites.Count > 0, "a log write reported durable with none in flight");
        var write = _logWrites.Dequeue();
        if (_logWrites.Count == 0)
        {
            _newestWriteMessages = null;
        }

        SendAfterPersist(write.AfterPersist);
        MarkWritesPersisted(write.LastIndex);
        _raft.OnPersisted(write.Mark);
        AfterInput();
    }

    /// <summary>
    /// Appends the Ready's entries and hard state to the log store. True when they must be durable before what
    /// depends on them goes on: entries, a new term or a new vote. A hard state that moved only its commit index is
    /// appended but not waited for: the commit index is volatile in Raft (a node that loses it learns it again from
    /// the leader, and restarts from its snapshot), as etcd's MustSync has it. Waiting for it cost every node one
    /// device write per commit advance: half of all log writes under load.
    /// </summary>
    private bool AppendToLog(Ready ready)
    {
        if (ready.Entries.Count == 0 && !ready.HardStateChanged)
        {
            return false;
        }

        _entriesToPersist.Clear();
        for (var i = 0; i < ready.Entries.Count; i++)
        {
            var entry = ready.Entries[i];
            _entriesToPersist.Add(new LogEntry(entry.Index, entry.Term, (byte)entry.Type, entry.Data));
        }
        var hard = ready.HardState;
        Storage.HardState? hardState = ready.HardStateChanged ? new Storage.HardState(hard.Term, hard.Vote, hard.Commit) : null;
        _log.Append(CollectionsMarshal.AsSpan(_entriesToPersist), hardState);
        var termOrVoteChanged = ready.HardStateChanged && (hard.Term != _appendedTerm || hard.Vote != _appendedVote);
        if (ready.HardStateChanged)
        {
            (_appendedTerm, _appendedVote) = (hard.Term, hard.Vote);
        }

        return ready.Entries.Count > 0 || termOrVoteChanged;
    }

    private void SendPeer(in Message message)
    {
        LogElectionMessage("sent", message);
        var wire = PeerMessageMapper.ToWire(message, ref _outgoingEntries);
        if (message.Type != MessageType.Snapshot)
        {
            _peers.Send(wire);
            return;
        }
        if (_machine.LatestSnapshot is { } snapshot && snapshot.Info.Index == message.Snapshot.Index)
        {
            _peers.SendSnapshot(wire, snapshot, TransferFor(message.To, message.Snapshot));
        }
        else
        {
            _raft.ReportSnapshot(message.To, SnapshotStatus.Failed); // replaced by a newer one meanwhile; the core asks again
        }
    }

    private List<Message> TakeAfterPersist(Ready ready)
    {
        var list = _messageListPool.Count > 0 ? _messageListPool.Pop() : new List<Message>();
        for (var i = 0; i < ready.MessagesAfterPersist.Count; i++)
        {
            var message = ready.MessagesAfterPersist[i];
            Invariant.True(message.Entries.Length == 0, message.Type); // answers and votes only: nothing points into the Ready
            list.Add(message);
        }
        return list;
    }

    private void SendAfterPersist(List<Message> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            SendPeer(messages[i]);
        }

        if (messages.Count > 0)
        {
            _peers.Flush();
        }

        ReturnMessageList(messages);
    }

    private void ReturnMessageList(List<Message> list)
    {
        list.Clear();
        if (_messageListPool.Count < 2 * _limits.LogWritesInFlightMax)
        {
            _messageListPool.Push(list);
        }
    }
}
