// Goal: a GroupProcess's snapshots as a GroupServer's background work runs them; method: a snapshot taken when a group's
// node asks (the state captured then, the node told a few steps later), and an install's state machine swap run a drawn
// number of steps after the node started it (up to three election timeouts, the loop taking input meanwhile); a crash
// loses both (a swap that had not run leaves the state machine as it was).
using KvRaft.Server.Node;
using KvRaft.Storage;
using Xunit;

namespace KvRaft.Testing.Groups;

internal sealed partial class GroupProcess
{
    private readonly Dictionary<int, (long Due, Action Install)> _installs = []; // by group: a swap in flight
    private readonly Dictionary<int, (long Due, SnapshotInfo Info)> _snapshotsTaken = []; // by group: taken, the node not told yet

    /// <summary>Snapshots a group's node asked for: taken now from the state machine, reported after 0 to 3 steps.</summary>
    private void RunSnapshots(GroupReplicas replicas, long step)
    {
        if (_cluster.Snapshots is not { } snapshots)
        {
            return;
        }
        for (var group = 0; group < _cluster.Groups; group++)
        {
            var node = replicas[group];
            if (!_snapshotsTaken.ContainsKey(group) && node.TryStartSnapshot(out var configuration))
            {
                var taken = _seen[group].TakeSnapshotAsync(configuration);
                Assert.True(taken.IsCompletedSuccessfully);
                _snapshotsTaken[group] = (step + _cluster.Random.Next(4), taken.Result);
            }
            if (_snapshotsTaken.TryGetValue(group, out var due) && due.Due <= step)
            {
                _snapshotsTaken.Remove(group);
                node.OnSnapshotTaken(due.Info);
                snapshots.OnTaken(group);
            }
        }
    }

    /// <summary>The swaps due by now: each run, then its node told (and the install counted).</summary>
    private void CompleteDueInstalls(GroupReplicas replicas, long step)
    {
        foreach (var (group, (due, install)) in _installs.Where(item => item.Value.Due <= step).OrderBy(item => item.Key).ToList())
        {
            _installs.Remove(group);
            Exception? failure = null;
            try
            {
                install();
            }
            catch (Exception error) when (error is IOException or StorageCorruptException or InvalidOperationException)
            {
                failure = error;
            }
            replicas[group].OnSnapshotInstalled(failure);
            if (failure is null)
            {
                _cluster.Snapshots!.OnInstalled(group);
                if (replicas[group].Shards is { Settled: false })
                {
                    _cluster.Snapshots.InstalledMidMigration++; // the shard states the snapshot carried: a migration under way
                }
                (_seen[group] as ISnapshotInstallObserver)?.OnSnapshotInstalled(); // a planted bug's hook
            }
        }
    }

    /// <summary>A group's install runner: the swap runs 1 to 90 steps later (off the loop in production).</summary>
    private sealed class DelayedInstalls(GroupProcess process, int group) : ISnapshotInstallRunner
    {
        public void Run(Action install)
        {
            Assert.False(process._installs.ContainsKey(group), $"p{process.Id}: a second install of group {group} while one is in flight");
            process._installs[group] = (process._cluster.Step + 1 + process._cluster.Random.Next(3 * GroupedCluster.ElectionTicks), install);
        }
    }
}
