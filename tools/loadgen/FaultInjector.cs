// Goal: apply a fault schedule to a local cluster at its times and record when each fault happened.
using KvRaft.LocalCluster;

namespace KvRaft.Loadgen;

/// <summary>
/// A fault as it happened: its label (with the node), when it was done (a kill: when the SIGKILL went out), and,
/// when that is later, when it had taken effect (a kill: when the process had exited), on the run's clock.
/// </summary>
public sealed record FaultEvent(string Label, long AtNanoseconds, long? TakenEffectNanoseconds = null);

/// <summary>Runs a fault schedule against a <see cref="LocalCluster.LocalCluster"/>; <c>seed</c> draws the shards move-shard moves.</summary>
public sealed partial class FaultInjector(LocalCluster.LocalCluster cluster, IReadOnlyList<FaultStep> steps, int seed = 1)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5); // as LocalCluster's own stop

    private readonly HashSet<int> _killed = [];
    private readonly HashSet<int> _paused = [];
    private readonly HashSet<int> _isolated = [];
    private readonly List<FaultEvent> _events = [];
    private long? _actedAt;
    private long? _tookEffectAt;

    /// <summary>The faults applied so far.</summary>
    public IReadOnlyList<FaultEvent> Events => _events;

    /// <summary>Runs just before each step is applied (the stage profile scrapes every node there).</summary>
    public Func<CancellationToken, Task>? BeforeEachStep { get; init; }

    /// <summary>Applies every step at <paramref name="startNanoseconds"/> plus its offset, until cancelled.</summary>
    public async Task RunAsync(long startNanoseconds, CancellationToken cancellation)
    {
        foreach (var step in steps)
        {
            await Clock.DelayUntilAsync(startNanoseconds + (long)step.At.TotalNanoseconds, cancellation).ConfigureAwait(false);
            if (BeforeEachStep is not null)
            {
                await BeforeEachStep(cancellation).ConfigureAwait(false);
            }

            _actedAt = _tookEffectAt = null;
            string label;
            try
            {
                label = await ApplyAsync(step.Kind, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested && _actedAt is not null)
            {
                // A step of several actions (replace-follower) that the end of the run cut short: listed as such.
                lock (_events)
                {
                    _events.Add(new FaultEvent($"{step.Name} (unfinished at the end of the run)", _actedAt.Value, _tookEffectAt));
                }

                throw;
            }
            lock (_events)
            {
                _events.Add(new FaultEvent(label, _actedAt ?? Clock.NowNanoseconds(), _tookEffectAt));
            }
        }
    }

    /// <summary>Resumes every paused node (so that the cluster can be stopped and read).</summary>
    public void ResumeAll()
    {
        foreach (var id in _paused)
        {
            cluster.Resume(id);
        }

        _paused.Clear();
    }

    /// <summary>Restarts every killed node.</summary>
    public async Task RestartAllAsync()
    {
        foreach (var id in _killed)
        {
            await cluster.RestartAsync(id).ConfigureAwait(false);
        }

        _killed.Clear();
    }

    /// <summary>Removes every network fault (the relays' cuts).</summary>
    public void Heal()
    {
        if (cluster.FaultRules.Count > 0)
        {
            cluster.Heal();
        }

        _isolated.Clear();
    }

    /// <summary>Undoes every fault still in force: resumes, restarts, heals.</summary>
    public async Task RecoverAllAsync()
    {
        ResumeAll();
        await RestartAllAsync().ConfigureAwait(false);
        Heal();
    }

    private async Task<string> ApplyAsync(FaultKind kind, CancellationToken cancellation)
    {
        switch (kind)
        {
            case FaultKind.KillLeader or FaultKind.KillFollower:
                var victim = await PickAsync(kind == FaultKind.KillLeader, cancellation).ConfigureAwait(false);
                _actedAt = Clock.NowNanoseconds(); // SIGKILL goes out at once; waiting for the exit takes tens of ms more
                await cluster.KillAsync(victim).ConfigureAwait(false);
                _tookEffectAt = Clock.NowNanoseconds(); // until the exit the node may still commit writes called after the signal
                _killed.Add(victim);
                return $"{FaultPlan.NameOf(kind)} n{victim}";
            case FaultKind.StopLeader:
                var stopped = await PickAsync(leader: true, cancellation).ConfigureAwait(false);
                _actedAt = Clock.NowNanoseconds();
                // In force at the SIGTERM: what the node still commits is served, not a dying node's leftover (as after
                // a SIGKILL), so a write called during the hand-over and answered counts as available.
                await cluster.StopAsync(stopped, StopGrace).ConfigureAwait(false);
                _killed.Add(stopped);
                return $"{FaultPlan.NameOf(kind)} n{stopped}";
            case FaultKind.PauseLeader or FaultKind.PauseFollower:
                var paused = await PickAsync(kind == FaultKind.PauseLeader, cancellation).ConfigureAwait(false);
                cluster.Pause(paused);
                _paused.Add(paused);
                return $"{FaultPlan.NameOf(kind)} n{paused}";
            case FaultKind.PartitionLeader or FaultKind.PartitionFollower:
                var isolated = await PickAsync(kind == FaultKind.PartitionLeader, cancellation, relayed: true).ConfigureAwait(false);
                cluster.Isolate(isolated); // the relays close its peer connections at once
                _isolated.Add(isolated);
                return $"{FaultPlan.NameOf(kind)} n{isolated}";
            case FaultKind.TransferLeader:
                var from = await PickAsync(leader: true, cancellation).ConfigureAwait(false);
                _actedAt = Clock.NowNanoseconds();
                var to = await cluster.Client.TransferLeadershipAsync(cancellationToken: cancellation).ConfigureAwait(false);
                _tookEffectAt = Clock.NowNanoseconds(); // answered once the new leader leads
                return $"{FaultPlan.NameOf(kind)} n{from}->n{to}";
            case FaultKind.AddLearner or FaultKind.Promote or FaultKind.RemoveFollower or FaultKind.RemoveLeader or FaultKind.ReplaceFollower:
                return await ApplyMembershipAsync(kind, cancellation).ConfigureAwait(false);
            case FaultKind.MoveShard or FaultKind.Rebalance:
                return await ApplyShardsAsync(kind, cancellation).ConfigureAwait(false);
            case FaultKind.Restart:
                var restarted = Nodes(_killed);
                await RestartAllAsync().ConfigureAwait(false);
                return $"restart {restarted}";
            case FaultKind.Resume:
                var resumed = Nodes(_paused);
                ResumeAll();
                return $"resume {resumed}";
            default:
                var healed = Nodes(_isolated);
                Heal();
                return $"heal {healed}";
        }
    }

    private async Task<int> PickAsync(bool leader, CancellationToken cancellation, bool relayed = false)
    {
        var leaderId = await cluster.FindLeaderAsync(cancellation).ConfigureAwait(false)
            ?? await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (leader)
        {
            return leaderId;
        }

        int[] followers = [.. cluster.NodeIds
            .Where(id => id != leaderId && cluster.IsRunning(id) && !_paused.Contains(id) && !_isolated.Contains(id))
            .Where(id => !relayed || id <= cluster.NodeCount)]; // a joined node's links run outside the relays
        return followers.Length > 0 ? followers[0] : throw new InvalidOperationException("no running, reachable follower to fault");
    }

    private static string Nodes(IEnumerable<int> ids) =>
        string.Join(' ', ids.Order().Select(id => $"n{id}")) is { Length: > 0 } text ? text : "(none)";
}
