namespace KvRaft.Simulation;

/// <summary>How faulty one sharded run is, drawn from its seed.</summary>
internal sealed record ShardedFaultProfile(int DataGroups, int Clients, double CrashChance, bool TwoDownAllowed, long PowerCutStep, double PartitionChance,
    double DropChance, int DelayStepsMax, int CommitDelayStepsMax, double MisrouteChance, int ControllerEverySteps)
{
    /// <summary>The share of frames delivered twice (drawn from a stream of its own, so the other draws stay as they were).</summary>
    public double DuplicateChance { get; init; }

    /// <summary>The share of frames held 30 to 90 steps.</summary>
    public double LongDelayChance { get; init; }

    /// <summary>The chance a step stalls a process's event loop for 5 to 80 steps (one election timeout is 30).</summary>
    public double StallChance { get; init; }

    /// <summary>Log bytes a group's replica writes after its latest snapshot before it takes the next one.</summary>
    public long SnapshotAfterLogBytes { get; init; }

    /// <summary>Entries kept behind a snapshot for slow followers (fewer: more installs).</summary>
    public long CompactionLagEntries { get; init; }

    /// <summary>The controller group's <see cref="SnapshotAfterLogBytes"/> (it writes a few entries per shard move).</summary>
    public long ControllerSnapshotAfterLogBytes { get; init; }

    /// <summary>Each process's clock: -1 slow, 1 fast, 0 exact (at most one tick per election timeout).</summary>
    public int[] ClockDrifts { get; init; } = [];

    public static ShardedFaultProfile Draw(Random random) => new(
        DataGroups: 2 + random.Next(2),
        Clients: 3 + random.Next(4),
        CrashChance: new[] { 1.0 / 200, 1.0 / 500, 1.0 / 1200 }[random.Next(3)],
        TwoDownAllowed: random.Next(4) == 0,
        PowerCutStep: random.Next(3) == 0 ? 200 + random.Next(2000) : -1,
        PartitionChance: new[] { 1.0 / 300, 1.0 / 700, 1.0 / 1500 }[random.Next(3)],
        DropChance: new[] { 0, 0.005, 0.02, 0.05 }[random.Next(4)],
        DelayStepsMax: new[] { 1, 2, 3, 5 }[random.Next(4)],
        CommitDelayStepsMax: new[] { 0, 2, 5 }[random.Next(3)], // the shared log's commit (and a shard export's read) takes up to this many steps
        MisrouteChance: new[] { 0, 0.1, 0.3 }[random.Next(3)],
        ControllerEverySteps: 30 + random.Next(300));

    /// <summary>Duplication, long delays and stalls, from <paramref name="random"/> (a stream of their own).</summary>
    public ShardedFaultProfile WithDuplicatesDelaysAndStalls(Random random) => this with
    {
        DuplicateChance = new[] { 0, 0.01, 0.05 }[random.Next(3)],
        LongDelayChance = new[] { 0, 0.002, 0.01 }[random.Next(3)],
        StallChance = new[] { 0, 1.0 / 300, 1.0 / 1000 }[random.Next(3)],
    };

    /// <summary>Snapshot thresholds and clock drifts for <paramref name="processes"/> processes, from <paramref name="random"/> (a stream of their own).</summary>
    public ShardedFaultProfile WithSnapshotsAndDrift(Random random, int processes) => this with
    {
        SnapshotAfterLogBytes = 512 + random.Next(4096),
        CompactionLagEntries = random.Next(8),
        ControllerSnapshotAfterLogBytes = 1 + random.Next(256),
        ClockDrifts = random.Next(2) == 0 ? new int[processes] : [.. Enumerable.Range(0, processes).Select(_ => random.Next(3) - 1)],
    };

    /// <summary>The nodes' limits: small snapshot thresholds (a run takes many, and catches replicas up by snapshot), 256-byte chunks in a small window.</summary>
    public Server.Node.ServerLimits SnapshotLimits(long snapshotAfterLogBytes) => new()
    {
        SnapshotAfterLogBytes = snapshotAfterLogBytes,
        SnapshotAfterLogBytesMin = snapshotAfterLogBytes,
        CompactionLagEntries = CompactionLagEntries,
        CompactionLagBytes = 0,
        SnapshotWindowChunks = 4,
        SnapshotWindowBytes = 768,
    };

    /// <summary>The profile as the trace prints it (the drifts by process).</summary>
    public override string ToString() =>
        $"{DataGroups} data groups, {Clients} clients, crash {CrashChance:F4}, two down {TwoDownAllowed}, power cut {PowerCutStep}, partition {PartitionChance:F4}, drop {DropChance}, delay {DelayStepsMax}, commit delay {CommitDelayStepsMax}, misroute {MisrouteChance}, controller every {ControllerEverySteps}, duplicate {DuplicateChance}, long delay {LongDelayChance}, stall {StallChance:F4}, snapshot after {SnapshotAfterLogBytes} B (controller {ControllerSnapshotAfterLogBytes} B), lag {CompactionLagEntries}, drift {string.Join(",", ClockDrifts)}";
}

