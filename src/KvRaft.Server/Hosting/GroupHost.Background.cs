using System.Diagnostics;
using KvRaft.Server.Node;
using KvRaft.Storage;
using Microsoft.Extensions.Logging;

namespace KvRaft.Server.Hosting;

/// <summary>
/// Per group, off the loop: log reads for followers being caught up, snapshots, snapshot installs and shard exports
/// (GroupHost.Exports.cs); each one's end is a control event naming its group.
/// </summary>
internal sealed partial class GroupHost
{
    private readonly List<Task> _background = new(); // loop thread only, then DisposeAsync once the loop stopped

    /// <summary>Runs a group's snapshot install on the thread pool (one per group at a time: the node takes no Ready meanwhile).</summary>
    public void RunInstall(int group, Action install) => Track(Task.Run(() =>
    {
        Exception? failure = null;
        try
        {
            install();
        }
        catch (Exception error)
        {
            failure = error;
        }
        PostOrFail(new NodeEvent { Kind = NodeEventKind.SnapshotInstalled, Group = group, Error = failure });
    }));

    private void DispatchBackground(in NodeEvent item)
    {
        if (item.Kind == NodeEventKind.ShardExported)
        {
            OnShardExported(item);
            return;
        }
        if (!_replicas.TryGet(item.Group, out var node))
        {
            return; // every background event names a hosted group: groups are never removed while the loop runs
        }
        switch (item.Kind)
        {
            case NodeEventKind.SnapshotSent:
                node.OnSnapshotSent(item.NodeId, item.Flag);
                break;
            case NodeEventKind.SnapshotInstalled:
                node.OnSnapshotInstalled(item.Error);
                break;
            case NodeEventKind.SnapshotTaken:
                node.OnSnapshotTaken(item.SnapshotInfo);
                break;
            case NodeEventKind.LogFetched:
                if (item.Error is { } failure)
                {
                    throw failure is StorageCorruptException ? failure : new StorageFailedException($"a background read of group {item.Group}'s Raft log failed", failure);
                }

                node.OnLogFetched(item.Fetch, item.Entries!);
                break;
        }
    }

    private void StartBackgroundWork()
    {
        var groups = _replicas.GroupIds;
        for (var i = 0; i < groups.Count; i++) // an index loop: a foreach over the IReadOnlyList would box an enumerator every turn
        {
            var group = groups[i];
            var node = _replicas[group];
            while (node.TryTakeLogFetch(out var fetch))
            {
                StartLogFetch(group, fetch);
            }
            if (node.TryStartSnapshot(out var configuration))
            {
                StartSnapshot(group, configuration);
            }
        }
        StartShardExports();
    }

    private void StartLogFetch(int group, LogFetch fetch)
    {
        var log = _replicas.LogOf(group);
        Track(Task.Run(async () =>
        {
            var entries = new List<LogEntry>();
            try
            {
                await log.ReadStoredAsync(fetch.Lo, fetch.HiExclusive, fetch.MaxBytes, entries).ConfigureAwait(false);
                PostOrFail(new NodeEvent { Kind = NodeEventKind.LogFetched, Group = group, Fetch = fetch, Entries = entries });
            }
            catch (Exception error)
            {
                PostOrFail(new NodeEvent { Kind = NodeEventKind.LogFetched, Group = group, Fetch = fetch, Error = error });
            }
        }));
    }

    private void StartSnapshot(int group, byte[] configuration)
    {
        var machine = _machines[group];
        Track(Task.Run(async () =>
        {
            SnapshotInfo? info = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                info = await machine.TakeSnapshotAsync(configuration).ConfigureAwait(false);
                _logger.LogInformation("Group {Group}: snapshot {Index} written in {Milliseconds:F0} ms ({Phases})", group, info.Index, Stopwatch.GetElapsedTime(started).TotalMilliseconds, machine.LastSnapshotPhases);
            }
            catch (SnapshotSupersededException superseded)
            {
                _logger.LogInformation("Group {Group}: snapshot abandoned: {Message}", group, superseded.Message);
            }
            catch (Exception error) when (error is IOException or StorageFailedException or InvalidOperationException)
            {
                _logger.LogError(error, "Group {Group}: snapshot failed: {Message}", group, error.Message);
            }
            PostOrFail(new NodeEvent { Kind = NodeEventKind.SnapshotTaken, Group = group, SnapshotInfo = info });
        }));
    }

    /// <summary>Keeps a background task until it ends (loop thread; ended ones are dropped as new ones come).</summary>
    private void Track(Task task)
    {
        lock (_background)
        {
            _background.RemoveAll(done => done.IsCompleted);
            _background.Add(task);
        }
    }

    /// <summary>Waits for the background work before the stores it uses are closed.</summary>
    private async Task AwaitBackgroundAsync()
    {
        Task[] tasks;
        lock (_background)
        {
            tasks = [.. _background];
        }
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or StorageFailedException)
        {
            _logger.LogWarning(error, "Background work of a group failed at stop");
        }
    }
}

/// <summary>A group's install runner: the swap runs on the thread pool and its end names the group.</summary>
internal sealed class GroupInstallRunner(Func<GroupHost> host, int group) : ISnapshotInstallRunner
{
    public void Run(Action install) => host().RunInstall(group, install);
}
