using System.Buffers;
using System.Runtime.InteropServices;
using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    private readonly record struct Writer(long ConnectionId, ulong RequestId, ClientOp Op, long Received);

    /// <summary>
    /// A proposal waiting for its entry to apply: the first <see cref="Count"/> of <see cref="Writers"/> answer it.
    /// Both arrays are rented; see <see cref="ReleaseApplied"/> for when they go back.
    /// </summary>
    private readonly record struct Proposal(long Term, long Tick, Writer[] Writers, int Count, byte[] Payload)
    {
        public ReadOnlySpan<Writer> Span => Writers.AsSpan(0, Count);
    }

    private readonly List<KvCommand> _turnCommands = new();
    private readonly List<Writer> _turnWriters = new();
    private int _turnBytes; // encoded bytes of _turnCommands with the batch header: always <= _limits.ProposalBytesMax
    private readonly Dictionary<long, Proposal> _proposals = new();
    private int _pendingWrites;
    private readonly List<long> _expired = new(); // reused every tick: no allocation to find timed-out requests

    private const string TooLargeForProposal = "request larger than one proposal (ServerLimits.ProposalBytesMax): not applied";

    private void QueueWrite(long connectionId, in ClientRequest request, ulong identity, long received)
    {
        if (_raft.Role != Role.Leader)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.NotLeader, received: received);
            return;
        }
        var command = request.ToCommand() with { Identity = identity };
        var bytes = KvCommandCodec.Size(command);
        if (KvCommandBatchCodec.HeaderBytes + bytes > _limits.ProposalBytesMax)
        {
            // Not reached with checked limits (SizeLimits: every parsed request fits a proposal); refused, never proposed.
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.TooLarge, TooLargeForProposal, received);
            return;
        }
        if (_turnCommands.Count >= _limits.WritesPerProposalMax || TurnBytes() + bytes > _limits.ProposalBytesMax)
        {
            if (IsHandingOver)
            {
                // The held batch is full: bounded to one proposal while leadership is being handed over.
                ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.Retryable, "busy: leadership transfer under way", received);
                return;
            }
            ProposeTurnWrites(); // this turn's batch is full: propose it and start another
        }
        if (_pendingWrites + _turnCommands.Count >= _limits.PendingWritesMax)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.Retryable, "busy: too many writes pending", received);
            return;
        }
        if (request.Op == ClientOp.RegisterSession && !TryAssignSessionId(ref command))
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.Retryable, RegistrationBusyMessage, received);
            return;
        }
        _turnBytes = TurnBytes() + bytes;
        _turnCommands.Add(command);
        _turnWriters.Add(new Writer(connectionId, request.RequestId, request.Op, received));
    }

    /// <summary>Bytes of this turn's batch so far, its header included (0 commands: just the header).</summary>
    private int TurnBytes() => _turnCommands.Count == 0 ? KvCommandBatchCodec.HeaderBytes : _turnBytes;

    /// <summary>
    /// True while this leader hands leadership over: the core refuses proposals meanwhile, so the turn's writes are held
    /// (one proposal's worth at most) instead of refused Retryable, which sent clients into growing pauses just as the
    /// cluster got its new leader. Once the transfer ends they are proposed (it was abandoned) or answered NotLeader
    /// naming the new leader (it succeeded): never proposed, so never applied, and the client moves at once.
    /// </summary>
    private bool IsHandingOver => _raft.Role == Role.Leader && _raft.LeadTransferee != 0;

    private void ProposeTurnWrites()
    {
        if (_turnCommands.Count == 0 || IsHandingOver)
        {
            return;
        }

        ReadOnlySpan<KvCommand> commands = CollectionsMarshal.AsSpan(_turnCommands);
        var size = KvCommandBatchCodec.Size(commands);
        Invariant.True(size == _turnBytes && size <= _limits.ProposalBytesMax, (size, _turnBytes, _limits.ProposalBytesMax)); // never an entry the log would refuse
        var payload = ArrayPool<byte>.Shared.Rent(size);
        var written = KvCommandBatchCodec.Format(commands, payload);
        Invariant.True(written == size, (written, size));
        var count = _turnWriters.Count;
        var writers = ArrayPool<Writer>.Shared.Rent(count);
        _turnWriters.CopyTo(writers);
        _turnCommands.Clear();
        _turnWriters.Clear();
        _turnBytes = 0;
        ReadOnlyMemory<byte> entry = payload.AsMemory(0, size);
        var status = _raft.Propose(new ReadOnlySpan<ReadOnlyMemory<byte>>(in entry), out var index);
        var proposal = new Proposal(_raft.Term, _tick, writers, count, payload);
        if (status == ProposeStatus.Accepted)
        {
            _writeMarks.Add(index, _profile.Timestamp());
            _proposals[index] = proposal;
            _pendingWrites += count;
            return;
        }
        var error = status == ProposeStatus.NotLeader ? ClientStatus.NotLeader : ClientStatus.Retryable;
        foreach (var writer in proposal.Span)
        {
            ReplyError(writer.ConnectionId, writer.RequestId, writer.Op, error, status.ToString(), writer.Received);
        }

        ArrayPool<Writer>.Shared.Return(writers);
        ArrayPool<byte>.Shared.Return(payload); // refused: the core kept nothing
    }

    /// <summary>The entry at <paramref name="index"/> was applied: answer its writers, or fail them if another entry took its place.</summary>
    private bool TryTakeProposal(long index, long term, out Proposal proposal)
    {
        if (!_proposals.Remove(index, out proposal))
        {
            return false;
        }

        _pendingWrites -= proposal.Count;
        if (proposal.Term == term)
        {
            return true;
        }

        FailWriters(proposal, "proposal lost to a change of leader");
        return false;
    }

    /// <summary>
    /// The writers of an applied proposal are answered: its arrays go back to the pools. The payload is free too:
    /// the leader applies an entry only once it is committed and durable here, so out of the core's unstable log
    /// (since the <see cref="OnLogWriteDurable"/> that made it durable, before the Ready that applies it); every
    /// message that carried it left in that Ready or earlier, and the outboxes copy messages when they are sent.
    /// Proposals that fail keep their payload out of the pool (the core or a message may still hold it): the
    /// collector takes it.
    /// </summary>
    private static void ReleaseApplied(in Proposal proposal)
    {
        ArrayPool<Writer>.Shared.Return(proposal.Writers);
        ArrayPool<byte>.Shared.Return(proposal.Payload);
    }

    private void FailProposals(string reason)
    {
        foreach (var proposal in _proposals.Values)
        {
            FailWriters(proposal, reason);
        }

        _proposals.Clear();
        _writeMarks.Clear();
        _pendingWrites = 0;
    }

    private void ExpireProposals(long oldestTick)
    {
        if (_proposals.Count == 0)
        {
            return;
        }

        _expired.Clear();
        foreach (var (index, proposal) in _proposals)
        {
            if (proposal.Tick < oldestTick)
            {
                _expired.Add(index);
            }
        }
        foreach (var index in _expired)
        {
            if (!_proposals.Remove(index, out var proposal))
            {
                continue;
            }

            _pendingWrites -= proposal.Count;
            FailWriters(proposal, "timed out waiting for commit");
        }
    }

    // Outcome unknown: the client retries under the same (client id, sequence), which applies at most once.
    private void FailWriters(in Proposal proposal, string reason)
    {
        foreach (var writer in proposal.Span)
        {
            ReplyError(writer.ConnectionId, writer.RequestId, writer.Op, ClientStatus.Retryable, reason, writer.Received);
        }

        Statistics.ProposalFailed();
        ArrayPool<Writer>.Shared.Return(proposal.Writers);
    }
}
