// Goal: the per-stage latency profile of a run from the nodes' scrapes: per window between faults, and per second for the chart.
using KvRaft.LocalCluster;

namespace KvRaft.Loadgen;

/// <summary>One stage in one window: requests that went through it, mean and p99 (from the histogram's buckets).</summary>
public sealed record StageFigures(string Stage, double Count, double MeanMilliseconds, double P99Milliseconds);

/// <summary>The stages of writes and reads between two scrapes, and (when known) what the clients saw of the same time.</summary>
public sealed record ProfileWindow(string Label, double FromSeconds, double ToSeconds, IReadOnlyList<StageFigures> Writes, IReadOnlyList<StageFigures> Reads)
{
    /// <summary>The successful writes that returned to loadgen's clients in the window, end to end.</summary>
    public StageFigures? ClientWrites { get; init; }

    /// <summary>The same for reads.</summary>
    public StageFigures? ClientReads { get; init; }

    /// <summary>This window with what the clients saw of it: <paramref name="records"/> that returned within it, ok.</summary>
    public ProfileWindow WithClients(IReadOnlyList<OperationRecord> records, long startNanoseconds)
    {
        var from = startNanoseconds + (long)(FromSeconds * 1e9);
        var to = startNanoseconds + (long)(ToSeconds * 1e9);
        OperationRecord[] within = [.. records.Where(record => record.Ok == true && record.ReturnNanoseconds > from && record.ReturnNanoseconds <= to)];
        return this with { ClientWrites = ClientFigures(within.Where(record => record.IsWrite)), ClientReads = ClientFigures(within.Where(record => !record.IsWrite)) };
    }

    private static StageFigures ClientFigures(IEnumerable<OperationRecord> records)
    {
        OperationRecord[] all = [.. records];
        var mean = all.Length > 0 ? all.Average(record => record.LatencyNanoseconds) / 1e6 : 0;
        return new StageFigures("at the client", all.Length, mean, LatencyProfile.Of(all).P99Milliseconds);
    }
}

/// <summary>Computes stage figures between scrapes (every node's observations added up; a restarted node counted from its restart).</summary>
public static class StageProfile
{
    public const string WriteMetric = "kvraft_write_stage_duration_seconds";
    public const string ReadMetric = "kvraft_read_stage_duration_seconds";
    public static readonly string[] WriteStages = ["queue", "persist", "replicate", "commit", "apply", "reply"];
    public static readonly string[] ReadStages = ["queue", "read_index", "apply_wait", "reply"];

    /// <summary>
    /// The windows of a run: from its start to the scrape just before the first fault, from there to the one
    /// before the next fault, and so on to the run's end; each labelled with the fault that opened it.
    /// </summary>
    public static IReadOnlyList<ProfileWindow> Windows(IReadOnlyList<ProfileScrape> scrapes, IReadOnlyList<FaultEvent> faults, long startNanoseconds)
    {
        if (scrapes.Count < 2)
        {
            return [];
        }

        List<int> bounds = [0, .. Enumerable.Range(1, scrapes.Count - 2).Where(i => scrapes[i].BeforeFault), scrapes.Count - 1];
        var windows = new List<ProfileWindow>();
        for (var w = 0; w + 1 < bounds.Count; w++)
        {
            var label = w == 0 ? "before any fault" : w - 1 < faults.Count ? "after " + faults[w - 1].Label : "after a fault";
            windows.Add(Window(scrapes, bounds[w], bounds[w + 1], label, startNanoseconds));
        }
        return windows;
    }

    /// <summary>The figures between scrapes <paramref name="from"/> and <paramref name="to"/>.</summary>
    public static ProfileWindow Window(IReadOnlyList<ProfileScrape> scrapes, int from, int to, string label, long startNanoseconds) => new(
        label,
        (scrapes[from].AtNanoseconds - startNanoseconds) / 1e9,
        (scrapes[to].AtNanoseconds - startNanoseconds) / 1e9,
        [.. WriteStages.Select(stage => Figures(stage, Between(scrapes, from, to, WriteMetric, stage)))],
        [.. ReadStages.Select(stage => Figures(stage, Between(scrapes, from, to, ReadMetric, stage)))]);

    private static StageFigures Figures(string stage, MetricHistogram histogram) =>
        new(stage, histogram.Count, histogram.Mean * 1e3, histogram.Quantile(0.99) * 1e3);

    /// <summary>Every node's observations of one stage between two scrapes, added up.</summary>
    private static MetricHistogram Between(IReadOnlyList<ProfileScrape> scrapes, int from, int to, string metric, string stage)
    {
        var total = MetricHistogram.Empty;
        for (var node = 0; node < scrapes[to].Nodes.Count; node++)
        {
            var end = Latest(scrapes, to, node);
            if (end is null)
            {
                continue;
            }

            var begin = Latest(scrapes, from, node);
            var now = end.Text.Histogram(metric, "stage=" + stage);
            // A node restarted since (another start time) counts everything since its restart.
            var sameRun = begin is not null && begin.StartTimeSeconds.Equals(end.StartTimeSeconds);
            total = total.Plus(sameRun ? now.Since(begin!.Text.Histogram(metric, "stage=" + stage)) : now);
        }
        return total;
    }

    /// <summary>The latest scrape of <paramref name="node"/> at or before scrape <paramref name="index"/> that it answered.</summary>
    private static NodeScrape? Latest(IReadOnlyList<ProfileScrape> scrapes, int index, int node)
    {
        for (var i = index; i >= 0; i--)
        {
            if (scrapes[i].Nodes[node] is { } scrape)
            {
                return scrape;
            }
        }
        return null;
    }
}
