using KvRaft.Linearizability;
using KvRaft.Protocol;
using KvRaft.Testing.Groups;

namespace KvRaft.Simulation;

/// <summary>Everything that shapes one sharded run; all of it derives from the seed unless set.</summary>
public sealed record ShardedSimulationOptions
{
    /// <summary>The one seed that fixes the whole run.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Steps of chaos (faults, shard moves and rebalances, client load) before the liveness phase.</summary>
    public int ChaosSteps { get; init; } = 2500;

    /// <summary>Steps the healed cluster has for each stage of the liveness phase.</summary>
    public int LivenessStepsMax { get; init; } = 6000;

    /// <summary>Print every fault and controller change.</summary>
    public bool Trace { get; init; }

    /// <summary>The migration bug planted for this run (test-only).</summary>
    internal MigrationPlant Plant { get; init; }
}

/// <summary>What a passing sharded run did.</summary>
public readonly record struct ShardedSimulationResult(ulong Seed, int DataGroups, long Steps, int Acknowledged, int Operations, int Moves, int Rebalances, int Crashes, int Partitions)
{
    /// <summary>Snapshots taken, every process and group.</summary>
    public int SnapshotsTaken { get; init; }

    /// <summary>Snapshots the data groups' replicas installed (a replica caught up by its leader's snapshot).</summary>
    public int DataSnapshotsInstalled { get; init; }

    /// <summary>Snapshots the controller group's replicas installed.</summary>
    public int ControllerSnapshotsInstalled { get; init; }

    /// <summary>Data group installs that brought a migration under way (shard states not settled).</summary>
    public int InstallsMidMigration { get; init; }
}

/// <summary>
/// One deterministic run of a sharded cluster, fixed entirely by its seed: three simulated processes each running the
/// shipped <c>GroupReplicas</c> (the replicated shard controller as group 0 and two or three data groups over one
/// shared in-memory log whose unsynced writes vanish or tear at a crash, <see cref="GroupedCluster"/>); a chaos phase
/// of crashes and restarts of single processes (now and then of all of them), partitions (a process cut off, or cut
/// one way, or one link), message loss and delay, clocks that drift, shard moves and rebalances (a data group leaving and
/// joining again) written through the controller's log, every group snapshotting and compacting its log often (small
/// drawn thresholds) so that replicas left behind are caught up by snapshot installs (<see cref="GroupSnapshots"/>), and clients that append unique tokens and read while routing by a cached
/// configuration (<see cref="MigrationWorkload"/>); then a liveness phase that heals everything and requires every
/// client answered, every key readable and every data group settled at the newest configuration; then the checks:
/// sessions moved with their shards, no append applied twice, no acknowledged append lost, no stale read, and the
/// per-key linearizability of the whole history.
/// </summary>
internal sealed partial class ShardedSimulation
{
    private const int Keys = 24;
    private const int Processes = 3;
    private readonly ShardedSimulationOptions _options;
    private readonly Random _random; // the faults' and the controller's choices (the cluster draws from its own)
    private readonly GroupedCluster _cluster;
    private readonly MigrationWorkload _workload;
    private readonly ShardedFaultProfile _profile;
    private readonly GroupSnapshots _snapshots;

    public ShardedSimulation(ShardedSimulationOptions options)
    {
        _options = options;
        _random = new Random(unchecked((int)(options.Seed ^ 0x5A4D_C0DE) ^ (int)(options.Seed >> 32)));
        _profile = ShardedFaultProfile.Draw(_random).WithDuplicatesDelaysAndStalls(new Random(unchecked((int)(options.Seed ^ 0xD0B1_E5) ^ (int)(options.Seed >> 32))))
            .WithSnapshotsAndDrift(new Random(unchecked((int)(options.Seed ^ 0x5AA9_5407) ^ (int)(options.Seed >> 32))), Processes);
        _snapshots = new GroupSnapshots(_profile.SnapshotLimits(_profile.SnapshotAfterLogBytes), ChunkBytes: 256, Path.Combine(StagingRoot, $"kvraft-shardsim-{options.Seed}-{Guid.NewGuid():N}"))
        {
            ControllerLimits = _profile.SnapshotLimits(_profile.ControllerSnapshotAfterLogBytes),
        };
        _cluster = new GroupedCluster(groups: 1 + _profile.DataGroups, unchecked((int)options.Seed ^ (int)(options.Seed >> 32)), Processes, _profile.CommitDelayStepsMax,
            controllerDataGroups: _profile.DataGroups, wrapMachine: MigrationPlants.WrapMachine(options.Plant), snapshots: _snapshots);
        foreach (var (process, drift) in _cluster.Processes.Zip(_profile.ClockDrifts))
        {
            process.ClockDrift = drift;
        }
        MigrationPlants.Intercept(_cluster, options.Plant);
        _workload = new MigrationWorkload(_cluster, clients: _profile.Clients, keys: Keys) { MisrouteChance = _profile.MisrouteChance };
    }

