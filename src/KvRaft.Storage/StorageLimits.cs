namespace KvRaft.Storage;

/// <summary>Every size and count limit of the storage layer, in one place. Units are last in each name.</summary>
public sealed record StorageLimits
{
    /// <summary>The defaults used by the server.</summary>
    public static StorageLimits Default { get; } = new();

    /// <summary>FasterLog page size as a power of two (bits): 2^22 = 4 MiB.</summary>
    public int LogPageBits { get; init; } = 22;

    /// <summary>FasterLog in-memory buffer as a power of two (bits): 2^25 = 32 MiB.</summary>
    public int LogMemoryBits { get; init; } = 25;

    /// <summary>
    /// FasterLog segment file size of a NEW Raft log as a power of two (bits): 2^24 = 16 MiB. Truncation frees disk a
    /// whole segment at a time, so the segment is the slack above the live log: with 256 MiB segments 10 minutes of
    /// overwrites of 10,000 keys kept 88–297 MiB of Raft log. A log keeps the size it was created with (recorded in its
    /// layout file, <see cref="LogLayoutFile"/>; a log without one has 256 MiB segments); this value applies to new logs.
    /// </summary>
    public int LogSegmentBits { get; init; } = 24;

    /// <summary>
    /// Bytes past the log's tail kept written (zeros, flushed) ahead of its writes, so that a write-through write
    /// does not also have to make the file's growth durable (see FillAheadDevice). 0 turns it off.
    /// </summary>
    public long LogFillAheadBytes { get; init; } = 8L << 20;

    /// <summary>
    /// Most Raft groups one shared log (<see cref="SharedRaftLog"/>) holds: opened, or found in its records when it
    /// reopens. Each costs an index table in memory; the entry cache (<see cref="EntryCacheBytes"/>) is divided among them.
    /// </summary>
    public int LogGroupsMax { get; init; } = 1024;

    /// <summary>Largest payload of one log entry.</summary>
    public int EntryMaxBytes { get; init; } = 1 << 20;

    /// <summary>Entry payloads kept in memory after they are durable, for fast reads of the recent log.</summary>
    public long EntryCacheBytes { get; init; } = 64L << 20;

    /// <summary>Most client sessions kept in the dedup table; the least recently used (by log index) is expired.</summary>
    public int SessionMaxCount { get; init; } = 10_000;

    /// <summary>
    /// Most live sessions registered by one authenticated client identity (a client certificate; identity 0, clients
    /// not authenticated, has no quota); a registration beyond it is refused, so one client cannot fill the table
    /// and evict everyone else's sessions. Above the .NET client's default session pool (1,024).
    /// </summary>
    public int SessionsPerIdentityMax { get; init; } = 2_048;

    /// <summary>
    /// FasterKV hash index size in buckets (power of two; 7 keys a bucket before overflow buckets chain on).
    /// A full checkpoint writes the whole index while applies wait (see KvCheckpointReplayBytesMax), so it is kept small: 2^17 buckets are an
    /// 8 MiB index, checkpointed in 20–150 ms, where 2^20 (64 MiB) took 0.3–4.3 s on the development VM and
    /// stalled the node's event loop long enough to lose leadership.
    /// </summary>
    public long KvIndexBuckets { get; init; } = 1L << 17;

    /// <summary>
    /// Most log bytes a restart may replay to rebuild the FasterKV index from the latest index checkpoint (or, once
    /// compaction moved past that checkpoint's start, from the log's begin): a snapshot's checkpoint is of the log
    /// alone while the replay stays within it, and a full one (the whole index written, applies waiting for it) when
    /// it would not. 64 MiB replays in well under a second; a small store (the live data and its garbage within it)
    /// then never writes its index again after the first snapshot since it was opened.
    /// </summary>
    public long KvCheckpointReplayBytesMax { get; init; } = 64L << 20;

    /// <summary>FasterKV in-memory log as a power of two (bits): 2^28 = 256 MiB.</summary>
    public int KvMemoryBits { get; init; } = 28;

    /// <summary>FasterKV page size as a power of two (bits): 2^22 = 4 MiB.</summary>
    public int KvPageBits { get; init; } = 22;

