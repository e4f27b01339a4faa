using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// Shard exports off the loop (docs/design.md, "Migration, pulled by the new owner"): the chunks the replicas of old
/// owners ask for are read on the thread pool, at most <see cref="ShardExportsRunningMax"/> at once in the process
/// (each group asks for at most <see cref="ServerLimits.ShardExportsMax"/>), the groups taken in turn; each one's end is
/// a control event naming its group, and the group answers the puller then.
/// </summary>
internal sealed partial class GroupHost
{
    /// <summary>Exports running at once in the process, at most: each reads a store (one scan, then point reads).</summary>
    public const int ShardExportsRunningMax = 2;

    private int _exportsRunning; // loop thread only
    private int _exportRotation; // the group asked first at the next start, so that no group waits behind another for ever

    private void StartShardExports()
    {
        var groups = _replicas.GroupIds;
        for (var turn = 0; turn < groups.Count && _exportsRunning < ShardExportsRunningMax; turn++)
        {
            var group = groups[(_exportRotation + turn) % groups.Count];
            if (_replicas[group].TryTakeShardExport(out var export))
            {
                StartShardExport(group, export);
                _exportRotation = (_exportRotation + turn + 1) % groups.Count;
                turn = -1; // from the next group on, while there is room
            }
        }
    }

    private void StartShardExport(int group, ShardExport export)
    {
        _exportsRunning++;
        var machine = _machines[group];
        Track(Task.Run(() =>
        {
            ShardChunk? chunk = null;
            Exception? failure = null;
            try
            {
                chunk = machine.ExportShard(export.Request);
            }
            catch (SnapshotSupersededException superseded)
            {
                _logger.LogInformation("Group {Group}: shard {Shard} export abandoned: {Message}", group, export.Request.Shard, superseded.Message);
            }
            catch (Exception error)
            {
                failure = error;
            }
            PostOrFail(new NodeEvent { Kind = NodeEventKind.ShardExported, Group = group, Exported = new ShardExportResult(export, chunk), Error = failure });
        }));
    }

    private void OnShardExported(in NodeEvent item)
    {
        _exportsRunning--;
        if (item.Error is { } failure)
        {
            throw failure is StorageCorruptException ? failure : new StorageFailedException($"a background export of a shard of group {item.Group} failed", failure);
        }
        if (_replicas.TryGet(item.Group, out var node))
        {
            node.OnShardExported(item.Exported!.Export, item.Exported.Chunk);
        }
    }
}