    private long Step => _cluster.Step;

    // Snapshot installs stage their files on disk; memory-backed when the machine has it.
    private static string StagingRoot => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    /// <summary>Runs the whole simulation; throws <see cref="SimulationFailure"/> on a broken property.</summary>
    public ShardedSimulationResult Run()
    {
        Trace($"seed {_options.Seed}: {Processes} processes, controller and {_profile.DataGroups} data groups, plant {_options.Plant}, profile {_profile}");
        MigrationVerdict verdict;
        try
        {
            Bootstrap();
            for (var i = 0; i < _options.ChaosSteps; i++)
            {
                InjectFaults();
                DriveController(startNew: true);
                _workload.Step();
                _cluster.RunSteps(1);
            }
            verdict = RunLiveness();
        }
        catch (SimulationFailure)
        {
            throw;
        }
        catch (Exception exception)
        {
            throw Failure(ViolationKind.UnexpectedException, exception.ToString(), exception);
        }
        finally
        {
            if (Directory.Exists(_snapshots.StagingDirectory))
            {
                Directory.Delete(_snapshots.StagingDirectory, recursive: true);
            }
        }
        Check(verdict);
        Trace($"snapshots: taken by group {string.Join(" ", _snapshots.TakenByGroup.OrderBy(item => item.Key).Select(item => $"g{item.Key}:{item.Value}"))}, installed by group {string.Join(" ", _snapshots.InstalledByGroup.OrderBy(item => item.Key).Select(item => $"g{item.Key}:{item.Value}"))}, streams broken {_snapshots.StreamsBroken}");
        return new ShardedSimulationResult(_options.Seed, _profile.DataGroups, Step, verdict.Acknowledged, _workload.History.Count, _moves, _rebalances, _crashes, _partitions)
        {
            SnapshotsTaken = _snapshots.Taken,
            DataSnapshotsInstalled = _snapshots.Installed - _snapshots.InstalledByGroup.GetValueOrDefault(0),
            ControllerSnapshotsInstalled = _snapshots.InstalledByGroup.GetValueOrDefault(0),
            InstallsMidMigration = _snapshots.InstalledMidMigration,
        };
    }

    /// <summary>Every group elects a leader and every data group takes configuration 1; sessions registered, before any fault.</summary>
    private void Bootstrap()
    {
        _cluster.ElectAll();
        _cluster.RunUntil(() => _cluster.DataReplicas().All(shards => shards.Current.Number == 1));
        _controllerSession = _cluster.Call(0, new ClientRequest { Op = ClientOp.RegisterSession }).ClientId;
        _workload.RegisterSessions();
    }

    /// <summary>Heals everything, then requires the controller's change answered, every client answered, every key read and every data group settled.</summary>
    private MigrationVerdict RunLiveness()
    {
        HealAll();
        var started = Step;
        for (var i = 0; i < _options.LivenessStepsMax && _controllerPending is not null; i++)
        {
            DriveController(startNew: false);
            _workload.Step(startNew: false);
            _cluster.RunSteps(1);
        }
        if (_controllerPending is { } pending)
        {
            throw Failure(ViolationKind.Liveness, $"the controller did not answer {pending.Op} within {_options.LivenessStepsMax} steps of the heal");
        }
        MigrationVerdict verdict;
        try
        {
            verdict = _workload.Finish(_moves + _rebalances, _options.LivenessStepsMax);
        }
        catch (InvalidOperationException unanswered)
        {
            throw Failure(ViolationKind.Liveness, $"a final read: {unanswered.Message}");
        }
        var latest = _cluster.LatestConfiguration.Number;
        for (var i = 0; i < _options.LivenessStepsMax && !_cluster.DataReplicas().All(shards => shards.Current.Number == latest && shards.Settled); i++)
        {
            _cluster.RunSteps(1);
        }
        if (_cluster.DataReplicas().FirstOrDefault(shards => shards.Current.Number != latest || !shards.Settled) is { } behind)
        {
            throw Failure(ViolationKind.Liveness, $"a data replica is at configuration {behind.Current.Number} (settled: {behind.Settled}), not settled at {latest}, {Step - started} steps after the heal");
        }
        Trace($"healed and settled at configuration {latest} in {Step - started} steps");
        return verdict;
    }