    /// <summary>
    /// FasterKV log segment file size as a power of two (bits): 2^24 = 16 MiB (four pages). Compaction frees disk a whole
    /// segment at a time (the one holding the begin address stays), so the segment is the slack above the live data: an
    /// overwrite workload's log grows by about one copy of its live records per snapshot, so at 10,000 keys (1.3 MiB)
    /// a 64 MiB segment would hold some fifty snapshots' worth before the first one could go. Smaller than 16 MiB makes
    /// a large store many files (64 per GiB here; FASTER keeps a handle pool per segment). At 1 GiB nothing was freed.
    /// </summary>
    public int KvSegmentBits { get; init; } = 24;

    /// <summary>Uncompressed bytes in one snapshot chunk.</summary>
    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    /// <summary>Largest key accepted by the state machine.</summary>
    public int KeyMaxBytes { get; init; } = 64 << 10;

    /// <summary>Largest value accepted by the state machine (after an append, too).</summary>
    public int ValueMaxBytes { get; init; } = 1 << 20;

    /// <summary>Bytes FasterLog writes before each of its entries: a 4-byte length (no checksum: LogChecksumType.None).</summary>
    public const int FasterLogEntryHeaderBytes = 4;

    /// <summary>Bytes a FasterKV record takes beyond its key and value, at most (record info, lengths, key prefix, alignment).</summary>
    public const int KvRecordOverheadBytes = 64;

    /// <summary>
    /// Bytes the largest entry takes in a FasterLog page: FasterLog's length, the log record header, the payload,
    /// rounded up to FasterLog's 4-byte alignment. FasterLog refuses (throws) a record larger than one page.
    /// </summary>
    public long EntryRecordBytesMax => RecordBytes(LogRecord.HeaderBytes);

    /// <summary>As <see cref="EntryRecordBytesMax"/>, in the log shared by many groups (its header holds the group too).</summary>
    public long SharedEntryRecordBytesMax => RecordBytes(SharedLogRecord.HeaderBytes);

    private long RecordBytes(int headerBytes) => FasterLogEntryHeaderBytes + (((long)headerBytes + EntryMaxBytes + 3) & ~3L);

    /// <summary>
    /// Checks that the limits fit each other (a maximal entry's record fits a log page; sizes positive); throws
    /// <see cref="ArgumentException"/> naming the first that does not. The log store calls it when it opens.
    /// (Whether a maximal key and value fit a FasterKV page is checked by the server, which knows the largest
    /// values it accepts: <see cref="KvRecordFits"/>.)
    /// </summary>
    public void Validate()
    {
        Require(EntryMaxBytes > 0 && KeyMaxBytes > 0 && ValueMaxBytes > 0 && SnapshotChunkBytes > 0, "sizes must be positive");
        Require(SessionMaxCount > 0 && SessionsPerIdentityMax > 0, "session limits must be positive");
        Require(LogGroupsMax > 0, "LogGroupsMax must be positive");
        Require(KvCheckpointReplayBytesMax >= 0, "KvCheckpointReplayBytesMax must not be negative");
        Require(LogPageBits is >= 9 and <= 30 && KvPageBits is >= 9 and <= 30, "page bits must be in [9, 30]");
        Require(LogSegmentBits >= LogPageBits && LogSegmentBits <= LogLayoutFile.SegmentBitsMax,
            $"LogSegmentBits must be in [LogPageBits, {LogLayoutFile.SegmentBitsMax}]");
        Require(EntryRecordBytesMax <= 1L << LogPageBits,
            $"an entry of EntryMaxBytes ({EntryMaxBytes}) takes {EntryRecordBytesMax} bytes of a log page of {1L << LogPageBits} (LogPageBits {LogPageBits})");
    }

    /// <summary>As <see cref="Validate"/>, for the log shared by many groups: its largest entry record must fit a page too.</summary>
    public void ValidateForSharedLog()
    {
        Validate();
        Require(SharedEntryRecordBytesMax <= 1L << LogPageBits,
            $"an entry of EntryMaxBytes ({EntryMaxBytes}) takes {SharedEntryRecordBytesMax} bytes of a shared log page of {1L << LogPageBits} (LogPageBits {LogPageBits})");
    }

    /// <summary>True when a record of a key of <paramref name="keyBytes"/> and a value of <paramref name="valueBytes"/> fits one FasterKV page.</summary>
    public bool KvRecordFits(int keyBytes, int valueBytes) => (long)keyBytes + valueBytes + KvRecordOverheadBytes <= 1L << KvPageBits;

    private void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException("invalid storage limits: " + message + ": " + this);
        }
    }
}
