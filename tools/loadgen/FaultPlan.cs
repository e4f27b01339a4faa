// Goal: the fault schedule of a run ("kill-leader@5s,restart@10s,pause-follower@15s,resume@18s,partition-leader@20s,heal@23s,transfer-leader@26s,add-learner@30s,promote@34s,move-shard@36s,rebalance@38s").
namespace KvRaft.Loadgen;

/// <summary>A fault the load generator can inject.</summary>
public enum FaultKind
{
    /// <summary>SIGKILL the leader's process.</summary>
    KillLeader,
    /// <summary>SIGKILL a follower's process.</summary>
    KillFollower,
    /// <summary>SIGTERM the leader's process: it hands leadership over, then exits (SIGKILL after 5 s).</summary>
    StopLeader,
    /// <summary>Start every killed node again on its data.</summary>
    Restart,
    /// <summary>SIGSTOP the leader.</summary>
    PauseLeader,
    /// <summary>SIGSTOP a follower.</summary>
    PauseFollower,
    /// <summary>SIGCONT every paused node.</summary>
    Resume,
    /// <summary>Cut the leader off from every other node, both ways (by the relays every peer link then runs through, outside the nodes).</summary>
    PartitionLeader,
    /// <summary>Cut a follower off from every other node, both ways.</summary>
    PartitionFollower,
    /// <summary>Remove every network fault (every relay's cuts).</summary>
    Heal,
    /// <summary>Ask the leader to hand leadership to its most caught-up follower (the client protocol's TransferLeader).</summary>
    TransferLeader,
    /// <summary>Start a spare node that joins as a learner (--join).</summary>
    AddLearner,
    /// <summary>Promote the newest learner to voter, once it has caught up.</summary>
    Promote,
    /// <summary>Remove a voter that is not the leader through the client protocol, then stop its process.</summary>
    RemoveFollower,
    /// <summary>The leader removes itself; its process is stopped once another node leads.</summary>
    RemoveLeader,
    /// <summary>Kill a follower, wipe its data, remove it, add a node with a new id as a learner, promote it once caught up.</summary>
    ReplaceFollower,
    /// <summary>Sharded clusters: the controller moves a shard (drawn from the run's seed) to another data group of the configuration.</summary>
    MoveShard,
    /// <summary>
    /// Sharded clusters: the data group with the most shards leaves (the others take its shards); the next rebalance has
    /// it join again (the shards spread back over all), and so on, alternating.
    /// </summary>
    Rebalance,
}

/// <summary>One fault at an offset from the start of the load.</summary>
public sealed record FaultStep(FaultKind Kind, TimeSpan At)
{
    /// <summary>The name used on the command line, e.g. "kill-leader".</summary>
    public string Name => FaultPlan.NameOf(Kind);
}

/// <summary>Parses and validates a fault schedule.</summary>
public static class FaultPlan
{
    private static readonly Dictionary<string, FaultKind> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["kill-leader"] = FaultKind.KillLeader,
        ["kill-follower"] = FaultKind.KillFollower,
        ["stop-leader"] = FaultKind.StopLeader,
        ["restart"] = FaultKind.Restart,
        ["pause-leader"] = FaultKind.PauseLeader,
        ["pause-follower"] = FaultKind.PauseFollower,
        ["resume"] = FaultKind.Resume,
        ["partition-leader"] = FaultKind.PartitionLeader,
        ["partition-follower"] = FaultKind.PartitionFollower,
        ["heal"] = FaultKind.Heal,
        ["transfer-leader"] = FaultKind.TransferLeader,
        ["add-learner"] = FaultKind.AddLearner,
        ["promote"] = FaultKind.Promote,
        ["remove-follower"] = FaultKind.RemoveFollower,
        ["remove-leader"] = FaultKind.RemoveLeader,
        ["replace-follower"] = FaultKind.ReplaceFollower,
        ["move-shard"] = FaultKind.MoveShard,
        ["rebalance"] = FaultKind.Rebalance,
    };

    /// <summary>The command-line name of <paramref name="kind"/>.</summary>
    public static string NameOf(FaultKind kind) => Names.First(pair => pair.Value == kind).Key;

    /// <summary>Parses "name@time,…"; an empty text is no fault.</summary>
    public static IReadOnlyList<FaultStep> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var steps = new List<FaultStep>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('@');
            if (pair.Length != 2)
            {
                throw new FormatException($"fault \"{part}\" is not name@time (e.g. kill-leader@5s)");
            }

            if (!Names.TryGetValue(pair[0], out var kind))
            {
                throw new FormatException($"unknown fault \"{pair[0]}\" ({string.Join(", ", Names.Keys)})");
            }
            steps.Add(new FaultStep(kind, DurationText.Parse(pair[1])));
        }
        return [.. steps.OrderBy(step => step.At)];
    }

    /// <summary>True when the schedule cuts links: the cluster's peer links must then run through relays.</summary>
    public static bool NeedsLinkRelays(IEnumerable<FaultStep> steps) =>
        steps.Any(step => step.Kind is FaultKind.PartitionLeader or FaultKind.PartitionFollower or FaultKind.Heal);

    /// <summary>True when the schedule changes shard configurations: the cluster must be sharded (--groups).</summary>
    public static bool NeedsShards(IEnumerable<FaultStep> steps) =>
        steps.Any(step => step.Kind is FaultKind.MoveShard or FaultKind.Rebalance);

    /// <summary>The spare node slots the schedule needs: one per node it adds (each added node takes a new id).</summary>
    public static int SpareNodesNeeded(IEnumerable<FaultStep> steps) =>
        steps.Count(step => step.Kind is FaultKind.AddLearner or FaultKind.ReplaceFollower);
}
