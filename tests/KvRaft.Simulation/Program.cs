using System.Diagnostics;
using KvRaft.Raft;

namespace KvRaft.Simulation;

/// <summary>
/// The simulator as a program:
///   --seeds A..B          run every seed in the range (in parallel) and print the failing ones
///   --seed N [--trace]    replay one seed exactly, optionally printing every event
///   --planted NAME        plant a bug in the core (VoteWithoutUpToDateCheck, CommitPreviousTermByCounting, ...)
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        ulong first = 0, last = 199;
        bool trace = false;
        PlantedFault faults = PlantedFault.None;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seeds":
                    string[] range = args[++i].Split("..");
                    first = ulong.Parse(range[0]);
                    last = ulong.Parse(range[1]);
                    break;
                case "--seed":
                    first = last = ulong.Parse(args[++i]);
                    break;
                case "--trace":
                    trace = true;
                    break;
                case "--planted":
                    faults |= Enum.Parse<PlantedFault>(args[++i]);
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; use --seeds A..B | --seed N [--trace] [--planted NAME]");
                    return 2;
            }
        }
        return first == last ? RunOne(first, trace, faults) : RunRange(first, last, faults);
    }

    private static int RunOne(ulong seed, bool trace, PlantedFault faults)
    {
        try
        {
            SimulationResult result = new Simulation(new SimulationOptions { Seed = seed, Trace = trace, Faults = faults }).Run();
            Console.WriteLine($"seed {seed} passed: {result}");
            return 0;
        }
        catch (SimulationFailure failure)
        {
            Console.WriteLine("FAILED " + failure.Message);
            return 1;
        }
    }

    private static int RunRange(ulong first, ulong last, PlantedFault faults)
    {
        var stopwatch = Stopwatch.StartNew();
        long passed = 0, committed = 0, reads = 0;
        IReadOnlyList<SimulationFailure> failures = SeedRunner.Run(first, last, faults, failuresMax: 100, result =>
        {
            Interlocked.Increment(ref passed);
            Interlocked.Add(ref committed, result.Committed);
            Interlocked.Add(ref reads, result.ReadsReleased);
        });
        foreach (SimulationFailure failure in failures) Console.WriteLine("FAILED " + failure.Message);
        Console.WriteLine($"seeds {first}..{last}: {passed} passed, {failures.Count} failed in {stopwatch.Elapsed.TotalSeconds:F1} s " +
            $"({committed} entries committed, {reads} reads checked)");
        return failures.Count == 0 ? 0 : 1;
    }
}
