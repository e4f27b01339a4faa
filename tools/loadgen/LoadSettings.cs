// Goal: everything that defines a workload, independent of the command line.
namespace KvRaft.Loadgen;

/// <summary>The workload of one run.</summary>
public sealed record LoadSettings
{
    /// <summary>Logical clients; each has at most one operation outstanding.</summary>
    public int Clients { get; init; } = 64;

    /// <summary>How long the load runs (ignored when <see cref="Operations"/> is set).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Total operations to issue; null runs for <see cref="Duration"/>.</summary>
    public long? Operations { get; init; }

    /// <summary>The share of each operation kind.</summary>
    public OperationMix Mix { get; init; } = OperationMix.Default;

    /// <summary>Number of keys.</summary>
    public int Keys { get; init; } = 1000;

    /// <summary>How keys are drawn.</summary>
    public KeyDistribution Distribution { get; init; } = KeyDistribution.Uniform;

    /// <summary>Bytes of each written value.</summary>
    public int ValueSize { get; init; } = 100;

    /// <summary>Open-loop target in operations per second over all clients; 0 = closed loop.</summary>
    public double RatePerSecond { get; init; }

    /// <summary>Seed of every random choice.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Deadline of one operation, retries included.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The same workload runs this long before the measured run, and is not measured (0: none).</summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>
    /// Keep each operation's key, values and output (a history is written or checked). Without them the run
    /// keeps only kinds, times and outcomes: millions of retained 100-byte strings made the collector a tenth
    /// of loadgen's CPU.
    /// </summary>
    public bool KeepArguments { get; init; } = true;
}
