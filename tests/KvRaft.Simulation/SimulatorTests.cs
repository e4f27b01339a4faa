// Goal: the shipped replica (KvNode over storage twins with FASTER's durability contract) keeps Raft safety, state
// machine safety, exactly-once and linearizability across thousands of seeded fault schedules, and recovers liveness.
// Method: run the deterministic simulator over a fixed seed range (also with an attacker forging peer input, each
// message of which must be refused, and no genuine one); replay seeds to prove determinism; check the program's exit
// codes.
using Xunit;

namespace KvRaft.Simulation;

public sealed class SimulatorTests
{
    [Fact]
    public void Seeds0To1999_KeepSafetyLinearizabilityAndExactlyOnce_AndRecoverLiveness()
    {
        var failures = SeedRunner.Run(0, 1999, PlantedBug.None, failuresMax: 10);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Select(f => f.Message)));
    }

    [Fact]
    public void ForgedPeerInput_IsAllRefused_AndSafetyLinearizabilityAndLivenessHold()
    {
        long forged = 0;
        var failures = SeedRunner.Run(0, 19, PlantedBug.None, failuresMax: 10,
            result => Interlocked.Add(ref forged, result.Forgeries), forgeriesPerTick: 20);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Select(f => f.Message)));
        Assert.True(forged >= 100_000, $"only {forged} forged messages and chunks reached a running node");
    }

    [Fact]
    public void SameSeed_ReplaysTheSameRun()
    {
        for (ulong seed = 0; seed < 10; seed++)
        {
            var first = new Simulation(new SimulationOptions { Seed = seed }).Run();
            var second = new Simulation(new SimulationOptions { Seed = seed }).Run();
            Assert.True(first == second, $"seed {seed}: {first} != {second}");
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void ClusterOfEachSize_CommitsAndAnswersClients(int nodes)
    {
        long committed = 0, operations = 0;
        for (ulong seed = 0; seed < 20; seed++)
        {
            var result = new Simulation(new SimulationOptions { Seed = seed, NodeCount = nodes }).Run();
            committed += result.Committed;
            operations += result.Operations;
        }
        Assert.True(committed > 1000, $"only {committed} entries committed over 20 seeds");
        Assert.True(operations > 1000, $"only {operations} client operations over 20 seeds");
    }

    [Theory]
    [InlineData("--seeds", "9..3")]
    [InlineData("--seeds", "x")]
    [InlineData("--plant", "NoSuchBug")]
    [InlineData("--frobnicate")]
    public void BadUsage_ExitsWith2(params string[] args) => Assert.Equal(2, Program.Main(args));

    [Fact]
    public void PassingSeed_ExitsWith0() => Assert.Equal(0, Program.Main(["--seed", "1"]));
}
