// Goal: every bound of the real-cluster scenarios in one place; method: constants only.
namespace KvRaft.Server.Tests.Cluster;

internal static class ScenarioLimits
{
    /// <summary>The longest any one wait for a condition may take before the scenario fails.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The longest a whole scenario may take before it fails (far above its usual few seconds).</summary>
    public static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Deadline of one client operation, retries included, in scenarios without faults.</summary>
    public static readonly TimeSpan HealthyOperationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of one client operation under faults: long enough to ride out an election, short enough to end a stuck call.</summary>
    public static readonly TimeSpan FaultyOperationTimeout = TimeSpan.FromSeconds(4);

    /// <summary>How often a condition is polled (status of a node, counters).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Deadline of one status request to one node.</summary>
    public static readonly TimeSpan StatusTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Start attempts of a cluster whose freshly picked ports were taken meanwhile.</summary>
    public const int StartAttemptsMax = 5;

    /// <summary>Log lines kept for the report of a failed scenario.</summary>
    public const int LogLinesMax = 3000;

    /// <summary>Budget of the linearizability check per key.</summary>
    public static readonly TimeSpan CheckTimeoutPerKey = TimeSpan.FromSeconds(30);
}
