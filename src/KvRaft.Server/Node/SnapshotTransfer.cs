using KvRaft.Protocol;

namespace KvRaft.Server.Node;

/// <summary>A point in a snapshot stream: the chunks before it and their bytes (the offset of the next chunk).</summary>
public readonly record struct SnapshotPosition(long Chunks, long Bytes)
{
    /// <summary>The start of the stream.</summary>
    public static SnapshotPosition Start => default;
}

/// <summary>
/// One snapshot on its way to one follower (docs/design.md, "Snapshot streaming"): the chunks the follower confirmed
/// staging (its <see cref="PeerMessageType.SnapshotAck"/>s, taken on the event loop) and the chunks the sender sent (on
/// its own thread), so that at most <see cref="ServerLimits.SnapshotWindowChunks"/> chunks and
/// <see cref="ServerLimits.SnapshotWindowBytes"/> bytes are unacknowledged at once. An attempt broken part-way (a lost
/// connection) ends; the next attempt for the same snapshot starts at the last acknowledged chunk, not at zero. A
/// follower that misses a chunk (or holds more than the leader knows) asks to resume where its staged prefix ends: the
/// running attempt moves there. Thread-safe: every field below is read and written under the gate.
/// </summary>
public sealed class SnapshotTransfer
{
    private readonly object _gate = new();
    private readonly int _windowChunks;
    private readonly long _windowBytes;
    // Invariants, under _gate: _next is where the running attempt sends next; _sentMost is the furthest any attempt
    // sent (so _next <= _sentMost); _acked is the follower's latest word on what it has staged (a resume request may
    // put it above _sentMost: the follower kept a prefix from an earlier stream). _chunkBytes and _totalBytes are 0
    // until the sender opened the snapshot (no chunk sent before that).
    private SnapshotPosition _next;
    private SnapshotPosition _sentMost;
    private SnapshotPosition _acked;
    private int _chunkBytes;
    private long _totalBytes;
    private bool _rewind; // the follower asked to resume at _acked: the running attempt moves there
    private bool _abandoned; // the node no longer sends this snapshot (leadership lost, a newer snapshot)
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>A transfer of snapshot <paramref name="index"/>@<paramref name="term"/> to <paramref name="to"/>.</summary>
    public SnapshotTransfer(int to, long index, long term, int windowChunks, long windowBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowChunks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBytes, 1);
        (To, Index, Term, _windowChunks, _windowBytes) = (to, index, term, windowChunks, windowBytes);
    }

    /// <summary>The follower.</summary>
    public int To { get; }

    /// <summary>The snapshot's last index.</summary>
    public long Index { get; }

    /// <summary>The snapshot's term.</summary>
    public long Term { get; }

    /// <summary>Attempts begun (the first one and each resumption).</summary>
    public int Attempts { get; private set; }

    /// <summary>Chunks sent over all attempts (a resumed attempt does not send the acknowledged prefix again).</summary>
    public long ChunksSent { get; private set; }

    /// <summary>The most chunks sent and not acknowledged at any moment (never above the window).</summary>
    public long UnacknowledgedChunksMost { get; private set; }

    /// <summary>What the follower last said it has staged.</summary>
    public SnapshotPosition Acknowledged
    {
        get
        {
            lock (_gate)
            {
                return _acked;
            }
        }
    }

    /// <summary>True once the node gave the transfer up: the sender stops.</summary>
    public bool IsAbandoned
    {
        get
        {
            lock (_gate)
            {
                return _abandoned;
            }
        }
    }

    /// <summary>Completes at the next acknowledgement, resume request or abandonment (then ask again).</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>
    /// The sender starts an attempt over a snapshot of <paramref name="totalBytes"/> read in chunks of
    /// <paramref name="chunkBytes"/>; returns where it starts: the last acknowledged chunk.
    /// </summary>
    public SnapshotPosition BeginAttempt(int chunkBytes, long totalBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        lock (_gate)
        {
            (_chunkBytes, _totalBytes) = (chunkBytes, totalBytes);
            _rewind = false;
            _next = _acked;
            Attempts++;
            return _next;
        }
    }

    /// <summary>True when a chunk of <paramref name="bytes"/> may go now: the window has room (one chunk always may).</summary>
    public bool HasRoomFor(int bytes)
    {
        lock (_gate)
        {
            var chunks = _next.Chunks - _acked.Chunks;
            return chunks <= 0 || (chunks < _windowChunks && _next.Bytes + bytes - _acked.Bytes <= _windowBytes);
        }
    }

    /// <summary>The sender sent the chunk that ends at <paramref name="end"/>.</summary>
    public void OnSent(SnapshotPosition end)
    {
        lock (_gate)
        {
            _next = end;
            if (end.Chunks > _sentMost.Chunks)
            {
                _sentMost = end;
            }

            ChunksSent++;
            UnacknowledgedChunksMost = Math.Max(UnacknowledgedChunksMost, _next.Chunks - _acked.Chunks);
        }
    }

    /// <summary>True when the follower asked to resume elsewhere: take it with <see cref="TryTakeRewind"/>.</summary>
    public bool HasRewind
    {
        get
        {
            lock (_gate)
            {
                return _rewind;
            }
        }
    }

    /// <summary>Where the follower asked the running attempt to resume, if it did; the attempt sends from there next.</summary>
    public bool TryTakeRewind(out SnapshotPosition resumeAt)
    {
        lock (_gate)
        {
            resumeAt = _acked;
            if (!_rewind)
            {
                return false;
            }

            (_rewind, _next) = (false, _acked);
            return true;
        }
    }

    /// <summary>True when the follower has staged the whole snapshot (and verified it: its last acknowledgement follows the check).</summary>
    public bool IsFullyAcknowledged
    {
        get
        {
            lock (_gate)
            {
                return _chunkBytes != 0 && _acked.Bytes == _totalBytes && _acked.Chunks > 0;
            }
        }
    }

    /// <summary>The node gives the transfer up: a sender waiting on it stops.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _abandoned = true;
        }

        Signal();
    }

    /// <summary>
    /// The follower's acknowledgement (on the event loop): staged up to <paramref name="staged"/>; with
    /// <paramref name="resume"/>, the chunk it received did not continue its prefix and the running attempt moves to
    /// <paramref name="staged"/> (which may lie beyond what this leader sent: a prefix kept from an earlier stream).
    /// Refused when it names no chunk boundary of this snapshot, or acknowledges as received a chunk never sent;
    /// ignored (changing nothing) when older than the last acknowledgement.
    /// </summary>
    public PeerCheck OnAck(SnapshotPosition staged, bool resume)
    {
        lock (_gate)
        {
            if (_chunkBytes == 0 || !IsChunkBoundary(staged))
            {
                return PeerCheck.Refuse("a snapshot acknowledgement at no chunk boundary of the snapshot sent");
            }

            if (!resume && staged.Chunks > _sentMost.Chunks)
            {
                return PeerCheck.Refuse("a snapshot acknowledgement of a chunk never sent");
            }

            if (resume)
            {
                _acked = staged;
                _rewind = staged != _next; // where the attempt sends next already: nothing to move
            }
            else if (staged.Chunks <= _acked.Chunks)
            {
                return PeerCheck.Ignore("a snapshot acknowledgement older than the last (out of order)");
            }
            else
            {
                _acked = staged;
            }
        }

        Signal();
        return PeerCheck.Accept;
    }

    /// <summary>True when <paramref name="position"/> is where a chunk of this snapshot starts (or its end).</summary>
    private bool IsChunkBoundary(SnapshotPosition position)
    {
        var chunksTotal = (_totalBytes + _chunkBytes - 1) / _chunkBytes;
        return position.Chunks >= 0 && position.Chunks <= chunksTotal
            && position.Bytes == Math.Min(position.Chunks * _chunkBytes, _totalBytes);
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
