using KvRaft.Protocol;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// Every bound the node enforces, in one place (the core's own limits are in RaftConfig). The size bounds are
/// derived from ProtocolLimits and checked against it when a node is built (<see cref="SizeLimits.Check(ServerLimits)"/>).
/// </summary>
public sealed record ServerLimits
{
    /// <summary>Events (network, client, disk completions) waiting for the event loop at most.</summary>
    public int EventQueueCapacity { get; init; } = 65_536;

    /// <summary>Client writes in one proposal (one log entry) at most.</summary>
    public int WritesPerProposalMax { get; init; } = 4_096;

    /// <summary>
    /// Encoded bytes of one proposal (a command batch, one log entry) at most: by default one entry's data,
    /// <see cref="ProtocolLimits.CommandBatchBytesMax"/>; never less than one maximal request
    /// (<see cref="SizeLimits.ProposalBytesMin"/>). A write that does not fit the turn's batch starts another.
    /// </summary>
    public int ProposalBytesMax { get; init; } = ProtocolLimits.CommandBatchBytesMax;

    /// <summary>Bytes of proposed but uncommitted entries at most (the core's <c>RaftConfig.UncommittedBytesMax</c>); more are refused as busy.</summary>
    public long UncommittedBytesMax { get; init; } = 64L << 20;

    /// <summary>Entry bytes in one Append at most, one entry always allowed (the core's <c>RaftConfig.AppendBytesMax</c>).</summary>
    public long AppendBytesMax { get; init; } = 1L << 20;

    /// <summary>
    /// Committed entry bytes applied in one turn of the event loop after which it takes no further Ready (the core's
    /// <c>RaftConfig.CommittedBytesPerReadyMax</c> too, so a turn applies less than twice this; one entry always). A node with much to apply (after a restart, or catching up)
    /// applies it in slices and answers heartbeats and votes between them: one 16 MiB Ready held a restarted follower's
    /// loop for 1.5-2.9 s under load, and the cluster lost its quorum when the leader was killed meanwhile.
    /// </summary>
    public long AppliedBytesPerTurnMax { get; init; } = 1L << 20;

    /// <summary>Readies whose log writes are in flight at once, at most (asynchronous storage writes).</summary>
    public int LogWritesInFlightMax { get; init; } = 64;

    /// <summary>Client writes proposed but not yet answered, at most; more are refused as busy.</summary>
    public int PendingWritesMax { get; init; } = 65_536;

    /// <summary>Client reads waiting for their read index, at most; more are refused as busy.</summary>
    public int PendingReadsMax { get; init; } = 65_536;

    /// <summary>
    /// Election log lines (a (pre-)vote or its answer, sent or received) about one peer per <see cref="ElectionLogWindowTicks"/>
    /// at most; the rest are counted and summed up in one line when the window ends. A normal election logs up to 8 lines
    /// per peer (pre-vote, vote and their answers, each way), so 32 covers four elections in a window.
    /// </summary>
    public int ElectionLogLinesPerPeerMax { get; init; } = 32;

    /// <summary>The window of <see cref="ElectionLogLinesPerPeerMax"/>, in ticks (1 s at the default 10 ms tick).</summary>
    public int ElectionLogWindowTicks { get; init; } = 100;

    /// <summary>Peers whose election log lines are bounded one by one; lines about any further peer share one budget.</summary>
    public int ElectionLogPeersMax { get; init; } = 16;

    /// <summary>A request not answered within this many ticks gets a retryable error (no request ever hangs).</summary>
    public int RequestTimeoutTicks { get; init; } = 300;

