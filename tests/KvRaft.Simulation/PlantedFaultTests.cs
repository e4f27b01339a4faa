// Goal: prove the simulator bites; method: plant one known Raft bug at a time in the core and require a failing seed within 10,000 seeds.
using KvRaft.Raft;
using Xunit;
using Xunit.Abstractions;

namespace KvRaft.Simulation;

public sealed class PlantedFaultTests
{
    private readonly ITestOutputHelper _output;

    public PlantedFaultTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(nameof(PlantedFault.VoteWithoutUpToDateCheck))]
    [InlineData(nameof(PlantedFault.CommitPreviousTermByCounting))]
    [InlineData(nameof(PlantedFault.AppendWithoutTruncatingConflict))]
    [InlineData(nameof(PlantedFault.ReadWithoutHeartbeatRound))]
    [InlineData(nameof(PlantedFault.VoteReplyBeforePersist))]
    public void PlantedBug_IsCaughtWithinTenThousandSeeds(string faultName)
    {
        PlantedFault fault = Enum.Parse<PlantedFault>(faultName);
        SimulationFailure? failure = SeedRunner.FirstFailure(0, 9_999, fault);
        Assert.True(failure is not null, $"{fault} survived 10,000 seeds");
        _output.WriteLine($"{fault}: caught at {failure.Message}");
    }
}
