using System.Diagnostics;
using KvRaft.Testing.Groups;

namespace KvRaft.Simulation;

/// <summary>
/// The simulator as a program (exit codes as TigerBeetle's VOPR):
///   --seeds A..B          run every seed in the range (in parallel) and print the failing ones
///   --seed N [--trace]    replay one seed exactly, optionally printing every event
///   --plants              list the bugs that can be planted
///   --plant NAME          plant a bug for the run (repeatable)
///   --forge N             an attacker forges N peer messages or chunks per tick (each must be refused)
///   --sharded             the sharded simulation (a controller and data groups, shard moves and rebalances); its
///                         --plant names are the migration bugs (InstallWithoutSessions, ServeBeforeDataArrived,
///                         InstallDropsMovedSessions)
/// Exit 0 all passed, 2 bad usage, 3 safety or linearizability violation, 4 liveness failure, 5 unexpected exception.
/// </summary>
public static class Program
{
    private const string Usage = "usage: [--sharded] --seeds A..B | --seed N [--trace] | --plants; with --plant NAME (repeatable); --forge N";

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        ulong first = 0, last = 199;
        var trace = false;
        var plants = PlantedBug.None;
        var forgeries = 0;
        var sharded = false;
        var migrationPlant = MigrationPlant.None;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--seeds":
                        var range = args[++i].Split("..");
                        if (range.Length != 2)
                        {
                            return BadUsage($"--seeds takes A..B, not {args[i]}");
                        }

                        first = ulong.Parse(range[0]);
                        last = ulong.Parse(range[1]);
                        if (last < first)
                        {
                            return BadUsage($"empty range {args[i]}");
                        }

                        break;
                    case "--seed":
                        first = last = ulong.Parse(args[++i]);
                        break;
                    case "--trace":
                        trace = true;
                        break;
                    case "--plants":
                        foreach (var listed in Enum.GetValues<PlantedBug>().Where(b => b != PlantedBug.None))
                        {
                            Console.WriteLine(listed);
                        }
                        foreach (var listed in Enum.GetValues<MigrationPlant>().Where(b => b != MigrationPlant.None))
                        {
                            Console.WriteLine($"{listed} (with --sharded)");
                        }

                        return 0;
                    case "--sharded":
                        sharded = true;
                        break;
                    case "--plant" when Enum.TryParse(args[i + 1], out MigrationPlant migration) && migration != MigrationPlant.None:
                        migrationPlant = migration;
                        i++;
                        break;
                    case "--plant":
                        if (!Enum.TryParse(args[++i], out PlantedBug bug) || bug == PlantedBug.None)
                        {
                            return BadUsage($"no planted bug {args[i]} (see --plants)");
                        }

                        plants |= bug;
                        break;
                    case "--forge":
                        forgeries = int.Parse(args[++i]);
                        if (forgeries < 0)
                        {
                            return BadUsage("--forge takes a count of at least 0");
                        }

