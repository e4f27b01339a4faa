namespace KvRaft.Server.Node;

/// <summary>Live, thread-safe counters of one node (written by its event loop, read by anyone).</summary>
public sealed class NodeStatistics
{
    private long _snapshotsTaken;
    private long _snapshotsInstalled;
    private long _peerMessagesRefused;
    private long _snapshotChunksRefused;

    /// <summary>Snapshots this node took of its own state machine (each followed by a log compaction).</summary>
    public long SnapshotsTaken => Interlocked.Read(ref _snapshotsTaken);

    /// <summary>Snapshots received from a leader and installed in place of the state machine and log.</summary>
    public long SnapshotsInstalled => Interlocked.Read(ref _snapshotsInstalled);

    /// <summary>Peer messages refused as impossible from a correct peer (each closes its connection).</summary>
    public long PeerMessagesRefused => Interlocked.Read(ref _peerMessagesRefused);

    /// <summary>Snapshot chunks refused (beyond a size bound, or impossible from a correct leader).</summary>
    public long SnapshotChunksRefused => Interlocked.Read(ref _snapshotChunksRefused);

    internal void PeerMessageRefused() => Interlocked.Increment(ref _peerMessagesRefused);

    internal void SnapshotChunkRefused() => Interlocked.Increment(ref _snapshotChunksRefused);

    internal void SnapshotTaken() => Interlocked.Increment(ref _snapshotsTaken);

    internal void SnapshotInstalled() => Interlocked.Increment(ref _snapshotsInstalled);

    /// <inheritdoc />
    public override string ToString() => $"snapshots taken {SnapshotsTaken}, installed {SnapshotsInstalled}; peer messages refused {PeerMessagesRefused}, snapshot chunks refused {SnapshotChunksRefused}";
}