    /// <summary>
    /// The checks of what the clients saw: the data's before the sessions' (a shard served before its data arrived has
    /// no sessions either, and loses appends: the check that names it speaks first).
    /// </summary>
    private void Check(MigrationVerdict verdict)
    {
        if (verdict.LostAcknowledgedAppends.Count > 0)
        {
            throw Failure(ViolationKind.AcknowledgedWriteLost, "acknowledged appends missing at the end: " + string.Join("; ", verdict.LostAcknowledgedAppends.Take(3)));
        }
        if (verdict.StaleReads.Count > 0)
        {
            throw Failure(ViolationKind.Linearizability, "stale reads: " + string.Join("; ", verdict.StaleReads.Take(3)));
        }
        if (verdict.SessionsNotMoved.Count > 0)
        {
            throw Failure(ViolationKind.SessionNotMoved, string.Join("; ", verdict.SessionsNotMoved.Take(3)));
        }
        if (verdict.AppliedTwice.Count > 0)
        {
            throw Failure(ViolationKind.DuplicateApply, "appends applied twice (or never sent): " + string.Join("; ", verdict.AppliedTwice.Take(3)));
        }
        if (verdict.Unfinished.Count > 0)
        {
            throw Failure(ViolationKind.Liveness, "clients not answered after the heal: " + string.Join("; ", verdict.Unfinished.Take(3)));
        }
        var result = HistoryChecker.Check(_workload.History, new CheckOptions
        {
            MaxStepsPerKey = 2_000_000,
            TimeoutPerKey = TimeSpan.FromHours(1), // the step budget decides, so the verdict is the same on every machine
            MaxDegreeOfParallelism = 1,
        });
        if (result.Verdict == Verdict.NotLinearizable)
        {
            throw Failure(ViolationKind.Linearizability, result.Describe());
        }
        if (result.Verdict == Verdict.Unknown)
        {
            throw Failure(ViolationKind.CheckerUndecided, result.Describe());
        }
    }

    private SimulationFailure Failure(ViolationKind kind, string violation, Exception? inner = null)
    {
        TraceGroups();
        Trace($"VIOLATION {kind}: {violation}");
        return new SimulationFailure(_options.Seed, Step, kind, violation, inner, sharded: true);
    }

    /// <summary>Every replica: role, term, commit, configuration and the shards not settled there (state by shard).</summary>
    private void TraceGroups()
    {
        foreach (var process in _cluster.Processes)
        {
            Trace(process.Replicas is not { } replicas ? $"p{process.Id}: down" : $"p{process.Id}: " + string.Join("  ", Enumerable.Range(0, _cluster.Groups).Select(group =>
            {
                var (status, shards) = (replicas[group].RaftStatus, replicas[group].Shards);
                var unsettled = shards is null ? "" : string.Join(",", Enumerable.Range(0, shards.Current.ShardCount)
                    .Where(shard => shards.StateOf(shard) is not (Server.Node.Sharding.ShardState.Serving or Server.Node.Sharding.ShardState.NotOwned))
                    .Select(shard => $"{shard}:{shards.StateOf(shard)}"));
                return $"g{group} {status.Role} t{status.Term} c{status.Commit} a{status.Applied}{(shards is null ? "" : $" conf {shards.Current.Number} {unsettled}")}";
            })));
        }
    }

    private void Trace(string line)
    {
        if (_options.Trace)
        {
            Console.WriteLine($"[{Step,5}] {line}");
        }
    }
}
