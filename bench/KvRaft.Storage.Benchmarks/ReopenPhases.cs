// Goal: where a reopen of a large Raft log spends its time and allocations, at sizes other than the 1 GiB of
// RecoveryBenchmarks (the ~100 MiB a node keeps with the 64 MiB compaction lag); method: write a log of N MiB of
// 100-byte entries once (as RecoveryBenchmarks), reopen it a few times with the default limits and print per reopen
// the wall time, the process's CPU time (less sensitive to a loaded machine), the bytes allocated by the process and the store's own phase times (REOPEN_ALLOCATIONS=1: then one
// more reopen with the allocations sampled by type).
//   dotnet run -c Release --project bench/KvRaft.Storage.Benchmarks -- --reopen-phases 100 3
using System.Diagnostics;
using System.Globalization;

namespace KvRaft.Storage.Benchmarks;

internal static class ReopenPhases
{
    public static void Run(long logMiB, int reopens)
    {
        var directory = BenchData.NewDirectory("reopen");
        try
        {
            var (entries, bytes) = BenchData.WriteRaftLog(directory, logMiB << 20);
            Console.WriteLine($"log: {entries} entries, {bytes} bytes");
            for (var run = 1; run <= reopens; run++)
            {
                Reopen(directory, run);
            }
            if (Environment.GetEnvironmentVariable("REOPEN_ALLOCATIONS") == "1")
            {
                using var sampler = new AllocationSampler();
                Reopen(directory, 0);
                sampler.Print();
            }
        }
        finally
        {
            BenchData.Delete(directory);
        }
    }

    private static void Reopen(string directory, int run)
    {
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        using var store = FasterRaftLogStore.Open(directory);
        var elapsed = Stopwatch.GetElapsedTime(started);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var times = store.OpenTimes;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reopen {run}: {elapsed.TotalMilliseconds:F0} ms (CPU {cpu.TotalMilliseconds:F0} ms), {bytes:N0} B allocated, GCs gen0/1/2 {GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3}; "
            + $"torn-commit walk {times.TornCommitRepair.TotalMilliseconds:F0} ms, FasterLog recovery {times.FasterRecovery.TotalMilliseconds:F0} ms, replay {times.Replay.TotalMilliseconds:F0} ms, cache warm-up {store.CacheWarmUp.TotalMilliseconds:F0} ms"));
    }
}

/// <summary>Samples the runtime's allocation ticks (one per ~100 KB) by type: what a reopen allocates.</summary>
internal sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, long> _bytesByType = [];
    private readonly Lock _gate = new();

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
    {
        if (eventData.EventName != "GCAllocationTick_V4" || eventData.Payload is null)
        {
            return;
        }
        var type = eventData.Payload[eventData.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
        var bytes = Convert.ToInt64(eventData.Payload[eventData.PayloadNames!.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
        lock (_gate)
        {
            _bytesByType[type] = _bytesByType.GetValueOrDefault(type) + bytes;
        }
    }

    public void Print()
    {
        lock (_gate)
        {
            foreach (var (type, bytes) in _bytesByType.OrderByDescending(p => p.Value).Take(12))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bytes,15:N0} B  {type}"));
            }
            _bytesByType.Clear();
        }
    }
}
