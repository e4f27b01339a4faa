using KvRaft.Protocol;
using KvRaft.Raft;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    private readonly record struct Reader(long ConnectionId, ulong RequestId, ReadOnlyMemory<byte> Key);

    private sealed record ReadBatch(long Tick, Reader[] Readers);

    private readonly List<Reader> _turnReaders = new();
    private readonly Dictionary<long, ReadBatch> _readBatches = new();
    private long _nextReadContext = 1;
    private int _pendingReads;

    private void QueueRead(long connectionId, in ClientRequest request)
    {
        if (_pendingReads + _turnReaders.Count >= _limits.PendingReadsMax)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.Retryable, "busy: too many reads pending");
            return;
        }
        _turnReaders.Add(new Reader(connectionId, request.RequestId, request.Key));
    }

    /// <summary>All reads of one turn share one read index (and so one heartbeat round).</summary>
    private void StartTurnReads()
    {
        if (_turnReaders.Count == 0) return;
        Reader[] readers = _turnReaders.ToArray();
        _turnReaders.Clear();
        long context = _nextReadContext++;
        ReadIndexStatus status = _raft.ReadIndex(context);
        if (status == ReadIndexStatus.Accepted)
        {
            _readBatches[context] = new ReadBatch(_tick, readers);
            _pendingReads += readers.Length;
            return;
        }
        ClientStatus error = status == ReadIndexStatus.NoLeader ? ClientStatus.NotLeader : ClientStatus.Retryable;
        foreach (Reader reader in readers) ReplyError(reader.ConnectionId, reader.RequestId, ClientOp.Get, error, status.ToString());
    }

    /// <summary>The read index of <paramref name="read"/> is applied: serve its batch from the state machine.</summary>
    private void ServeRead(ReadState read)
    {
        if (!_readBatches.Remove(read.Context, out ReadBatch? batch)) return; // answered already (timed out)
        _pendingReads -= batch.Readers.Length;
        foreach (Reader reader in batch.Readers)
        {
            byte[]? value = _machine.Get(reader.Key.Span);
            _clients.Reply(reader.ConnectionId, new ClientResponse
            {
                RequestId = reader.RequestId,
                Op = ClientOp.Get,
                Status = value is null ? ClientStatus.NotFound : ClientStatus.Ok,
                Value = value,
                ValuePresent = value is not null,
            });
        }
    }

    private void DropRead(long context, string reason)
    {
        if (!_readBatches.Remove(context, out ReadBatch? batch)) return;
        _pendingReads -= batch.Readers.Length;
        foreach (Reader reader in batch.Readers) ReplyError(reader.ConnectionId, reader.RequestId, ClientOp.Get, ClientStatus.Retryable, reason);
    }

    private void ExpireReads(long oldestTick)
    {
        if (_readBatches.Count == 0) return;
        _expired.Clear();
        foreach (var (context, batch) in _readBatches)
        {
            if (batch.Tick < oldestTick) _expired.Add(context);
        }
        foreach (long context in _expired) DropRead(context, "timed out waiting for the read index");
    }
}
