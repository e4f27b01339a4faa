using System.Buffers;
using KvRaft.Protocol;
using KvRaft.Raft;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

public sealed partial class KvNode
{
    /// <summary>A Get of <see cref="Key"/>, or a ShardQuery of configuration <see cref="ConfigurationNumber"/> (<see cref="Op"/>).</summary>
    private readonly record struct Reader(long ConnectionId, ulong RequestId, ReadOnlyMemory<byte> Key, long Received, ClientOp Op = ClientOp.Get, long ConfigurationNumber = 0);

    /// <summary>
    /// The reads of one turn: the first <see cref="Count"/> of <see cref="Readers"/> (rented; returned once answered),
    /// their read index requested at host timestamp <see cref="Requested"/> and confirmed at <see cref="Confirmed"/>
    /// (0 until then).
    /// </summary>
    private readonly record struct ReadBatch(long Tick, Reader[] Readers, int Count, long Requested, long Confirmed = 0)
    {
        public ReadOnlySpan<Reader> Span => Readers.AsSpan(0, Count);
    }

    private readonly List<Reader> _turnReaders = new();
    private readonly ArrayBufferWriter<byte> _readValue = new(); // each served value is copied here (reused), then formatted
    private readonly Dictionary<long, ReadBatch> _readBatches = new();
    private long _nextReadContext = 1;
    private int _pendingReads;

    private void QueueRead(long connectionId, in ClientRequest request, long received)
    {
        if (_pendingReads + _turnReaders.Count >= _limits.PendingReadsMax)
        {
            ReplyError(connectionId, request.RequestId, request.Op, ClientStatus.Retryable, "busy: too many reads pending", received);
            return;
        }
        _turnReaders.Add(new Reader(connectionId, request.RequestId, request.Key, received, request.Op, request.ConfigurationNumber));
    }

    /// <summary>All reads of one turn share one read index (and so one heartbeat round).</summary>
    private void StartTurnReads()
    {
        if (_turnReaders.Count == 0)
        {
            return;
        }

        var count = _turnReaders.Count;
        var readers = ArrayPool<Reader>.Shared.Rent(count);
        _turnReaders.CopyTo(readers);
        _turnReaders.Clear();
        var batch = new ReadBatch(_tick, readers, count, _profile.Timestamp());
        var context = _nextReadContext++;
        var status = _raft.ReadIndex(context);
        if (status == ReadIndexStatus.Accepted)
        {
            _readBatches[context] = batch;
            _pendingReads += count;
            return;
        }
        var error = status == ReadIndexStatus.NoLeader ? ClientStatus.NotLeader : ClientStatus.Retryable;
        foreach (var reader in batch.Span)
        {
            ReplyError(reader.ConnectionId, reader.RequestId, reader.Op, error, status.ToString(), reader.Received);
        }

        Release(batch);
    }

    /// <summary>The read index of <paramref name="read"/> is applied: serve its batch from the state machine.</summary>
    private void ServeRead(ReadState read)
    {
        if (!_readBatches.Remove(read.Context, out var batch))
        {
            return; // answered already (timed out)
        }

        MarkReadReleased(batch);
        foreach (var reader in batch.Span)
        {
            if (reader.Op == ClientOp.ShardQuery)
            {
                AnswerShardQuery(reader);
                _pendingReads--;
                continue;
            }
            if (IsRefusedKey(reader.Key.Span))
            {
                // Decided once the read index is applied here: the shard may have left (or not yet arrived) since.
                ReplyWrongGroup(reader.ConnectionId, reader.RequestId, ClientOp.Get, reader.Received);
                _pendingReads--;
                continue;
            }
            _readValue.ResetWrittenCount();
            var token = _nextColdReadToken;
            switch (_machine.TryGetOrStart(reader.Key.Span, _readValue, token))
            {
                case GetStatus.Pending:
                    StartColdRead(token, reader); // still counted in _pendingReads until answered
                    continue;
                case GetStatus.Found:
                    ReplyValue(reader, _readValue.WrittenMemory);
                    break;
                default:
                    ReplyValue(reader, null);
                    break;
            }
            _pendingReads--;
        }
        Release(batch);
    }

    /// <summary>Answers a Get: <paramref name="value"/> (valid during the call: the outbox formats it at once), or NotFound when null.</summary>
    private void ReplyValue(in Reader reader, ReadOnlyMemory<byte>? value) =>
        _clients.Reply(reader.ConnectionId, new ClientResponse
        {
            RequestId = reader.RequestId,
            Op = ClientOp.Get,
            Status = value is not null ? ClientStatus.Ok : ClientStatus.NotFound,
            Value = value ?? default,
            ValuePresent = value is not null,
        }, reader.Received);

    // Cleared: the readers hold the requests' keys, which should not outlive their answers.
    private static void Release(in ReadBatch batch) => ArrayPool<Reader>.Shared.Return(batch.Readers, clearArray: true);

    private void DropRead(long context, string reason)
    {
        if (!_readBatches.Remove(context, out var batch))
        {
            return;
        }

        _pendingReads -= batch.Count;
        foreach (var reader in batch.Span)
        {
            ReplyError(reader.ConnectionId, reader.RequestId, reader.Op, ClientStatus.Retryable, reason, reader.Received);
        }

        Release(batch);
    }

    private void ExpireReads(long oldestTick)
    {
        if (_readBatches.Count == 0)
        {
            return;
        }

        _expired.Clear();
        foreach (var (context, batch) in _readBatches)
        {
            if (batch.Tick < oldestTick)
            {
                _expired.Add(context);
            }
        }
        foreach (var context in _expired)
        {
            DropRead(context, "timed out waiting for the read index");
        }
    }
}
