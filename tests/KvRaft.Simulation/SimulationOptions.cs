namespace KvRaft.Simulation;

/// <summary>Everything that shapes one simulated run; all of it derives from the seed unless set.</summary>
public sealed record SimulationOptions
{
    /// <summary>The one seed that fixes the whole run.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Cluster size (3 or 5); 0 picks one from the seed.</summary>
    public int NodeCount { get; init; }

    /// <summary>Ticks of chaos (faults, client load) before the liveness phase.</summary>
    public int ChaosTicks { get; init; } = 400;

    /// <summary>Ticks the healed cluster has to answer every client and apply a new write everywhere.</summary>
    public int LivenessTicksMax { get; init; } = 600;

    /// <summary>Print every event.</summary>
    public bool Trace { get; init; }

    /// <summary>Forged peer messages and chunks injected per chaos tick (each must be refused and change nothing); 0: none.</summary>
    public int ForgeriesPerTick { get; init; }

    /// <summary>Bugs planted for this run (test-only).</summary>
    internal PlantedBug Plants { get; init; }
}
