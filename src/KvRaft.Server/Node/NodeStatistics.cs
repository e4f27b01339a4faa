namespace KvRaft.Server.Node;

/// <summary>Live, thread-safe counters of one node (written by its event loop, read by anyone).</summary>
public sealed class NodeStatistics
{
    private long _snapshotsTaken;
    private long _snapshotsInstalled;

    /// <summary>Snapshots this node took of its own state machine (each followed by a log compaction).</summary>
    public long SnapshotsTaken => Interlocked.Read(ref _snapshotsTaken);

    /// <summary>Snapshots received from a leader and installed in place of the state machine and log.</summary>
    public long SnapshotsInstalled => Interlocked.Read(ref _snapshotsInstalled);

    internal void SnapshotTaken() => Interlocked.Increment(ref _snapshotsTaken);

    internal void SnapshotInstalled() => Interlocked.Increment(ref _snapshotsInstalled);

    /// <inheritdoc />
    public override string ToString() => $"snapshots taken {SnapshotsTaken}, installed {SnapshotsInstalled}";
}
