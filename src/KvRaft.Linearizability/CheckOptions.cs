namespace KvRaft.Linearizability;

/// <summary>Limits of a check. A key whose search exceeds them is reported unknown, never linearizable.</summary>
public sealed record CheckOptions
{
    /// <summary>The defaults: 20 million steps (memo memory stays under about a GB) and 60 seconds per key, all cores.</summary>
    public static CheckOptions Default { get; } = new();

    /// <summary>Search steps allowed per key.</summary>
    public long MaxStepsPerKey { get; init; } = 20_000_000;

    /// <summary>Wall-clock time allowed per key.</summary>
    public TimeSpan TimeoutPerKey { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Keys checked at once; -1 means one per core.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>Stops every search early (those keys are then unknown).</summary>
    public CancellationToken Cancellation { get; init; }
}