                        break;
                    default:
                        return BadUsage($"unknown argument {args[i]}");
                }
            }
        }
        catch (Exception exception) when (exception is FormatException or OverflowException or IndexOutOfRangeException)
        {
            return BadUsage(exception.Message);
        }
        if (!sharded && migrationPlant != MigrationPlant.None)
        {
            return BadUsage($"{migrationPlant} is planted in the sharded simulation only: add --sharded");
        }
        if (sharded && (plants != PlantedBug.None || forgeries > 0))
        {
            return BadUsage("--sharded takes only the migration bugs as --plant, and no --forge");
        }
        if (sharded)
        {
            return first == last ? RunOneSharded(first, trace, migrationPlant) : RunRangeSharded(first, last, migrationPlant);
        }
        return first == last ? RunOne(first, trace, plants, forgeries) : RunRange(first, last, plants, forgeries);
    }

    private static int RunOneSharded(ulong seed, bool trace, MigrationPlant plant)
    {
        try
        {
            var result = new ShardedSimulation(new ShardedSimulationOptions { Seed = seed, Trace = trace, Plant = plant }).Run();
            Console.WriteLine($"seed {seed} passed: {result}");
            return 0;
        }
        catch (SimulationFailure failure)
        {
            Console.WriteLine("FAILED " + failure.Message);
            return failure.ExitCode;
        }
    }

    private static int RunRangeSharded(ulong first, ulong last, MigrationPlant plant)
    {
        var stopwatch = Stopwatch.StartNew();
        long passed = 0, acknowledged = 0, operations = 0, moves = 0, rebalances = 0, crashes = 0, snapshots = 0, dataInstalls = 0, controllerInstalls = 0, midMigration = 0;
        var failures = SeedRunner.RunSharded(first, last, plant, failuresMax: 20, result =>
        {
            Interlocked.Add(ref snapshots, result.SnapshotsTaken);
            Interlocked.Add(ref dataInstalls, result.DataSnapshotsInstalled);
            Interlocked.Add(ref controllerInstalls, result.ControllerSnapshotsInstalled);
            Interlocked.Add(ref midMigration, result.InstallsMidMigration);
            Interlocked.Increment(ref passed);
            Interlocked.Add(ref acknowledged, result.Acknowledged);
            Interlocked.Add(ref operations, result.Operations);
            Interlocked.Add(ref moves, result.Moves);
            Interlocked.Add(ref rebalances, result.Rebalances);
            Interlocked.Add(ref crashes, result.Crashes);
        });
        foreach (var failure in failures)
        {
            Console.WriteLine("FAILED " + failure.Message);
        }

        Console.WriteLine($"sharded seeds {first}..{last}{(plant == MigrationPlant.None ? "" : $" with {plant} planted")}: {passed} passed, " +
            $"{failures.Count} failed in {stopwatch.Elapsed.TotalSeconds:F1} s ({acknowledged} appends acknowledged, {operations} client operations checked, " +
            $"{moves} shard moves, {rebalances} rebalances, {crashes} crashes, {snapshots} snapshots taken, {dataInstalls} installed by data groups ({midMigration} of them mid-migration) and {controllerInstalls} by the controller)");
        return failures.Count == 0 ? 0 : failures.Min(f => f.ExitCode);
    }

    private static int BadUsage(string problem)
    {
        Console.Error.WriteLine(problem);
        Console.Error.WriteLine(Usage);
        return 2;
    }

    private static int RunOne(ulong seed, bool trace, PlantedBug plants, int forgeries)
    {
        try
        {
            var result = new Simulation(new SimulationOptions { Seed = seed, Trace = trace, Plants = plants, ForgeriesPerTick = forgeries }).Run();
            Console.WriteLine($"seed {seed} passed: {result}");
            return 0;
        }
        catch (SimulationFailure failure)
        {
            Console.WriteLine("FAILED " + failure.Message);
            return failure.ExitCode;
        }
    }

    private static int RunRange(ulong first, ulong last, PlantedBug plants, int forgeries)
    {
        var stopwatch = Stopwatch.StartNew();
        long passed = 0, committed = 0, operations = 0, forged = 0;
        var failures = SeedRunner.Run(first, last, plants, failuresMax: 20, result =>
        {
            Interlocked.Increment(ref passed);
            Interlocked.Add(ref committed, result.Committed);
            Interlocked.Add(ref operations, result.Operations);
            Interlocked.Add(ref forged, result.Forgeries);
        }, forgeries);
        foreach (var failure in failures)
        {
            Console.WriteLine("FAILED " + failure.Message);
        }

        Console.WriteLine($"seeds {first}..{last}{(plants == PlantedBug.None ? "" : $" with {plants} planted")}: {passed} passed, " +
            $"{failures.Count} failed in {stopwatch.Elapsed.TotalSeconds:F1} s ({committed} entries committed, {operations} client operations checked" +
            (forgeries > 0 ? $", {forged} forged messages refused)" : ")"));
        // The most severe kind decides: safety (3) before liveness (4) before an exception (5).
        return failures.Count == 0 ? 0 : failures.Min(f => f.ExitCode);
    }
}
