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
        var failure = SeedRunner.FirstFailure(0, 9_999, bug);
        Assert.True(failure is not null, $"{bug} was not caught in seeds 0..9999");
        Assert.True(expected.Contains(failure.Kind), $"{bug} caught as {failure.Kind}, expected {string.Join(" or ", expected)}: {failure.Message}");
        new Simulation(new SimulationOptions { Seed = failure.Seed }).Run(); // throws if the seed fails without the bug
    }
}
