// Goal: what one attempt of a simulated snapshot stream sends, shared by the one-group simulator's stream and the
// grouped clusters' (SimSnapshotStream, GroupSnapshotStream) as the production sender is one; method: the file's chunks
// read once at the start, the attempt begun where the follower acknowledged, then per step a rewind taken, and as many
// chunks sent as the transfer's window has room for until the drawn break.
using KvRaft.Server.Node;
using KvRaft.Storage;
using WireSnapshotChunk = KvRaft.Protocol.SnapshotChunk;

namespace KvRaft.Testing.Groups;

/// <summary>One attempt of a <see cref="SnapshotTransfer"/>: its chunks, the next to send, and where it breaks.</summary>
internal sealed class SnapshotAttempt
{
    private readonly SnapshotTransfer _transfer;
    private readonly List<WireSnapshotChunk> _chunks = [];
    private int _next; // index of the next chunk to send
    private SnapshotPosition _lastAcked;
    private int _idleSteps;

    /// <param name="breakAfter">The chunks this attempt sends before its connection breaks, from the number of chunks (long.MaxValue: none).</param>
    public SnapshotAttempt(ISnapshotSource snapshot, SnapshotTransfer transfer, Func<int, long> breakAfter)
    {
        _transfer = transfer;
        using var reader = snapshot.OpenSnapshotReader();
        for (uint number = 0; reader.TryReadNext(out var chunk); number++)
        {
            _chunks.Add(new WireSnapshotChunk
            {
                SnapshotIndex = snapshot.Info.Index,
                SnapshotTerm = snapshot.Info.Term,
                Offset = (ulong)chunk.Offset,
                ChunkIndex = number,
                Last = chunk.Last,
                UncompressedBytes = chunk.Data.Length,
                Payload = chunk.Data.ToArray(),
            });
        }
        _lastAcked = transfer.BeginAttempt(reader.ChunkBytes, reader.TotalBytes);
        _next = (int)_lastAcked.Chunks;
        BreakAfterChunks = breakAfter(_chunks.Count);
    }

    /// <summary>Chunks of the file.</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>Chunks this attempt sent.</summary>
    public long Sent { get; private set; }

    /// <summary>The chunks this attempt sends before its connection breaks.</summary>
    public long BreakAfterChunks { get; }

    /// <summary>True once the drawn break came with chunks left to send.</summary>
    public bool BrokenPartWay => Sent >= BreakAfterChunks && _next < _chunks.Count;

    /// <summary>One more step without a new acknowledgement; true when they exceed <paramref name="stallSteps"/>.</summary>
    public bool Stalled(int stallSteps)
    {
        var acked = _transfer.Acknowledged;
        _idleSteps = acked == _lastAcked ? _idleSteps + 1 : 0;
        _lastAcked = acked;
        return _idleSteps > stallSteps;
    }

    /// <summary>Moves where the follower asked to resume, then sends what the window has room for; true once every chunk is acknowledged (the Snapshot message is next).</summary>
    public bool SendWindow(Action<WireSnapshotChunk> send)
    {
        if (_transfer.TryTakeRewind(out var resumeAt))
        {
            _next = (int)resumeAt.Chunks;
        }
        if (_transfer.IsFullyAcknowledged)
        {
            return true;
        }
        while (_next < _chunks.Count && Sent < BreakAfterChunks && _transfer.HasRoomFor(_chunks[_next].Payload.Length))
        {
            var chunk = _chunks[_next++];
            send(chunk);
            Sent++;
            _transfer.OnSent(new SnapshotPosition(_next, (long)chunk.Offset + chunk.Payload.Length));
        }
        return false;
    }
}