    /// <summary>
    /// Take a snapshot once the log has grown by this many bytes since the last one at most: the cap of the snapshot
    /// policy (<see cref="SnapshotPolicy.LogBytesBeforeSnapshot"/>), which waits for as many log bytes as the latest
    /// snapshot holds, at least <see cref="SnapshotAfterLogBytesMin"/>. The cap wins over the floor.
    /// </summary>
    public long SnapshotAfterLogBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Log bytes written since the last snapshot before the next one at least (the policy's floor, below the cap): a
    /// small store's log is truncated after this much, so its disk use follows its live data.
    /// </summary>
    public long SnapshotAfterLogBytesMin { get; init; } = 16L << 20;

    /// <summary>
    /// Entries kept behind a snapshot, so followers a little behind catch up from the log. An entry carries a
    /// whole proposal (under load a hundred writes or more): 1,000 entries keep tens of megabytes.
    /// </summary>
    public long CompactionLagEntries { get; init; } = 1_000;

    /// <summary>
    /// About this many bytes of log kept behind a snapshot as well (the entries they span at the log's average entry
    /// size, when more than <see cref="CompactionLagEntries"/>): a follower restarted within seconds under full write load
    /// (a crash, a rolling upgrade) catches up from the log instead of a snapshot, whose install keeps it from voting
    /// and acknowledging meanwhile. 64 MiB is about 7 s of this machine's full put rate; 0 keeps the entries' lag only.
    /// </summary>
    public long CompactionLagBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Session registrations a leader proposes in a burst at most: a token bucket of this size, full when the node
    /// starts leading, refilled by <see cref="SessionRegistrationsPerTick"/> each tick. Registrations over it are
    /// answered Retryable. With the session table's size (StorageLimits.SessionMaxCount, 10,000) it bounds how soon a
    /// flood of registrations can evict a session: (10,000 - 1,000) / 2 ticks = 4,500 ticks (45 s at 10 ms) after its last use.
    /// </summary>
    public int SessionRegistrationBurst { get; init; } = 1_000;

    /// <summary>Session registrations the bucket regains per tick (the sustained rate: 200 per second at 10 ms ticks).</summary>
    public int SessionRegistrationsPerTick { get; init; } = 2;

    /// <summary>Entries in one Append to a follower at most (the core's <c>RaftConfig.AppendEntriesMax</c>).</summary>
    public int AppendEntriesMax { get; init; } = 1024;

    /// <summary>Appends in flight to one follower at most: the replication pipeline's window.</summary>
    public int InflightMessagesMax { get; init; } = 64;

    /// <summary>
    /// Bytes of Appends in flight to one follower at most (the core's <c>RaftConfig.InflightBytesMax</c>; one Append always
    /// may go). Everything queued to a peer travels ahead of the next vote or heartbeat on the same connection: measured,
    /// a leader catching up a restarted follower had up to 50 MB queued to it, and once that leader was killed the
    /// survivors' votes to each other waited 0.2-0.9 s behind it. Steady replication needs far less (a few milliseconds
    /// of the write rate).
    /// </summary>
    public long InflightBytesMax { get; init; } = 4L << 20;

    /// <summary>
    /// Bytes of log entries one background read fetches at most for a follower being caught up (entries evicted from
    /// the log's cache; one read in flight per follower): the memory such reads hold is this times the followers.
    /// </summary>
    public long LogFetchBytesMax { get; init; } = 4L << 20;

    /// <summary>
    /// Bytes of a snapshot received from a leader at most (the staging file under incoming/): a stream that goes
    /// beyond it is refused and its staging file removed.
    /// </summary>
    public long SnapshotBytesMax { get; init; } = 32L << 30;

    /// <summary>
    /// Snapshot chunks a leader has sent to one follower and the follower has not acknowledged yet, at most (the
    /// snapshot stream's flow-control window, with <see cref="SnapshotWindowBytes"/>).
    /// </summary>
    public int SnapshotWindowChunks { get; init; } = 8;

    /// <summary>Bytes of snapshot chunks sent to one follower and not acknowledged yet, at most (one chunk always may go).</summary>
    public long SnapshotWindowBytes { get; init; } = 8L << 20;

    /// <summary>
    /// Shard migration: the bytes after which an old owner ends a chunk of a shard it sends (one record more at most:
    /// <c>ShardChunkCodec.ChunkBytesMax</c>; every chunk is one log entry of the new owner, checked by SizeLimits).
    /// </summary>
    public int ShardChunkBytes { get; init; } = 1 << 20;

    /// <summary>Shard migration: shards a group pulls at once at most (one pull in flight each).</summary>
    public int ShardPullsMax { get; init; } = 4;

    /// <summary>
    /// Shard migration, the old owner: chunk exports a replica has asked its host for and not had back, at most (read
    /// off the event loop; a pull beyond it is not answered: the new owner asks again).
    /// </summary>
    public int ShardExportsMax { get; init; } = 4;
}
