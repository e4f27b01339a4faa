using KvRaft.Protocol;
using KvRaft.Server.Node.Sharding;
using KvRaft.Storage;

namespace KvRaft.Server.Node;

/// <summary>
/// A chunk a replica of the old owner exports for a pull, asked for by the node and read by its host off the event loop
/// (<see cref="IKvStateMachine.ExportShard(ShardExportRequest)"/>): the answer goes to node <paramref name="To"/> of
/// group <paramref name="Group"/> as chunk <paramref name="Chunk"/> of the request's shard and configuration.
/// </summary>
public readonly record struct ShardExport(int Group, int To, int Chunk, ShardExportRequest Request);

/// <summary>
/// The old owner's exports (docs/design.md, "Migration, pulled by the new owner"): the event loop never reads a shard's
/// records. A pull the shard's state allows becomes an export the host takes (<see cref="TryTakeShardExport"/>) and runs
/// in the background; its chunk comes back as an input (<see cref="OnShardExported"/>) and is sent only if the shard is
/// still offered for that configuration. The read is consistent without the loop: an offered shard is frozen (no write,
/// install or drop touches its keys until the new owner has installed it all and asked for the drop), so the background
/// read sees the state the freeze left while the other shards' writes go on. At most
/// <see cref="ServerLimits.ShardExportsMax"/> are asked for and not back, one per (shard, configuration, chunk).
/// </summary>
public sealed partial class KvNode
{
    private readonly Queue<ShardExport> _exportsToStart = new(); // asked for, not yet taken by the host
    private readonly HashSet<(int Shard, long Number, int Chunk)> _exportsPending = []; // asked for and not handed back

    /// <summary>The chunk number of an export asked for only for its index of the offered shards' keys (<see cref="AskForDropIndex"/>).</summary>
    public const int DropIndexChunk = -1;

    /// <summary>Exports asked for and not handed back yet (queued or running).</summary>
    public int ShardExportsPending => _exportsPending.Count;

    /// <summary>The next export the host should run off the loop and hand back to <see cref="OnShardExported"/>.</summary>
    public bool TryTakeShardExport(out ShardExport export) => _exportsToStart.TryDequeue(out export);

    /// <summary>
    /// An export ended: <paramref name="chunk"/> (null when it failed: the store was replaced under it) is answered to
    /// the puller if the shard is still offered here for that configuration; otherwise nothing is (the puller asks again).
    /// </summary>
    public void OnShardExported(in ShardExport export, ShardChunk? chunk)
    {
        var request = export.Request ?? throw new ArgumentException("an export names its request", nameof(export));
        if (!_exportsPending.Remove((request.Shard, request.Configuration, export.Chunk)) || export.Chunk == DropIndexChunk || chunk is not { } answer
            || _shards?.AnswerPull(request.Shard, request.Configuration) != PullAnswer.Data)
        {
            return;
        }
        SendShardMessage(PeerMessageType.ShardPullReply, export.Group, export.To, request.Shard, request.Configuration, export.Chunk, answer.Payload, isLast: answer.IsLast);
    }

    /// <summary>Asks for the chunk after <paramref name="cursor"/> of an offered shard, unless it is already asked for or the bound is reached.</summary>
    private void AskForExport(int group, int from, int shard, long number, int chunk, ReadOnlyMemory<byte> cursor)
    {
        if (_exportsPending.Count >= _limits.ShardExportsMax || !_exportsPending.Add((shard, number, chunk)))
        {
            return; // the new owner asks again in MigrationRetryTicks
        }
        var request = new ShardExportRequest(shard, _shards!.Current.ShardCount, cursor.ToArray(), _limits.ShardChunkBytes, number, OfferedShards());
        _exportsToStart.Enqueue(new ShardExport(group, from, chunk, request));
    }

    /// <summary>The shards offered in the current configuration: frozen, so one scan indexes their keys for their pulls and drops to come.</summary>
    private List<int> OfferedShards()
    {
        var shards = _shards!;
        var offered = new List<int>();
        for (var shard = 0; shard < shards.Current.ShardCount; shard++)
        {
            if (shards.StateOf(shard) == ShardState.Offering)
            {
                offered.Add(shard);
            }
        }
        return offered;
    }

    /// <summary>
    /// Every replica of an old owner, leader or not, once it offers shards (a Reconfigure applied, or a restart): an export
    /// of one record (<see cref="DropIndexChunk"/>, answered to nobody) whose scan, off the loop like every export, indexes
    /// the keys of every offered shard for the configuration, so that their <c>DropShard</c> deletes the indexed keys
    /// instead of scanning the store on the loop (a replica that answered no pull had no index). One per configuration,
    /// within <see cref="ServerLimits.ShardExportsMax"/>. A drop applied before its index is back (or of a shard past its
    /// share of the index's bound) still scans in the apply.
    /// </summary>
    private void AskForDropIndex()
    {
        if (_shards is not { } shards || _routing is null)
        {
            return;
        }
        var offered = OfferedShards();
        var number = shards.Current.Number;
        if (offered.Count == 0 || _exportsPending.Count >= _limits.ShardExportsMax || !_exportsPending.Add((offered[0], number, DropIndexChunk)))
        {
            return;
        }
        var request = new ShardExportRequest(offered[0], shards.Current.ShardCount, [], ChunkBytes: 1, number, offered);
        _exportsToStart.Enqueue(new ShardExport(_routing.GroupId, To: 0, DropIndexChunk, request));
    }
}
