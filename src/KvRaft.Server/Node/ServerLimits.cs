namespace KvRaft.Server.Node;

/// <summary>Every bound the node enforces, in one place (the core's own limits are in RaftConfig).</summary>
public sealed record ServerLimits
{
    /// <summary>Events (network, client, disk completions) waiting for the event loop at most.</summary>
    public int EventQueueCapacity { get; init; } = 65_536;

    /// <summary>Client writes in one proposal (one log entry) at most.</summary>
    public int WritesPerProposalMax { get; init; } = 4_096;

    /// <summary>Encoded bytes of one proposal at most.</summary>
    public int ProposalBytesMax { get; init; } = 4 << 20;

    /// <summary>Readies whose log writes are in flight at once, at most (asynchronous storage writes).</summary>
    public int LogWritesInFlightMax { get; init; } = 64;

    /// <summary>Client writes proposed but not yet answered, at most; more are refused as busy.</summary>
    public int PendingWritesMax { get; init; } = 65_536;

    /// <summary>Client reads waiting for their read index, at most; more are refused as busy.</summary>
    public int PendingReadsMax { get; init; } = 65_536;

    /// <summary>A request not answered within this many ticks gets a retryable error (no request ever hangs).</summary>
    public int RequestTimeoutTicks { get; init; } = 300;

    /// <summary>Take a snapshot once the log has grown by this many bytes since the last compaction.</summary>
    public long SnapshotAfterLogBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Entries kept behind a snapshot, so followers a little behind catch up from the log. An entry carries a
    /// whole proposal (under load a hundred writes or more): 1,000 entries keep tens of megabytes.
    /// </summary>
    public long CompactionLagEntries { get; init; } = 1_000;

    /// <summary>Entries in one Append to a follower at most (the core's <c>RaftConfig.AppendEntriesMax</c>).</summary>
    public int AppendEntriesMax { get; init; } = 1024;

    /// <summary>Appends in flight to one follower at most: the replication pipeline's window.</summary>
    public int InflightMessagesMax { get; init; } = 64;

    /// <summary>
    /// Bytes of a snapshot received from a leader at most (the staging file under incoming/): a stream that goes
    /// beyond it is refused and its staging file removed.
    /// </summary>
    public long SnapshotBytesMax { get; init; } = 32L << 30;
}
