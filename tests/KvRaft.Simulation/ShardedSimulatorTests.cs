// Goal: sharded clusters (the shipped GroupReplicas: the replicated controller and data groups over one shared log per
// process) keep every acknowledged append, apply none twice, move sessions with their shards, serve no stale read and
// stay linearizable per key through shard moves and rebalances under crashes and restarts of single processes (and of
// all), partitions (also one way), message loss and delay, and recover liveness once healed; the checks bite: each
// planted migration bug is caught by the check that names it, and the very seed that caught it passes without it.
// Method: run the seeded ShardedSimulation over a fixed seed range in parallel (failing seeds are in the assertion
// message, with the command that replays them); search seeds from 0 for the first failure with a bug planted (test
// decorators only: MigrationPlants), assert its kind, replay that seed without the bug; replay seeds to prove
// determinism; check the program's exit codes.
using KvRaft.Testing.Groups;
using Xunit;

namespace KvRaft.Simulation;

public sealed class ShardedSimulatorTests
{
    [Fact]
    public void ShardedSeeds0To199_KeepEveryAcknowledgedAppendOnceSessionsAndLinearizability_AndRecoverLiveness()
    {
        long moves = 0, rebalances = 0, crashes = 0, acknowledged = 0;
        var failures = SeedRunner.RunSharded(0, 199, MigrationPlant.None, failuresMax: 10, result =>
        {
            Interlocked.Add(ref moves, result.Moves);
            Interlocked.Add(ref rebalances, result.Rebalances);
            Interlocked.Add(ref crashes, result.Crashes);
            Interlocked.Add(ref acknowledged, result.Acknowledged);
        });
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Select(f => f.Message)));
        Assert.True(moves >= 1000 && rebalances >= 300 && crashes >= 500 && acknowledged >= 100_000,
            $"too little happened over 200 seeds: {moves} moves, {rebalances} rebalances, {crashes} crashes, {acknowledged} appends acknowledged");
    }

    /// <summary>
    /// Seed 399 (three shards waiting for drops, three members per group): each drop request went to the same follower
    /// of the old owner every step, only its leader proposes the drop, and the migration waited forever (liveness).
    /// </summary>
    [Fact]
    public void ShardedSeed399_ADropRequestReachesTheOldOwnersLeader_AndTheMigrationEnds() =>
        new ShardedSimulation(new ShardedSimulationOptions { Seed = 399 }).Run();

    [Theory]
    [InlineData(nameof(MigrationPlant.InstallWithoutSessions), new[] { ViolationKind.SessionNotMoved })]
    [InlineData(nameof(MigrationPlant.ServeBeforeDataArrived), new[] { ViolationKind.AcknowledgedWriteLost, ViolationKind.Linearizability })]
    public void PlantedMigrationBug_IsCaughtByItsCheck_AndTheSameSeedPassesWithoutIt(string plant, ViolationKind[] expected)
    {
        var bug = Enum.Parse<MigrationPlant>(plant);
        PlantedBugTests.AssertCaughtByItsCheck(plant, "sharded seeds 0..199", SeedRunner.FirstShardedFailure(0, 199, bug), expected,
            seed => new ShardedSimulation(new ShardedSimulationOptions { Seed = seed }).Run());
    }

    [Fact]
    public void SameShardedSeed_ReplaysTheSameRun()
    {
        for (ulong seed = 0; seed < 3; seed++)
        {
            var first = new ShardedSimulation(new ShardedSimulationOptions { Seed = seed }).Run();
            var second = new ShardedSimulation(new ShardedSimulationOptions { Seed = seed }).Run();
            Assert.True(first == second, $"seed {seed}: {first} != {second}");
        }
    }

    [Theory]
    [InlineData("--sharded", "--plant", "DedupOff", "--seed", "1")]
    [InlineData("--plant", "InstallWithoutSessions", "--seed", "1")]
    [InlineData("--sharded", "--forge", "3", "--seed", "1")]
    public void ShardedBadUsage_ExitsWith2(params string[] args) => Assert.Equal(2, Program.Main(args));

    [Fact]
    public void PassingShardedSeed_ExitsWith0() => Assert.Equal(0, Program.Main(["--sharded", "--seed", "1"]));

    [Fact]
    public void PlantedShardedSeed_ExitsWith3() => Assert.Equal(3, Program.Main(["--sharded", "--plant", nameof(MigrationPlant.InstallWithoutSessions), "--seeds", "0..1"]));
}
