using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    private readonly record struct Writer(long ConnectionId, ulong RequestId, ClientOp Op);

    private sealed record Proposal(long Term, long Tick, Writer[] Writers);

    private readonly List<KvCommand> _turnCommands = new();
    private readonly List<Writer> _turnWriters = new();
    private int _turnBytes;
    private readonly Dictionary<long, Proposal> _proposals = new();
    private int _pendingWrites;
    private readonly List<long> _expired = new(); // reused every tick: no allocation to find timed-out requests

    private void QueueWrite(long connectionId, in ClientRequest request)
    {
        if (_raft.Role != Role.Leader)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.NotLeader);
            return;
        }
        KvCommand command = request.ToCommand();
        int bytes = KvCommandCodec.Size(command);
        if (_turnCommands.Count >= _limits.WritesPerProposalMax || _turnBytes + bytes > _limits.ProposalBytesMax)
        {
            ProposeTurnWrites(); // this turn's batch is full: propose it and start another
        }
        if (_pendingWrites + _turnCommands.Count >= _limits.PendingWritesMax)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.Retryable, "busy: too many writes pending");
            return;
        }
        _turnCommands.Add(command);
        _turnWriters.Add(new Writer(connectionId, request.RequestId, request.Op));
        _turnBytes += bytes;
    }

    private void ProposeTurnWrites()
    {
        if (_turnCommands.Count == 0) return;
        Writer[] writers = _turnWriters.ToArray();
        byte[] payload = new byte[KvCommandBatchCodec.Size(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_turnCommands))];
        int written = KvCommandBatchCodec.Format(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_turnCommands), payload);
        Invariant.True(written == payload.Length);
        _turnCommands.Clear();
        _turnWriters.Clear();
        _turnBytes = 0;
        ReadOnlyMemory<byte> entry = payload;
        ProposeStatus status = _raft.Propose(new ReadOnlySpan<ReadOnlyMemory<byte>>(in entry), out long index);
        if (status == ProposeStatus.Accepted)
        {
            _proposals[index] = new Proposal(_raft.Term, _tick, writers);
            _pendingWrites += writers.Length;
            return;
        }
        ClientStatus error = status == ProposeStatus.NotLeader ? ClientStatus.NotLeader : ClientStatus.Retryable;
        foreach (Writer writer in writers) ReplyError(writer.ConnectionId, writer.RequestId, writer.Op, error, status.ToString());
    }

    /// <summary>The entry at <paramref name="index"/> was applied: answer its writers, or fail them if another entry took its place.</summary>
    private bool TryTakeProposal(long index, long term, out Writer[] writers)
    {
        writers = Array.Empty<Writer>();
        if (!_proposals.Remove(index, out Proposal? proposal)) return false;
        _pendingWrites -= proposal.Writers.Length;
        if (proposal.Term == term)
        {
            writers = proposal.Writers;
            return true;
        }
        FailWriters(proposal.Writers, "proposal lost to a change of leader");
        return false;
    }

    private void FailProposals(string reason)
    {
        foreach (Proposal proposal in _proposals.Values) FailWriters(proposal.Writers, reason);
        _proposals.Clear();
        _pendingWrites = 0;
    }

    private void ExpireProposals(long oldestTick)
    {
        if (_proposals.Count == 0) return;
        _expired.Clear();
        foreach (var (index, proposal) in _proposals)
        {
            if (proposal.Tick < oldestTick) _expired.Add(index);
        }
        foreach (long index in _expired)
        {
            if (!_proposals.Remove(index, out Proposal? proposal)) continue;
            _pendingWrites -= proposal.Writers.Length;
            FailWriters(proposal.Writers, "timed out waiting for commit");
        }
    }

    // Outcome unknown: the client retries under the same (client id, sequence), which applies at most once.
    private void FailWriters(Writer[] writers, string reason)
    {
        foreach (Writer writer in writers) ReplyError(writer.ConnectionId, writer.RequestId, writer.Op, ClientStatus.Retryable, reason);
    }
}
