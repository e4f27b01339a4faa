// Goal: run a workload (and optionally a fault schedule) against a cluster and collect every operation.
using KvRaft.Client;

namespace KvRaft.Loadgen;

/// <summary>One second of the live progress.</summary>
public readonly record struct ProgressSample(double ElapsedSeconds, long Completed, long Errors, double P99Milliseconds);

/// <summary>What a run produced: every operation, the faults, and the run's start and end.</summary>
public sealed record RunData(LoadSettings Settings, long StartNanoseconds, long EndNanoseconds,
    IReadOnlyList<OperationRecord> Records, IReadOnlyList<FaultEvent> Faults)
{
    /// <summary>Operations of the unmeasured warm-up before the run (for CPU-per-operation accounting).</summary>
    public long WarmupOperations { get; init; }

    /// <summary>The wall clock (UTC) at <see cref="StartNanoseconds"/>, to place the faults beside the nodes' log lines; null: not taken.</summary>
    public DateTime? StartUtc { get; init; }
}

/// <summary>Drives <see cref="LoadSettings.Clients"/> logical clients over one <see cref="ILoadTarget"/>.</summary>
public static class LoadRun
{
    /// <summary>Runs the load on KvRaft through <paramref name="client"/>; <paramref name="faults"/> (if any) runs beside it.</summary>
    public static Task<RunData> RunAsync(LoadSettings settings, KvClient client, FaultInjector? faults,
        Action<ProgressSample>? progress, CancellationToken cancellation) =>
        RunAsync(settings, new KvRaftTarget(client), faults is null ? null : new KvRaftFaults(faults), progress, cancellation);

    /// <summary>Runs the load; <paramref name="faults"/> (if any) runs beside it; <paramref name="progress"/> gets one sample a second.</summary>
    public static async Task<RunData> RunAsync(LoadSettings settings, ILoadTarget target, IFaultRunner? faults,
        Action<ProgressSample>? progress, CancellationToken cancellation)
    {
        long warmupOperations = 0;
        if (settings.Warmup > TimeSpan.Zero)
        {
            // The same clients' workload, unmeasured and without faults, then the measured run from a warm process.
            var warmup = settings with { Duration = settings.Warmup, Operations = null, Warmup = TimeSpan.Zero, KeepArguments = false };
            warmupOperations = (await RunPhaseAsync(warmup, target, null, null, cancellation, isWarmup: true).ConfigureAwait(false)).Records.Count;
        }
        var run = await RunPhaseAsync(settings, target, faults, progress, cancellation).ConfigureAwait(false);
        return run with { WarmupOperations = warmupOperations };
    }

    private static async Task<RunData> RunPhaseAsync(LoadSettings settings, ILoadTarget target, IFaultRunner? faults,
        Action<ProgressSample>? progress, CancellationToken cancellation, bool isWarmup = false)
    {
        var keys = new KeyChooser(settings.Keys, settings.Distribution);
        var live = new LiveStatistics();
        var budget = new OperationBudget(settings.Operations);
        LoadClient[] clients = [.. Enumerable.Range(0, settings.Clients).Select(id => new LoadClient(id, settings, keys, target, live, budget))];
        var startUtc = DateTime.UtcNow;
        var start = Clock.NowNanoseconds();
        var end = settings.Operations is null ? start + (long)settings.Duration.TotalNanoseconds : long.MaxValue;
        using var stopFaults = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var faulting = faults?.RunAsync(start, stopFaults.Token) ?? Task.CompletedTask;
        var loading = Task.WhenAll(clients.Select(c => Task.Run(() => c.RunAsync(start, end, cancellation, atLeastOne: isWarmup), CancellationToken.None)));
        await ReportAsync(loading, live, start, progress).ConfigureAwait(false);
        await stopFaults.CancelAsync().ConfigureAwait(false);
        await IgnoreCancellation(faulting).ConfigureAwait(false);
        await IgnoreCancellation(loading).ConfigureAwait(false);
        var finished = Clock.NowNanoseconds();
        List<OperationRecord> records = [.. clients.SelectMany(c => c.Records)];
        return new RunData(settings, start, finished, records, faults?.Events.ToArray() ?? []) { StartUtc = startUtc };
    }

    private static async Task ReportAsync(Task loading, LiveStatistics live, long start, Action<ProgressSample>? progress)
    {
        while (await Task.WhenAny(loading, Task.Delay(1000)).ConfigureAwait(false) != loading)
        {
            (var completed, var errors, var p99) = live.TakeInterval();
            progress?.Invoke(new ProgressSample((Clock.NowNanoseconds() - start) / 1e9, completed, errors, p99));
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped on purpose.
        }
    }
}
