// Goal: sharded clusters (the shipped GroupReplicas: the replicated controller and data groups over one shared log per
// process) keep every acknowledged append, apply none twice, move sessions with their shards, serve no stale read and
// stay linearizable per key through shard moves and rebalances under crashes and restarts of single processes (and of
// all), partitions (also one way), message loss and delay, drifting clocks, and recover liveness once healed, while every
// group snapshots and compacts its log often and replicas left behind are caught up by snapshot installs (the data
// groups' and the controller's: counted, and required); the checks bite: each
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
        long moves = 0, rebalances = 0, crashes = 0, acknowledged = 0, taken = 0, dataInstalls = 0, controllerInstalls = 0, seedsWithControllerInstalls = 0, midMigration = 0;
        var failures = SeedRunner.RunSharded(0, 199, MigrationPlant.None, failuresMax: 10, result =>
        {
            Interlocked.Add(ref moves, result.Moves);
            Interlocked.Add(ref rebalances, result.Rebalances);
            Interlocked.Add(ref crashes, result.Crashes);
            Interlocked.Add(ref acknowledged, result.Acknowledged);
            Interlocked.Add(ref taken, result.SnapshotsTaken);
            Interlocked.Add(ref dataInstalls, result.DataSnapshotsInstalled);
            Interlocked.Add(ref controllerInstalls, result.ControllerSnapshotsInstalled);
            Interlocked.Add(ref seedsWithControllerInstalls, result.ControllerSnapshotsInstalled > 0 ? 1 : 0);
            Interlocked.Add(ref midMigration, result.InstallsMidMigration);
        });
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Select(f => f.Message)));
        Assert.True(moves >= 1000 && rebalances >= 300 && crashes >= 500 && acknowledged >= 100_000,
            $"too little happened over 200 seeds: {moves} moves, {rebalances} rebalances, {crashes} crashes, {acknowledged} appends acknowledged");
        // The snapshots: the groups compact often, and replicas crashed or cut off long enough are caught up by
        // installs, of the data groups' (shard states, moved sessions; some with a migration under way) and of the
        // controller's (its configurations).
        Assert.True(taken >= 20_000 && dataInstalls >= 1000 && midMigration >= 300 && controllerInstalls >= 20 && seedsWithControllerInstalls >= 10,
            $"too few snapshots over 200 seeds: {taken} taken, {dataInstalls} installed by data groups ({midMigration} mid-migration), {controllerInstalls} by the controller (in {seedsWithControllerInstalls} seeds)");
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
    // A replica caught up by a snapshot install that lost the sessions of migrated shards refuses their writes that the
    // others apply: its data departs from theirs, and once it leads, acknowledged appends are missing or reads stale.
    [InlineData(nameof(MigrationPlant.InstallDropsMovedSessions), new[] { ViolationKind.AcknowledgedWriteLost, ViolationKind.Linearizability, ViolationKind.SessionNotMoved })]
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
