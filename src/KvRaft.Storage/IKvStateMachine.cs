using System.Buffers;

namespace KvRaft.Storage;

/// <summary>
/// The replicated key-value state machine: applies committed batches in log order, keeps the client session
/// (dedup) table and the applied position in the same store so one checkpoint captures all of them.
/// Single-threaded apply: the caller does not call <see cref="ApplyBatch"/> concurrently with itself.
/// </summary>
public interface IKvStateMachine : IDisposable
{
    /// <summary>Index of the last applied entry.</summary>
    long AppliedIndex { get; }

    /// <summary>Term of the last applied entry.</summary>
    long AppliedTerm { get; }

    /// <summary>Number of live client sessions.</summary>
    int SessionCount { get; }

    /// <summary>Cluster configuration stored with the last snapshot or installed one (opaque to storage).</summary>
    byte[] Configuration { get; }

    /// <summary>
    /// The group's shard states as the last shard entry (<see cref="KvOp.Reconfigure"/> to
    /// <see cref="KvOp.ShardDropConfirmed"/>) applied recorded them (opaque to storage; empty when none was): kept in the
    /// store, so in every snapshot, and read back at recovery and after an install.
    /// </summary>
    byte[] ShardState { get; }

    /// <summary>The shard function <see cref="KvOp.DropShard"/> and <see cref="ExportShard"/> use (set once by the node of a sharded group).</summary>
    ShardOfKey? ShardOf { get; set; }

    /// <summary>
    /// One chunk of <paramref name="shard"/>'s export (its user records of <paramref name="shardCount"/> shards, then
    /// every live session), in store-key order, starting after <paramref name="after"/> (empty: from the start) and
    /// stopping once <paramref name="chunkBytes"/> are reached (one record at least). Reads the applied state: the
    /// caller exports a shard it no longer serves, so that state is final. Each call scans the store (no index is kept).
    /// </summary>
    ShardChunk ExportShard(int shard, int shardCount, ReadOnlySpan<byte> after, int chunkBytes) =>
        ExportShard(new ShardExportRequest(shard, shardCount, after.ToArray(), chunkBytes, -1, [shard]));

    /// <summary>
    /// One chunk of a shard's export as <see cref="ExportShard(int, int, ReadOnlySpan{byte}, int)"/> describes it, for
    /// a frozen shard of the request's configuration; thread-safe beside <see cref="ApplyBatch"/> (a host runs it off
    /// the event loop). The keys of every shard the request names frozen are indexed by one scan of the store and kept
    /// for the next chunks of the same configuration, so a chunk costs the records it carries, not a scan of the store.
    /// </summary>
    ShardChunk ExportShard(ShardExportRequest request);

    /// <summary>Applies a batch of committed entries in order, one result per entry appended to <paramref name="results"/>.</summary>
    void ApplyBatch(ReadOnlySpan<KvApply> batch, List<KvResult> results);

    /// <summary>Reads a key from the applied state (linearizable only if the caller ensured it).</summary>
    byte[]? Get(ReadOnlySpan<byte> key);

    /// <summary>
    /// Like <see cref="Get"/>, without allocating: appends the value to <paramref name="value"/> (a reused buffer)
    /// and returns true, or returns false and writes nothing when the key is absent.
    /// </summary>
    bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> value);

    /// <summary>
    /// A Get that never waits for the disk: as <see cref="TryGet"/> when the value is in memory (or absent); otherwise
    /// <see cref="GetStatus.Pending"/>: the device read goes on, and its answer comes out of a later
    /// <see cref="TakeCompletedGets"/> under <paramref name="token"/> (positive, unique among those pending). The answer
    /// is the state as of some moment between this call and that one (the applied state only moves forward).
    /// </summary>
    GetStatus TryGetOrStart(ReadOnlySpan<byte> key, IBufferWriter<byte> value, long token) =>
        TryGet(key, value) ? GetStatus.Found : GetStatus.NotFound;

    /// <summary>Appends the answers of pending Gets whose reads have ended to <paramref name="into"/>; never waits.</summary>
    void TakeCompletedGets(List<CompletedGet> into)
    {
    }

    /// <summary>The session's last sequence, if the client has a live session.</summary>
    bool TryGetSession(long clientId, out long lastSequence);

    /// <summary>
    /// Takes a snapshot at the applied position with the configuration in effect there: the one the last
    /// <see cref="KvOp.Configure"/> applied since the state was loaded recorded, else <paramref name="configuration"/>
    /// (the caller's, read when it asked: entries applied before the export begins may move the position): a checkpoint of the store
    /// plus a portable, chunked copy (see <see cref="ISnapshotSource"/>). The caller then compacts the log.
    /// </summary>
    ValueTask<SnapshotInfo> TakeSnapshotAsync(byte[] configuration, CancellationToken cancellationToken = default);

    /// <summary>The latest snapshot for sending to a follower, or null if none was taken.</summary>
    ISnapshotSource? LatestSnapshot { get; }

    /// <summary>Where the last snapshot taken here spent its time (all zero when none was, or for the memory twin).</summary>
    SnapshotPhases LastSnapshotPhases { get; }
}
