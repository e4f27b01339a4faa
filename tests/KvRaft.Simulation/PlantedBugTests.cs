// Goal: every check of the simulator bites: each planted bug is caught within 10,000 seeds by the check that names
// it, and the very seed that caught it passes with the bug off. Method: plant one bug (test-only switch compiled into
// the core's and the node's sources under PLANTED_BUGS), search seeds from 0 for the first failure, assert its kind,
// then replay that seed without the bug.
using Xunit;

namespace KvRaft.Simulation;

public sealed class PlantedBugTests
{
    public static TheoryData<string, ViolationKind[]> Plants => new()
    {
        { nameof(PlantedBug.VoteWithoutUpToDateCheck), [ViolationKind.CommittedEntryChanged, ViolationKind.LeaderCompleteness] },
        { nameof(PlantedBug.CommitPreviousTermByCounting), [ViolationKind.CommittedEntryChanged, ViolationKind.LeaderCompleteness] },
        { nameof(PlantedBug.AppendWithoutTruncatingConflict), [ViolationKind.CommittedEntryChanged, ViolationKind.StateMachineSafety] },
        { nameof(PlantedBug.ReadWithoutHeartbeatRound), [ViolationKind.Linearizability] },
        { nameof(PlantedBug.VoteReplyBeforePersist), [ViolationKind.ElectionSafety] },
        { nameof(PlantedBug.DedupOff), [ViolationKind.DuplicateApply] },
        { nameof(PlantedBug.AckBeforeDurable), [ViolationKind.DurableWriteLost] },
        { nameof(PlantedBug.SnapshotBoundaryAfterSwap), [ViolationKind.RestartFailed] },
        { nameof(PlantedBug.LeaseWithoutStallProtection), [ViolationKind.Linearizability] },
    };

    [Theory]
    [MemberData(nameof(Plants))]
    public void PlantedBug_IsCaughtByItsCheck_AndTheSameSeedPassesWithoutIt(string plant, ViolationKind[] expected)
    {
        var bug = Enum.Parse<PlantedBug>(plant);
        AssertCaughtByItsCheck(plant, "seeds 0..9999", SeedRunner.FirstFailure(0, 9_999, bug), expected,
            seed => new Simulation(new SimulationOptions { Seed = seed }).Run());
    }

    /// <summary>
    /// The planted bug <paramref name="plant"/> failed a seed (<paramref name="failure"/>, searched in <paramref name="searched"/>)
    /// with one of the <paramref name="expected"/> kinds, and <paramref name="runWithout"/> passes that seed without it (throws if not).
    /// </summary>
    internal static void AssertCaughtByItsCheck(string plant, string searched, SimulationFailure? failure, ViolationKind[] expected, Action<ulong> runWithout)
    {
        Assert.True(failure is not null, $"{plant} was not caught in {searched}");
        Assert.True(expected.Contains(failure.Kind), $"{plant} caught as {failure.Kind}, expected {string.Join(" or ", expected)}: {failure.Message}");
        runWithout(failure.Seed);
    }
}
