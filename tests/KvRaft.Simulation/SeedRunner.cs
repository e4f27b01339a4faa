using System.Collections.Concurrent;
using KvRaft.Testing.Groups;

namespace KvRaft.Simulation;

/// <summary>Runs ranges of seeds in parallel and collects the failures.</summary>
internal static class SeedRunner
{
    /// <summary>Runs seeds [<paramref name="first"/>, <paramref name="last"/>]; stops early once <paramref name="failuresMax"/> failures are found.</summary>
    public static IReadOnlyList<SimulationFailure> Run(ulong first, ulong last, PlantedBug plants, int failuresMax, Action<SimulationResult>? onPass = null, int forgeriesPerTick = 0) =>
        RunSeeds(first, last, failuresMax, seed =>
        {
            var result = new Simulation(new SimulationOptions { Seed = seed, Plants = plants, ForgeriesPerTick = forgeriesPerTick }).Run();
            onPass?.Invoke(result);
        });

    /// <summary>Runs the sharded simulation of seeds [<paramref name="first"/>, <paramref name="last"/>]; stops early once <paramref name="failuresMax"/> failures are found.</summary>
    public static IReadOnlyList<SimulationFailure> RunSharded(ulong first, ulong last, MigrationPlant plant, int failuresMax, Action<ShardedSimulationResult>? onPass = null) =>
        RunSeeds(first, last, failuresMax, seed =>
        {
            var result = new ShardedSimulation(new ShardedSimulationOptions { Seed = seed, Plant = plant }).Run();
            onPass?.Invoke(result);
        });

    private static List<SimulationFailure> RunSeeds(ulong first, ulong last, int failuresMax, Action<ulong> run)
    {
        var failures = new ConcurrentBag<SimulationFailure>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For((long)first, (long)last + 1, options, (seed, state) =>
        {
            if (failures.Count >= failuresMax)
            {
                state.Stop();
                return;
            }
            try
            {
                run((ulong)seed);
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure);
            }
        });
        return failures.OrderBy(f => f.Seed).ToList();
    }

    /// <summary>The lowest failing seed in [first, last], or null: for proving a planted bug is caught.</summary>
    public static SimulationFailure? FirstFailure(ulong first, ulong last, PlantedBug plants) =>
        FirstOf(first, last, 64, (from, to) => Run(from, to, plants, failuresMax: 1));

    /// <summary>The lowest failing seed of the sharded simulation in [first, last], or null: for proving a planted migration bug is caught.</summary>
    public static SimulationFailure? FirstShardedFailure(ulong first, ulong last, MigrationPlant plant) =>
        FirstOf(first, last, (ulong)Environment.ProcessorCount, (from, to) => RunSharded(from, to, plant, failuresMax: 1));

    private static SimulationFailure? FirstOf(ulong first, ulong last, ulong chunk, Func<ulong, ulong, IReadOnlyList<SimulationFailure>> run)
    {
        for (var from = first; from <= last; from += chunk)
        {
            var failures = run(from, Math.Min(last, from + chunk - 1));
            if (failures.Count > 0)
            {
                return failures[0];
            }
        }
        return null;
    }
}
