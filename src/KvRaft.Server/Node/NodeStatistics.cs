namespace KvRaft.Server.Node;

/// <summary>Live, thread-safe counters of one node (written by its event loop, read by anyone).</summary>
public sealed class NodeStatistics
{
    private long _snapshotsTaken;
    private long _snapshotsInstalled;
    private long _peerMessagesRefused;
    private long _snapshotChunksRefused;
    private long _leaderChanges;
    private long _proposalsCommitted;
    private long _proposalsFailed;
    private long _electionLogLinesSuppressed;

    /// <summary>Snapshots this node took of its own state machine (each followed by a log compaction).</summary>
    public long SnapshotsTaken => Interlocked.Read(ref _snapshotsTaken);

    /// <summary>Snapshots received from a leader and installed in place of the state machine and log.</summary>
    public long SnapshotsInstalled => Interlocked.Read(ref _snapshotsInstalled);

    /// <summary>Peer messages refused as impossible from a correct peer (each closes its connection).</summary>
    public long PeerMessagesRefused => Interlocked.Read(ref _peerMessagesRefused);

    /// <summary>Snapshot chunks refused (beyond a size bound, or impossible from a correct leader).</summary>
    public long SnapshotChunksRefused => Interlocked.Read(ref _snapshotChunksRefused);

    /// <summary>Times the leader this node knows of changed (to another node or to none).</summary>
    public long LeaderChanges => Interlocked.Read(ref _leaderChanges);

    /// <summary>Proposals (batches of writes) this node made as leader that were applied and answered.</summary>
    public long ProposalsCommitted => Interlocked.Read(ref _proposalsCommitted);

    /// <summary>Proposals this node made as leader whose writers were answered with an error (lost leadership, timed out, replaced).</summary>
    public long ProposalsFailed => Interlocked.Read(ref _proposalsFailed);

    /// <summary>Election log lines left out because their peer was over its bound (<see cref="ServerLimits.ElectionLogLinesPerPeerMax"/>).</summary>
    public long ElectionLogLinesSuppressed => Interlocked.Read(ref _electionLogLinesSuppressed);

    internal void ElectionLogLineSuppressed() => Interlocked.Increment(ref _electionLogLinesSuppressed);

    internal void LeaderChanged() => Interlocked.Increment(ref _leaderChanges);

    internal void ProposalCommitted() => Interlocked.Increment(ref _proposalsCommitted);

    internal void ProposalFailed() => Interlocked.Increment(ref _proposalsFailed);

    internal void PeerMessageRefused() => Interlocked.Increment(ref _peerMessagesRefused);

    internal void SnapshotChunkRefused() => Interlocked.Increment(ref _snapshotChunksRefused);

    internal void SnapshotTaken() => Interlocked.Increment(ref _snapshotsTaken);

    internal void SnapshotInstalled() => Interlocked.Increment(ref _snapshotsInstalled);

    /// <inheritdoc />
    public override string ToString() => $"snapshots taken {SnapshotsTaken}, installed {SnapshotsInstalled}; peer messages refused {PeerMessagesRefused}, snapshot chunks refused {SnapshotChunksRefused}";
}
