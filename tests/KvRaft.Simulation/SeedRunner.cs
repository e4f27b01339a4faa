using System.Collections.Concurrent;

namespace KvRaft.Simulation;

/// <summary>Runs ranges of seeds in parallel and collects the failures.</summary>
internal static class SeedRunner
{
    /// <summary>Runs seeds [<paramref name="first"/>, <paramref name="last"/>]; stops early once <paramref name="failuresMax"/> failures are found.</summary>
    public static IReadOnlyList<SimulationFailure> Run(ulong first, ulong last, PlantedBug plants, int failuresMax, Action<SimulationResult>? onPass = null, int forgeriesPerTick = 0)
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
                var result = new Simulation(new SimulationOptions { Seed = (ulong)seed, Plants = plants, ForgeriesPerTick = forgeriesPerTick }).Run();
                onPass?.Invoke(result);
            }
            catch (SimulationFailure failure)
            {
                failures.Add(failure);
            }
        });
        return failures.OrderBy(f => f.Seed).ToList();
    }

    /// <summary>The lowest failing seed in [first, last], or null: for proving a planted bug is caught.</summary>
    public static SimulationFailure? FirstFailure(ulong first, ulong last, PlantedBug plants)
    {
        const ulong chunk = 64;
        for (var from = first; from <= last; from += chunk)
        {
            var failures = Run(from, Math.Min(last, from + chunk - 1), plants, failuresMax: 1);
            if (failures.Count > 0)
            {
                return failures[0];
            }
        }
        return null;
    }
}
