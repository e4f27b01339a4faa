// Goal: the groups of a GroupedCluster snapshot, compact and catch replicas up by snapshot, as a GroupServer's do
// (small thresholds so that short runs take many); method: the node's limits and the state machines' chunk size, a
// staging folder per process and group for incoming snapshots, and the counts of what was taken and installed.
using KvRaft.Server.Node;

namespace KvRaft.Testing.Groups;

/// <summary>How the groups of a <see cref="GroupedCluster"/> take and install snapshots (null there: they never do).</summary>
/// <param name="Limits">Every node's limits: the snapshot thresholds, the compaction lag, the stream's window.</param>
/// <param name="ChunkBytes">The state machines' snapshot chunk size.</param>
/// <param name="StagingDirectory">The root of the processes' staging folders (the caller deletes it).</param>
internal sealed record GroupSnapshots(ServerLimits Limits, int ChunkBytes, string StagingDirectory)
{
    /// <summary>Group 0's limits when it differs (the controller writes far less than the data groups); null: <see cref="Limits"/>.</summary>
    public ServerLimits? ControllerLimits { get; init; }

    /// <summary>The limits of <paramref name="group"/>'s nodes.</summary>
    public ServerLimits LimitsOf(int group) => group == 0 && ControllerLimits is { } controller ? controller : Limits;

    /// <summary>Snapshots taken, by group (every process and incarnation).</summary>
    public Dictionary<int, int> TakenByGroup { get; } = [];

    /// <summary>Snapshots installed on a replica (streamed from a leader and swapped in), by group.</summary>
    public Dictionary<int, int> InstalledByGroup { get; } = [];

    /// <summary>Installs in a data group that brought a migration under way (shard states not settled: pulls or drops pending).</summary>
    public int InstalledMidMigration { get; set; }

    /// <summary>Snapshot streams that broke part-way (a cut, a crash, a stall, a drawn break).</summary>
    public int StreamsBroken { get; set; }

    /// <summary>Snapshots taken, every group.</summary>
    public int Taken => TakenByGroup.Values.Sum();

    /// <summary>Snapshots installed, every group.</summary>
    public int Installed => InstalledByGroup.Values.Sum();

    /// <summary>Where process <paramref name="processId"/> stages the snapshots of <paramref name="group"/>.</summary>
    public string StagingOf(int processId, int group) => Path.Combine(StagingDirectory, $"p{processId}", $"g{group}");

    internal void OnTaken(int group) => TakenByGroup[group] = TakenByGroup.GetValueOrDefault(group) + 1;

    internal void OnInstalled(int group) => InstalledByGroup[group] = InstalledByGroup.GetValueOrDefault(group) + 1;
}
