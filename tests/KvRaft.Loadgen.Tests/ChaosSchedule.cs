// Goal: a deterministic schedule of kills/restarts, pauses/resumes and partitions/heals drawn from a seed.
namespace KvRaft.Loadgen.Tests;

internal static class ChaosSchedule
{
    /// <summary>The disruptions by class: kill, pause, partition (each of the leader or of a follower).</summary>
    private static readonly FaultKind[][] Classes =
    [
        [FaultKind.KillLeader, FaultKind.KillFollower],
        [FaultKind.PauseLeader, FaultKind.PauseFollower],
        [FaultKind.PartitionLeader, FaultKind.PartitionFollower],
    ];

    /// <summary>
    /// Disruption, then its recovery 1.5–3.5 s later, then a calm 1–3 s, until <paramref name="duration"/>
    /// minus 2 s. The first three disruptions are one kill, one pause and one partition in a random
    /// order (so every schedule of 20 s or more has all three); the rest are drawn uniformly.
    /// </summary>
    public static IReadOnlyList<FaultStep> Create(int seed, TimeSpan duration)
    {
        var random = new Random(seed);
        int[] firstClasses = [0, 1, 2];
        random.Shuffle(firstClasses);
        var steps = new List<FaultStep>();
        var atSeconds = 2 + random.NextDouble() * 2;
        for (var count = 0; ; count++)
        {
            var kinds = Classes[count < firstClasses.Length ? firstClasses[count] : random.Next(Classes.Length)];
            var disruption = kinds[random.Next(kinds.Length)];
            var recoverSeconds = atSeconds + 1.5 + random.NextDouble() * 2;
            if (recoverSeconds > duration.TotalSeconds - 2)
            {
                return steps;
            }

            steps.Add(new FaultStep(disruption, TimeSpan.FromSeconds(atSeconds)));
            steps.Add(new FaultStep(RecoveryOf(disruption), TimeSpan.FromSeconds(recoverSeconds)));
            atSeconds = recoverSeconds + 1 + random.NextDouble() * 2;
        }
    }

    /// <summary>What undoes <paramref name="disruption"/>.</summary>
    public static FaultKind RecoveryOf(FaultKind disruption) => disruption switch
    {
        FaultKind.KillLeader or FaultKind.KillFollower => FaultKind.Restart,
        FaultKind.PauseLeader or FaultKind.PauseFollower => FaultKind.Resume,
        _ => FaultKind.Heal,
    };
}
