using KvRaft.Protocol;
using KvRaft.Protocol.Sharding;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// The one place where the server's size limits come from <see cref="ProtocolLimits"/> (the root: the storage
/// layer cannot depend on the protocol, so the server hands it its limits), and where they are checked against
/// each other when a node starts: a maximal request (a compare-and-set with a maximal key, expected value and
/// new value) fits one proposal, a maximal proposal is one log entry the storage accepts and whose record fits
/// a log page, an Append fits one peer frame, and a snapshot chunk fits its bound. docs/wire-format.md, "Limits",
/// lists every limit and how it is derived.
/// </summary>
public static class SizeLimits
{
    /// <summary>
    /// The storage limits of a server: <paramref name="tuning"/> (pages, memory, caches) with every size limit
    /// taken from <see cref="ProtocolLimits"/>: entries as large as the protocol carries, keys and values exactly
    /// as large as a client may send (a larger value, grown by Append, could not be answered).
    /// </summary>
    public static StorageLimits Storage(StorageLimits tuning)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        return tuning with
        {
            EntryMaxBytes = ProtocolLimits.EntryDataBytesMax,
            KeyMaxBytes = ProtocolLimits.KeyBytesMax,
            ValueMaxBytes = ProtocolLimits.ValueBytesMax,
        };
    }

    /// <summary>Checks the node's bounds against the protocol; throws <see cref="ArgumentException"/> naming the first relation that fails.</summary>
    public static void Check(ServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Require(limits.ProposalBytesMax >= ProposalBytesMin,
            $"ProposalBytesMax ({limits.ProposalBytesMax}) must hold a maximal request: {ProposalBytesMin} bytes (a compare-and-set with a maximal key, expected value and value, in a batch)");
        Require(limits.ProposalBytesMax <= ProtocolLimits.CommandBatchBytesMax,
            $"ProposalBytesMax ({limits.ProposalBytesMax}) must be at most one log entry's data, ProtocolLimits.CommandBatchBytesMax ({ProtocolLimits.CommandBatchBytesMax})");
        Require(limits.WritesPerProposalMax is > 0 and <= ProtocolLimits.CommandsPerBatchMax,
            $"WritesPerProposalMax ({limits.WritesPerProposalMax}) must be in [1, ProtocolLimits.CommandsPerBatchMax ({ProtocolLimits.CommandsPerBatchMax})]");
        Require(limits.UncommittedBytesMax >= limits.ProposalBytesMax,
            $"UncommittedBytesMax ({limits.UncommittedBytesMax}) must hold at least one maximal proposal ({limits.ProposalBytesMax})");
        Require(limits.AppendEntriesMax is > 0 and <= ProtocolLimits.EntriesPerAppendMax,
            $"AppendEntriesMax ({limits.AppendEntriesMax}) must be in [1, ProtocolLimits.EntriesPerAppendMax ({ProtocolLimits.EntriesPerAppendMax})]");
        var chunkEntry = (long)ShardEntryCodec.HeaderBytes + StorageShardChunkBytesMax(limits);
        Require(limits.ShardChunkBytes > 0 && chunkEntry <= limits.ProposalBytesMax,
            $"a shard chunk's entry ({chunkEntry} bytes with ShardChunkBytes {limits.ShardChunkBytes}, one maximal record beyond it) must fit ProposalBytesMax ({limits.ProposalBytesMax})");
        Require(limits.ShardPullsMax > 0, $"ShardPullsMax ({limits.ShardPullsMax}) must be positive");
        Require(limits.ShardExportsMax > 0, $"ShardExportsMax ({limits.ShardExportsMax}) must be positive");
        Require(limits.ElectionLogLinesPerPeerMax > 0 && limits.ElectionLogWindowTicks > 0 && limits.ElectionLogPeersMax > 0,
            $"the election log bounds ({limits.ElectionLogLinesPerPeerMax} lines per peer per {limits.ElectionLogWindowTicks} ticks, {limits.ElectionLogPeersMax} peers) must be positive");
        var block = AppendBlockBytesMax(limits);
        Require(limits.AppendBytesMax > 0 && block <= ProtocolLimits.EntriesBlockBytesMax,
            $"an Append's entries ({block} bytes with AppendBytesMax {limits.AppendBytesMax}) must fit ProtocolLimits.EntriesBlockBytesMax ({ProtocolLimits.EntriesBlockBytesMax})");
        var frame = 2 + PeerMessageCodec.FixedBytes + PeerMessageCodec.EntriesHeaderBytes + block;
        Require(frame <= ProtocolLimits.FrameBytesMax,
            $"an Append frame ({frame} bytes with AppendBytesMax {limits.AppendBytesMax}) must fit ProtocolLimits.FrameBytesMax ({ProtocolLimits.FrameBytesMax})");
    }

    /// <summary>Checks a server's storage limits against the protocol; throws <see cref="ArgumentException"/> naming the first relation that fails.</summary>
    public static void Check(StorageLimits storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        storage.Validate();
        Require(storage.EntryMaxBytes >= ProtocolLimits.EntryDataBytesMax,
            $"StorageLimits.EntryMaxBytes ({storage.EntryMaxBytes}) must take every entry the protocol carries, ProtocolLimits.EntryDataBytesMax ({ProtocolLimits.EntryDataBytesMax})");
        Require(storage.KeyMaxBytes >= ProtocolLimits.KeyBytesMax,
            $"StorageLimits.KeyMaxBytes ({storage.KeyMaxBytes}) must take every key a client may send, ProtocolLimits.KeyBytesMax ({ProtocolLimits.KeyBytesMax})");
        Require(storage.ValueMaxBytes == ProtocolLimits.ValueBytesMax,
            $"StorageLimits.ValueMaxBytes ({storage.ValueMaxBytes}) must be ProtocolLimits.ValueBytesMax ({ProtocolLimits.ValueBytesMax}): a maximal Put applies, and no value grows past what an answer can carry");
        Require(storage.KvRecordFits(ProtocolLimits.KeyBytesMax, ProtocolLimits.ValueBytesMax),
            $"a maximal key and value must fit one state machine page (KvPageBits {storage.KvPageBits})");
        Require(storage.SnapshotChunkBytes <= ProtocolLimits.SnapshotChunkBytesMax,
            $"StorageLimits.SnapshotChunkBytes ({storage.SnapshotChunkBytes}) must be at most ProtocolLimits.SnapshotChunkBytesMax ({ProtocolLimits.SnapshotChunkBytesMax})");
    }

    /// <summary>The storage limits of every server (the protocol's key and value bounds): what a shard chunk received is checked against.</summary>
    public static StorageLimits ServerStorage { get; } = Storage(StorageLimits.Default);

    /// <summary>The largest shard chunk an old owner sends with <paramref name="limits"/>, and a new owner accepts.</summary>
    public static int StorageShardChunkBytesMax(ServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return ShardChunkCodec.ChunkBytesMax(limits.ShardChunkBytes, ServerStorage);
    }

    /// <summary>The smallest proposal bound that holds every legal request: a batch of one maximal command.</summary>
    public const int ProposalBytesMin = KvCommandBatchCodec.HeaderBytes + ProtocolLimits.CommandBytesMax;

    /// <summary>
    /// The largest entries block of an Append: the core puts entries in an Append while their bytes stay within
    /// AppendBytesMax, and always at least one (of up to EntryDataBytesMax); each carries at most an entry header.
    /// </summary>
    private static long AppendBlockBytesMax(ServerLimits limits) =>
        limits.AppendBytesMax + ProtocolLimits.EntryDataBytesMax + ((long)limits.AppendEntriesMax * ProtocolLimits.SizeRelations.EntryHeaderBytesMax);

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException("inconsistent size limits: " + message);
        }
    }
}