/// <summary>The faults of a sharded run: crashes and restarts, power cuts, partitions, loss, duplication and delay, stalls.</summary>
internal sealed partial class ShardedSimulation
{
    private readonly Dictionary<int, long> _restartAt = []; // a crashed process → the step it starts again
    private long _healAt = -1; // the step the current partition ends; -1: none
    private int _crashes;
    private int _partitions;

    private void InjectFaults()
    {
        _cluster.Network.DropChance = _profile.DropChance;
        _cluster.Network.DelayStepsMax = _profile.DelayStepsMax;
        _cluster.Network.DuplicateChance = _profile.DuplicateChance;
        _cluster.Network.LongDelayChance = _profile.LongDelayChance;
        foreach (var (id, at) in _restartAt.Where(item => item.Value <= Step).ToList())
        {
            Restart(id);
        }
        if (_healAt >= 0 && _healAt <= Step)
        {
            HealNetwork();
        }
        if (Step == _profile.PowerCutStep)
        {
            PowerCut();
        }
        else if (_random.NextDouble() < _profile.CrashChance && _restartAt.Count < (_profile.TwoDownAllowed ? 2 : 1))
        {
            var up = _cluster.ProcessIds.Where(id => !_restartAt.ContainsKey(id)).ToArray();
            Crash(up[_random.Next(up.Length)], 20 + _random.Next(300));
        }
        if (_healAt < 0 && _random.NextDouble() < _profile.PartitionChance)
        {
            Partition();
        }
        if (_profile.StallChance > 0 && _random.NextDouble() < _profile.StallChance)
        {
            var process = _cluster.Process(_cluster.ProcessIds[_random.Next(_cluster.ProcessIds.Length)]);
            var steps = 5 + _random.Next(76);
            process.StalledUntilStep = Math.Max(process.StalledUntilStep, Step + steps);
            Trace($"stall p{process.Id} for {steps} steps");
        }
    }

    private void Crash(int id, int downSteps)
    {
        _cluster.Process(id).Crash();
        _restartAt[id] = Step + downSteps;
        _crashes++;
        Trace($"crash p{id}, restarts in {downSteps} steps");
    }

    private void Restart(int id)
    {
        _restartAt.Remove(id);
        _cluster.Process(id).Start();
        Trace($"restart p{id}");
    }

    /// <summary>Every running process crashes at once; each starts again after its own delay.</summary>
    private void PowerCut()
    {
        Trace("power cut");
        foreach (var id in _cluster.ProcessIds.Where(id => !_restartAt.ContainsKey(id)))
        {
            Crash(id, 1 + _random.Next(60));
        }
    }

    /// <summary>One process cut off (both ways, or only what it sends, or only what it hears), or one link cut both ways.</summary>
    private void Partition()
    {
        var ids = _cluster.ProcessIds;
        var process = ids[_random.Next(ids.Length)];
        var others = ids.Where(id => id != process).ToArray();
        var kind = _random.Next(4);
        switch (kind)
        {
            case 0:
                _cluster.Network.IsolatedProcesses.Add(process);
                break;
            case 1:
                foreach (var other in others)
                {
                    _cluster.Network.CutLinks.Add((process, other)); // heard by no one, hears everyone
                }
                break;
            case 2:
                foreach (var other in others)
                {
                    _cluster.Network.CutLinks.Add((other, process)); // heard by everyone, hears no one
                }
                break;
            default:
                var other2 = others[_random.Next(others.Length)];
                _cluster.Network.CutLinks.Add((process, other2));
                _cluster.Network.CutLinks.Add((other2, process));
                break;
        }
        var steps = 30 + _random.Next(400);
        _healAt = Step + steps;
        _partitions++;
        Trace($"partition of p{process} ({new[] { "cut off", "unheard", "deaf", "one link cut" }[kind]}) for {steps} steps");
    }

    private void HealNetwork()
    {
        _cluster.Network.IsolatedProcesses.Clear();
        _cluster.Network.CutLinks.Clear();
        _healAt = -1;
        Trace("network healed");
    }

    /// <summary>The liveness phase's start: the network whole and lossless, every crashed process running again.</summary>
    private void HealAll()
    {
        HealNetwork();
        _cluster.Network.DropChance = 0;
        _cluster.Network.LongDelayChance = 0;
        foreach (var process in _cluster.Processes)
        {
            process.StalledUntilStep = -1; // the missed ticks are handed over at its next step
            process.ClockDrift = 0; // as the one-group simulator's liveness phase
        }
        foreach (var id in _restartAt.Keys.ToList())
        {
            Restart(id);
        }
    }
}
