namespace KvRaft.Simulation;

/// <summary>A broken safety or liveness property, naming the seed that reproduces it.</summary>
public sealed class SimulationFailure : Exception
{
    /// <summary>Creates the failure for <paramref name="seed"/>.</summary>
    public SimulationFailure(ulong seed, long tick, string property)
        : base($"seed {seed}, tick {tick}: {property}. Replay: dotnet run -c Release --project tests/KvRaft.Simulation -- --seed {seed} --trace")
    {
        Seed = seed;
        Tick = tick;
        Property = property;
    }

    /// <summary>Not used.</summary>
    public SimulationFailure() { }

    /// <summary>Not used.</summary>
    public SimulationFailure(string message) : base(message) { }

    /// <summary>Not used.</summary>
    public SimulationFailure(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The seed that reproduces the failure.</summary>
    public ulong Seed { get; }

    /// <summary>The simulated tick at which it was seen.</summary>
    public long Tick { get; }

    /// <summary>The property that broke.</summary>
    public string Property { get; } = "";
}
