// Goal: a deterministic schedule of kills/restarts and pauses/resumes drawn from a seed.
namespace KvRaft.Loadgen.Tests;

internal static class ChaosSchedule
{
    private static readonly FaultKind[] Disruptions = [FaultKind.KillLeader, FaultKind.KillFollower, FaultKind.PauseLeader, FaultKind.PauseFollower];

    /// <summary>Disruption, then its recovery 1.5–3.5 s later, then a calm 1–3 s, until <paramref name="duration"/> minus 2 s.</summary>
    public static IReadOnlyList<FaultStep> Create(int seed, TimeSpan duration)
    {
        var random = new Random(seed);
        var steps = new List<FaultStep>();
        double atSeconds = 2 + random.NextDouble() * 2;
        while (true)
        {
            FaultKind disruption = Disruptions[random.Next(Disruptions.Length)];
            double recoverSeconds = atSeconds + 1.5 + random.NextDouble() * 2;
            if (recoverSeconds > duration.TotalSeconds - 2) return steps;
            steps.Add(new FaultStep(disruption, TimeSpan.FromSeconds(atSeconds)));
            FaultKind recovery = disruption is FaultKind.KillLeader or FaultKind.KillFollower ? FaultKind.Restart : FaultKind.Resume;
            steps.Add(new FaultStep(recovery, TimeSpan.FromSeconds(recoverSeconds)));
            atSeconds = recoverSeconds + 1 + random.NextDouble() * 2;
        }
    }
}
