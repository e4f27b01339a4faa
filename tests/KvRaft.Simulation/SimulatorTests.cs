// Goal: the Raft core keeps every safety property, and recovers liveness, across thousands of seeded failure schedules; method: run the deterministic simulator over a fixed seed range.
using Xunit;

namespace KvRaft.Simulation;

public sealed class SimulatorTests
{
    [Fact]
    public void Seeds0To2499_KeepSafetyAndRecoverLiveness()
    {
        IReadOnlyList<SimulationFailure> failures = SeedRunner.Run(0, 2499, Raft.PlantedFault.None, failuresMax: 10);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Select(f => f.Message)));
    }

    [Fact]
    public void SameSeed_ReplaysTheSameRun()
    {
        for (ulong seed = 0; seed < 20; seed++)
        {
            SimulationResult first = new Simulation(new SimulationOptions { Seed = seed }).Run();
            SimulationResult second = new Simulation(new SimulationOptions { Seed = seed }).Run();
            Assert.True(first == second, $"seed {seed}: {first} != {second}");
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void ClusterOfEachSize_CommitsAndServesReads(int nodes)
    {
        long committed = 0, reads = 0;
        for (ulong seed = 0; seed < 50; seed++)
        {
            SimulationResult result = new Simulation(new SimulationOptions { Seed = seed, NodeCount = nodes }).Run();
            committed += result.Committed;
            reads += result.ReadsReleased;
        }
        Assert.True(committed > 1000, $"only {committed} entries committed over 50 seeds");
        Assert.True(reads > 100, $"only {reads} reads released over 50 seeds");
    }
}
